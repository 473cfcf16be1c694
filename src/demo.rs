//! The demo story on the embedded backend: sample roster and charters, offers out, members answer
//! through the real crew page over HTTP (one declines everything, one never answers so their
//! offers lapse, the rest accept), until every charter is staffed or escalated.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use dispatch_core::domain::{CharterStatus, OfferStatus, ThreadKind};
use dispatch_core::ports::QueueId;
use dispatch_core::Backend;
use dispatch_ingest::consumer::Consumer;
use dispatch_ingest::worker::Worker;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How the sample members behave.
fn answer_of(crew: &str) -> Option<&'static str> {
    match crew {
        "crew-ben" => Some("decline"),
        "crew-fay" => None, // never answers: her offers lapse
        _ => Some("accept"),
    }
}

/// A minimal HTTP/1.1 client for loopback (no TLS, `Connection: close`).
pub async fn http(method: &str, url: &str, form: Option<&str>) -> anyhow::Result<(u16, String)> {
    let rest = url.strip_prefix("http://").context("only http:// URLs")?;
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .with_context(|| format!("connecting to {host}"))?;
    let body = form.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nOrigin: http://{host}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await?;
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await?;
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("no HTTP status")?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// The offer link in a mail file (quoted-printable soft breaks undone).
pub fn link_in_mail(eml: &str) -> Option<String> {
    let flat = eml
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = flat.find("http://").or_else(|| flat.find("https://"))?;
    let end = flat[start..]
        .find(|c: char| c.is_whitespace())
        .map(|e| start + e)
        .unwrap_or(flat.len());
    Some(flat[start..end].to_string())
}

/// Presses a button on a member's page: finds the offer's section, its form action and guard.
pub async fn press(
    base: &str,
    page_html: &str,
    offer_id: &str,
    action: &str,
) -> anyhow::Result<String> {
    let section_start = page_html
        .find(&format!("id=\"offer-{offer_id}\""))
        .context("offer not on the page")?;
    let section = &page_html[section_start..];
    let section = &section[..section.find("</section>").unwrap_or(section.len())];
    let marker = format!("/{action}\"");
    let at = section.find(&marker).context("button not found")?;
    let action_start = section[..at].rfind("action=\"").context("form action")? + "action=\"".len();
    let path = &section[action_start..at + marker.len() - 1];
    let guard_at = section[at..]
        .find("name=\"guard\" value=\"")
        .context("guard")?
        + at
        + "name=\"guard\" value=\"".len();
    let guard =
        &section[guard_at..guard_at + section[guard_at..].find('"').context("guard end")?];
    let (status, body) = http(
        "POST",
        &format!("{base}{path}"),
        Some(&format!("guard={guard}")),
    )
    .await?;
    if status != 200 {
        bail!("POST {action} answered {status}");
    }
    let note = body
        .split("role=\"status\">")
        .nth(1)
        .and_then(|n| n.split("</p>").next())
        .unwrap_or("")
        .to_string();
    Ok(note)
}

/// Drives the story until every charter is staffed or escalated (or `deadline` passes).
pub async fn run_story(
    backend: &Backend,
    consumer: &mut Consumer,
    workers: &[Arc<Worker>],
    outbox: &dispatch_mailer::Outbox,
    base: &str,
    deadline: Duration,
) -> anyhow::Result<()> {
    let end = tokio::time::Instant::now() + deadline;
    let mut answered: HashSet<String> = HashSet::new();
    let charters = backend
        .charters
        .in_month(dispatch_core::domain::Month::parse("2024-05")?)
        .await?
        .items;
    let mut june = backend
        .charters
        .in_month(dispatch_core::domain::Month::parse("2024-06")?)
        .await?
        .items;
    let mut all = charters;
    all.append(&mut june);
    loop {
        // Stream → jobs → cascade, until quiet.
        consumer.rebalance().await?;
        consumer.poll_once().await?;
        for w in workers {
            w.try_process_one(10, Duration::ZERO).await?;
        }
        // Members read their mail and answer on the page.
        for file in outbox.files() {
            let eml = std::fs::read_to_string(&file)?;
            if !eml.contains("Subject: Charter offer") {
                continue;
            }
            let Some(link) = link_in_mail(&eml) else {
                continue;
            };
            // Mail from an earlier run names that run's port: same path, this run's server.
            let path = link.splitn(4, '/').nth(3).unwrap_or("");
            let link = format!("{}/{path}", base.trim_end_matches('/'));
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            if answered.contains(&name) {
                continue;
            }
            let (status, page) = http("GET", &link, None).await?;
            if status != 200 {
                answered.insert(name);
                continue;
            }
            // The outbox file is named after the mail's key, `mail#offer#<offer id>`.
            let offer_id = name
                .strip_prefix("mail_offer_")
                .map(|r| r.chars().take(36).collect::<String>())
                .unwrap_or_default();
            let Some(offer) = find_offer(backend, &all, &page, &offer_id).await? else {
                answered.insert(name);
                continue;
            };
            let crew = offer.crew_id.to_string();
            match answer_of(&crew) {
                None => {
                    answered.insert(name);
                    println!(
                        "  {crew:<10} ignores the offer for {} ({}); it will lapse",
                        offer.charter_date, offer.role
                    );
                }
                Some(action) => {
                    let note = press(base, &page, offer.offer_id.as_str(), action).await?;
                    println!(
                        "  {crew:<10} presses {action:<7} for {} ({}): {note}",
                        offer.charter_date, offer.role
                    );
                    answered.insert(name);
                }
            }
        }
        let mut settled = true;
        for c in &all {
            let now = backend
                .charters
                .get(&c.charter_id)
                .await?
                .context("charter")?;
            let thread = backend.thread.list(&c.charter_id).await?;
            let escalated = thread.iter().any(|e| e.kind == ThreadKind::Escalated);
            if now.status != CharterStatus::Staffed && !escalated {
                settled = false;
            }
        }
        let busy = {
            let mut n = 0;
            for q in QueueId::WORK {
                let d = backend.queues.depth(q).await?;
                n += d.visible + d.in_flight;
            }
            n
        };
        if settled && busy == 0 {
            return Ok(());
        }
        if tokio::time::Instant::now() > end {
            println!("  (demo deadline reached; some offers are still open)");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The open offer a page shows for the token's member, if any.
async fn find_offer(
    backend: &Backend,
    charters: &[dispatch_core::domain::Charter],
    page: &str,
    offer_id: &str,
) -> anyhow::Result<Option<dispatch_core::domain::Offer>> {
    for c in charters {
        for o in backend.offers.for_charter(&c.charter_id).await? {
            if o.offer_id.as_str() == offer_id
                && o.status == OfferStatus::Open
                && page.contains(&format!("id=\"offer-{}\"", o.offer_id))
            {
                return Ok(Some(o));
            }
        }
    }
    Ok(None)
}
