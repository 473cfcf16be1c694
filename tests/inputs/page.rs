//! Crew page requests: undecodable, oversized, traversing, forged and cross-site. Every bad link
//! gets the same plain 403 page (never axum's plain-text 400, never a 500), and nothing changes:
//! the member and the charter read back as they were, the thread stays empty.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Utc;
use dispatch_cascade::tokens::Scope;
use dispatch_core::domain::*;
use tower::ServiceExt;

use crate::{Env, Tally};

struct Case {
    name: &'static str,
    method: &'static str,
    /// `{PAGE}` is a valid page token of the member, `{EXPIRED}` an expired one, `{OTHER}` a
    /// token of an unknown offer.
    path: &'static str,
    body: Option<&'static str>,
    headers: &'static [(&'static str, &'static str)],
    status: u16,
    fragment: &'static str,
}

const BAD: &str = "This link does not work";

const CASES: &[Case] = &[
    Case {
        name: "percent_ff",
        method: "GET",
        path: "/o/%FF",
        body: None,
        headers: &[],
        status: 403,
        fragment: BAD,
    },
    Case {
        name: "percent_ff_page",
        method: "GET",
        path: "/p/%FF%FE",
        body: None,
        headers: &[],
        status: 403,
        fragment: BAD,
    },
    Case {
        name: "overlong_utf8",
        method: "GET",
        path: "/o/%C0%AF",
        body: None,
        headers: &[],
        status: 403,
        fragment: BAD,
    },
    Case {
        name: "percent_ff_head",
        method: "HEAD",
        path: "/o/%FF",
        body: None,
        headers: &[],
        status: 403,
        fragment: "",
    },
    Case {
        name: "percent_ff_accept",
        method: "POST",
        path: "/o/%FF/accept",
        body: Some("guard=x"),
        headers: &[("content-type", "application/x-www-form-urlencoded")],
        status: 403,
        fragment: BAD,
    },
    Case {
        name: "percent_ff_decline",
        method: "POST",
        path: "/o/%FF%00/decline",
        body: Some("guard=x"),
        headers: &[("content-type", "application/x-www-form-urlencoded")],
        status: 403,
        fragment: BAD,
    },
    Case {
        name: "nul_in_token",
        method: "GET",
        path: "/o/{PAGE}%00",
        body: None,
        headers: &[],
        status: 403,
        fragment: BAD,
    },
    Case {
        name: "huge_token",
        method: "GET",
        path: "/o/{HUGE}",
        body: None,
        headers: &[],
        status: 403,
        fragment: BAD,
    },
    Case {
        name: "traversal",
        method: "GET",
        path: "/o/..%2F..%2Fetc%2Fpasswd",
        body: None,
        headers: &[],
        status: 403,
        fragment: BAD,
    },
    Case {
        name: "expired_token",
        method: "GET",
        path: "/p/{EXPIRED}",
        body: None,
        headers: &[],
        status: 403,
        fragment: BAD,
    },
    Case {
        name: "script_in_token",
        method: "GET",
        path: "/o/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        body: None,
        headers: &[],
        status: 403,
        fragment: BAD,
    },
    Case {
        name: "page_token_cannot_accept",
        method: "POST",
        path: "/o/{PAGE}/accept",
        body: Some("guard={GUARD}"),
        headers: &[("content-type", "application/x-www-form-urlencoded")],
        status: 403,
        fragment: BAD,
    },
    Case {
        name: "accept_without_guard",
        method: "POST",
        path: "/o/{OTHER}/accept",
        body: Some(""),
        headers: &[("content-type", "application/x-www-form-urlencoded")],
        status: 403,
        fragment: "Request refused",
    },
    Case {
        name: "accept_cross_site",
        method: "POST",
        path: "/o/{OTHER}/accept",
        body: Some("guard={OTHER_GUARD}"),
        headers: &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("origin", "https://evil.example"),
        ],
        status: 403,
        fragment: "Request refused",
    },
    Case {
        name: "accept_unknown_offer",
        method: "POST",
        path: "/o/{OTHER}/decline",
        body: Some("guard={OTHER_GUARD}"),
        headers: &[("content-type", "application/x-www-form-urlencoded")],
        status: 403,
        fragment: BAD,
    },
    Case {
        name: "query_is_not_reflected",
        method: "GET",
        path: "/p/{PAGE}?q=%3Cscript%3E",
        body: None,
        headers: &[],
        status: 200,
        fragment: "Hello, page-member",
    },
    Case {
        name: "unknown_path",
        method: "GET",
        path: "/admin",
        body: None,
        headers: &[],
        status: 404,
        fragment: "There is nothing here",
    },
];

pub const COUNT: usize = CASES.len();

pub async fn run(env: &Env) {
    let outbox = dispatch_mailer::Outbox::new(env.dir.path().join("outbox"));
    let cascade = crate::common::app::cascade_on(
        &env.backend,
        std::sync::Arc::new(outbox),
        Duration::from_secs(3600),
    );
    let router = dispatch_cascade::web::router(cascade.clone());
    let mut member = crate::common::member("page-member", true, true, &["2024-06-03"]);
    member.name = "page-member".into();
    env.backend
        .roster
        .upsert_batch(&[member.clone()])
        .await
        .unwrap();
    let charter = crate::common::charter("2024-06-03", 4, None);
    env.backend.charters.insert(&charter).await.unwrap();
    let now = Utc::now();
    let page = cascade.links.issue(
        &member.crew_id,
        &Scope::Page,
        now,
        chrono::Duration::days(1),
    );
    let expired = cascade.links.issue(
        &member.crew_id,
        &Scope::Page,
        now - chrono::Duration::days(3),
        chrono::Duration::days(1),
    );
    let other = cascade.links.issue(
        &member.crew_id,
        &Scope::Offer {
            charter: charter.charter_id.clone(),
            offer: OfferId::new_random(),
        },
        now,
        chrono::Duration::days(1),
    );
    let fill = |s: &str| {
        s.replace("{PAGE}", &page)
            .replace("{EXPIRED}", &expired)
            .replace("{OTHER_GUARD}", &cascade.links.form_guard(&other))
            .replace("{OTHER}", &other)
            .replace("{GUARD}", &cascade.links.form_guard(&page))
            .replace("{HUGE}", &"A".repeat(20_000))
    };
    let mut tally = Tally::default();
    let mut first_bad: Option<String> = None;
    for case in CASES {
        let mut req = Request::builder().method(case.method).uri(fill(case.path));
        for (k, v) in case.headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(Body::from(case.body.map(fill).unwrap_or_default()))
            .unwrap();
        let res = router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        let body = String::from_utf8_lossy(&bytes).to_string();
        let mut problem = (status != StatusCode::from_u16(case.status).unwrap())
            .then(|| format!("status {status}, expected {}", case.status));
        if problem.is_none() && !body.contains(case.fragment) {
            problem = Some(format!("the page lacks `{}`", case.fragment));
        }
        if problem.is_none()
            && (body.contains("<script>") || body.contains("panicked") || status.is_server_error())
        {
            problem = Some("the page reflects input or shows an error".into());
        }
        if problem.is_none() && case.fragment == BAD && case.method == "GET" {
            // Every bad link looks the same.
            match &first_bad {
                None => first_bad = Some(body.clone()),
                Some(b) if *b != body => {
                    problem = Some("this bad link's page differs from the others".into())
                }
                Some(_) => {}
            }
        }
        if problem.is_none() {
            let m = env.backend.roster.get(&member.crew_id).await.unwrap();
            let c = env.backend.charters.get(&charter.charter_id).await.unwrap();
            let thread = env.backend.thread.list(&charter.charter_id).await.unwrap();
            if m.as_ref() != Some(&member) || c.as_ref() != Some(&charter) || !thread.is_empty() {
                problem = Some("a request changed the member, the charter or its thread".into());
            }
        }
        tally.check(
            &format!("{}/{}", env.kind, case.name),
            problem,
            &body.chars().take(300).collect::<String>(),
        );
    }
    tally.finish("page");
}
