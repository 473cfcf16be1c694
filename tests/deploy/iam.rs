//! The deployed roles' policies: read and replaced through IAM as the deployer, and evaluated the
//! way IAM evaluates an identity policy of Allow statements (action and resource patterns with
//! `*`). Its own file because both the Lambda service (its checks when a mapping is created) and
//! the least-privilege test read policies.

use serde_json::Value;

use crate::aws::{dec, xml_tag, Aws, Creds};
use crate::template::listed;

/// A role's inline policies as deployed: `(name, document)`.
pub async fn role_policies(aws: &Aws, deployer: &Creds, role: &str) -> Vec<(String, Value)> {
    let names = aws
        .query(
            deployer,
            "iam",
            &[
                ("Action", "ListRolePolicies"),
                ("Version", "2010-05-08"),
                ("RoleName", role),
            ],
        )
        .await
        .unwrap_or_else(|e| panic!("listing {role}'s policies: {e}"));
    let mut out = Vec::new();
    for chunk in names.split("<member>").skip(1) {
        let name = chunk
            .split("</member>")
            .next()
            .unwrap_or_default()
            .to_string();
        let xml = aws
            .query(
                deployer,
                "iam",
                &[
                    ("Action", "GetRolePolicy"),
                    ("Version", "2010-05-08"),
                    ("RoleName", role),
                    ("PolicyName", &name),
                ],
            )
            .await
            .unwrap_or_else(|e| panic!("reading {role}/{name}: {e}"));
        let raw = xml_tag(&xml, "PolicyDocument").unwrap_or_default();
        let text = if raw.trim_start().starts_with('{') {
            raw
        } else {
            dec(&raw)
        };
        // moto answers a CloudFormation-made policy as a Python literal: read it as JSON.
        let doc = serde_json::from_str(&text)
            .or_else(|_| serde_json::from_str(&python_to_json(&text)))
            .unwrap_or_else(|e| panic!("{role}/{name} is not a policy ({e}): {text}"));
        out.push((name, doc));
    }
    out
}

fn python_to_json(text: &str) -> String {
    text.replace('\'', "\"")
        .replace("True", "true")
        .replace("False", "false")
}

/// Replaces one inline policy of a role.
pub async fn put_role_policy(aws: &Aws, deployer: &Creds, role: &str, name: &str, doc: &Value) {
    aws.query(
        deployer,
        "iam",
        &[
            ("Action", "PutRolePolicy"),
            ("Version", "2010-05-08"),
            ("RoleName", role),
            ("PolicyName", name),
            ("PolicyDocument", &doc.to_string()),
        ],
    )
    .await
    .unwrap_or_else(|e| panic!("replacing {role}/{name}: {e}"));
}

/// Deletes one inline policy of a role (a policy cannot be left without statements).
pub async fn delete_role_policy(aws: &Aws, deployer: &Creds, role: &str, name: &str) {
    aws.query(
        deployer,
        "iam",
        &[
            ("Action", "DeleteRolePolicy"),
            ("Version", "2010-05-08"),
            ("RoleName", role),
            ("PolicyName", name),
        ],
    )
    .await
    .unwrap_or_else(|e| panic!("deleting {role}/{name}: {e}"));
}

/// IAM's pattern match: `*` any run of characters, `?` one, case-sensitive (actions are
/// matched case-insensitively by IAM; ours are written in AWS's case).
pub fn glob(pattern: &str, s: &str) -> bool {
    fn m(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => m(&p[1..], s) || (!s.is_empty() && m(p, &s[1..])),
            (Some(b'?'), Some(_)) => m(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a == b => m(&p[1..], &s[1..]),
            _ => false,
        }
    }
    m(pattern.as_bytes(), s.as_bytes())
}

/// Whether one statement allows `action` on `resource`.
pub fn statement_allows(st: &Value, action: &str, resource: &str) -> bool {
    st["Effect"] == "Allow"
        && listed(&st["Action"]).iter().any(|a| glob(a, action))
        && listed(&st["Resource"]).iter().any(|r| glob(r, resource))
}

/// Whether any of the documents allows `action` on `resource` (no Deny statements are used).
pub fn allows(docs: &[Value], action: &str, resource: &str) -> bool {
    docs.iter().any(|d| match &d["Statement"] {
        Value::Array(a) => a.iter().any(|st| statement_allows(st, action, resource)),
        st => statement_allows(st, action, resource),
    })
}

#[test]
fn globs_match_as_iam_does() {
    assert!(glob(
        "arn:aws:logs:r:1:log-group:/aws/lambda/x:*",
        "arn:aws:logs:r:1:log-group:/aws/lambda/x:log-stream:s"
    ));
    assert!(!glob(
        "arn:aws:logs:r:1:log-group:/aws/lambda/x:*",
        "arn:aws:logs:r:1:log-group:/aws/lambda/xy:log-stream:s"
    ));
    assert!(glob("*", "anything"));
    assert!(!glob(
        "arn:aws:dynamodb:r:1:table/t",
        "arn:aws:dynamodb:r:1:table/t/index/i"
    ));
}
