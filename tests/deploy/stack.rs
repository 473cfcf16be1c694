//! The AWS side of the test: its own moto with IAM enforced (scripts/moto_iam.py), the stack
//! deployed through CloudFormation by the deployer (scripts/cfn_deploy.py), and what was
//! deployed, read back as Lambda reports it. Its own file because it owns the processes and
//! files outside the test (moto, the audit log, the deploy script).

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::aws::{Aws, Creds};

/// A moto server of this test, IAM enforced from its fourth request on.
pub struct Moto {
    pub aws: Aws,
    pub deployer: Creds,
    /// Who the test is when it plays the Lambda service (assumes function roles).
    pub lambda_service: Creds,
    /// Who the test is when it plays EventBridge Scheduler.
    pub scheduler_service: Creds,
    /// moto_iam.py's log of every authorization decision (JSON lines).
    pub audit: PathBuf,
    pub dir: tempfile::TempDir,
    child: std::process::Child,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Python with moto (scripts/test's .venv, else `DISPATCH_TEST_PYTHON`, else `python3`).
pub fn python() -> String {
    if let Ok(p) = std::env::var("DISPATCH_TEST_PYTHON") {
        return p;
    }
    let venv = root().join(".venv/bin/python");
    if venv.exists() {
        return venv.display().to_string();
    }
    "python3".into()
}

impl Moto {
    pub fn start() -> Moto {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let audit = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("deploy-audit-{}.jsonl", std::process::id()));
        // Kept after the test (target/tmp), for reading after a failure.
        let log_path = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("deploy-moto-{}.log", std::process::id()));
        let log = std::fs::File::create(&log_path).unwrap();
        let mut child = std::process::Command::new(python())
            .arg(root().join("scripts/moto_iam.py"))
            .args(["127.0.0.1", &port.to_string()])
            .arg(&audit)
            .stdout(std::process::Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("python with moto (see scripts/test)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let keys: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            panic!("moto_iam.py did not start ({e}): {log}")
        });
        Moto {
            aws: Aws::new(&format!("http://127.0.0.1:{port}")),
            deployer: Creds::from_json(&keys["deployer"]),
            lambda_service: Creds::from_json(&keys["aws-lambda-service"]),
            scheduler_service: Creds::from_json(&keys["aws-scheduler-service"]),
            audit,
            dir,
            child,
        }
    }

    /// The authorization decisions so far: `(principal, action, resource, allowed)`.
    pub fn decisions(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.audit)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The denials so far, one line each.
    pub fn denials(&self) -> Vec<String> {
        self.decisions()
            .iter()
            .filter(|d| d["allowed"] == false)
            .map(|d| format!("{} {} {}", d["principal"], d["action"], d["resource"]))
            .collect()
    }
}

/// A deployed function, as Lambda reports it.
#[derive(Debug, Clone)]
pub struct Function {
    pub logical: String,
    pub name: String,
    pub arn: String,
    pub role_arn: String,
    pub env: BTreeMap<String, String>,
    pub timeout: u64,
    pub memory: u64,
    pub reserved_concurrency: Option<u64>,
    pub log_group: String,
}

/// The deployed stack.
pub struct Stack {
    pub prefix: String,
    /// Physical id by logical id.
    pub physical: BTreeMap<String, String>,
    /// Resource type by logical id.
    pub types: BTreeMap<String, String>,
    pub functions: BTreeMap<String, Function>,
    /// `(function ARN, event source ARN, batch size)`.
    pub mappings: Vec<(String, String, u64)>,
}

impl Stack {
    /// Deploys infra/template.yaml as the deployer, with `google_key` as the key secret.
    pub fn deploy(moto: &Moto, prefix: &str, lambda_dir: &Path, google_key: &str) -> Stack {
        let key_file = moto.dir.path().join("google-key.json");
        std::fs::write(&key_file, google_key).unwrap();
        let out_file = moto.dir.path().join("deployed.json");
        let started = std::time::Instant::now();
        let out = std::process::Command::new(python())
            .arg(root().join("scripts/cfn_deploy.py"))
            .args([&moto.aws.endpoint, prefix])
            .arg(lambda_dir)
            .env("AWS_ACCESS_KEY_ID", &moto.deployer.key)
            .env("AWS_SECRET_ACCESS_KEY", &moto.deployer.secret)
            .env_remove("AWS_SESSION_TOKEN")
            .env("DISPATCH_DEPLOY_GOOGLE_KEY", &key_file)
            .env("DISPATCH_DEPLOY_JSON", &out_file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cfn_deploy.py failed: {}\n{}\ndenied: {:#?}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            moto.denials()
        );
        eprintln!("deployed in {:?}", started.elapsed());
        let v: Value = serde_json::from_str(&std::fs::read_to_string(out_file).unwrap()).unwrap();
        let physical = v["physical"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, p)| (k.clone(), p.as_str().unwrap_or("").to_string()))
            .collect();
        let types = v["types"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, t)| (k.clone(), t.as_str().unwrap_or("").to_string()))
            .collect();
        let functions = v["functions"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(logical, f)| {
                let function = Function {
                    logical: logical.clone(),
                    name: f["name"].as_str().unwrap().into(),
                    arn: f["arn"].as_str().unwrap().into(),
                    role_arn: f["role"].as_str().unwrap().into(),
                    env: f["env"]
                        .as_object()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                        .collect(),
                    timeout: f["timeout"].as_u64().unwrap_or(3),
                    memory: f["memory"].as_u64().unwrap_or(128),
                    reserved_concurrency: f["reserved_concurrency"].as_u64(),
                    log_group: f["log_group"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("/aws/lambda/{}", f["name"].as_str().unwrap())),
                };
                (logical.clone(), function)
            })
            .collect();
        let mappings = v["mappings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["function"].as_str().unwrap().to_string(),
                    m["source"].as_str().unwrap().to_string(),
                    m["batch_size"].as_u64().unwrap_or(10),
                )
            })
            .collect();
        Stack {
            prefix: prefix.into(),
            physical,
            types,
            functions,
            mappings,
        }
    }

    pub fn function(&self, logical: &str) -> &Function {
        &self.functions[logical]
    }

    /// A queue's URL on the emulator, from its logical id.
    pub fn queue_url(&self, logical: &str) -> String {
        self.physical[logical].clone()
    }
}
