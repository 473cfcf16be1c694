//! The demo story on the embedded backend: sample roster and charters, offers out, members answer
//! through the real crew page over HTTP (one declines everything, one never answers so their
//! offers lapse, the rest accept), until every charter is staffed or escalated.
//!
//! Over 400 lines on purpose: it is one story read top to bottom (set up, answer, wait, tell),
//! and the README's first command runs it; split, a reader would hop between files to follow it.

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

/// Whether the offer's section of a member's page has the `action` button (an open offer).
fn has_button(page_html: &str, offer_id: &str, action: &str) -> bool {
    let Some(start) = page_html.find(&format!("id=\"offer-{offer_id}\"")) else {
        return false;
    };
    let section = &page_html[start..];
    let section = &section[..section.find("</section>").unwrap_or(section.len())];
    section.contains(&format!("/{action}\""))
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
    all: &[dispatch_core::domain::Charter],
) -> anyhow::Result<()> {
    let end = tokio::time::Instant::now() + deadline;
    let mut answered: HashSet<String> = HashSet::new();
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
            let Some(offer) = find_offer(backend, all, &page, &offer_id).await? else {
                answered.insert(name);
                continue;
            };
            let crew = offer.crew_id.to_string();
            match answer_of(&crew) {
                None => {
                    answered.insert(name);
                    println!(
                        "  {crew:<10} ignores the offer for {} ({}); it will lapse",
                        dispatch_core::zone::format_date(offer.charter_date),
                        dispatch_cascade::words::role_word(offer.role).to_lowercase()
                    );
                }
                // The demo's offers lapse after 3 s: on a busy machine one can lapse between
                // the mail and the page, which then shows it lapsed, with no buttons.
                Some(action) if !has_button(&page, offer.offer_id.as_str(), action) => {
                    answered.insert(name);
                    println!(
                        "  {crew:<10} opens the offer for {} too late: it lapsed",
                        dispatch_core::zone::format_date(offer.charter_date)
                    );
                }
                Some(action) => {
                    let note = press(base, &page, offer.offer_id.as_str(), action).await?;
                    println!(
                        "  {crew:<10} presses {action:<7} for {} ({}): {note}",
                        dispatch_core::zone::format_date(offer.charter_date),
                        dispatch_cascade::words::role_word(offer.role).to_lowercase()
                    );
                    answered.insert(name);
                }
            }
        }
        let mut settled = true;
        for c in all {
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

/// The sample season moved to the demo's own day: the cascade's charters upcoming (the first
/// two days from today, the rest keeping their spacing), the members' available dates moved
/// with them, and a copy of the charters in the month just ended, already sailed with captain
/// and crew, for the month-end report and statements. Pure: the same day gives the same data.
pub mod season {
    use chrono::{Duration, NaiveDate};
    use dispatch_core::domain::{
        Charter, CharterDate, CharterId, CharterStatus, CrewMember, Month,
    };

    /// The sample data's first charter date: the anchor that moves to `today + LEAD_DAYS`.
    pub const SAMPLE_FIRST: (i32, u32, u32) = (2024, 5, 3);
    /// Days from the demo's day to its first charter.
    pub const LEAD_DAYS: i64 = 2;

    fn sample_first() -> NaiveDate {
        NaiveDate::from_ymd_opt(SAMPLE_FIRST.0, SAMPLE_FIRST.1, SAMPLE_FIRST.2).unwrap_or_default()
    }

    /// How far the sample dates move.
    pub fn shift(today: CharterDate) -> Duration {
        today.naive() + Duration::days(LEAD_DAYS) - sample_first()
    }

    /// The month before today's.
    pub fn month_just_ended(today: CharterDate) -> Month {
        today.month().previous()
    }

    fn moved(d: CharterDate, by: Duration) -> CharterDate {
        CharterDate::from_naive(d.naive() + by)
    }

    /// The cascade's charters, upcoming.
    pub fn upcoming(samples: &[Charter], today: CharterDate) -> Vec<Charter> {
        let by = shift(today);
        samples
            .iter()
            .map(|c| Charter {
                charter_date: moved(c.charter_date, by),
                ..c.clone()
            })
            .collect()
    }

    /// Members with their available dates moved like the charters.
    pub fn roster(samples: &[CrewMember], today: CharterDate) -> Vec<CrewMember> {
        let by = shift(today);
        samples
            .iter()
            .map(|m| CrewMember {
                available_dates: m.available_dates.iter().map(|d| moved(*d, by)).collect(),
                ..m.clone()
            })
            .collect()
    }

    /// A stable id for the month-end copy of a sample charter.
    fn copy_id(c: &CharterId) -> Option<CharterId> {
        let u = uuid::Uuid::parse_str(c.as_str()).ok()?;
        let mut b = (u.as_u128() ^ 0x6d6f_6e74_685f_656e_645f_636f_7079_0000).to_be_bytes();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        CharterId::parse(&uuid::Uuid::from_bytes(b).to_string()).ok()
    }

    /// The sample charters again in the month just ended, sailed (`completed`) with a captain
    /// and crew from the roster taken in turn, for the month-end report and statements.
    pub fn month_end(
        samples: &[Charter],
        roster: &[CrewMember],
        today: CharterDate,
    ) -> Vec<Charter> {
        let month = month_just_ended(today);
        let first = month.first_day();
        let last = month.days().last().map(|d| d.naive()).unwrap_or(first);
        let captains: Vec<&CrewMember> = roster
            .iter()
            .filter(|m| m.active && m.captain_certified)
            .collect();
        let mut out = Vec::new();
        for (i, c) in samples.iter().enumerate() {
            let Some(id) = copy_id(&c.charter_id) else {
                continue;
            };
            let offset = c.charter_date.naive()
                - NaiveDate::from_ymd_opt(SAMPLE_FIRST.0, SAMPLE_FIRST.1, 1).unwrap_or_default();
            let date = (first + offset).min(last);
            let Some(captain) = captains.get(i % captains.len().max(1)) else {
                continue;
            };
            let needed = dispatch_cascade::engine::crew_needed(c, None) as usize;
            let crew = roster
                .iter()
                .filter(|m| {
                    m.active
                        && m.crew_id != captain.crew_id
                        && m.certifications.contains("deckhand")
                })
                .cycle()
                .skip(i)
                .take(needed)
                .map(|m| m.crew_id.clone())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            out.push(Charter {
                charter_id: id,
                created_at: format!(
                    "{}T09:00:00.000Z",
                    (first - Duration::days(20)).format("%Y-%m-%d")
                ),
                charter_date: CharterDate::from_naive(date),
                captain_assigned: Some(captain.crew_id.clone()),
                crew_assigned: crew,
                status: CharterStatus::Completed,
                ..c.clone()
            });
        }
        out
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn samples() -> (Vec<Charter>, Vec<CrewMember>) {
            let c = crate::import::charters_from_values(
                &serde_json::from_str::<Vec<serde_json::Value>>(include_str!(
                    "../samples/charters.json"
                ))
                .unwrap(),
            );
            let r = crate::import::members_from_values(
                &serde_json::from_str::<Vec<serde_json::Value>>(include_str!(
                    "../samples/roster.json"
                ))
                .unwrap(),
            );
            (c.good, r.good)
        }

        #[test]
        fn the_season_is_dated_from_the_demo_day() {
            let (charters, members) = samples();
            let today = CharterDate::parse("2026-12-01").unwrap();
            let up = upcoming(&charters, today);
            assert!(
                up.iter().all(|c| c.charter_date > today),
                "every cascade charter is upcoming"
            );
            assert_eq!(
                up.iter().map(|c| c.charter_date).min().unwrap().to_string(),
                "2026-12-03"
            );
            assert!(
                up.iter()
                    .all(|c| (c.charter_date.naive() - today.naive()).num_days() < 61),
                "inside the sweep horizon"
            );
            let moved = roster(&members, today);
            // Availability moves with the charters: who could sail a sample charter can sail it now.
            for (c, sample) in up.iter().zip(&charters) {
                for (m, was) in moved.iter().zip(&members) {
                    assert_eq!(
                        m.is_available(c.charter_date),
                        was.is_available(sample.charter_date)
                    );
                }
            }
            let ended = month_end(&charters, &members, today);
            assert_eq!(ended.len(), charters.len());
            assert!(ended
                .iter()
                .all(|c| c.charter_date.month().to_string() == "2026-11"));
            assert!(ended.iter().all(|c| c.status == CharterStatus::Completed
                && c.captain_assigned.is_some()
                && !c.crew_assigned.is_empty()));
            assert!(
                ended
                    .iter()
                    .all(|c| !charters.iter().any(|s| s.charter_id == c.charter_id)),
                "copies have their own ids"
            );
            assert_eq!(
                month_end(&charters, &members, today),
                ended,
                "the same day gives the same data"
            );
            assert_eq!(
                month_just_ended(CharterDate::parse("2027-01-15").unwrap()).to_string(),
                "2026-12"
            );
        }
    }
}
