//! One cold start of a function, as Lambda does it: a fresh process in a sandbox like Lambda's
//! (bubblewrap: read-only root and code directory at /var/task, a private writable /tmp, a
//! non-root user, its own PID namespace, only the variables Lambda sets plus the function's
//! environment), fed one event by a fake of the Lambda Runtime API on 127.0.0.1. Its own file
//! because it is the only place that knows the Runtime API and the sandbox.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path as AxPath, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use tokio::sync::Notify;

/// What Lambda would run: the code, its environment and its limits.
#[derive(Debug, Clone)]
pub struct FunctionRun {
    /// The `bootstrap` executable (bound read-only at /var/task/bootstrap).
    pub bootstrap: PathBuf,
    pub name: String,
    /// The function's own variables (the template's) plus its role's credentials.
    pub env: Vec<(String, String)>,
    pub memory: u64,
    pub timeout: Duration,
    pub log_group: String,
}

/// How one invocation went.
#[derive(Debug)]
pub struct Invocation {
    /// The function's answer, or its error document (`Err`), or why there was none.
    pub response: Result<Value, String>,
    pub stdout: String,
    pub stderr: String,
    /// Process start → the first `next` call (the function's init).
    pub init: Duration,
    /// Process start → the answer.
    pub total: Duration,
}

impl Invocation {
    /// Every log line, stdout then stderr (what CloudWatch Logs would get).
    pub fn log_lines(&self) -> Vec<String> {
        self.stdout
            .lines()
            .chain(self.stderr.lines())
            .map(str::to_string)
            .collect()
    }
}

#[derive(Default)]
struct Runtime {
    event: Mutex<Option<Value>>,
    first_next: Mutex<Option<Instant>>,
    outcome: Mutex<Option<Result<Value, String>>>,
    done: Notify,
}

async fn next(State(rt): State<Arc<Runtime>>) -> (HeaderMap, String) {
    rt.first_next
        .lock()
        .unwrap()
        .get_or_insert_with(Instant::now);
    let Some(ev) = rt.event.lock().unwrap().take() else {
        // One event per process; Lambda freezes it here until the next one (or never).
        std::future::pending::<()>().await;
        unreachable!()
    };
    let mut h = HeaderMap::new();
    let deadline = chrono::Utc::now().timestamp_millis() + 60_000;
    for (k, v) in [
        (
            "lambda-runtime-aws-request-id",
            "8476a536-e9f4-11e8-9739-2dfe598c3fcd".to_string(),
        ),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:deploy-test".into(),
        ),
        (
            "lambda-runtime-trace-id",
            "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1".into(),
        ),
    ] {
        h.insert(k, v.parse().unwrap());
    }
    (h, ev.to_string())
}

async fn respond(
    State(rt): State<Arc<Runtime>>,
    AxPath((_id, what)): AxPath<(String, String)>,
    body: String,
) -> &'static str {
    let v = serde_json::from_str(&body).unwrap_or(Value::String(body.clone()));
    let outcome = if what == "response" { Ok(v) } else { Err(body) };
    rt.outcome.lock().unwrap().get_or_insert(outcome);
    rt.done.notify_waiters();
    "{}"
}

async fn init_error(State(rt): State<Arc<Runtime>>, body: String) -> &'static str {
    rt.outcome
        .lock()
        .unwrap()
        .get_or_insert(Err(format!("init error: {body}")));
    rt.done.notify_waiters();
    "{}"
}

/// The sandbox command: bubblewrap around /var/task/bootstrap.
fn sandbox(run: &FunctionRun, runtime_api: &str) -> tokio::process::Command {
    let mut env: Vec<(String, String)> = [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", run.name.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", run.memory.to_string()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", run.log_group.clone()),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/01/01/[$LATEST]0123456789abcdef".into(),
        ),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".into()),
        ("AWS_REGION", super::aws::REGION.into()),
        ("AWS_DEFAULT_REGION", super::aws::REGION.into()),
        ("LAMBDA_TASK_ROOT", "/var/task".into()),
        ("LAMBDA_RUNTIME_DIR", "/var/runtime".into()),
        ("_HANDLER", "bootstrap".into()),
        ("TZ", ":UTC".into()),
        ("LANG", "en_US.UTF-8".into()),
        ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin".into()),
        (
            "LD_LIBRARY_PATH",
            "/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"
                .into(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    env.extend(run.env.iter().cloned());
    let mut cmd = tokio::process::Command::new("bwrap");
    cmd.args(["--ro-bind", "/", "/", "--tmpfs", "/var", "--ro-bind"])
        .arg(&run.bootstrap)
        .args(["/var/task/bootstrap", "--remount-ro", "/var"])
        .args(["--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev"])
        .args(["--chdir", "/var/task", "--unshare-user", "--uid", "993"])
        .args([
            "--gid",
            "990",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
        ])
        .args(["--die-with-parent", "--clearenv"]);
    for (k, v) in &env {
        cmd.args(["--setenv", k, v]);
    }
    cmd.args(["--", "/var/task/bootstrap"])
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Starts `run` in the sandbox, gives it `event`, waits for its answer (or its timeout), then
/// stops it, as Lambda does with an environment it will not reuse.
pub async fn invoke(run: &FunctionRun, event: Value) -> Invocation {
    let rt = Arc::new(Runtime::default());
    *rt.event.lock().unwrap() = Some(event);
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/{what}", post(respond))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(rt.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let started = Instant::now();
    let mut child = sandbox(run, &addr)
        .spawn()
        .expect("bwrap (bubblewrap) runs");
    let deadline = started + run.timeout;
    let outcome = loop {
        let waiter = rt.done.notified();
        if let Some(o) = rt.outcome.lock().unwrap().clone() {
            break o;
        }
        if let Ok(Some(status)) = child.try_wait() {
            break Err(format!("the process exited ({status}) without an answer"));
        }
        if Instant::now() > deadline {
            break Err(format!("Task timed out after {:?}", run.timeout));
        }
        let _ = tokio::time::timeout(Duration::from_millis(20), waiter).await;
    };
    let total = started.elapsed();
    let init = rt
        .first_next
        .lock()
        .unwrap()
        .map(|t| t - started)
        .unwrap_or(total);
    let _ = child.start_kill();
    let out = child.wait_with_output().await.unwrap();
    server.abort();
    Invocation {
        response: outcome,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        init,
        total,
    }
}

/// The three functions' `bootstrap` files: `DISPATCH_LAMBDA_DIR/<bin>/bootstrap` as laid out by
/// scripts/test (or `cargo lambda build`), else the binaries cargo built for this test run.
pub fn lambda_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("DISPATCH_LAMBDA_DIR") {
        return PathBuf::from(dir);
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("deploy-lambda-{}", std::process::id()));
    for (name, built) in [
        (
            "dispatch-stream-lambda",
            env!("CARGO_BIN_EXE_dispatch-stream-lambda"),
        ),
        (
            "dispatch-worker-lambda",
            env!("CARGO_BIN_EXE_dispatch-worker-lambda"),
        ),
        (
            "dispatch-web-lambda",
            env!("CARGO_BIN_EXE_dispatch-web-lambda"),
        ),
    ] {
        let to = dir.join(name);
        std::fs::create_dir_all(&to).unwrap();
        let file = to.join("bootstrap");
        let _ = std::fs::remove_file(&file);
        std::os::unix::fs::symlink(built, &file).unwrap();
    }
    dir
}
