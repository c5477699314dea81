//! The transactional outbox: cross-service effects that must not be lost (an activity credit
//! for a member when a consultation is held or a report adopted).
//!
//! A handler calls [`enqueue`] inside the same [`Db::write`] transaction as the change that
//! causes the effect, so the message exists exactly when the change does. A relay task in the
//! service process ([`spawn_relay`], started by [`crate::service::start`]) POSTs each message's
//! JSON payload to its target service with a short-lived service token, through the service's
//! [`ServiceClient`] (targets, replicas and tokens are the client's; see [`crate::client`]).
//!
//! **Delivery is at least once.** A message can reach its target more than once (a response
//! lost after the receiver committed, a relay stopped mid-request, a lease that ran out), so
//! every payload carries its own idempotency key and the receiver must record it once: for
//! activities, `source` + `source_event_id` (membership answers 201 the first time, 200 after).
//! Messages are delivered in no particular order.
//!
//! How the relay works:
//! - it polls messages that are due (`delivered_at` and `failed_at` unset, `next_attempt_at`
//!   passed), longest-due first, a small batch at a time — every `poll_interval`, and at once
//!   when a handler calls [`Notifier::notify`] after an enqueue (correctness never depends on
//!   that wake-up);
//! - it claims each message before sending it: `attempts` is bumped and `next_attempt_at` moved
//!   a lease ahead, on the condition that `attempts` is still what it read. Of several relays
//!   (replicas on PostgreSQL) exactly one changes the row; the others skip it. A relay that dies
//!   mid-delivery leaves the row to be claimed again when the lease runs out;
//! - a 2xx marks the message delivered; a connection error, timeout, 5xx, 408, 429 or 401 (the
//!   sender's token, not the message, was refused) schedules a retry with exponential backoff
//!   and jitter, capped (`max_backoff`, 10 minutes) and never given up; any other 4xx means the
//!   target refuses this message for good: it is marked `failed_at` and logged as an error.
//!   A failed message can be put back with
//!   `UPDATE kit_outbox SET failed_at = NULL, next_attempt_at = <now> WHERE id = '<id>'`.
//! - `last_error` keeps the latest failure, also once a message got through; delivered
//!   messages are deleted after [`RETENTION_DAYS`]; failed ones are kept.

use crate::client::{ServiceClient, error_chain, truncate};
use crate::db::{self, Db, DbConn};
use crate::error::{ApiError, ApiResult};
use diesel::prelude::*;
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, oneshot};

diesel::table! {
    /// `topic` holds the message's target, `<service>:<path>`.
    kit_outbox (id) {
        id -> Text,
        topic -> Text,
        payload -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        failed_at -> Nullable<Timestamp>,
    }
}

/// Delivered messages are kept this long, then deleted.
pub const RETENTION_DAYS: i64 = 7;

/// Record a message for `target` (`<service>:<path>`, e.g.
/// [`crate::contracts::MEMBERSHIP_ACTIVITIES`]) in the
/// caller's transaction, and return its id. Call it inside the [`Db::write`] that makes the
/// change the message reports, then [`Notifier::notify`] after that write commits.
///
/// The relay delivers at least once: `payload` must carry an idempotency key the receiver
/// records (for activities, `source` and `source_event_id`).
pub fn enqueue(conn: &mut DbConn, target: &str, payload: &impl Serialize) -> ApiResult<String> {
    if split_target(target).is_none() {
        return Err(ApiError::internal(anyhow::anyhow!(
            "outbox target {target:?} is not <service>:/<path>"
        )));
    }
    let body = serde_json::to_string(payload).map_err(ApiError::internal)?;
    let id = db::new_id();
    let now = db::now();
    use kit_outbox::dsl as o;
    diesel::insert_into(o::kit_outbox)
        .values((
            o::id.eq(&id),
            o::topic.eq(target),
            o::payload.eq(body),
            o::attempts.eq(0),
            o::next_attempt_at.eq(now),
            o::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

/// `membership:/internal/v1/activities` → (`membership`, `/internal/v1/activities`).
fn split_target(target: &str) -> Option<(&str, &str)> {
    let (service, path) = target.split_once(':')?;
    let service_ok = !service.is_empty()
        && service
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    (service_ok
        && path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains(char::is_whitespace))
    .then_some((service, path))
}

/// Wakes the relay after an enqueue (in app data as `web::Data<Notifier>`). Without a relay it
/// does nothing; the relay also polls, so a missed wake-up only delays a delivery.
#[derive(Debug, Clone, Default)]
pub struct Notifier(Arc<Notify>);

impl Notifier {
    pub fn notify(&self) {
        // Keeps a permit when the relay is busy, so it looks again as soon as it is done.
        self.0.notify_one();
    }
}

/// How the relay works ([`crate::service::Settings::relay`]); where it sends and with which
/// token is its [`ServiceClient`]'s.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Look for due messages this often even when nobody calls [`Notifier::notify`].
    pub poll_interval: Duration,
    /// Messages claimed and sent at a time.
    pub batch_size: i64,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// How long a claimed message is left to its relay before another may take it; longer
    /// than the request timeout.
    pub lease: Duration,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
}

impl Default for RelayConfig {
    fn default() -> RelayConfig {
        RelayConfig {
            poll_interval: Duration::from_secs(1),
            batch_size: 16,
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(10),
            lease: Duration::from_secs(60),
            max_backoff: Duration::from_secs(600),
        }
    }
}

/// Delivery outcomes since the relay started, for `/metrics`.
#[derive(Debug, Default)]
pub struct OutboxStats {
    pub delivered: std::sync::atomic::AtomicU64,
    pub retried: std::sync::atomic::AtomicU64,
    pub failed: std::sync::atomic::AtomicU64,
}

/// Messages waiting for delivery (neither delivered nor failed) and the age in seconds of the
/// oldest, for `/metrics`.
pub async fn backlog(db: &Db) -> ApiResult<(i64, Option<f64>)> {
    use kit_outbox::dsl as o;
    let (count, oldest) = db
        .read(|c| {
            let pending = o::kit_outbox
                .filter(o::delivered_at.is_null())
                .filter(o::failed_at.is_null());
            let count: i64 = pending.count().get_result(c)?;
            let oldest: Option<chrono::NaiveDateTime> =
                pending.select(diesel::dsl::min(o::created_at)).first(c)?;
            Ok((count, oldest))
        })
        .await?;
    let age = oldest.map(|t| (db::now() - t).num_milliseconds().max(0) as f64 / 1000.0);
    Ok((count, age))
}

/// A running relay. Dropping it (or [`RelayHandle::stop`]) stops the task; a delivery cut off
/// mid-request is retried after its lease.
#[derive(Debug)]
pub struct RelayHandle {
    notifier: Notifier,
    stats: Arc<OutboxStats>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RelayHandle {
    /// The wake-up handle for code that enqueues.
    pub fn notifier(&self) -> Notifier {
        self.notifier.clone()
    }

    /// Its delivery outcomes so far.
    pub fn stats(&self) -> Arc<OutboxStats> {
        self.stats.clone()
    }

    /// Stop and wait for the task to end.
    pub async fn stop(mut self) {
        drop(self.stop.take());
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Start the relay for `service` (whose database `db` is) as a tokio task, sending through
/// `client`. Fails only if its HTTP client cannot be built (a startup error).
pub fn spawn_relay(
    db: Db,
    service: &'static str,
    client: ServiceClient,
    config: RelayConfig,
) -> anyhow::Result<RelayHandle> {
    let notifier = Notifier::default();
    let (stop_tx, stop_rx) = oneshot::channel();
    // Its own HTTP client: a delivery may take longer than a synchronous check is allowed to.
    let http = crate::http_client_builder(config.connect_timeout, config.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| anyhow::anyhow!("building the outbox relay's HTTP client: {e}"))?;
    let stats = Arc::new(OutboxStats::default());
    let relay = Relay {
        db,
        service,
        client,
        http,
        config,
        notifier: notifier.clone(),
        stats: stats.clone(),
    };
    let task = tokio::spawn(relay.run(stop_rx));
    Ok(RelayHandle {
        notifier,
        stats,
        stop: Some(stop_tx),
        task: Some(task),
    })
}

struct Relay {
    db: Db,
    service: &'static str,
    config: RelayConfig,
    client: ServiceClient,
    http: reqwest::Client,
    notifier: Notifier,
    stats: Arc<OutboxStats>,
}

/// A message this relay has claimed; `attempt` is its `attempts` after the claim.
struct Claimed {
    id: String,
    target: String,
    payload: String,
    attempt: i32,
}

/// How one attempt ended.
#[derive(Debug)]
enum Outcome {
    Delivered,
    Retry { error: String, at_least: Duration },
    Failed(String),
}

/// What a response status means for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Try again later: the target is down, busy or timed out, or refused the sender's token.
    Retry,
    /// The target refuses this message; retrying cannot help.
    Permanent,
}

/// 2xx delivered; 408, 429, 401, 1xx, 3xx and 5xx retryable; any other 4xx permanent.
/// (401 is about the sender's token, which is renewed before the retry, not the message.)
pub fn classify(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered,
        401 | 408 | 429 => Verdict::Retry,
        400..=499 => Verdict::Permanent,
        _ => Verdict::Retry,
    }
}

/// The wait after the `failures`-th failed attempt: 1 s doubling each time, capped at `max`,
/// with jitter — a uniform pick (by `unit`, in [0, 1)) from the upper half, so replicas and
/// messages that failed together spread out but the wait still grows.
pub fn backoff(failures: i32, max: Duration, unit: f64) -> Duration {
    let exp = u32::try_from(failures.max(1) - 1).unwrap_or(0).min(30);
    let base = Duration::from_secs(1u64 << exp).min(max);
    base.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
}

fn random_unit() -> f64 {
    // 53 random bits from a v4 UUID: plenty for jitter, and no extra dependency.
    (uuid::Uuid::new_v4().as_u128() >> 75) as f64 / (1u64 << 53) as f64
}

fn retry_after(res: &reqwest::Response) -> Duration {
    res.headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::ZERO, Duration::from_secs)
}

impl Relay {
    async fn run(self, mut stop: oneshot::Receiver<()>) {
        tracing::debug!(service = self.service, "outbox relay started");
        let mut healthy = true;
        let mut last_cleanup: Option<Instant> = None;
        loop {
            let pass = tokio::select! {
                biased;
                _ = &mut stop => break,
                pass = self.pass(&mut last_cleanup) => pass,
            };
            let more = match pass {
                Ok(full_batch) => {
                    if !healthy {
                        tracing::info!(service = self.service, "outbox relay recovered");
                        healthy = true;
                    }
                    full_batch
                }
                Err(e) => {
                    if healthy {
                        tracing::warn!(service = self.service, error = %e, "outbox relay cannot reach its database; retrying");
                        healthy = false;
                    }
                    false
                }
            };
            if more {
                continue;
            }
            tokio::select! {
                biased;
                _ = &mut stop => break,
                _ = self.notifier.0.notified() => {}
                _ = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
        tracing::debug!(service = self.service, "outbox relay stopped");
    }

    /// One round: claim what is due, send it, record the outcomes. True when the batch was
    /// full (more may be due at once).
    async fn pass(&self, last_cleanup: &mut Option<Instant>) -> ApiResult<bool> {
        if last_cleanup.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)) {
            self.db.write(delete_old).await?;
            *last_cleanup = Some(Instant::now());
        }
        let claimed = self.claim().await?;
        if claimed.is_empty() {
            return Ok(false);
        }
        let full = claimed.len() as i64 >= self.config.batch_size;
        let outcomes =
            futures_util::future::join_all(claimed.iter().map(|m| self.deliver(m))).await;
        let now = db::now();
        let results: Vec<(String, i32, Outcome)> = claimed
            .into_iter()
            .zip(outcomes)
            .map(|(m, outcome)| {
                self.log(&m, &outcome);
                (m.id, m.attempt, outcome)
            })
            .collect();
        let max = self.config.max_backoff;
        self.db.write(move |c| record(c, now, max, results)).await?;
        Ok(full)
    }

    /// Read due messages, then claim each by bumping `attempts` from the value read: the
    /// update changes the row for exactly one of several racing relays.
    async fn claim(&self) -> ApiResult<Vec<Claimed>> {
        use kit_outbox::dsl as o;
        let limit = self.config.batch_size;
        let now = db::now();
        let mut due: Vec<(String, String, String, i32)> = self
            .db
            .read(move |c| {
                Ok(o::kit_outbox
                    .filter(o::delivered_at.is_null())
                    .filter(o::failed_at.is_null())
                    .filter(o::next_attempt_at.le(now))
                    .order((o::next_attempt_at, o::id))
                    .limit(limit)
                    .select((o::id, o::topic, o::payload, o::attempts))
                    .load(c)?)
            })
            .await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        // One lock order for every relay, so two claiming the same rows cannot deadlock.
        due.sort_by(|a, b| a.0.cmp(&b.0));
        let lease = chrono::Duration::from_std(self.config.lease)
            .unwrap_or_else(|_| chrono::Duration::seconds(60));
        self.db
            .write(move |c| {
                let until = db::now() + lease;
                let mut claimed = Vec::with_capacity(due.len());
                for (id, target, payload, attempts) in due {
                    let n = diesel::update(
                        o::kit_outbox
                            .filter(o::id.eq(&id))
                            .filter(o::attempts.eq(attempts))
                            .filter(o::delivered_at.is_null())
                            .filter(o::failed_at.is_null()),
                    )
                    .set((o::attempts.eq(attempts + 1), o::next_attempt_at.eq(until)))
                    .execute(c)?;
                    if n == 1 {
                        claimed.push(Claimed {
                            id,
                            target,
                            payload,
                            attempt: attempts + 1,
                        });
                    }
                }
                Ok(claimed)
            })
            .await
    }

    async fn deliver(&self, m: &Claimed) -> Outcome {
        let retry = |error: String| Outcome::Retry {
            error,
            at_least: Duration::ZERO,
        };
        let Some((service, path)) = split_target(&m.target) else {
            return Outcome::Failed(format!("malformed target {:?}", m.target));
        };
        let Some(base) = self
            .client
            .targets()
            .and_then(|t| t.pick(service, m.attempt))
        else {
            return retry(format!("no URL is configured for service {service}"));
        };
        let token = match self.client.token().await {
            Ok(t) => t,
            Err(e) => return retry(format!("no service token: {e}")),
        };
        let sent = self
            .http
            .post(format!("{base}{path}"))
            .bearer_auth(token)
            .header(crate::telemetry::REQUEST_ID.as_str(), m.id.as_str())
            .header("Idempotency-Key", m.id.as_str())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(m.payload.clone())
            .send()
            .await;
        let res = match sent {
            Ok(res) => res,
            Err(e) => return retry(error_chain(&e)),
        };
        let status = res.status();
        let verdict = classify(status.as_u16());
        if verdict == Verdict::Delivered {
            return Outcome::Delivered;
        }
        if status == reqwest::StatusCode::UNAUTHORIZED {
            self.client.forget_token().await;
        }
        let at_least = retry_after(&res);
        let text = res.text().await.unwrap_or_default();
        let error = format!("{base}{path} answered {status}: {}", truncate(&text));
        match verdict {
            Verdict::Permanent => Outcome::Failed(error),
            _ => Outcome::Retry { error, at_least },
        }
    }

    fn log(&self, m: &Claimed, outcome: &Outcome) {
        use std::sync::atomic::Ordering::Relaxed;
        let counter = match outcome {
            Outcome::Delivered => &self.stats.delivered,
            Outcome::Retry { .. } => &self.stats.retried,
            Outcome::Failed(_) => &self.stats.failed,
        };
        counter.fetch_add(1, Relaxed);
        match outcome {
            Outcome::Delivered => tracing::debug!(
                service = self.service, message_id = %m.id, target = %m.target, attempt = m.attempt,
                "outbox message delivered"
            ),
            Outcome::Retry { error, .. } => tracing::warn!(
                service = self.service, message_id = %m.id, target = %m.target, attempt = m.attempt,
                error = %error, "outbox delivery failed; will retry"
            ),
            Outcome::Failed(error) => tracing::error!(
                service = self.service, message_id = %m.id, target = %m.target, attempt = m.attempt,
                error = %error, "outbox message refused by its target; marked failed"
            ),
        }
    }
}

/// Write the outcomes of one round. Retries and failures only touch a row still under this
/// relay's claim (`attempts` unchanged); a delivery is recorded whoever holds the row.
fn record(
    c: &mut DbConn,
    now: chrono::NaiveDateTime,
    max: Duration,
    results: Vec<(String, i32, Outcome)>,
) -> ApiResult<()> {
    use kit_outbox::dsl as o;
    for (id, attempt, outcome) in results {
        let mine = o::kit_outbox
            .filter(o::id.eq(id.clone()))
            .filter(o::attempts.eq(attempt))
            .filter(o::delivered_at.is_null());
        match outcome {
            Outcome::Delivered => {
                diesel::update(o::kit_outbox.filter(o::id.eq(&id)))
                    .set((
                        o::delivered_at.eq(now),
                        o::failed_at.eq(None::<chrono::NaiveDateTime>),
                    ))
                    .execute(c)?;
            }
            Outcome::Retry { error, at_least } => {
                let wait = backoff(attempt, max, random_unit()).max(at_least.min(max));
                // Even a silly max_backoff must not overflow the timestamp.
                let wait = chrono::Duration::from_std(wait.min(Duration::from_secs(86_400)))
                    .unwrap_or_else(|_| chrono::Duration::days(1));
                diesel::update(mine)
                    .set((
                        o::next_attempt_at.eq(now + wait),
                        o::last_error.eq(Some(error)),
                    ))
                    .execute(c)?;
            }
            Outcome::Failed(error) => {
                diesel::update(mine)
                    .set((o::failed_at.eq(Some(now)), o::last_error.eq(Some(error))))
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

fn delete_old(c: &mut DbConn) -> ApiResult<()> {
    use kit_outbox::dsl as o;
    let before = db::now() - chrono::Duration::days(RETENTION_DAYS);
    diesel::delete(o::kit_outbox.filter(o::delivered_at.lt(before))).execute(c)?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const CAP: Duration = Duration::from_secs(600);

    #[test]
    fn backoff_doubles_within_jitter_bounds_and_is_capped() {
        for failures in 1..=40 {
            let base = Duration::from_secs(1u64 << (failures - 1).min(30)).min(CAP);
            let low = backoff(failures, CAP, 0.0);
            let high = backoff(failures, CAP, 0.999_999);
            assert_eq!(
                low,
                base / 2,
                "failure {failures}: shortest wait is half the base"
            );
            assert!(
                high <= base && high > base.mul_f64(0.99),
                "failure {failures}: {high:?}"
            );
            for _ in 0..50 {
                let d = backoff(failures, CAP, random_unit());
                assert!(d >= low && d <= base, "failure {failures}: {d:?}");
            }
        }
        assert_eq!(backoff(1, CAP, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(4, CAP, 1.0), Duration::from_secs(8));
        assert_eq!(backoff(10, CAP, 1.0), Duration::from_secs(512));
        assert_eq!(backoff(11, CAP, 1.0), CAP, "1024 s is past the cap");
        assert_eq!(backoff(11, CAP, 0.0), CAP / 2);
        assert_eq!(backoff(i32::MAX, CAP, 1.0), CAP);
        assert_eq!(backoff(0, CAP, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(-3, CAP, 0.0), Duration::from_millis(500));
        // Out-of-range randomness cannot leave the bounds.
        assert_eq!(backoff(3, CAP, 7.0), Duration::from_secs(4));
        assert_eq!(backoff(3, CAP, -1.0), Duration::from_secs(2));
    }

    #[test]
    fn random_unit_is_in_range() {
        for _ in 0..1000 {
            let u = random_unit();
            assert!((0.0..1.0).contains(&u), "{u}");
        }
    }

    #[test]
    fn permanent_and_retryable_statuses() {
        for s in [200, 201, 202, 204, 299] {
            assert_eq!(classify(s), Verdict::Delivered, "{s}");
        }
        for s in [500, 502, 503, 504, 408, 429, 401, 301, 307, 100] {
            assert_eq!(classify(s), Verdict::Retry, "{s}");
        }
        for s in [400, 403, 404, 405, 409, 410, 413, 415, 422, 499] {
            assert_eq!(classify(s), Verdict::Permanent, "{s}");
        }
    }

    #[test]
    fn targets_are_service_and_path() {
        assert_eq!(
            split_target(crate::contracts::MEMBERSHIP_ACTIVITIES),
            Some(("membership", "/internal/v1/activities"))
        );
        for bad in [
            "",
            "membership",
            "membership:",
            ":/x",
            "membership:internal",
            "Membership:/x",
            "http://host/x",
            "membership:/a b",
        ] {
            assert_eq!(split_target(bad), None, "{bad}");
        }
    }
}
