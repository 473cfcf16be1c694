"""moto's server, one request at a time, for DynamoDB and DynamoDB Streams in tests.

moto's threaded server rolls a failed TransactWriteItems back by restoring a copy of the whole
table taken when that transaction started, which undoes other transactions that committed in the
meantime: concurrent transactions are not atomic there, unlike on DynamoDB. Serving DynamoDB one
request at a time restores DynamoDB's guarantee. SQS keeps the threaded server (long polls would
block a serial one); the tests point each service at its own server through the SDK's
per-service endpoints.

moto ignores a TransactWriteItems' ClientRequestToken; DynamoDB does not. For ten minutes after
a transaction with a token succeeds, the same token with the same parameters succeeds again
without writing, and with other parameters is refused (IdempotentParameterMismatchException).
`Tokens` below does the same (per set of tables: each test has its own), so a second accept of
one offer meets what it meets on AWS.
Usage: python moto_serial.py HOST PORT
"""
import io
import json
import os
import sys
import time

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.server import MotoRequestHandler

WINDOW_SECS = 600
TARGET = "DynamoDB_20120810.TransactWriteItems"


class Tokens:
    """DynamoDB's client request tokens of TransactWriteItems, in front of moto."""

    def __init__(self, app):
        self.app = app
        self.seen = {}  # token -> (parameters, when it succeeded)

    def __call__(self, environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET") != TARGET:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        token = body.pop("ClientRequestToken", None)
        params = json.dumps(body, sort_keys=True)
        if token is not None:
            # Scoped by the tables too: each test's tables have their own prefix, and fixed ids
            # in two tests must not meet (DynamoDB scopes a token to the account).
            tables = sorted({op.get("TableName", "") for item in body.get("TransactItems", [])
                             for op in item.values() if isinstance(op, dict)})
            token = (token, tuple(tables))
        now = time.monotonic()
        if token is not None and token in self.seen:
            was, at = self.seen[token]
            if now - at < WINDOW_SECS:
                if was == params:
                    return self.reply(start_response, "200 OK", {})
                return self.reply(
                    start_response,
                    "400 Bad Request",
                    {
                        "__type": "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
                        "message": "The request uses the same client token as a previous, but non-identical request.",
                    },
                )
        environ["wsgi.input"] = io.BytesIO(raw)
        status = {}

        def capture(s, headers, exc_info=None):
            status["s"] = s
            return start_response(s, headers, exc_info)

        out = self.app(environ, capture)
        if token is not None and status.get("s", "").startswith("200"):
            self.seen[token] = (params, now)
        return out

    @staticmethod
    def reply(start_response, status, body):
        data = json.dumps(body).encode()
        start_response(
            status,
            [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(data)))],
        )
        return [data]


host, port = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("MOTO_PORT", str(port))
app = Tokens(DomainDispatcherApplication(create_backend_app))
run_simple(host, port, app, threaded=False, use_reloader=False, request_handler=MotoRequestHandler)
