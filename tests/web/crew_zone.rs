//! The crew page in the business's time zone (Los Angeles here): the mailed offer first with its
//! local start and meeting point, a confirmation with a calendar entry, offers withdrawn when the
//! member is booked elsewhere that day, and the day-before reminder.

use chrono::Utc;
use dispatch::demo::{http, link_in_mail, press};
use dispatch_core::domain::*;

use crate::common::TestApp;
use crate::ics::{ics_attachment, ics_events, ics_utc};

/// A site in Los Angeles time, with Marlin's start time and meeting point and an office phone,
/// and charters dated from today (so they are upcoming).
async fn la_site(members: &[(&str, &str)]) -> TestApp {
    let s = TestApp::local()
        .zone("America/Los_Angeles")
        .tune(|cfg| {
            cfg.office_phone = Some("+1 555 0100".into());
            cfg.vessels.insert(
                "Marlin".into(),
                dispatch_core::config::VesselConfig {
                    start_time: Some("08:30".into()),
                    meeting_point: Some("Dock B, slip 14".into()),
                    crew_needed: Some(1),
                    ..Default::default()
                },
            );
        })
        .serve()
        .build()
        .await;
    let days: std::collections::BTreeSet<CharterDate> = (5..20).map(day).collect();
    for (id, name) in members {
        let m = CrewMember {
            crew_id: CrewId::parse(id).unwrap(),
            name: (*name).into(),
            email: EmailAddress::parse(&format!("{id}@example.com")).unwrap(),
            phone: None,
            captain_certified: *id == "crew-ana",
            available_dates: days.clone(),
            certifications: ["deckhand".to_string()].into(),
            active: true,
            updated_at: None,
            links_not_before: None,
            captain_licence: None,
            certification_expiry: Default::default(),
        };
        s.world.backend.roster.upsert_batch(&[m]).await.unwrap();
    }
    s
}

/// Today (Los Angeles) + `n` days.
fn day(n: i64) -> CharterDate {
    let today = dispatch_core::zone::BusinessZone::parse("America/Los_Angeles")
        .unwrap()
        .today(Utc::now());
    CharterDate::from_naive(today.naive() + chrono::Duration::days(n))
}

/// A charter of six guests aboard `vessel` on `date`, stored and reconciled.
async fn charter_on(s: &TestApp, date: CharterDate, vessel: &str) -> Charter {
    let c = Charter {
        charter_id: CharterId::new_random(),
        created_at: Utc::now().to_rfc3339(),
        charter_date: date,
        vessel_name: vessel.into(),
        captain_assigned: None,
        crew_assigned: vec![],
        guest_count: 6,
        guest_names: vec![],
        reportable_revenue: Money::ZERO,
        tips: Money::ZERO,
        status: CharterStatus::Booked,
        crew_needed: Some(1),
    };
    s.world.backend.charters.insert(&c).await.unwrap();
    s.cascade.reconcile(&c.charter_id).await.unwrap();
    c
}

/// The outbox mail whose file name holds `key_part`.
fn mail_for(s: &TestApp, key_part: &str) -> String {
    s.outbox
        .files()
        .into_iter()
        .filter(|f| f.to_string_lossy().contains(key_part))
        .map(|f| std::fs::read_to_string(f).unwrap())
        .next()
        .unwrap_or_else(|| panic!("no mail {key_part} in {:?}", s.outbox.files()))
}

#[tokio::test]
async fn the_mailed_offer_comes_first_and_the_confirmation_names_the_charter_with_a_calendar_entry()
{
    let s = la_site(&[("crew-ana", "Ana Silva"), ("crew-ben", "Ben Okoro")]).await;
    let early = charter_on(&s, day(6), "Blue Heron").await;
    let later = charter_on(&s, day(9), "Marlin").await;
    let offer_of = |c: &Charter| {
        let id = c.charter_id.clone();
        let w = s.world.backend.clone();
        async move { w.offers.for_charter(&id).await.unwrap().remove(0) }
    };
    let (first, second) = (offer_of(&early).await, offer_of(&later).await);
    assert_eq!(
        (first.crew_id.as_str(), second.crew_id.as_str()),
        ("crew-ana", "crew-ana")
    );
    // The offer mail: local deadline with zone abbreviation, weekday, start and meeting point.
    let mail = mail_for(&s, &format!("mail_offer_{}", second.offer_id));
    let flat = mail.replace("=\r\n", "").replace("=3D", "=");
    assert!(
        flat.contains("Report:   08:30 P") && flat.contains("Dock B, slip 14"),
        "{flat}"
    );
    assert!(
        flat.contains(" PST") || flat.contains(" PDT"),
        "deadline in local time: {flat}"
    );
    assert!(!flat.contains("slot"), "no internal wording: {flat}");
    let link = link_in_mail(&mail).unwrap();

    // The page from the later offer's mail shows that offer first, alone, then the other one.
    let (status, page) = http("GET", &link, None).await.unwrap();
    assert_eq!(status, 200);
    let focus = page
        .find(&format!("class=\"focus\" id=\"offer-{}\"", second.offer_id))
        .expect("the mailed offer is singled out");
    let other = page
        .find(&format!("id=\"offer-{}\"", first.offer_id))
        .expect("the other offer follows");
    assert!(focus < other, "the mailed offer comes first");
    let focus_section = &page[focus..focus + page[focus..].find("</section>").unwrap()];
    assert!(
        focus_section.contains("Marlin") && focus_section.contains("Report at <b>08:30 P"),
        "{focus_section}"
    );
    assert!(
        focus_section.contains("Meet at <b>Dock B, slip 14</b>"),
        "{focus_section}"
    );
    assert!(
        focus_section.contains(&dispatch_core::zone::format_date(later.charter_date)),
        "weekday and date: {focus_section}"
    );
    assert!(page.contains("tel:+15550100"), "office phone");
    assert!(!page.contains("slot"), "no internal wording");

    // Accepting names the charter.
    let note = press(&s.base, &page, second.offer_id.as_str(), "accept")
        .await
        .unwrap();
    let title = format!(
        "{} aboard Marlin",
        dispatch_core::zone::format_date(later.charter_date)
    );
    assert!(
        note.contains(&format!("You are confirmed as captain for {title}")),
        "{note}"
    );

    // The confirmation mail: names the charter, carries a calendar entry at 08:30 Los Angeles
    // time and a lasting link to the member's page and feed.
    let confirm = mail_for(&s, &format!("mail_confirm_{}", second.offer_id));
    assert!(
        confirm.contains(&format!("Subject: Confirmed: {title}")),
        "{confirm}"
    );
    let ics = ics_attachment(&confirm).expect("an .ics attachment");
    let events = ics_events(&ics);
    assert_eq!(events.len(), 1, "{ics}");
    let (summary, start, location) = &events[0];
    assert_eq!(summary, "Captain aboard Marlin");
    assert_eq!(location.as_deref(), Some("Dock B, slip 14"));
    let la: chrono_tz_free::Local = chrono_tz_free::local(ics_utc(start));
    assert_eq!(
        (la.date, la.time.as_str()),
        (later.charter_date, "08:30"),
        "{ics}"
    );
    let flat = confirm.replace("=\r\n", "").replace("=3D", "=");
    let page_link = flat
        .split_whitespace()
        .find(|w| w.starts_with(&format!("{}/p/", s.base)))
        .expect("a lasting page link")
        .to_string();
    let (status, mine) = http("GET", &page_link, None).await.unwrap();
    assert_eq!(status, 200);
    let upcoming = &mine[mine.find("Your upcoming charters").unwrap()..];
    assert!(upcoming.contains("Marlin"), "{upcoming}");
    let feed = flat
        .split_whitespace()
        .find(|w| w.starts_with(&format!("{}/c/", s.base)) && w.ends_with(".ics"))
        .expect("a calendar feed link")
        .to_string();
    let (status, feed_text) = http("GET", &feed, None).await.unwrap();
    assert_eq!(status, 200);
    let events = ics_events(&feed_text);
    assert_eq!(events.len(), 1, "{feed_text}");
    let la = chrono_tz_free::local(ics_utc(&events[0].1));
    assert_eq!((la.date, la.time.as_str()), (later.charter_date, "08:30"));
    // A tampered feed link is the same plain 403.
    let (status, _) = http("GET", &feed.replace(".ics", "x.ics"), None)
        .await
        .unwrap();
    assert_eq!(status, 403);
}

/// Local date and time in Los Angeles of an instant, through the crate's own zone helper.
mod chrono_tz_free {
    pub struct Local {
        pub date: dispatch_core::domain::CharterDate,
        pub time: String,
    }
    pub fn local(t: chrono::DateTime<chrono::Utc>) -> Local {
        let z = dispatch_core::zone::BusinessZone::parse("America/Los_Angeles").unwrap();
        let clock = z.format_clock(t);
        Local {
            date: z.today(t),
            time: clock[..5].to_string(),
        }
    }
}

#[tokio::test]
async fn offers_for_a_day_the_member_got_booked_are_withdrawn_and_the_page_says_so() {
    let s = la_site(&[("crew-ana", "Ana Silva")]).await;
    let d = day(7);
    let x = charter_on(&s, d, "Marlin").await;
    let y = charter_on(&s, d, "Blue Heron").await;
    let ox = s
        .world
        .backend
        .offers
        .for_charter(&x.charter_id)
        .await
        .unwrap()
        .remove(0);
    let oy = s
        .world
        .backend
        .offers
        .for_charter(&y.charter_id)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(oy.status, OfferStatus::Open);
    let link_y = link_in_mail(&mail_for(&s, &format!("mail_offer_{}", oy.offer_id))).unwrap();
    let (_, page) = http(
        "GET",
        &link_in_mail(&mail_for(&s, &format!("mail_offer_{}", ox.offer_id))).unwrap(),
        None,
    )
    .await
    .unwrap();
    press(&s.base, &page, ox.offer_id.as_str(), "accept")
        .await
        .unwrap();
    // Withdrawn at once, not left open until it lapses.
    let now_y = s
        .world
        .backend
        .offers
        .get(&y.charter_id, &oy.offer_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now_y.status, OfferStatus::Revoked);
    let (status, page) = http("GET", &link_y, None).await.unwrap();
    assert_eq!(status, 200);
    let focus = &page[page.find("class=\"focus\"").unwrap()..];
    let focus = &focus[..focus.find("</section>").unwrap()];
    assert!(
        focus.contains("was withdrawn: you are booked on another charter that day"),
        "{focus}"
    );
    assert!(
        focus.contains("aboard Marlin"),
        "names the charter she is on: {focus}"
    );
    assert!(!focus.contains("button"), "nothing to press: {focus}");
}

#[tokio::test]
async fn the_day_before_everyone_aboard_gets_one_reminder() {
    let s = la_site(&[("crew-ana", "Ana Silva"), ("crew-ben", "Ben Okoro")]).await;
    let zone = dispatch_core::zone::BusinessZone::parse("America/Los_Angeles").unwrap();
    let tomorrow = day(1);
    let c = Charter {
        charter_id: CharterId::new_random(),
        created_at: Utc::now().to_rfc3339(),
        charter_date: tomorrow,
        vessel_name: "Marlin".into(),
        captain_assigned: Some(CrewId::parse("crew-ana").unwrap()),
        crew_assigned: vec![CrewId::parse("crew-ben").unwrap()],
        guest_count: 6,
        guest_names: vec![],
        reportable_revenue: Money::ZERO,
        tips: Money::ZERO,
        status: CharterStatus::Staffed,
        crew_needed: Some(1),
    };
    s.world.backend.charters.insert(&c).await.unwrap();
    let today = tomorrow.naive().pred_opt().unwrap();
    let at = |h: u32| {
        zone.at_local(today, chrono::NaiveTime::from_hms_opt(h, 0, 0).unwrap())
            .unwrap()
    };
    assert_eq!(
        s.cascade.send_reminders(at(7)).await.unwrap(),
        0,
        "not before 09:00 local"
    );
    assert_eq!(s.cascade.send_reminders(at(10)).await.unwrap(), 2);
    assert_eq!(
        s.cascade.send_reminders(at(11)).await.unwrap(),
        2,
        "found sent, not sent again"
    );
    let reminders: Vec<String> = s
        .outbox
        .files()
        .into_iter()
        .filter(|f| f.to_string_lossy().contains("mail_reminder_"))
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    assert_eq!(reminders.len(), 2, "one per member and charter");
    let ben = reminders
        .iter()
        .find(|m| m.contains("crew-ben@example.com"))
        .unwrap();
    let flat = ben.replace("=\r\n", "").replace("=3D", "=");
    assert!(flat.contains("Subject: Tomorrow: "), "{flat}");
    assert!(
        flat.contains("Aboard:   Ana") && flat.contains("Report:   08:30 P"),
        "{flat}"
    );
    // The scheduled job does the same (kind `reminders` on the cascade queue).
    let job = JobEnvelope::new(JobKind::Reminders, "reminders#t", serde_json::json!({}));
    use dispatch_ingest::worker::JobHandler;
    dispatch_cascade::jobs::CascadeJobs(s.cascade.clone())
        .handle(&job)
        .await
        .unwrap();
    assert_eq!(
        s.outbox
            .files()
            .iter()
            .filter(|f| f.to_string_lossy().contains("mail_reminder_"))
            .count(),
        2
    );
}
