//! One SMTP conversation, step by step, through lettre's async connection (tokio, rustls):
//! connect (and implicit TLS), STARTTLS, AUTH, MAIL and RCPT, DATA, the message. Its own file
//! because it is the only code that speaks the protocol, and because it records the step a
//! failure happened at: a cut before the message was sent leaves nothing at the server, a cut
//! after it leaves the outcome unknown. lettre's `AsyncSmtpTransport::send` runs the same steps
//! but does not say which one failed, so it cannot tell those two apart.

use std::fmt;
use std::time::Duration;

use lettre::transport::smtp::authentication::Mechanism;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Quit, Rcpt};
use lettre::transport::smtp::extension::{Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::Error as LettreError;
use lettre::Address;

use super::config::{Security, Target};

/// AUTH mechanisms offered to the server, in order of preference.
const MECHANISMS: [Mechanism; 2] = [Mechanism::Plain, Mechanism::Login];

/// The step of the conversation a failure happened at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpStep {
    /// TCP, implicit TLS, the greeting and EHLO.
    Connect,
    StartTls,
    Auth,
    /// MAIL FROM and RCPT TO.
    Envelope,
    /// The DATA command (before any of the message is sent).
    Data,
    /// The message was sent; waiting for the server's last reply.
    Message,
}

impl fmt::Display for SmtpStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SmtpStep::Connect => "connecting",
            SmtpStep::StartTls => "STARTTLS",
            SmtpStep::Auth => "AUTH",
            SmtpStep::Envelope => "MAIL FROM / RCPT TO",
            SmtpStep::Data => "DATA",
            SmtpStep::Message => "after the message was sent",
        })
    }
}

/// What went wrong.
#[derive(Debug)]
pub enum SmtpCause {
    /// The server answered with a 4xx or 5xx reply (its text is in the error).
    Reply(LettreError),
    /// This client cannot go on with this server (no STARTTLS offered, no AUTH mechanism in
    /// common, an 8-bit message to a server without 8BITMIME).
    Unsupported(&'static str),
    /// Refused by lettre before anything was sent for this step.
    Client(LettreError),
    /// The connection failed or was cut, TLS failed, or the reply could not be read.
    Io(LettreError),
    /// No answer within the attempt's time.
    Timeout(Duration),
}

/// A failed attempt: where, and why.
#[derive(Debug)]
pub struct SmtpFailure {
    pub step: SmtpStep,
    pub cause: SmtpCause,
}

impl SmtpFailure {
    fn new(step: SmtpStep, e: LettreError) -> Self {
        let cause = if e.is_transient() || e.is_permanent() {
            SmtpCause::Reply(e)
        } else if e.is_client() {
            SmtpCause::Client(e)
        } else {
            SmtpCause::Io(e)
        };
        Self { step, cause }
    }

    /// The message was sent and no answer came: it may have been delivered.
    pub fn outcome_unknown(&self) -> bool {
        self.step == SmtpStep::Message
            && matches!(self.cause, SmtpCause::Io(_) | SmtpCause::Timeout(_))
    }

    /// Trying again cannot help: a 5xx reply, or a server this client cannot work with.
    pub fn is_permanent(&self) -> bool {
        match &self.cause {
            SmtpCause::Reply(e) => e.is_permanent(),
            SmtpCause::Unsupported(_) | SmtpCause::Client(_) => true,
            SmtpCause::Io(_) | SmtpCause::Timeout(_) => false,
        }
    }

    /// The SMTP reply code, when the server gave one.
    pub fn code(&self) -> Option<String> {
        match &self.cause {
            SmtpCause::Reply(e) => e.status().map(|c| c.to_string()),
            _ => None,
        }
    }

    /// What to change, when the step and cause point at the configuration.
    fn hint(&self) -> Option<&'static str> {
        match (&self.cause, self.step) {
            (SmtpCause::Reply(e), SmtpStep::Auth) if e.is_permanent() => {
                Some("check the user in DISPATCH_SMTP_URL and the password in DISPATCH_SMTP_PASSWORD or DISPATCH_SMTP_PASSWORD_FILE")
            }
            (SmtpCause::Io(e), _) if tls_failed(e) => Some(
                "the server's certificate or TLS failed: a server with a private CA needs DISPATCH_SMTP_CA_FILE; check the host name in DISPATCH_SMTP_URL",
            ),
            (SmtpCause::Io(_), SmtpStep::Connect) => {
                Some("check the host and port in DISPATCH_SMTP_URL and that this machine may reach them")
            }
            (SmtpCause::Unsupported(_), SmtpStep::StartTls) => {
                Some("use smtps://host:465 if the server speaks implicit TLS")
            }
            (SmtpCause::Unsupported(_), SmtpStep::Auth) => Some("the server offers neither AUTH PLAIN nor AUTH LOGIN here"),
            _ if self.outcome_unknown() => Some(
                "it may have been delivered; a retry sends it again with the same Message-ID, which receivers fold into one",
            ),
            _ => None,
        }
    }
}

impl fmt::Display for SmtpFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            SmtpCause::Reply(e) => write!(f, "{}: the server answered {e}", self.step)?,
            SmtpCause::Unsupported(what) => write!(f, "{}: {what}", self.step)?,
            SmtpCause::Client(e) | SmtpCause::Io(e) => write!(f, "{}: {e}", self.step)?,
            SmtpCause::Timeout(d) => {
                write!(f, "{}: no answer within {} s", self.step, d.as_secs_f32())?
            }
        }
        if let Some(h) = self.hint() {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

impl std::error::Error for SmtpFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.cause {
            SmtpCause::Reply(e) | SmtpCause::Client(e) | SmtpCause::Io(e) => Some(e),
            SmtpCause::Unsupported(_) | SmtpCause::Timeout(_) => None,
        }
    }
}

/// An open, secured and authenticated connection.
pub(crate) struct Session {
    conn: AsyncSmtpConnection,
    /// The AUTH mechanism used, if any.
    pub auth: Option<Mechanism>,
}

/// Connects, secures and authenticates, keeping `step` at the step under way.
pub(crate) async fn open(
    target: &Target,
    timeout: Duration,
    step: &mut SmtpStep,
) -> Result<Session, SmtpFailure> {
    *step = SmtpStep::Connect;
    let wrapper = match target.security {
        Security::ImplicitTls => target.tls.clone(),
        _ => None,
    };
    let mut conn = AsyncSmtpConnection::connect_tokio1(
        (target.host.as_str(), target.port),
        Some(timeout),
        &target.hello,
        wrapper,
        None,
    )
    .await
    .map_err(|e| SmtpFailure::new(SmtpStep::Connect, e))?;
    let secured = secure(&mut conn, target, step).await;
    let auth = match secured {
        Ok(()) => authenticate(&mut conn, target, step).await,
        Err(e) => Err(e),
    };
    match auth {
        Ok(auth) => Ok(Session { conn, auth }),
        Err(e) => {
            end(conn, &e).await;
            Err(e)
        }
    }
}

/// Ends a connection after a failure: QUIT when the server is still talking (it answered),
/// otherwise just drop it (after a failed TLS upgrade lettre's stream must not be written to).
async fn end(mut conn: AsyncSmtpConnection, failure: &SmtpFailure) {
    if matches!(
        failure.cause,
        SmtpCause::Reply(_) | SmtpCause::Unsupported(_)
    ) {
        conn.abort().await;
    }
}

async fn secure(
    conn: &mut AsyncSmtpConnection,
    target: &Target,
    step: &mut SmtpStep,
) -> Result<(), SmtpFailure> {
    let Some(tls) = target.tls.clone() else {
        return Ok(());
    };
    let required = match target.security {
        Security::StartTls => true,
        Security::StartTlsIfOffered => false,
        Security::ImplicitTls | Security::Plain => return Ok(()),
    };
    *step = SmtpStep::StartTls;
    if !conn.can_starttls() {
        return if required {
            Err(SmtpFailure {
                step: SmtpStep::StartTls,
                cause: SmtpCause::Unsupported("the server does not offer STARTTLS"),
            })
        } else {
            Ok(())
        };
    }
    conn.starttls(tls, &target.hello)
        .await
        .map_err(|e| SmtpFailure::new(SmtpStep::StartTls, e))
}

async fn authenticate(
    conn: &mut AsyncSmtpConnection,
    target: &Target,
    step: &mut SmtpStep,
) -> Result<Option<Mechanism>, SmtpFailure> {
    let Some(credentials) = &target.credentials else {
        return Ok(None);
    };
    *step = SmtpStep::Auth;
    let Some(mechanism) = conn.server_info().get_auth_mechanism(&MECHANISMS) else {
        return Err(SmtpFailure {
            step: SmtpStep::Auth,
            cause: SmtpCause::Unsupported("no AUTH mechanism in common (PLAIN, LOGIN)"),
        });
    };
    conn.auth(&[mechanism], credentials)
        .await
        .map_err(|e| SmtpFailure::new(SmtpStep::Auth, e))?;
    Ok(Some(mechanism))
}

impl Session {
    /// Sends one message to `recipients` and says goodbye; returns the server's last reply.
    pub(crate) async fn deliver(
        mut self,
        from: &Address,
        recipients: &[Address],
        message: &[u8],
        step: &mut SmtpStep,
    ) -> Result<String, SmtpFailure> {
        match self.transaction(from, recipients, message, step).await {
            Ok(reply) => {
                self.close().await;
                Ok(reply)
            }
            Err(f) => {
                end(self.conn, &f).await;
                Err(f)
            }
        }
    }

    async fn transaction(
        &mut self,
        from: &Address,
        recipients: &[Address],
        message: &[u8],
        step: &mut SmtpStep,
    ) -> Result<String, SmtpFailure> {
        *step = SmtpStep::Envelope;
        let info = self.conn.server_info();
        let mut options = Vec::new();
        if std::iter::once(from)
            .chain(recipients)
            .any(|a: &Address| !AsRef::<str>::as_ref(a).is_ascii())
        {
            if !info.supports_feature(Extension::SmtpUtfEight) {
                return Err(unsupported(
                    *step,
                    "an address is not ASCII and the server lacks SMTPUTF8",
                ));
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        if !message.is_ascii() {
            if !info.supports_feature(Extension::EightBitMime) {
                return Err(unsupported(
                    *step,
                    "the message is 8-bit and the server lacks 8BITMIME",
                ));
            }
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let fail = |step: SmtpStep| move |e| SmtpFailure::new(step, e);
        self.conn
            .command(Mail::new(Some(from.clone()), options))
            .await
            .map_err(fail(SmtpStep::Envelope))?;
        for r in recipients {
            self.conn
                .command(Rcpt::new(r.clone(), vec![]))
                .await
                .map_err(fail(SmtpStep::Envelope))?;
        }
        *step = SmtpStep::Data;
        self.conn
            .command(Data)
            .await
            .map_err(fail(SmtpStep::Data))?;
        *step = SmtpStep::Message;
        let reply = self
            .conn
            .message(message)
            .await
            .map_err(fail(SmtpStep::Message))?;
        Ok(reply.message().collect::<Vec<_>>().join(" "))
    }

    /// Says goodbye; a failure here changes nothing about what was sent.
    pub(crate) async fn close(&mut self) {
        if self.conn.command(Quit).await.is_err() {
            self.conn.abort().await;
        }
    }
}

/// Whether TLS failed (a certificate not trusted, a handshake refused): lettre reports a failed
/// STARTTLS upgrade as a connection error, with rustls's error inside an `InvalidData` I/O error.
fn tls_failed(e: &LettreError) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(l) = s.downcast_ref::<LettreError>() {
            if l.is_tls() {
                return true;
            }
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return io.kind() == std::io::ErrorKind::InvalidData;
        }
        source = s.source();
    }
    false
}

fn unsupported(step: SmtpStep, what: &'static str) -> SmtpFailure {
    SmtpFailure {
        step,
        cause: SmtpCause::Unsupported(what),
    }
}
