//! The ops board through the web function's URL (issue 20): two charters nobody can captain
//! are escalated to ops by the worker, with the person's own sign-in link; ops open it (GET
//! changes nothing), press "Sign in" (POST: the link is spent, a session cookie comes back),
//! see the board, assign a captain they reached by phone to one charter (anyway, with the
//! reason: the roster does not mark them free) and cancel the other, each a POST with the
//! session's CSRF field; a forged POST (no CSRF field, or no session) gets 403 and changes
//! nothing; the worker function then sends the mails the web function left to it (the
//! captain's confirmation); ops take the captain off again and the worker tells them they are
//! free that day (only the reconcile the web function queued asks for that one). Its own file because it alone knows the board's forms.

use std::time::Duration;

use serde_json::{json, Value};

use crate::service::{Failed, LambdaService};
use crate::stories::World;
use crate::web::{body, link_path, url_event};

/// The ops address the template's `OpsEmails` names (scripts/cfn_deploy.py).
const OPS: &str = "ops@example.com";

/// A function-URL event carrying the session cookie (Lambda passes cookies in `cookies`).
fn with_cookie(mut event: Value, cookie: Option<&str>) -> Value {
    if let Some(c) = cookie {
        event["cookies"] = json!([c]);
    }
    event
}

/// The value of hidden field `name` in a page.
fn field(html: &str, name: &str) -> Option<String> {
    let at = html.split(&format!("name=\"{name}\" value=\"")).nth(1)?;
    Some(at.split('"').next()?.to_string())
}

/// A POST of `form` to `path` as the signed-in person's browser sends it.
async fn post(
    svc: &LambdaService<'_>,
    path: &str,
    form: &str,
    cookie: Option<&str>,
) -> Result<Value, Failed> {
    let event = with_cookie(url_event("POST", path, Some(form)), cookie);
    svc.invoke("WebFunction", event).await
}

async fn get(svc: &LambdaService<'_>, path: &str, cookie: Option<&str>) -> Result<Value, Failed> {
    svc.invoke(
        "WebFunction",
        with_cookie(url_event("GET", path, None), cookie),
    )
    .await
}

/// The `dispatch_ops=…` pair of a sign-in answer's `Set-Cookie` (in `cookies`, or a header).
fn session_cookie(res: &Value) -> Option<String> {
    let mut all: Vec<String> = res["cookies"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    if let Some(h) = res["headers"]["set-cookie"].as_str() {
        all.push(h.to_string());
    }
    all.iter()
        .find(|c| c.starts_with("dispatch_ops="))
        .and_then(|c| c.split(';').next())
        .map(String::from)
}

/// Charter `n` of the board story: on a day nobody is free (each chain its own day), so its
/// captain cascade is escalated at once.
async fn unstaffable(world: &World, n: u32, k: u32, date: &str) -> (String, String) {
    let id = uuid::Uuid::new_v4().to_string();
    let created = chrono::Utc::now().to_rfc3339();
    world
        .put(
            "crew-dispatch",
            json!({
                "charter_id": {"S": id}, "created_at": {"S": created},
                "charter_date": {"S": date}, "vessel_name": {"S": format!("Skiff {n}-{k}")},
                "guest_count": {"N": "4"}, "guest_names": {"L": [{"S": "Dora Guest"}]},
                "reportable_revenue": {"N": "500"}, "tips": {"N": "0"},
                "status": {"S": "booked"}, "crew_needed": {"N": "1"},
            }),
        )
        .await;
    (id, created)
}

/// The story; `n` gives it its own day and people.
pub async fn board(world: &World, svc: &LambdaService<'_>, n: u32) -> Result<(), Failed> {
    // Within the board's 30 days, and a day no chain's members are free (theirs are 10 + n
    // days out): nobody to ask, so both charters are escalated at once.
    let date = (chrono::Utc::now() + chrono::Duration::days(2 + i64::from(n % 7)))
        .format("%Y-%m-%d")
        .to_string();
    let (keep, _) = unstaffable(world, n, 1, &date).await;
    let (drop, _) = unstaffable(world, n, 2, &date).await;
    let vessel = format!("Skiff {n}-1");
    let escalation = || {
        world
            .mails_to(OPS)
            .into_iter()
            .find(|m| m.text.contains(&vessel) || m.subject.contains(&vessel))
    };
    svc.pump_until("the escalation to ops", Duration::from_secs(60), || {
        escalation().is_some()
    })
    .await?;
    let mail = escalation().ok_or("no escalation")?;
    let link = link_path(&mail.text, "/ops/")
        .ok_or_else(|| format!("no sign-in link in the escalation: {}", mail.text))?;
    // A captain ops reach by phone: not marked free that day, so assigned "anyway", with why.
    let captain = format!("cap-cruz-{n}");
    let elsewhere = (chrono::Utc::now() + chrono::Duration::days(300))
        .format("%Y-%m-%d")
        .to_string();
    let captain_mail = format!("cruz{n}@example.com");
    world
        .put(
            "crew-roster",
            json!({
                "crew_id": {"S": captain}, "name": {"S": format!("Cruz Pina {n}")},
                "email": {"S": captain_mail}, "captain_certified": {"BOOL": true},
                "active": {"BOOL": true}, "available_dates": {"SS": [elsewhere]},
                "certifications": {"SS": ["deckhand"]},
            }),
        )
        .await;

    // Open the link: the sign-in page, nothing spent.
    let page = get(svc, &link, None).await?;
    let html = body(&page);
    let guard = field(&html, "guard")
        .ok_or_else(|| format!("no sign-in form ({}): {html}", page["statusCode"]))?;
    let signed = post(
        svc,
        &link,
        &format!("guard={}", crate::aws::enc(&guard)),
        None,
    )
    .await?;
    let cookie = session_cookie(&signed).ok_or_else(|| {
        format!(
            "signing in answered {} without a session: {}",
            signed["statusCode"],
            body(&signed)
        )
    })?;
    // The board the sign-in leads to: the escalated charter needs attention.
    let board_page = get(svc, "/ops", Some(&cookie)).await?;
    if board_page["statusCode"] != 200 || !body(&board_page).contains(&vessel) {
        return Err(format!(
            "the board ({}) does not show {vessel}: {}",
            board_page["statusCode"],
            body(&board_page)
        ));
    }
    // The link is spent: a second sign-in opens nothing.
    let again = post(
        svc,
        &link,
        &format!("guard={}", crate::aws::enc(&guard)),
        None,
    )
    .await?;
    if again["statusCode"] == 303 || session_cookie(&again).is_some() {
        return Err(format!("a spent link signed in again: {again}"));
    }

    // The charter's page, with the session's CSRF field.
    let charter_page = get(svc, &format!("/ops/charters/{keep}"), Some(&cookie)).await?;
    let html = body(&charter_page);
    let csrf = field(&html, "csrf").ok_or_else(|| {
        format!(
            "no forms on the charter page ({}): {html}",
            charter_page["statusCode"]
        )
    })?;
    if !html.contains(&captain) {
        return Err(format!("{captain} is not in the Assign list: {html}"));
    }

    // Forged: a POST without the CSRF field, and one without a session: 403, nothing changes.
    let cancel = format!("/ops/charters/{drop}/cancel");
    for (form, c) in [
        ("confirm=yes".to_string(), Some(cookie.as_str())),
        (format!("csrf={}&confirm=yes", crate::aws::enc(&csrf)), None),
    ] {
        let forged = post(svc, &cancel, &form, c).await?;
        if forged["statusCode"] != 403 {
            return Err(format!(
                "a forged cancel answered {}: {}",
                forged["statusCode"],
                body(&forged)
            ));
        }
    }
    if world.charter_by(&drop).await["status"]["S"] != "booked" {
        return Err("a forged cancel changed the charter".into());
    }

    let csrf_q = crate::aws::enc(&csrf);
    let assigned = post(
        svc,
        &format!("/ops/charters/{keep}/assign"),
        &format!("csrf={csrf_q}&role=captain&member={captain}&anyway=called%2C+can+do+it"),
        Some(&cookie),
    )
    .await?;
    if assigned["statusCode"] != 200 {
        return Err(format!(
            "assign answered {}: {}",
            assigned["statusCode"],
            body(&assigned)
        ));
    }
    let cancelled = post(
        svc,
        &cancel,
        &format!("csrf={csrf_q}&confirm=yes"),
        Some(&cookie),
    )
    .await?;
    if cancelled["statusCode"] != 200 {
        return Err(format!(
            "cancel answered {}: {}",
            cancelled["statusCode"],
            body(&cancelled)
        ));
    }
    let c = world.charter_by(&keep).await;
    if c["captain_assigned"]["S"] != captain.as_str() {
        return Err(format!("the assign did not set the captain: {c}"));
    }
    let d = world.charter_by(&drop).await;
    if d["status"]["S"] != "cancelled" {
        return Err(format!("the cancel did not cancel: {d}"));
    }
    // The worker sends what the web function left to it: the captain's confirmation.
    svc.pump_until(
        "the assigned captain's confirmation, from the worker",
        Duration::from_secs(60),
        || !world.mails_to(&captain_mail).is_empty(),
    )
    .await?;
    // Ops take the captain off again: no stream event asks for this one (a captain removed is
    // not routed), so only the reconcile the web function queued makes the worker tell them.
    let off = post(
        svc,
        &format!("/ops/charters/{keep}/unassign"),
        &format!("csrf={csrf_q}&member={captain}"),
        Some(&cookie),
    )
    .await?;
    if off["statusCode"] != 200 {
        return Err(format!(
            "unassign answered {}: {}",
            off["statusCode"],
            body(&off)
        ));
    }
    let free = || {
        world
            .mails_to(&captain_mail)
            .iter()
            .any(|m| m.subject.starts_with("No longer on the charter"))
    };
    svc.pump_until(
        "the \"you are free that day\" mail, from the worker",
        Duration::from_secs(60),
        free,
    )
    .await
}

impl World {
    /// The newest version of charter `id` (read as the deployer).
    pub async fn charter_by(&self, id: &str) -> Value {
        let got = self
            .moto
            .aws
            .json(
                &self.moto.deployer,
                "dynamodb",
                "DynamoDB_20120810.Query",
                json!({"TableName": format!("{}crew-dispatch", self.stack.prefix),
                       "KeyConditionExpression": "charter_id = :c",
                       "ExpressionAttributeValues": {":c": {"S": id}},
                       "ScanIndexForward": false, "Limit": 1, "ConsistentRead": true}),
            )
            .await
            .unwrap_or_else(|e| panic!("reading charter {id}: {e}"));
        got["Items"][0].clone()
    }
}
