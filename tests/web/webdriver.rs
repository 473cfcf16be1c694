//! A small WebDriver client for the browser tests: Debian's `chromedriver` started on a free
//! port (killed with the test), its JSON-over-HTTP commands, a phone-sized headless Chromium
//! session, page sources and screenshots. A missing browser fails the test, it never skips it.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A running `chromedriver`, killed when dropped.
pub struct Driver {
    child: Child,
    pub port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One WebDriver command: `method path` with a JSON body; the JSON answer.
pub async fn wd(port: u16, method: &str, path: &str, body: Option<Value>) -> Value {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("chromedriver reachable");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    // Read the head, then exactly Content-Length bytes (chromedriver may keep the connection open).
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = tokio::time::timeout(Duration::from_secs(60), stream.read(&mut chunk))
            .await
            .expect("webdriver answers")
            .unwrap();
        assert!(n > 0, "webdriver closed the connection early");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = tokio::time::timeout(Duration::from_secs(60), stream.read(&mut chunk))
            .await
            .expect("webdriver answers")
            .unwrap();
        assert!(n > 0, "webdriver closed the connection early");
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string();
    let body = body.as_str();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("webdriver {path}: {e}: {body}"))
}

/// Starts `chromedriver` and waits until it listens.
pub async fn start_driver() -> Driver {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    assert!(chromium.is_some(), "Chromium is not installed: run ./scripts/test (it installs Debian's chromium and chromium-driver)");
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (Debian's chromium-driver) must be installed: run ./scripts/test");
    let driver = Driver { child, port };
    let end = tokio::time::Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < end,
            "chromedriver did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    driver
}

/// A WebDriver session in headless Chromium with a phone-sized viewport (390x844).
pub async fn phone_session(driver: &Driver, profile: &std::path::Path) -> String {
    let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
        "binary": "/usr/bin/chromium",
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--hide-scrollbars",
                 format!("--user-data-dir={}", profile.display())],
        "mobileEmulation": {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 1.0}}
    }}}});
    let session = wd(driver.port, "POST", "/session", Some(caps)).await;
    session["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no session: {session}"))
        .to_string()
}

/// Saves a screenshot of the viewport under the test's target folder; returns its path.
pub async fn screenshot(driver: &Driver, sid: &str, name: &str) -> std::path::PathBuf {
    use base64::Engine;
    let shot = wd(
        driver.port,
        "GET",
        &format!("/session/{sid}/screenshot"),
        None,
    )
    .await;
    let png = base64::engine::general_purpose::STANDARD
        .decode(shot["value"].as_str().expect("a screenshot"))
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    // The viewport is the phone's: 390 px wide.
    let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    assert_eq!(width, 390, "screenshot width");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.png"));
    std::fs::write(&path, &png).unwrap();
    path
}

/// The page source of the session.
pub async fn source(driver: &Driver, sid: &str) -> String {
    wd(driver.port, "GET", &format!("/session/{sid}/source"), None).await["value"]
        .as_str()
        .unwrap_or("")
        .to_string()
}
