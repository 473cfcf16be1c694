//! infra/template.yaml read as data: the roles' statements (what the least-privilege test
//! removes, one by one), the schedules (what the test sends as EventBridge Scheduler), and checks
//! on the template itself that need no emulator.

use serde_json::Value;

/// The template, parsed (plain YAML: long-form intrinsics only).
pub fn load() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/infra/template.yaml"))
        .unwrap();
    serde_norway::from_str(&text).expect("infra/template.yaml is plain YAML")
}

/// One statement of one inline policy of one role.
#[derive(Debug, Clone)]
pub struct Statement {
    pub role: String,
    pub policy: String,
    pub index: usize,
    pub statement: Value,
}

impl Statement {
    /// `Role/policy#index: actions`, for messages.
    pub fn label(&self) -> String {
        format!(
            "{}/{}#{} {}",
            self.role,
            self.policy,
            self.index,
            listed(&self.statement["Action"]).join(",")
        )
    }
}

/// A string or a list of strings, as a list.
pub fn listed(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        Value::String(s) => vec![s.clone()],
        _ => vec![],
    }
}

/// Every statement of every role's inline policies, in template order.
pub fn statements(t: &Value) -> Vec<Statement> {
    let mut out = Vec::new();
    for (role, r) in t["Resources"].as_object().unwrap() {
        if r["Type"] != "AWS::IAM::Role" {
            continue;
        }
        for p in r["Properties"]["Policies"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let name = p["PolicyName"].as_str().unwrap_or_default().to_string();
            for (index, st) in p["PolicyDocument"]["Statement"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .enumerate()
            {
                out.push(Statement {
                    role: role.clone(),
                    policy: name.clone(),
                    index,
                    statement: st,
                });
            }
        }
    }
    out
}

/// A schedule's target queue (logical id), role (logical id) and input text.
pub fn schedule(t: &Value, logical: &str) -> (String, String, String) {
    let target = &t["Resources"][logical]["Properties"]["Target"];
    (
        target["Arn"]["Fn::GetAtt"][0].as_str().unwrap().to_string(),
        target["RoleArn"]["Fn::GetAtt"][0]
            .as_str()
            .unwrap()
            .to_string(),
        target["Input"].as_str().unwrap().to_string(),
    )
}

/// The comment lines just above the statement that holds line `n` (above its `- Effect`).
fn comment_of_statement(lines: &[&str], n: usize) -> String {
    let start = (0..=n)
        .rev()
        .find(|&i| lines[i].trim_start().starts_with("- Effect"))
        .unwrap_or(0);
    let mut comment: Vec<&str> = lines[..start]
        .iter()
        .rev()
        .map(|l| l.trim())
        .take_while(|l| l.starts_with('#'))
        .collect();
    comment.reverse();
    comment.join(" ")
}

#[test]
fn no_wildcard_actions_and_every_wildcard_resource_says_why() {
    let t = load();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/infra/template.yaml"))
        .unwrap();
    for s in statements(&t) {
        for a in listed(&s.statement["Action"]) {
            assert!(!a.contains('*'), "{}: wildcard action {a}", s.label());
        }
        assert!(s.statement.get("NotAction").is_none() && s.statement.get("NotResource").is_none());
    }
    // Each `Resource: "*"` line has a comment above its statement saying why AWS requires it.
    let lines: Vec<&str> = text.lines().collect();
    for (n, line) in lines.iter().enumerate() {
        if line.trim() == "Resource: \"*\"" {
            let why = comment_of_statement(&lines, n);
            assert!(
                why.contains("\"*\""),
                "line {}: Resource \"*\" without a comment: {why:?}",
                n + 1
            );
        }
    }
}

#[test]
fn each_function_has_its_own_log_group_with_retention_and_only_its_grant() {
    let t = load();
    let r = &t["Resources"];
    assert_eq!(t["Parameters"]["LogRetentionDays"]["Default"], 30);
    for (f, role, group) in [
        ("StreamFunction", "StreamRole", "StreamLogGroup"),
        ("WorkerFunction", "WorkerRole", "WorkerLogGroup"),
        ("WebFunction", "WebRole", "WebLogGroup"),
    ] {
        assert_eq!(r[group]["Type"], "AWS::Logs::LogGroup");
        assert_eq!(
            r[group]["Properties"]["RetentionInDays"]["Ref"],
            "LogRetentionDays"
        );
        assert_eq!(
            r[f]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"],
            group
        );
        let logs: Vec<Statement> = statements(&t)
            .into_iter()
            .filter(|s| {
                s.role == role
                    && listed(&s.statement["Action"])
                        .iter()
                        .any(|a| a.starts_with("logs:"))
            })
            .collect();
        assert_eq!(logs.len(), 1, "{role}");
        let res = logs[0].statement["Resource"]["Fn::Sub"]
            .as_str()
            .unwrap_or_default();
        assert!(
            res.contains(&format!("log-group:${{{group}}}:")),
            "{role}: {res}"
        );
        assert!(!listed(&logs[0].statement["Action"]).contains(&"logs:CreateLogGroup".into()));
    }
}

/// The public function: capped, no Google key, no DeleteItem or BatchWriteItem anywhere, and no
/// Scan but the roster's (the ops board names everyone and lists the members to assign).
#[test]
fn the_web_function_is_capped_and_holds_no_google_key_scan_or_delete() {
    let t = load();
    let r = &t["Resources"];
    let web = &r["WebFunction"]["Properties"];
    assert_eq!(
        web["ReservedConcurrentExecutions"]["Ref"],
        "WebReservedConcurrency"
    );
    let env = web["Environment"]["Variables"].as_object().unwrap();
    assert!(!env.contains_key("GOOGLE_KEY_SECRET_ARN"));
    for s in statements(&t).iter().filter(|s| s.role == "WebRole") {
        let text = s.statement.to_string();
        assert!(!text.contains("GoogleKeySecretArn"), "{}", s.label());
        for a in [
            "dynamodb:Scan",
            "dynamodb:DeleteItem",
            "dynamodb:BatchWriteItem",
        ] {
            let roster_scan = a == "dynamodb:Scan"
                && s.statement["Resource"]
                    == serde_json::json!({"Fn::GetAtt": ["RosterTable", "Arn"]});
            assert!(
                roster_scan || !listed(&s.statement["Action"]).contains(&a.to_string()),
                "{}",
                s.label()
            );
        }
    }
}

/// A function's environment names only secrets its role may read.
#[test]
fn every_secret_a_function_names_is_one_its_role_may_read() {
    let t = load();
    let r = &t["Resources"];
    for (f, role) in [
        ("StreamFunction", "StreamRole"),
        ("WorkerFunction", "WorkerRole"),
        ("WebFunction", "WebRole"),
    ] {
        let env = r[f]["Properties"]["Environment"]["Variables"]
            .as_object()
            .unwrap();
        let readable: Vec<Value> = statements(&t)
            .into_iter()
            .filter(|s| s.role == role)
            .filter(|s| {
                listed(&s.statement["Action"]).contains(&"secretsmanager:GetSecretValue".into())
            })
            .flat_map(|s| match &s.statement["Resource"] {
                Value::Array(a) => a.clone(),
                other => vec![other.clone()],
            })
            .collect();
        for (name, v) in env.iter().filter(|(k, _)| k.ends_with("_SECRET_ARN")) {
            assert!(
                readable.contains(v),
                "{f} names {name} = {v} but {role} cannot read it"
            );
        }
    }
}
