//! What the SMTP sender is told (`DISPATCH_SMTP_URL`, the password, `DISPATCH_SMTP_CA_FILE`), read
//! into a [`Target`] that can only be safe: TLS (implicit or required STARTTLS) to any host, and
//! plain or opportunistic SMTP only to a loopback host. Its own file because it is pure parsing
//! with its own rules and tests; the conversation itself is in `session.rs`.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use url::{Host, Url};

use super::password::SmtpPassword;
use super::SmtpError;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtps://`: TLS from the first byte (port 465 by default).
    ImplicitTls,
    /// `smtp://…?tls=required`: STARTTLS, refused if the server does not offer it (port 587).
    StartTls,
    /// `smtp://…?tls=opportunistic`: STARTTLS if offered (loopback only).
    StartTlsIfOffered,
    /// `smtp://`: no TLS at all (loopback only).
    Plain,
}

impl fmt::Display for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Security::ImplicitTls => "implicit TLS",
            Security::StartTls => "STARTTLS",
            Security::StartTlsIfOffered => "STARTTLS if offered, loopback",
            Security::Plain => "no TLS, loopback",
        })
    }
}

/// How often and how soon a send tries again, inside one `send`, after a failure that certainly
/// left nothing at the server (a 4xx reply, a connection that failed before the message was
/// sent). Failures with an unknown outcome and permanent ones are returned at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmtpRetry {
    /// Further tries after the first.
    pub retries: usize,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for SmtpRetry {
    /// Three more tries, 1 s doubling to 8 s, with jitter; past that the caller's own retry
    /// (the job's backoff, the sweep) takes over.
    fn default() -> Self {
        Self {
            retries: 3,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(8),
        }
    }
}

/// Everything the SMTP sender needs, as the settings give it.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// `DISPATCH_SMTP_URL`, in lettre's form: `smtps://user@host:465`,
    /// `smtp://user@host:587?tls=required`, or plain `smtp://127.0.0.1:2525` (loopback only).
    /// The user is percent-encoded (`ops%40example.com`); a password in the URL is refused.
    /// A path names the EHLO host: `smtps://user@host:465/mail.example.com`.
    pub url: String,
    /// `DISPATCH_SMTP_PASSWORD` or the content of `DISPATCH_SMTP_PASSWORD_FILE`; needed when the
    /// URL names a user.
    pub password: Option<SmtpPassword>,
    /// `DISPATCH_SMTP_CA_FILE`: a PEM file with the CA that signed the server's certificate (a
    /// private CA). When set, the server is checked against it only, not the system's roots.
    pub ca_file: Option<PathBuf>,
    /// Longest time one attempt (connect to the server's last reply) may take.
    pub timeout: Duration,
    pub retry: SmtpRetry,
}

impl SmtpConfig {
    /// A configuration with the default timeout (60 s) and retry.
    pub fn new(
        url: impl Into<String>,
        password: Option<SmtpPassword>,
        ca_file: Option<PathBuf>,
    ) -> Self {
        Self {
            url: url.into(),
            password,
            ca_file,
            timeout: Duration::from_secs(60),
            retry: SmtpRetry::default(),
        }
    }
}

/// The server to talk to, checked: what `session.rs` connects to.
#[derive(Clone)]
pub(crate) struct Target {
    /// For connecting: a name, or an address without brackets.
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub tls: Option<TlsParameters>,
    pub hello: ClientId,
    pub user: Option<String>,
    pub credentials: Option<Credentials>,
    pub ca_file: Option<PathBuf>,
}

/// Shows what `describe` shows: never the credentials.
impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Target {
    /// `host:port` (`[::1]:25` for an IPv6 address).
    pub fn server(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// One line for `doctor` and logs: never the password.
    pub fn describe(&self) -> String {
        let mut s = format!("SMTP {} ({}", self.server(), self.security);
        if let Some(ca) = &self.ca_file {
            s.push_str(&format!(", private CA {}", ca.display()));
        }
        s.push(')');
        if let Some(u) = &self.user {
            s.push_str(&format!(" as {u}"));
        }
        s
    }

    /// Reads and checks a configuration.
    pub fn parse(config: &SmtpConfig) -> Result<Self, SmtpError> {
        let url_err = |problem: String| SmtpError::Url { problem };
        // The parser's message never repeats the URL, which could hold a password.
        let url = Url::parse(&config.url).map_err(|source| SmtpError::NotAUrl { source })?;
        let (host, loopback) = match url.host() {
            // smtp:// is not a scheme the URL standard knows, so an IPv4 address comes as a name.
            Some(Host::Domain(d)) if !d.is_empty() => {
                let loopback = match d.parse::<IpAddr>() {
                    Ok(ip) => ip.is_loopback(),
                    Err(_) => d.eq_ignore_ascii_case("localhost"),
                };
                (d.to_string(), loopback)
            }
            Some(Host::Ipv4(a)) => (a.to_string(), IpAddr::V4(a).is_loopback()),
            Some(Host::Ipv6(a)) => (a.to_string(), IpAddr::V6(a).is_loopback()),
            _ => {
                return Err(url_err(
                    "no host (e.g. smtps://user@smtp.example.com:465)".into(),
                ))
            }
        };
        if url.password().is_some() {
            return Err(url_err(
                "it holds a password: take it out of the URL and set DISPATCH_SMTP_PASSWORD or DISPATCH_SMTP_PASSWORD_FILE"
                    .into(),
            ));
        }
        let mut tls_param = None;
        for (k, v) in url.query_pairs() {
            match k.as_ref() {
                "tls" => tls_param = Some(v.to_string()),
                other => {
                    return Err(url_err(format!(
                        "unknown parameter `{other}` (only tls=required or tls=opportunistic)"
                    )))
                }
            }
        }
        let (security, default_port) = match (url.scheme(), tls_param.as_deref()) {
            ("smtps", None) => (Security::ImplicitTls, 465),
            ("smtp", Some("required")) => (Security::StartTls, 587),
            ("smtp", Some("opportunistic")) => (Security::StartTlsIfOffered, 587),
            ("smtp", None) => (Security::Plain, 25),
            (scheme, tls) => {
                return Err(url_err(format!(
                    "scheme `{scheme}` with tls={} is not one of smtps://, smtp://…?tls=required, smtp://…?tls=opportunistic, smtp://",
                    tls.unwrap_or("(none)")
                )))
            }
        };
        if !loopback && matches!(security, Security::Plain | Security::StartTlsIfOffered) {
            return Err(SmtpError::Insecure { host });
        }
        let user = percent_decode(url.username())?;
        let credentials = match (&user, &config.password) {
            (Some(u), Some(p)) => Some(Credentials::new(u.clone(), p.expose().to_string())),
            (Some(_), None) => {
                return Err(SmtpError::Password {
                    problem: "DISPATCH_SMTP_URL names a user but no password is set: set DISPATCH_SMTP_PASSWORD or DISPATCH_SMTP_PASSWORD_FILE",
                })
            }
            (None, Some(_)) => {
                return Err(SmtpError::Password {
                    problem: "a password is set but DISPATCH_SMTP_URL names no user: put it in the URL (smtps://user@host:465, the user percent-encoded, `@` as %40)",
                })
            }
            (None, None) => None,
        };
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_string()),
        };
        let tls = match security {
            Security::Plain => None,
            _ => Some(tls_parameters(&host, config.ca_file.as_deref())?),
        };
        Ok(Self {
            host,
            port: url.port().unwrap_or(default_port),
            security,
            tls,
            hello,
            user,
            credentials,
            ca_file: config.ca_file.clone(),
        })
    }
}

/// The URL's user, `%XX` sequences decoded (`ops%40example.com` is `ops@example.com`).
fn percent_decode(s: &str) -> Result<Option<String>, SmtpError> {
    if s.is_empty() {
        return Ok(None);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
        .map(Some)
        .map_err(|_| SmtpError::Url {
            problem: "the user is not UTF-8 once decoded".into(),
        })
}

fn tls_parameters(host: &str, ca_file: Option<&Path>) -> Result<TlsParameters, SmtpError> {
    let mut builder = TlsParameters::builder(host.to_string());
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|source| SmtpError::CaFile {
            path: path.to_path_buf(),
            source,
        })?;
        let has_cert = pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----");
        let cert = Certificate::from_pem(&pem)
            .ok()
            .filter(|_| has_cert)
            .ok_or_else(|| SmtpError::CaFileNotPem {
                path: path.to_path_buf(),
            })?;
        builder = builder
            .certificate_store(CertificateStore::None)
            .add_root_certificate(cert);
    }
    builder
        .build_rustls()
        .map_err(|source| SmtpError::Tls { source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str, password: Option<&str>) -> Result<Target, SmtpError> {
        Target::parse(&SmtpConfig::new(url, password.map(SmtpPassword::new), None))
    }

    #[test]
    fn lettre_url_forms_read_with_their_default_ports() {
        let t = parse("smtps://ops%40example.com@smtp.example.com", Some("pw")).unwrap();
        assert_eq!((t.port, t.security), (465, Security::ImplicitTls));
        assert_eq!(t.user.as_deref(), Some("ops@example.com"));
        let t = parse("smtp://ops@smtp.example.com?tls=required", Some("pw")).unwrap();
        assert_eq!((t.port, t.security), (587, Security::StartTls));
        let t = parse("smtp://127.0.0.1:2525", None).unwrap();
        assert_eq!((t.port, t.security), (2525, Security::Plain));
        assert!(t.tls.is_none());
        let t = parse("smtp://[::1]:2525/relay.example.com", None).unwrap();
        assert_eq!(t.server(), "[::1]:2525");
        assert_eq!(t.hello.to_string(), "relay.example.com");
        assert!(parse("smtp://localhost?tls=opportunistic", None).is_ok());
        assert!(parse("smtp://127.8.9.10", None).is_ok());
    }

    #[test]
    fn plain_smtp_is_for_loopback_only_and_says_which_setting() {
        for url in [
            "smtp://smtp.example.com:25",
            "smtp://10.0.0.5",
            "smtp://128.0.0.1",
            "smtp://[2001:db8::1]",
            "smtp://localhost.example.com",
            "smtp://mail.example.com?tls=opportunistic",
        ] {
            let e = parse(url, None).unwrap_err().to_string();
            assert!(
                e.contains("DISPATCH_SMTP_URL") && e.contains("loopback"),
                "{url}: {e}"
            );
        }
    }

    #[test]
    fn passwords_stay_out_of_urls_errors_and_descriptions() {
        let e = parse("smtps://ops:hunter2@smtp.example.com", None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("DISPATCH_SMTP_PASSWORD") && !e.contains("hunter2"),
            "{e}"
        );
        let t = parse("smtps://ops@smtp.example.com", Some("hunter2")).unwrap();
        assert_eq!(
            t.describe(),
            "SMTP smtp.example.com:465 (implicit TLS) as ops"
        );
        assert!(parse("smtps://ops@smtp.example.com", None)
            .unwrap_err()
            .to_string()
            .contains("DISPATCH_SMTP_PASSWORD"));
        assert!(parse("smtps://smtp.example.com", Some("pw"))
            .unwrap_err()
            .to_string()
            .contains("names no user"));
    }

    #[test]
    fn odd_urls_are_refused_with_the_form_to_use() {
        for url in [
            "smtp://host?tls=require",
            "smtps://host?tls=required",
            "http://host",
            "smtp://host?x=1",
            "smtp:///",
            "not a url",
        ] {
            let e = parse(url, None).unwrap_err().to_string();
            assert!(e.contains("DISPATCH_SMTP_URL"), "{url}: {e}");
        }
    }

    #[test]
    fn a_ca_file_must_hold_a_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "not a certificate").unwrap();
        let cfg = SmtpConfig::new("smtps://smtp.example.com", None, Some(ca.clone()));
        let e = Target::parse(&cfg).unwrap_err().to_string();
        assert!(
            e.contains("DISPATCH_SMTP_CA_FILE") && e.contains("ca.pem"),
            "{e}"
        );
    }
}
