//! When to look at a charter again, on the cascade's own queue: the one place that puts a
//! message there.
//!
//! - The lapse timer: the plan says when the charter changes by itself next
//!   ([`Plan::requeue`]: the deadline of the offer that lapses first, or the next alert
//!   threshold of an unstaffed charter); [`arm`] puts link `n` of a timer toward it
//!   (`offer_timeout#<offer>#<n>` or `alert_timer#<charter>#<hours>h#<n>`, delayed at most 15
//!   minutes, the SQS maximum), and the reconcile that link wakes arms the next, until it is
//!   due. Which link a reconcile arms is [`link_for`]'s pure decision.
//! - [`after_answer`]: the reconcile after a member's answer, done by the worker so the answer
//!   replies at once (`answered#<offer>`).
//! - [`retry_later`]: a reconcile after an answer failed (an outage): leave one on the queue.
//!
//! Timers are for precision; the sweep lapses anything overdue whatever happens to them.

use std::time::Duration;

use chrono::{DateTime, Utc};
use dispatch_core::domain::{CharterId, JobEnvelope, JobKind, Offer, OfferId};
use dispatch_core::idempotency::{run_once, Once};
use dispatch_core::ports::{OutMessage, QueueId, MAX_DELAY};
use dispatch_core::records::enqueue_key;

use crate::action::{Plan, Requeue, Timer};
use crate::keys::JobKey;
use crate::service::{Cascade, CascadeError};

/// What woke a reconcile, as far as its timers care.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Wake {
    /// Anything but a lapse timer: an answer, a stream record, an ops command, the sweep.
    #[default]
    Event,
    /// Link `link` of the timer toward `timer` (an offer's deadline, an alert threshold).
    Timer { timer: Timer, link: u32 },
}

/// The timer link a plan needs, if any (`now`: the time the plan was made with, not a second
/// reading of the clock, so a deadline passing since the plan never drops a chain):
/// - woken by the timer of the offer that still lapses first, still open after the plan: its
///   next link (the plan lapses an offer that is due, so it is not yet due then);
/// - woken by any timer, another offer now lapsing first: that offer's link 0 (one already
///   running for it is found by its key);
/// - a plan that mails an offer: link 0 toward the first deadline (found if already armed);
/// - an event whose plan waits for an alert threshold: its link 0 (found if already armed: an
///   escalated or not yet offered charter has no lapse timer to carry it);
/// - otherwise none: the timer already running covers the charter.
pub fn link_for(wake: &Wake, plan: &Plan, now: DateTime<Utc>) -> Option<(Requeue, u32)> {
    let rq = plan.requeue.clone()?;
    match wake {
        Wake::Timer { timer, link } if *timer == rq.timer => {
            (rq.at > now).then(|| (rq, link.saturating_add(1)))
        }
        Wake::Timer { .. } => Some((rq, 0)),
        Wake::Event if plan.sends_offer() => Some((rq, 0)),
        Wake::Event if matches!(rq.timer, Timer::Alert { .. }) => Some((rq, 0)),
        Wake::Event => None,
    }
}

/// How long link `link` of a timer waits when `remaining` is left to its deadline: rounded up
/// to whole seconds, because SQS counts delays in whole seconds and drops the rest (a timer
/// rounded down came up to a second early and found its offer not yet due); a later link waits
/// at least a second, so a chain that keeps finding its offer open never spins; at most
/// [`MAX_DELAY`] (a longer wait is a chain).
pub fn delay_for(remaining: chrono::Duration, link: u32) -> Duration {
    let remaining = remaining.to_std().unwrap_or_default();
    let floor = if link > 0 {
        Duration::from_secs(1)
    } else {
        Duration::ZERO
    };
    let delay = remaining.max(floor);
    Duration::from_secs(delay.as_secs() + u64::from(delay.subsec_nanos() > 0)).min(MAX_DELAY)
}

/// Link `link` of the timer toward `rq` as a message, and the key it is once under.
fn link_message(
    cx: &Cascade,
    charter: &CharterId,
    rq: &Requeue,
    link: u32,
) -> (JobKey, OutMessage) {
    let delay = delay_for(rq.at - cx.now(), link);
    // Both are `offer_timeout` jobs (one handler: reconcile, told which timer woke it); an
    // alert timer carries `alert_hours` instead of `offer_id`.
    let (key, payload) = match &rq.timer {
        Timer::Lapse(offer) => (
            JobKey::lapse_timer(offer, link),
            serde_json::json!({"charter_id": charter, "offer_id": offer, "chain": link}),
        ),
        Timer::Alert { hours } => (
            JobKey::alert_timer(charter, *hours, link),
            serde_json::json!({"charter_id": charter, "alert_hours": hours, "chain": link}),
        ),
    };
    let job = JobEnvelope::new(JobKind::OfferTimeout, key.as_str(), payload);
    (key, OutMessage::new(job.to_body()).delayed(delay))
}

/// Puts link `link` of the lapse timer toward `rq` on the queue, once (under the
/// `enqueue#<key>` record).
pub async fn arm(
    cx: &Cascade,
    charter: &CharterId,
    rq: &Requeue,
    link: u32,
) -> Result<(), CascadeError> {
    let (key, message) = link_message(cx, charter, rq, link);
    let outcome = run_once(
        cx.backend.idempotency.as_ref(),
        &enqueue_key(key.as_str()),
        &serde_json::json!({"chain": link}),
        cx.idem,
        || async {
            cx.backend
                .queues
                .send(QueueId::Cascade, std::slice::from_ref(&message))
                .await
                .map(|_| ())
        },
    )
    .await?;
    match outcome {
        Once::InProgress { until } => Err(CascadeError::Busy {
            what: "a lapse timer".into(),
            until,
        }),
        _ => Ok(()),
    }
}

/// Puts link 0 of an offer's lapse timer on the queue as part of the first attempt at mailing
/// the offer, under the mail's claim ([`crate::deliver::send_offer_once`]), with no record of
/// its own (two writes saved an offer): the mail's claim is what makes it once. An attempt that
/// takes that claim over (the first stopped, or its mail failed) arms the link with [`arm`]
/// instead; the first may have sent it, so an offer has at most two link-0 messages, and the
/// chain is one again from link 1 (each later link is armed under its own record).
pub async fn send_first_link(
    cx: &Cascade,
    charter: &CharterId,
    rq: &Requeue,
    taken_over: bool,
) -> Result<(), CascadeError> {
    if taken_over {
        return arm(cx, charter, rq, 0).await;
    }
    let (_, message) = link_message(cx, charter, rq, 0);
    cx.backend.queues.send(QueueId::Cascade, &[message]).await?;
    Ok(())
}

/// Puts the reconcile after an answer to `offer` on the queue (`answered#<offer>`): its charter
/// and, with `same_day` (an accept), the member's other charters with an open offer that day.
/// One send, no idempotency record: a copy runs a reconcile that finds nothing to do.
pub async fn after_answer(cx: &Cascade, offer: &Offer, same_day: bool) -> Result<(), CascadeError> {
    let mut payload =
        serde_json::json!({ "charter_id": offer.charter_id, "offer_id": offer.offer_id });
    if same_day {
        payload["same_day_of"] = serde_json::json!(offer.crew_id);
        payload["charter_date"] = serde_json::json!(offer.charter_date.to_string());
    }
    let job = JobEnvelope::new(
        JobKind::Reconcile,
        JobKey::answered(&offer.offer_id).as_str(),
        payload,
    );
    cx.backend
        .queues
        .send(QueueId::Cascade, &[OutMessage::new(job.to_body())])
        .await?;
    Ok(())
}

/// Leaves a reconcile of `charter` on the queue, after the one following an answer to `offer`
/// failed; if even that fails, the sweep picks the charter up.
pub async fn retry_later(cx: &Cascade, charter: &CharterId, offer: &OfferId) {
    let job = JobEnvelope::new(
        JobKind::Reconcile,
        JobKey::retry_reconcile(charter, offer).as_str(),
        serde_json::json!({ "charter_id": charter }),
    );
    if let Err(e) = cx
        .backend
        .queues
        .send(QueueId::Cascade, &[OutMessage::new(job.to_body())])
        .await
    {
        tracing::error!(charter_id = %charter, error = %e, "could not queue the reconcile either; the sweep will");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;
    use chrono::TimeZone;

    fn id(n: u8) -> OfferId {
        OfferId::parse(&format!("1b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b{n:02x}")).unwrap()
    }

    #[test]
    fn a_timer_chains_toward_the_first_deadline() {
        let now = Utc.timestamp_opt(1_714_000_000, 0).unwrap();
        let rq = Requeue {
            at: now + chrono::Duration::hours(2),
            timer: Timer::Lapse(id(1)),
        };
        let waiting = Plan {
            actions: vec![],
            requeue: Some(rq.clone()),
        };
        let mailing = Plan {
            actions: vec![Action::SendOffer { offer: id(2) }],
            requeue: Some(rq.clone()),
        };
        // Its own timer: the next link; another offer's timer: link 0 of this one.
        assert_eq!(
            link_for(
                &Wake::Timer {
                    timer: Timer::Lapse(id(1)),
                    link: 3
                },
                &waiting,
                now
            ),
            Some((rq.clone(), 4))
        );
        assert_eq!(
            link_for(
                &Wake::Timer {
                    timer: Timer::Lapse(id(9)),
                    link: 3
                },
                &waiting,
                now
            ),
            Some((rq.clone(), 0))
        );
        // An event: only a plan that mails an offer starts a timer.
        assert_eq!(link_for(&Wake::Event, &waiting, now), None);
        assert_eq!(link_for(&Wake::Event, &mailing, now), Some((rq.clone(), 0)));
        // Due (cannot be planned, but never a loop of zero-delay links) or nothing open: none.
        let due = Plan {
            actions: vec![],
            requeue: Some(Requeue {
                at: now,
                timer: Timer::Lapse(id(1)),
            }),
        };
        assert_eq!(
            link_for(
                &Wake::Timer {
                    timer: Timer::Lapse(id(1)),
                    link: 0
                },
                &due,
                now
            ),
            None
        );
        assert_eq!(
            link_for(
                &Wake::Timer {
                    timer: Timer::Lapse(id(1)),
                    link: 0
                },
                &Plan::default(),
                now
            ),
            None
        );
    }

    #[test]
    fn an_event_arms_the_alert_timer_an_escalated_charter_waits_for() {
        let now = Utc.timestamp_opt(1_714_000_000, 0).unwrap();
        let rq = Requeue {
            at: now + chrono::Duration::hours(30),
            timer: Timer::Alert { hours: 24 },
        };
        let waiting = Plan {
            actions: vec![],
            requeue: Some(rq.clone()),
        };
        // No offer out (escalated, or nobody to ask yet): the event arms link 0 (found by its
        // key if armed already); its own timer chains, a lapse timer hands over to it.
        assert_eq!(link_for(&Wake::Event, &waiting, now), Some((rq.clone(), 0)));
        let own = Wake::Timer {
            timer: Timer::Alert { hours: 24 },
            link: 2,
        };
        assert_eq!(link_for(&own, &waiting, now), Some((rq.clone(), 3)));
        let lapse = Wake::Timer {
            timer: Timer::Lapse(id(1)),
            link: 2,
        };
        assert_eq!(link_for(&lapse, &waiting, now), Some((rq, 0)));
    }

    #[test]
    fn a_link_never_fires_early_and_a_later_link_never_spins() {
        let ms = chrono::Duration::milliseconds;
        // Rounded up to whole seconds (SQS drops the fraction): never before the deadline.
        assert_eq!(delay_for(ms(1_200), 0), Duration::from_secs(2));
        assert_eq!(delay_for(ms(3_000), 0), Duration::from_secs(3));
        assert_eq!(delay_for(ms(1), 0), Duration::from_secs(1));
        // Due or past: link 0 goes at once, a later link waits a second.
        assert_eq!(delay_for(ms(0), 0), Duration::ZERO);
        assert_eq!(delay_for(ms(-5_000), 0), Duration::ZERO);
        assert_eq!(delay_for(ms(0), 3), Duration::from_secs(1));
        assert_eq!(delay_for(ms(-5_000), 3), Duration::from_secs(1));
        assert_eq!(delay_for(ms(400), 1), Duration::from_secs(1));
        // At most the queue's longest delay: a longer wait is a chain.
        assert_eq!(delay_for(chrono::Duration::hours(2), 0), MAX_DELAY);
        assert_eq!(
            delay_for(chrono::Duration::from_std(MAX_DELAY).unwrap() + ms(1), 0),
            MAX_DELAY
        );
    }

    #[test]
    fn a_timer_whose_offer_is_still_open_chains_whatever_the_clock_says_now() {
        // The plan was made just before the deadline (the offer is not lapsed, so it is its
        // requeue); by the time the timer is decided the deadline has passed. The decision
        // uses the plan's time: the next link, which then finds the offer due.
        let planned_at = Utc.timestamp_opt(1_714_000_000, 0).unwrap();
        let rq = Requeue {
            at: planned_at + chrono::Duration::milliseconds(300),
            timer: Timer::Lapse(id(1)),
        };
        let waiting = Plan {
            actions: vec![],
            requeue: Some(rq.clone()),
        };
        let woken = Wake::Timer {
            timer: Timer::Lapse(id(1)),
            link: 2,
        };
        assert_eq!(link_for(&woken, &waiting, planned_at), Some((rq, 3)));
    }
}
