//! The bench's own moto: one threaded server for SQS and one serial server for DynamoDB and its
//! stream (as the tests run them: `scripts/moto_serial.py` says why), on free ports, with their
//! request logs kept so the interceptor's counts can be checked against moto's own.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The two servers; dropping this stops them (by their own pids).
pub struct Moto {
    pub sqs: String,
    pub dynamodb: String,
    children: Vec<Child>,
    logs: Vec<PathBuf>,
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().expect("its address").port()
}

fn wait_up(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The Python that has moto: `DISPATCH_BENCH_PYTHON`, else the project's `.venv` (made by
/// `./scripts/bench` and `./scripts/test`).
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("DISPATCH_BENCH_PYTHON") {
        return p.into();
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(
        venv.exists(),
        "no moto: run ./scripts/bench (it makes .venv with moto) or set DISPATCH_BENCH_PYTHON"
    );
    venv
}

impl Moto {
    pub fn start(dir: &Path) -> Self {
        let py = python();
        let (p1, p2) = (free_port(), free_port());
        let serial = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/moto_serial.py");
        let mut children = Vec::new();
        let mut logs = Vec::new();
        for (name, args) in [
            (
                "sqs",
                vec![
                    "-m".to_string(),
                    "moto.server".into(),
                    "-H".into(),
                    "127.0.0.1".into(),
                    "-p".into(),
                    p1.to_string(),
                ],
            ),
            (
                "dynamodb",
                vec![
                    serial.display().to_string(),
                    "127.0.0.1".into(),
                    p2.to_string(),
                ],
            ),
        ] {
            let log = dir.join(format!("moto-{name}.log"));
            let file = std::fs::File::create(&log).expect("moto log");
            let child = Command::new(&py)
                .args(&args)
                .stdout(Stdio::null())
                .stderr(file)
                .spawn()
                .expect("start moto");
            children.push(child);
            logs.push(log);
        }
        wait_up(p1);
        wait_up(p2);
        Self {
            sqs: format!("http://127.0.0.1:{p1}"),
            dynamodb: format!("http://127.0.0.1:{p2}"),
            children,
            logs,
        }
    }

    /// Requests moto has logged so far (both servers).
    pub fn logged(&self) -> u64 {
        self.logs
            .iter()
            .map(|l| {
                std::fs::read_to_string(l)
                    .unwrap_or_default()
                    .lines()
                    .filter(|line| line.contains("HTTP/1.1\""))
                    .count() as u64
            })
            .sum()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
