//! Limits the gateway enforces before anything reaches a service: request rates per caller,
//! login and registration attempts, and which browser origins may call (CORS).

use crate::store::Redis;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use xs_kit::ApiError;

pub const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
pub const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
pub const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// Entries beyond this (per shard) make the next check sweep out windows that have ended.
const SWEEP_ABOVE: usize = 10_000;
/// In-process rate windows are split over this many locks by key, so callers with different
/// keys rarely wait for each other.
const SHARDS: usize = 16;

/// A fixed-window counter per key, exact under concurrency. With Redis (`XS_REDIS_URL`) the
/// windows are shared by every gateway replica (one atomic script per check); without it, or
/// while Redis is down, they are per process: one mutex per shard guards every count of its
/// keys, so of N concurrent requests against a limit L exactly L pass.
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    shards: Vec<Mutex<Windows>>,
    shared: Option<Arc<Redis>>,
}

struct Windows {
    by_key: HashMap<String, Window>,
    /// Ended windows are swept at most once a window, so a flood of keys never makes every
    /// check scan the whole table.
    last_sweep: Instant,
}

struct Window {
    start: Instant,
    count: u32,
}

/// The outcome of one check, with what the `RateLimit-*` headers report.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset_secs: u64,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> RateLimiter {
        RateLimiter {
            limit,
            window,
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Windows {
                        by_key: HashMap::new(),
                        last_sweep: Instant::now(),
                    })
                })
                .collect(),
            shared: None,
        }
    }

    /// Share the windows through Redis.
    pub fn shared(mut self, redis: Option<Arc<Redis>>) -> RateLimiter {
        self.shared = redis;
        self
    }

    /// Count one request against `key`: on Redis when it is configured and answers, else in
    /// this process.
    pub async fn check(&self, key: &str) -> Decision {
        if let Some(redis) = &self.shared
            && let Some((count, left_ms)) = redis.rate_hit(key, self.window).await
        {
            let limit = u64::from(self.limit);
            return Decision {
                allowed: count <= limit,
                limit: self.limit,
                remaining: (limit - count.min(limit)) as u32,
                reset_secs: left_ms.div_ceil(1000).max(1),
            };
        }
        self.check_local(key)
    }

    fn shard(&self, key: &str) -> &Mutex<Windows> {
        let mut h = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(key, &mut h);
        &self.shards[(std::hash::Hasher::finish(&h) as usize) % self.shards.len()]
    }

    /// The in-process window.
    pub fn check_local(&self, key: &str) -> Decision {
        let now = Instant::now();
        let mut guard = self.shard(key).lock().unwrap_or_else(|p| p.into_inner());
        let windows = &mut *guard;
        if windows.by_key.len() > SWEEP_ABOVE
            && now.duration_since(windows.last_sweep) >= self.window
        {
            let window = self.window;
            windows
                .by_key
                .retain(|_, w| now.duration_since(w.start) < window);
            windows.last_sweep = now;
        }
        let w = match windows.by_key.get_mut(key) {
            Some(w) => w,
            None => windows.by_key.entry(key.to_string()).or_insert(Window {
                start: now,
                count: 0,
            }),
        };
        if now.duration_since(w.start) >= self.window {
            *w = Window {
                start: now,
                count: 0,
            };
        }
        let left = self.window.saturating_sub(now.duration_since(w.start));
        let reset_secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        let allowed = w.count < self.limit;
        if allowed {
            w.count += 1;
        }
        Decision {
            allowed,
            limit: self.limit,
            remaining: self.limit - w.count,
            reset_secs: reset_secs.max(1),
        }
    }
}

impl Decision {
    pub fn apply(&self, headers: &mut HeaderMap) {
        for (name, value) in [
            (RATELIMIT_LIMIT, u64::from(self.limit)),
            (RATELIMIT_REMAINING, u64::from(self.remaining)),
            (RATELIMIT_RESET, self.reset_secs),
        ] {
            headers.insert(name, HeaderValue::from(value));
        }
    }

    pub fn refusal(&self) -> ApiError {
        ApiError::TooManyRequests {
            detail: format!(
                "more than {} requests a minute; retry in {} s",
                self.limit, self.reset_secs
            ),
            retry_after_secs: self.reset_secs,
        }
    }
}

/// Counts events (failed logins, registrations) per key over a sliding period and refuses
/// once `max` happened within it. With Redis the log is shared by every gateway replica
/// (a sorted set per key, changed by one atomic script); without it, or while Redis is down,
/// it is per process.
pub struct AttemptLimiter {
    /// Names the counter on Redis (`login`, `login-ip`, `register`).
    kind: &'static str,
    max: usize,
    period: Duration,
    events: Mutex<Attempts>,
    shared: Option<Arc<Redis>>,
}

struct Attempts {
    by_key: HashMap<String, VecDeque<Instant>>,
    last_sweep: Instant,
}

impl AttemptLimiter {
    pub fn new(kind: &'static str, max: usize, period: Duration) -> AttemptLimiter {
        AttemptLimiter {
            kind,
            max,
            period,
            events: Mutex::new(Attempts {
                by_key: HashMap::new(),
                last_sweep: Instant::now(),
            }),
            shared: None,
        }
    }

    /// Share the attempts through Redis.
    pub fn shared(mut self, redis: Option<Arc<Redis>>) -> AttemptLimiter {
        self.shared = redis;
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Attempts> {
        self.events.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Seconds to wait when `q` has used up its attempts (dropping those that expired).
    fn wait(&self, q: &mut VecDeque<Instant>, now: Instant) -> Option<u64> {
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.period)
        {
            q.pop_front();
        }
        (q.len() >= self.max).then(|| {
            let oldest = q.front().copied().unwrap_or(now);
            self.period
                .saturating_sub(now.duration_since(oldest))
                .as_secs()
                .max(1)
        })
    }

    /// `Some(seconds to wait)` when `key` has used up its attempts.
    pub async fn blocked(&self, key: &str) -> Option<u64> {
        if let Some(redis) = &self.shared
            && let Some(r) = redis
                .attempt(self.kind, key, self.max, self.period, false)
                .await
        {
            return r.err();
        }
        let now = Instant::now();
        let mut events = self.lock();
        let q = events.by_key.get_mut(key)?;
        self.wait(q, now)
    }

    /// Check and count in one step (one atomic script on Redis, else under one lock): of
    /// concurrent attempts, no more than the limit get through. `Err(seconds to wait)` when
    /// refused.
    pub async fn hit(&self, key: &str) -> Result<(), u64> {
        if let Some(redis) = &self.shared
            && let Some(r) = redis
                .attempt(self.kind, key, self.max, self.period, true)
                .await
        {
            return r;
        }
        self.hit_local(key)
    }

    fn hit_local(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut guard = self.lock();
        let events = &mut *guard;
        if events.by_key.len() > SWEEP_ABOVE && now.duration_since(events.last_sweep) >= self.period
        {
            let period = self.period;
            events
                .by_key
                .retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < period));
            events.last_sweep = now;
        }
        let q = events.by_key.entry(key.to_string()).or_default();
        if let Some(wait) = self.wait(q, now) {
            return Err(wait);
        }
        q.push_back(now);
        Ok(())
    }

    /// Give back the latest attempt counted for `key` (it turned out not to be a failure).
    pub async fn forget_one(&self, key: &str) {
        if let Some(redis) = &self.shared
            && redis.attempt_forget_one(self.kind, key).await.is_some()
        {
            return;
        }
        if let Some(q) = self.lock().by_key.get_mut(key) {
            q.pop_back();
        }
    }

    pub async fn clear(&self, key: &str) {
        if let Some(redis) = &self.shared
            && redis.attempt_clear(self.kind, key).await.is_some()
        {
            return;
        }
        self.lock().by_key.remove(key);
    }
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the nearest address
/// in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let chain: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for hop in chain.iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return Some(ip),
            Err(_) => break,
        }
    }
    Some(peer)
}

/// Which browser origins may call the API.
pub struct CorsPolicy {
    origins: Vec<String>,
}

const CORS_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
const CORS_HEADERS: &str =
    "authorization, content-type, if-match, if-none-match, idempotency-key, x-request-id";
const CORS_EXPOSE: &str = "etag, location, x-request-id, retry-after, ratelimit-limit, ratelimit-remaining, ratelimit-reset, idempotent-replayed";

impl CorsPolicy {
    pub fn new(origins: &[String]) -> CorsPolicy {
        CorsPolicy {
            origins: origins
                .iter()
                .map(|o| o.trim_end_matches('/').to_string())
                .collect(),
        }
    }

    pub fn allows(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == "*" || o == origin)
    }
}

/// CORS with an allow-list: preflights are answered here; other responses to an allowed
/// origin carry `Access-Control-Allow-Origin`. Services' own CORS headers never pass.
pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let policy = req.app_data::<web::Data<CorsPolicy>>().cloned();
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (Some(policy), Some(origin)) = (policy, origin) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let allowed = policy.allows(&origin);
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let res = if allowed {
            HttpResponse::NoContent()
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, CORS_METHODS))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, CORS_HEADERS))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
                .finish()
        } else {
            ApiError::Forbidden(format!("origin {origin} may not call this API")).error_response()
        };
        let mut res = req.into_response(res);
        if allowed {
            allow_origin(res.headers_mut(), &origin);
        }
        return Ok(res);
    }
    let mut res = next.call(req).await?.map_into_boxed_body();
    if allowed {
        allow_origin(res.headers_mut(), &origin);
        res.headers_mut().insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(CORS_EXPOSE),
        );
    }
    Ok(res)
}

fn allow_origin(headers: &mut HeaderMap, origin: &str) {
    if let Ok(v) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    headers.append(header::VARY, HeaderValue::from_static("origin"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_window_counts_exactly() {
        let l = RateLimiter::new(3, Duration::from_secs(60));
        let results: Vec<bool> = (0..5).map(|_| l.check_local("a").allowed).collect();
        assert_eq!(results, vec![true, true, true, false, false]);
        assert!(l.check_local("b").allowed);
        let d = l.check_local("a");
        assert_eq!((d.limit, d.remaining), (3, 0));
        assert!(d.reset_secs >= 1 && d.reset_secs <= 60);
    }

    #[actix_web::test]
    async fn attempts_block_after_max() {
        let l = AttemptLimiter::new("test", 2, Duration::from_secs(60));
        assert!(l.hit("k").await.is_ok());
        assert!(l.hit("k").await.is_ok());
        assert!(l.hit("k").await.is_err());
        assert!(l.blocked("k").await.is_some());
        l.clear("k").await;
        assert!(l.blocked("k").await.is_none());
    }
}
