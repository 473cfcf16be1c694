#!/usr/bin/env python3
"""A real SMTP server for crew-dispatch's tests (aiosmtpd), on loopback only.

    smtp_server.py --store DIR --cert CERT.pem --key KEY.pem [--port N] [--tls starttls|implicit|none]
                   [--user USER] [--fault none|451|554|drop]

The password for AUTH comes from the environment variable SMTP_TEST_PASSWORD (so it is not in the
process list). With a user set, AUTH is required (PLAIN or LOGIN) and, with --tls starttls, only
after STARTTLS, which is then required too.

Each message accepted is stored as DIR/msg-NNNN.json ({"mail_from", "rcpt_tos", "tls",
"auth_user", "data"}), written to a temp file and renamed, so a reader never sees half a file.
Each message refused by a fault is stored as DIR/rejected-NNNN.json with the reply sent.

Fault modes, by DATA transaction (the whole message received):
    451   the first one is answered "451 4.3.0 ..." and not stored; later ones are accepted
    554   every one is answered "554 5.7.1 ..." and not stored
    drop  the first one is stored, then the connection is dropped without a reply; later ones
          are accepted

Binds 127.0.0.1 on --port (0: a free port), prints the port on the first line of stdout, and
serves until it is killed.
"""

import argparse
import asyncio
import json
import os
import ssl
import sys
import warnings

try:
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
except ImportError:
    sys.exit("aiosmtpd is not installed in this Python: run ./scripts/test (it installs aiosmtpd into .venv)")

# aiosmtpd itself still sets the attribute it deprecates; nothing here reads it.
warnings.filterwarnings("ignore", message="Session.login_data is deprecated")


class Store:
    """The handler: stores messages and plays the fault mode."""

    def __init__(self, folder, fault):
        self.folder = folder
        self.fault = fault
        self.transactions = 0
        self.saved = 0
        self.rejected = 0

    def _write(self, name, record):
        path = os.path.join(self.folder, name)
        tmp = os.path.join(self.folder, "." + name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def _record(self, server, session, envelope):
        auth = session.auth_data
        return {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "auth_user": auth.login.decode("utf-8", "replace") if isinstance(auth, LoginPassword) else None,
            "data": envelope.original_content.decode("utf-8", "replace"),
        }

    def _reject(self, server, session, envelope, reply):
        self.rejected += 1
        record = self._record(server, session, envelope)
        record["reply"] = reply
        self._write("rejected-%04d.json" % self.rejected, record)
        return reply

    async def handle_DATA(self, server, session, envelope):
        self.transactions += 1
        first = self.transactions == 1
        if self.fault == "554":
            return self._reject(server, session, envelope, "554 5.7.1 Message refused by the test server's policy")
        if self.fault == "451" and first:
            return self._reject(server, session, envelope, "451 4.3.0 Temporary failure at the test server, try again")
        self.saved += 1
        self._write("msg-%04d.json" % self.saved, self._record(server, session, envelope))
        if self.fault == "drop" and first:
            # Received and stored, but the client never hears so: its outcome is unknown.
            server.transport.abort()
            raise ConnectionResetError("test server dropped the connection after DATA")
        return "250 2.0.0 OK stored as msg-%04d" % self.saved


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        # handled=False: aiosmtpd itself answers a failure with 535 (True would leave the client waiting).
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return check


async def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--store", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--tls", choices=["starttls", "implicit", "none"], default="starttls")
    p.add_argument("--user")
    p.add_argument("--fault", choices=["none", "451", "554", "drop"], default="none")
    a = p.parse_args()
    os.makedirs(a.store, exist_ok=True)

    ctx = None
    if a.tls != "none":
        if not (a.cert and a.key):
            sys.exit("--cert and --key are needed with --tls " + a.tls)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)

    auth = {}
    if a.user:
        password = os.environ.get("SMTP_TEST_PASSWORD")
        if not password:
            sys.exit("--user needs the password in SMTP_TEST_PASSWORD")
        auth = dict(
            authenticator=authenticator(a.user, password),
            auth_required=True,
            # With implicit TLS the whole connection is encrypted: aiosmtpd's check is for STARTTLS.
            auth_require_tls=a.tls == "starttls",
        )

    handler = Store(a.store, a.fault)
    loop = asyncio.get_running_loop()

    def factory():
        return SMTP(
            handler,
            hostname="smtp-test.localhost",
            tls_context=ctx if a.tls == "starttls" else None,
            require_starttls=a.tls == "starttls",
            **auth,
        )

    server = await loop.create_server(factory, "127.0.0.1", a.port, ssl=ctx if a.tls == "implicit" else None)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
