//! The `dispatch` binary run as scripts and operators run it: a real process in a folder of the
//! test's own, with ONE fixed environment scrub. Every `DISPATCH_*`, `GOOGLE_*` and `AWS_*`
//! variable (and `RUST_LOG`) of the test process is removed, then exactly what the test says is
//! set, so nothing of the shell that started the tests (a backend, a time zone, a profile, the
//! emulator's own variables) leaks into what a test checks. Its own file: every test of a process
//! (the CLI, the ops flow, the SIGKILL test, the bad-input corpus) runs it through here.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::world::{dynamodb_endpoint, endpoint, Kind, World};

/// The prefixes of the variables the binary (its settings, the Google key loader, the AWS SDK's
/// configuration chain) reads; all are cleared before a run.
const SCRUBBED_PREFIXES: [&str; 3] = ["DISPATCH_", "GOOGLE_", "AWS_"];

/// How to run `dispatch`: the folder it runs in (its data in `<dir>/data`) and the variables the
/// test sets on top of the scrubbed environment.
#[derive(Debug, Clone)]
pub struct Dispatch {
    dir: PathBuf,
    vars: Vec<(String, OsString)>,
}

impl Dispatch {
    /// `dispatch` in `dir` on the embedded backend, its data in `<dir>/data`.
    pub fn local(dir: &Path) -> Self {
        let dir = dir.to_path_buf();
        let data = dir.join("data");
        Self { dir, vars: vec![] }.env("DISPATCH_DATA_DIR", data)
    }

    /// `dispatch` reaching `world`: its data folder, and on moto its prefix, the emulator's
    /// endpoints and test credentials.
    pub fn on(world: &World) -> Self {
        let run = Self::local(world.dir.path());
        match world.kind {
            Kind::Local => run,
            Kind::Aws => run.aws(&world.prefix),
        }
    }

    /// The AWS backend on the emulator, every name prefixed with `prefix`.
    pub fn aws(self, prefix: &str) -> Self {
        let ddb = dynamodb_endpoint();
        self.env("DISPATCH_BACKEND", "aws")
            .env("DISPATCH_PREFIX", prefix)
            .env("AWS_ENDPOINT_URL", endpoint())
            .env("AWS_ENDPOINT_URL_SQS", endpoint())
            .env("AWS_ENDPOINT_URL_DYNAMODB", &ddb)
            .env("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", &ddb)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
    }

    /// Sets one variable (a later value of the same name wins).
    pub fn env(mut self, key: &str, value: impl Into<OsString>) -> Self {
        self.vars.push((key.to_string(), value.into()));
        self
    }

    /// Sets each of `vars`.
    pub fn envs(self, vars: &[(&str, &str)]) -> Self {
        vars.iter().fold(self, |run, (k, v)| run.env(k, *v))
    }

    /// The folder it runs in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The command, scrubbed and set up, not yet started.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dispatch"));
        cmd.args(args).current_dir(&self.dir);
        for (key, _) in std::env::vars_os() {
            let name = key.to_string_lossy();
            if name == "RUST_LOG" || SCRUBBED_PREFIXES.iter().any(|p| name.starts_with(p)) {
                cmd.env_remove(&key);
            }
        }
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs `dispatch ARGS` to the end.
    pub fn output(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run dispatch")
    }

    /// Runs `dispatch ARGS` and fails the test unless it succeeds.
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.output(args);
        assert!(out.status.success(), "dispatch {args:?}: {}", text(&out));
        out
    }

    /// Runs `dispatch ARGS`: (exit code, stdout + stderr).
    pub fn code_and_text(&self, args: &[&str]) -> (i32, String) {
        let out = self.output(args);
        (out.status.code().unwrap_or(-1), text(&out))
    }

    /// Starts `dispatch run --only PARTS`, stdout discarded, stderr to `stderr`.
    pub fn start_run(&self, parts: &str, stderr: Stdio) -> Running {
        self.start(&["run", "--only", parts], Stdio::null(), stderr)
    }

    /// Starts `dispatch ARGS` (a long-running `dispatch run`, say) with its output where the test
    /// says; the [`Running`] kills it by pid when dropped, also when an assertion fails.
    pub fn start(&self, args: &[&str], stdout: Stdio, stderr: Stdio) -> Running {
        let child = self
            .command(args)
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("start dispatch");
        Running(child)
    }

    /// Starts `dispatch ARGS` with stdout and stderr both appended to the file `log`.
    pub fn start_logged(&self, args: &[&str], log: &Path) -> Running {
        let file = std::fs::File::create(log).expect("create the log");
        let out = file.try_clone().expect("clone the log file");
        self.start(args, Stdio::from(out), Stdio::from(file))
    }
}

/// `dispatch ARGS` in `dir` on the embedded backend with `env` set: the short form most CLI
/// tests use.
pub fn dispatch(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Dispatch::local(dir).envs(env).output(args)
}

/// What a run printed: stdout, then stderr.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A started `dispatch run`; killed (SIGKILL, by its pid) if the test ends without stopping it.
pub struct Running(pub Child);

impl Running {
    /// SIGTERM (a graceful stop: claims released), then waits up to 30 s for it to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        self.signal("-TERM");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.0.try_wait().expect("wait for dispatch run") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "dispatch run did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL, by pid: the process gets no chance to release anything.
    pub fn kill9(&mut self) {
        self.signal("-KILL");
        let _ = self.0.wait();
    }

    fn signal(&self, which: &str) {
        let sent = Command::new("kill")
            .args([which, &self.0.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill {which} {}", self.0.id());
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
