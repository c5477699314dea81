//! Delivering events to webhook subscriptions, at least once.
//!
//! One task in the gateway, two steps per round (every [`Dispatcher`] poll interval):
//!
//! 1. **Fan-in.** Read the merged events feed ([`crate::events::fetch`]) after the cursor kept
//!    in `gw_webhook_feed`; in one transaction, write a delivery (`gw_webhook_deliveries`) for
//!    every enabled subscription whose types and district match each event, and move the
//!    cursor — on the condition that it is still what was read, so of several gateway replicas
//!    exactly one does it. The feed misses and repeats nothing (see `xs_kit::events`), and a
//!    delivery is unique per subscription and event, so every event reaches every matching
//!    subscription's queue exactly once.
//! 2. **Delivery.** Claim due deliveries (bump `attempts` from the value read, as the outbox
//!    relay does), POST each with the Standard Webhooks headers, record the attempt. 2xx:
//!    delivered. 410 Gone: the subscription is disabled (the receiver asked us to stop) and the
//!    delivery failed. Anything else (no connection, timeout, 3xx, 4xx, 5xx): retried with
//!    exponential backoff and jitter (1 s doubling, at most 12 h between attempts) until three
//!    days after the event, then failed. A receiver that is down for an hour gets every event
//!    when it is back, each at its next attempt; `redeliver` makes one due at once.

use super::guard::{self, AllowList, GuardedResolver};
use super::{deliveries_t as d, feed_t, webhooks_t as w};
use crate::events::{self, Cursor, FeedEvent};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::sync::Arc;
use std::time::{Duration, Instant};
use xs_kit::client::ServiceClient;
use xs_kit::db::{self, Db, DbConn};
use xs_kit::{ApiError, ApiResult};

/// Deliveries are retried until this long after they were created.
pub const GIVE_UP_AFTER: chrono::TimeDelta = chrono::TimeDelta::days(3);
/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(12 * 3600);
/// How long a claimed delivery is left to its sender before another may take it.
const LEASE: chrono::TimeDelta = chrono::TimeDelta::seconds(60);
const BATCH: i64 = 32;
const FEED_PAGE: i64 = 200;

/// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` with the secret's key bytes
/// (the base64 after `whsec_`), as Standard Webhooks 1.0 defines it.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .ok()?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, &key);
    let tag = hmac::sign(&key, format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!("v1,{}", STANDARD.encode(tag.as_ref())))
}

/// A new secret: `whsec_` and the base64 of 32 random bytes.
pub fn new_secret() -> ApiResult<String> {
    let mut key = [0u8; 32];
    aws_lc_rs::rand::fill(&mut key)
        .map_err(|_| ApiError::internal(anyhow::anyhow!("no randomness")))?;
    Ok(format!("whsec_{}", STANDARD.encode(key)))
}

/// The running dispatcher; dropping it stops the task.
pub struct Dispatcher {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start the dispatcher: reads the feed through `client`, delivers with its own HTTP client
/// whose resolver enforces `allow`.
pub fn spawn(
    db: Db,
    client: ServiceClient,
    allow: Arc<AllowList>,
    poll: Duration,
    wake: Arc<tokio::sync::Notify>,
) -> anyhow::Result<Dispatcher> {
    let http = xs_kit::http_client_builder(Duration::from_secs(5), Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(GuardedResolver(allow.clone()))
        .build()
        .map_err(|e| anyhow::anyhow!("building the webhook client: {e}"))?;
    let worker = Worker {
        db,
        client,
        http,
        allow,
    };
    let task = tokio::spawn(async move {
        let mut healthy = true;
        loop {
            let started = Instant::now();
            match worker.round().await {
                Ok(busy) => {
                    healthy = true;
                    if busy {
                        continue;
                    }
                }
                Err(e) => {
                    if healthy {
                        tracing::warn!(error = %e, "webhook dispatcher: a round failed; retrying");
                    }
                    healthy = false;
                }
            }
            let wait = poll.saturating_sub(started.elapsed());
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    });
    Ok(Dispatcher { task })
}

struct Worker {
    db: Db,
    client: ServiceClient,
    http: reqwest::Client,
    allow: Arc<AllowList>,
}

/// A subscription as the dispatcher matches it.
#[derive(Debug, Clone, Queryable)]
struct Target {
    id: String,
    event_types: String,
    district: Option<String>,
}

fn matches(t: &Target, e: &FeedEvent) -> bool {
    let types: Vec<String> = serde_json::from_str(&t.event_types).unwrap_or_default();
    (types.is_empty() || types.contains(&e.event.event_type))
        && t.district
            .as_deref()
            .is_none_or(|d| e.event.district.as_deref() == Some(d))
}

struct Claimed {
    id: String,
    webhook_id: String,
    payload: String,
    created_at: NaiveDateTime,
    attempt: i32,
}

enum Outcome {
    Delivered(u16),
    Gone,
    Retry(Option<u16>, String),
}

impl Worker {
    /// One round; true when there may be more to do at once.
    async fn round(&self) -> ApiResult<bool> {
        let more_events = self.fan_in().await?;
        let more_deliveries = self.deliver_due().await?;
        Ok(more_events || more_deliveries)
    }

    async fn fan_in(&self) -> ApiResult<bool> {
        let read: String = self
            .db
            .read(|c| Ok(feed_t::table.find("feed").select(feed_t::cursor).first(c)?))
            .await?;
        let cursor = Cursor::decode(&read).unwrap_or_default();
        let page = events::fetch(&self.client, cursor, &[], None, FEED_PAGE).await?;
        if page.items.is_empty() && page.next_cursor == read {
            return Ok(false);
        }
        let more = page.has_more;
        self.db
            .write(move |c| {
                let moved = diesel::update(
                    feed_t::table
                        .filter(feed_t::id.eq("feed"))
                        .filter(feed_t::cursor.eq(&read)),
                )
                .set(feed_t::cursor.eq(&page.next_cursor))
                .execute(c)?;
                if moved == 0 {
                    // Another replica took this page.
                    return Ok(());
                }
                let targets: Vec<Target> = w::table
                    .filter(w::enabled.eq(true))
                    .select((w::id, w::event_types, w::district))
                    .load(c)?;
                let now = db::now();
                for e in &page.items {
                    let body = serde_json::to_string(e).map_err(ApiError::internal)?;
                    for t in targets.iter().filter(|t| matches(t, e)) {
                        diesel::insert_into(d::table)
                            .values((
                                d::id.eq(format!("msg_{}", uuid::Uuid::now_v7().simple())),
                                d::webhook_id.eq(&t.id),
                                d::event_id.eq(&e.event.id),
                                d::event_type.eq(&e.event.event_type),
                                d::payload.eq(&body),
                                d::status.eq("pending"),
                                d::attempts.eq(0),
                                d::next_attempt_at.eq(now),
                                d::created_at.eq(now),
                            ))
                            .execute(c)?;
                    }
                }
                Ok(())
            })
            .await?;
        Ok(more)
    }

    async fn deliver_due(&self) -> ApiResult<bool> {
        let claimed = self.claim().await?;
        if claimed.is_empty() {
            return Ok(false);
        }
        let full = claimed.len() as i64 >= BATCH;
        let results = futures_util::future::join_all(claimed.into_iter().map(|m| async move {
            let started = Instant::now();
            let target: Option<(String, String, bool)> = {
                let id = m.webhook_id.clone();
                self.db
                    .read(move |c| {
                        Ok(w::table
                            .find(id)
                            .select((w::url, w::secret, w::enabled))
                            .first(c)
                            .optional()?)
                    })
                    .await
                    .ok()
                    .flatten()
            };
            let outcome = match target {
                None => None,
                // A disabled subscription's deliveries wait (enabling it again sends them).
                Some((_, _, false)) => None,
                Some((url, secret, true)) => Some(self.send(&m, &url, &secret).await),
            };
            (m, outcome, started.elapsed())
        }))
        .await;
        self.db
            .write(move |c| {
                for (m, outcome, took) in results {
                    record(c, &m, outcome, took)?;
                }
                Ok(())
            })
            .await?;
        Ok(full)
    }

    async fn claim(&self) -> ApiResult<Vec<Claimed>> {
        let now = db::now();
        let due: Vec<(String, String, String, NaiveDateTime, i32)> = self
            .db
            .read(move |c| {
                Ok(d::table
                    .filter(d::status.eq("pending"))
                    .filter(d::next_attempt_at.le(now))
                    .order((d::next_attempt_at, d::id))
                    .limit(BATCH)
                    .select((d::id, d::webhook_id, d::payload, d::created_at, d::attempts))
                    .load(c)?)
            })
            .await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        self.db
            .write(move |c| {
                let until = db::now() + LEASE;
                let mut out = Vec::new();
                for (id, webhook_id, payload, created_at, attempts) in due {
                    let n = diesel::update(
                        d::table
                            .filter(d::id.eq(&id))
                            .filter(d::attempts.eq(attempts))
                            .filter(d::status.eq("pending")),
                    )
                    .set((d::attempts.eq(attempts + 1), d::next_attempt_at.eq(until)))
                    .execute(c)?;
                    if n == 1 {
                        out.push(Claimed {
                            id,
                            webhook_id,
                            payload,
                            created_at,
                            attempt: attempts + 1,
                        });
                    }
                }
                Ok(out)
            })
            .await
    }

    async fn send(&self, m: &Claimed, url: &str, secret: &str) -> Outcome {
        // The URL again, now: the resolver guards names; literal addresses are checked here.
        if let Err(why) = guard::check(url, &self.allow).await {
            return Outcome::Retry(None, format!("refused: the URL {why}"));
        }
        let timestamp = chrono::Utc::now().timestamp();
        let Some(signature) = sign(secret, &m.id, timestamp, &m.payload) else {
            return Outcome::Retry(None, "the subscription's secret is malformed".into());
        };
        let sent = self
            .http
            .post(url)
            .header("webhook-id", &m.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::USER_AGENT, "Xieshang-Webhooks/1")
            .body(m.payload.clone())
            .send()
            .await;
        match sent {
            Err(e) => Outcome::Retry(None, xs_kit::client::error_chain(&e)),
            Ok(res) => {
                let status = res.status().as_u16();
                match status {
                    200..=299 => Outcome::Delivered(status),
                    410 => Outcome::Gone,
                    _ => Outcome::Retry(Some(status), format!("the receiver answered {status}")),
                }
            }
        }
    }
}

/// Record one attempt and its consequence.
fn record(c: &mut DbConn, m: &Claimed, outcome: Option<Outcome>, took: Duration) -> ApiResult<()> {
    let now = db::now();
    let mine = d::table
        .filter(d::id.eq(&m.id))
        .filter(d::attempts.eq(m.attempt))
        .filter(d::status.eq("pending"));
    let Some(outcome) = outcome else {
        // Not sent (subscription disabled or gone): give the attempt back, look again later.
        diesel::update(mine)
            .set((
                d::attempts.eq(m.attempt - 1),
                d::next_attempt_at.eq(now + chrono::TimeDelta::seconds(60)),
            ))
            .execute(c)?;
        return Ok(());
    };
    let (status, error) = match &outcome {
        Outcome::Delivered(s) => (Some(i32::from(*s)), None),
        Outcome::Gone => (
            Some(410),
            Some("the receiver answered 410 Gone".to_string()),
        ),
        Outcome::Retry(s, e) => (s.map(i32::from), Some(e.clone())),
    };
    diesel::insert_into(super::attempts_t::table)
        .values((
            super::attempts_t::id.eq(db::new_id()),
            super::attempts_t::delivery_id.eq(&m.id),
            super::attempts_t::attempted_at.eq(now),
            super::attempts_t::response_status.eq(status),
            super::attempts_t::error.eq(&error),
            super::attempts_t::duration_ms.eq(took.as_millis() as i64),
        ))
        .execute(c)?;
    match outcome {
        Outcome::Delivered(_) => {
            diesel::update(d::table.filter(d::id.eq(&m.id)))
                .set((
                    d::status.eq("delivered"),
                    d::delivered_at.eq(Some(now)),
                    d::last_status.eq(status),
                    d::last_error.eq(None::<String>),
                ))
                .execute(c)?;
        }
        Outcome::Gone => {
            diesel::update(mine)
                .set((
                    d::status.eq("failed"),
                    d::failed_at.eq(Some(now)),
                    d::last_status.eq(status),
                    d::last_error.eq(&error),
                ))
                .execute(c)?;
            diesel::update(w::table.find(&m.webhook_id))
                .set((
                    w::enabled.eq(false),
                    w::disabled_reason.eq(Some(
                        "the receiver answered 410 Gone; enable it again with PATCH",
                    )),
                    w::updated_at.eq(now),
                    w::updated_by.eq("webhook-dispatcher"),
                    w::version.eq(w::version + 1),
                ))
                .execute(c)?;
        }
        Outcome::Retry(..) => {
            let wait = xs_kit::outbox::backoff(m.attempt, MAX_BACKOFF, jitter());
            let next =
                now + chrono::TimeDelta::from_std(wait).unwrap_or(chrono::TimeDelta::hours(1));
            if next > m.created_at + GIVE_UP_AFTER {
                diesel::update(mine)
                    .set((
                        d::status.eq("failed"),
                        d::failed_at.eq(Some(now)),
                        d::last_status.eq(status),
                        d::last_error.eq(&error),
                    ))
                    .execute(c)?;
            } else {
                diesel::update(mine)
                    .set((
                        d::next_attempt_at.eq(next),
                        d::last_status.eq(status),
                        d::last_error.eq(&error),
                    ))
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

fn jitter() -> f64 {
    (uuid::Uuid::new_v4().as_u128() >> 75) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_webhooks_example_signature() {
        // The example of the Standard Webhooks specification (and its reference libraries).
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, id, 1614265330, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_are_whsec_and_32_bytes() {
        let s = new_secret().unwrap();
        let key = STANDARD.decode(s.strip_prefix("whsec_").unwrap()).unwrap();
        assert_eq!(key.len(), 32);
        assert_ne!(new_secret().unwrap(), s);
    }
}
