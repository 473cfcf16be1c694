//! Least privilege, shown both ways, for every statement of every role in infra/template.yaml
//! (read from the template, never listed by hand): every action a statement grants was used on
//! a resource it names by some story (or by Lambda's checks of a mapping), and with the
//! statement removed from the deployed role a story fails.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::iam::{delete_role_policy, glob, put_role_policy, role_policies};
use crate::stories::{self, World};
use crate::template::{self, listed, Statement};

/// The role name of an assumed-role principal ARN.
fn role_of(principal: &str) -> &str {
    principal.split('/').nth(1).unwrap_or_default()
}

/// Grants of the deployed statement that nothing used: `label: action on resource`.
fn unused(
    st: &Statement,
    deployed: &Value,
    role: &str,
    used: &[(String, String, String)],
) -> Vec<String> {
    let mut out = Vec::new();
    for a in listed(&deployed["Action"]) {
        for r in listed(&deployed["Resource"]) {
            let hit = used
                .iter()
                .any(|(who, action, res)| who == role && *action == a && glob(&r, res));
            if !hit {
                out.push(format!("{}: {a} on {r}", st.label()));
            }
        }
    }
    out
}

impl World {
    /// Empties every queue of what a run that failed on purpose left (received and deleted as
    /// the deployer: SQS allows one PurgeQueue a minute).
    async fn drain_queues(&self) {
        let aws = &self.moto.aws;
        for (logical, url) in &self.stack.physical {
            if self.stack.types.get(logical).map(String::as_str) != Some("AWS::SQS::Queue") {
                continue;
            }
            loop {
                let got = aws
                    .json(
                        &self.moto.deployer,
                        "sqs",
                        "AmazonSQS.ReceiveMessage",
                        json!({"QueueUrl": url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 0}),
                    )
                    .await
                    .unwrap_or_default();
                let messages = got["Messages"].as_array().cloned().unwrap_or_default();
                if messages.is_empty() {
                    break;
                }
                for m in messages {
                    let _ = aws
                        .json(
                            &self.moto.deployer,
                            "sqs",
                            "AmazonSQS.DeleteMessage",
                            json!({"QueueUrl": url, "ReceiptHandle": m["ReceiptHandle"]}),
                        )
                        .await;
                }
            }
        }
    }
}

/// Whether a failure is the removed statement's doing: the role was denied one of its actions
/// (by the emulator, or by Lambda's check of a mapping).
fn caused_by(st: &Statement, role: &str, decisions: &[Value], error: &str) -> bool {
    let actions = listed(&st.statement["Action"]);
    let denied = decisions.iter().any(|d| {
        d["allowed"] == false
            && role_of(d["principal"].as_str().unwrap_or_default()) == role
            && actions.iter().any(|a| d["action"] == a.as_str())
    });
    denied
        || (error.contains("Lambda refuses the mapping")
            && actions.iter().any(|a| error.contains(a.as_str())))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_statement_of_every_role_is_used_and_needed_by_a_story() {
    let world = World::deploy().await;
    let svc = world.service();
    if let Err(e) = stories::chain(&world, &svc, 0).await {
        panic!(
            "the stories fail with every statement in place: {e}\n{}",
            world.report(&svc).await
        );
    }
    let aws = &world.moto.aws;
    let deployer = &world.moto.deployer;
    // What the stories used: the emulator's allowed calls, and Lambda's checks of the mappings.
    let mut used: Vec<(String, String, String)> = world
        .moto
        .decisions()
        .iter()
        .filter(|d| d["allowed"] == true)
        .map(|d| {
            let p = d["principal"].as_str().unwrap_or_default();
            (
                role_of(p).to_string(),
                d["action"].as_str().unwrap_or_default().to_string(),
                d["resource"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    for (role_arn, action, resource) in svc.checked.lock().unwrap().iter() {
        used.push((
            role_arn.rsplit('/').next().unwrap_or_default().to_string(),
            action.clone(),
            resource.clone(),
        ));
    }
    let statements = template::statements(&template::load());
    let mut deployed: BTreeMap<String, Vec<(String, Value)>> = BTreeMap::new();
    for st in &statements {
        let role = world.stack.physical[&st.role].clone();
        if !deployed.contains_key(&role) {
            deployed.insert(role.clone(), role_policies(aws, deployer, &role).await);
        }
    }
    let mut findings = Vec::new();
    for (n, st) in statements.iter().enumerate() {
        let role = &world.stack.physical[&st.role];
        let (_, doc) = deployed[role]
            .iter()
            .find(|(name, _)| *name == st.policy)
            .unwrap()
            .clone();
        let statement = doc["Statement"][st.index].clone();
        findings.extend(unused(st, &statement, role, &used));
        // The statement removed from the deployed role: some story must fail.
        let mut cut = doc.clone();
        cut["Statement"].as_array_mut().unwrap().remove(st.index);
        if cut["Statement"].as_array().unwrap().is_empty() {
            delete_role_policy(aws, deployer, role, &st.policy).await;
        } else {
            put_role_policy(aws, deployer, role, &st.policy, &cut).await;
        }
        svc.reset();
        let started = std::time::Instant::now();
        let seen = world.moto.decisions().len();
        let outcome = stories::chain(&world, &svc, n as u32 + 1).await;
        let decisions = world.moto.decisions().split_off(seen);
        put_role_policy(aws, deployer, role, &st.policy, &doc).await;
        svc.reset();
        svc.skip_stream_backlog(deployer).await;
        world.drain_queues().await;
        match outcome {
            Ok(()) => findings.push(format!("{}: every story passes without it", st.label())),
            Err(e) if !caused_by(st, role, &decisions, &e) => findings.push(format!(
                "{}: a story failed, but not for want of it: {}",
                st.label(),
                e.lines().next().unwrap_or_default()
            )),
            Err(e) => eprintln!(
                "without {} ({:?}): {}",
                st.label(),
                started.elapsed(),
                e.lines().next().unwrap_or_default()
            ),
        }
    }
    assert!(
        findings.is_empty(),
        "grants no story needs:\n{}",
        findings.join("\n")
    );
}
