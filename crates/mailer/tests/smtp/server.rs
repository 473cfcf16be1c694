//! The test rig: a CA and server certificate made with the `openssl` CLI, and one
//! `scripts/smtp_server.py` (aiosmtpd) per test on a free loopback port, stopped by its pid.
//! Python comes from `DISPATCH_TEST_PYTHON`, by default the workspace's `.venv/bin/python`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use dispatch_mailer::smtp::SmtpRetry;
use dispatch_mailer::{SmtpConfig, SmtpMailer, SmtpPassword};

pub const USER: &str = "ops@example.com";
pub const PASSWORD: &str = "correct horse battery staple";

/// The workspace root (this rig is also included by the root crate's tests).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|d| d.join("scripts/smtp_server.py").is_file())
        .expect("scripts/smtp_server.py above the crate")
        .to_path_buf()
}

fn python() -> PathBuf {
    std::env::var_os("DISPATCH_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/python"))
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("{what}: cannot run openssl ({e}); install it (Debian: apt-get install openssl)")
    });
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a server certificate for 127.0.0.1 and localhost, made now, in `dir`.
fn make_certificates(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(
        Command::new("openssl")
            .current_dir(dir)
            .args(["req", "-x509"])
            .args(ec)
            .args([
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=dispatch test CA",
            ]),
        "making the CA",
    );
    run(
        Command::new("openssl")
            .current_dir(dir)
            .arg("req")
            .args(ec)
            .args([
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ]),
        "making the server key",
    );
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    run(
        Command::new("openssl").current_dir(dir).args([
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ]),
        "signing the server certificate",
    );
}

/// One `smtp_server.py`, stopped (by its pid) when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Server {
    /// `tls`: starttls, implicit or none; `fault`: none, 451, 554 or drop.
    pub fn start(tls: &str, fault: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        make_certificates(dir.path());
        let script = root().join("scripts/smtp_server.py");
        let python = python();
        let mut cmd = Command::new(&python);
        cmd.arg(script)
            .args(["--store", "store", "--tls", tls, "--fault", fault])
            .args(["--cert", "server.pem", "--key", "server.key"])
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if tls != "none" {
            cmd.args(["--user", USER])
                .env("SMTP_TEST_PASSWORD", PASSWORD);
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            panic!("cannot run {} ({e}): run ./scripts/test, which sets up .venv with aiosmtpd (or set DISPATCH_TEST_PYTHON)", python.display())
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        let Ok(port) = line.trim().parse() else {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the SMTP test server did not start: {}\nrun ./scripts/test, which installs aiosmtpd into .venv (or set DISPATCH_TEST_PYTHON)",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        Self { child, port, dir }
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The stored records named `<prefix>-NNNN.json`, in order.
    pub fn records(&self, prefix: &str) -> Vec<serde_json::Value> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("store"))
            .map(|rd| rd.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        names.retain(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("{prefix}-"))
        });
        names.sort();
        names
            .iter()
            .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
            .collect()
    }

    pub fn received(&self) -> Vec<serde_json::Value> {
        self.records("msg")
    }

    /// A sender for this server: `url` with `{port}` filled in, the CA, fast retries.
    pub fn mailer(&self, url: &str, password: Option<&str>) -> SmtpMailer {
        let mut cfg = SmtpConfig::new(
            url.replace("{port}", &self.port.to_string()),
            password.map(SmtpPassword::new),
            Some(self.ca()),
        );
        cfg.timeout = Duration::from_secs(20);
        cfg.retry = SmtpRetry {
            retries: 2,
            first_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(100),
        };
        SmtpMailer::new(cfg).unwrap()
    }

    pub fn starttls_mailer(&self) -> SmtpMailer {
        self.mailer(
            "smtp://ops%40example.com@127.0.0.1:{port}?tls=required",
            Some(PASSWORD),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
