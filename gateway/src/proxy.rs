//! Forwarding `/api/v1/...` to the owning service, in phases:
//! pick the route → pick an upstream → rewrite the request → forward → filter the response.
//!
//! Bodies stream both ways, except small responses, which are read whole and answered in one
//! write. Each attempt goes to the replica with the fewest requests outstanding; one that fails
//! is skipped for a while, and one that fails repeatedly is cut off (a circuit breaker) for
//! longer.

use actix_web::body::SizedStream;
use actix_web::http::StatusCode;
use actix_web::http::header as ax;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use xs_kit::telemetry::RequestId;
use xs_kit::{ApiError, ApiResult};

/// A replica that failed an attempt (refused the connection, went silent past the attempt
/// timeout, or reset the connection) is ejected this long, unless a health check finds it
/// ready again sooner.
pub const PASSIVE_SKIP: Duration = Duration::from_secs(5);
/// Consecutive failures that open a replica's circuit...
pub const BREAKER_THRESHOLD: u32 = 5;
/// ...for this long (again: a successful health check closes it sooner).
pub const BREAKER_OPEN: Duration = Duration::from_secs(10);
/// Request bodies up to this size are buffered, so that an attempt that failed before the
/// service answered can be sent again to another replica; larger ones stream.
pub const REPLAYABLE_BODY: usize = 64 * 1024;
/// Responses that declare at most this length are read whole before they are answered (one
/// write for head and body); longer ones, and those of unknown length, stream.
pub const BUFFERED_RESPONSE: u64 = 64 * 1024;
/// A replica gets at most this many attempts per request... and a request at most this many.
const MAX_ATTEMPTS: usize = 3;

/// Headers a client may use to claim an identity; only the token says who the caller is.
const IDENTITY_PREFIXES: &[&str] = &[
    "x-user",
    "x-auth",
    "x-remote-",
    "remote-user",
    "x-caller",
    "x-role",
    "x-district",
    "x-member",
    "x-subject",
    "x-account",
    "x-consumer",
    "x-client-",
    "x-identity",
    "x-internal",
    "x-forwarded-user",
    "x-forwarded-email",
    "x-forwarded-groups",
];

// ---------------------------------------------------------------------------------------------
// Upstreams

#[derive(Default)]
struct Health {
    failures: u32,
    skip_until: Option<Instant>,
    /// The circuit is open (too many consecutive failures), as opposed to a short ejection.
    open: bool,
}

/// How a replica is doing, as `/metrics` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamState {
    /// Taking requests.
    Closed,
    /// Ejected for a while after a failed attempt.
    Ejected,
    /// Circuit open after repeated failures.
    Open,
}

/// Counters for `/metrics`.
#[derive(Default)]
pub struct UpstreamStats {
    pub attempts: AtomicU64,
    pub failures_connect: AtomicU64,
    pub failures_timeout: AtomicU64,
    pub failures_reset: AtomicU64,
    pub ejections: AtomicU64,
}

pub struct Upstream {
    pub base: String,
    /// `base` parsed once: each request's URI is these with its path and query.
    scheme: http::uri::Scheme,
    authority: http::uri::Authority,
    health: Mutex<Health>,
    /// Requests sent and not yet answered (head), for least-outstanding-requests balancing.
    outstanding: AtomicUsize,
    /// What the last active health check found (`/readyz`); ready until one says otherwise.
    ready: AtomicBool,
    pub stats: UpstreamStats,
}

/// How an attempt failed. `Connect` and `Reset` never produced a byte of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No connection: refused, unreachable, or the connect timeout. The request was not sent.
    Connect,
    /// Sent, but no response head within the attempt timeout.
    Timeout,
    /// Sent, and the connection closed or reset before any byte of the response.
    Reset,
}

impl Failure {
    fn describe(self) -> &'static str {
        match self {
            Failure::Connect => "connection failed (refused, unreachable or connect timeout)",
            Failure::Timeout => "no response within the attempt timeout",
            Failure::Reset => "connection closed or reset before any response",
        }
    }
}

/// Counts a request as outstanding on a replica while it lives.
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Upstream {
    fn new(base: &str) -> anyhow::Result<Upstream> {
        let base = base.trim_end_matches('/');
        let uri = base.parse::<http::Uri>().ok();
        let (Some(scheme), Some(authority)) = (
            uri.as_ref()
                .and_then(http::Uri::scheme)
                .filter(|s| matches!(s.as_str(), "http" | "https")),
            uri.as_ref()
                .filter(|u| matches!(u.path(), "" | "/") && u.query().is_none())
                .and_then(http::Uri::authority),
        ) else {
            anyhow::bail!("the upstream {base} is not an http(s) URL without a path");
        };
        Ok(Upstream {
            base: base.to_string(),
            scheme: scheme.clone(),
            authority: authority.clone(),
            health: Mutex::new(Health::default()),
            outstanding: AtomicUsize::new(0),
            ready: AtomicBool::new(true),
            stats: UpstreamStats::default(),
        })
    }

    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Neither ejected nor found unready by the last health check.
    fn available(&self, now: Instant) -> bool {
        self.ready.load(Ordering::Relaxed) && self.health().skip_until.is_none_or(|t| now >= t)
    }

    pub fn state(&self) -> UpstreamState {
        let h = self.health();
        match h.skip_until {
            Some(t) if Instant::now() < t && h.open => UpstreamState::Open,
            Some(t) if Instant::now() < t => UpstreamState::Ejected,
            _ => UpstreamState::Closed,
        }
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    pub fn outstanding(&self) -> usize {
        self.outstanding.load(Ordering::Relaxed)
    }

    fn begin(&self) -> InFlight<'_> {
        self.stats.attempts.fetch_add(1, Ordering::Relaxed);
        self.outstanding.fetch_add(1, Ordering::Relaxed);
        InFlight(&self.outstanding)
    }

    fn succeeded(&self) {
        let mut h = self.health();
        if h.failures > 0 || h.skip_until.is_some() {
            *h = Health::default();
        }
    }

    /// Outlier ejection: any failed attempt takes the replica out for [`PASSIVE_SKIP`];
    /// [`BREAKER_THRESHOLD`] in a row open its circuit for [`BREAKER_OPEN`].
    fn failed(&self, kind: Failure) {
        let counter = match kind {
            Failure::Connect => &self.stats.failures_connect,
            Failure::Timeout => &self.stats.failures_timeout,
            Failure::Reset => &self.stats.failures_reset,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let mut h = self.health();
        h.failures += 1;
        let was_out = h.skip_until.is_some_and(|t| now < t);
        if h.failures >= BREAKER_THRESHOLD {
            if !h.open {
                tracing::warn!(upstream = %self.base, failures = h.failures, "circuit open");
            }
            h.open = true;
            h.skip_until = Some(now + BREAKER_OPEN);
        } else {
            h.skip_until = Some(now + PASSIVE_SKIP);
        }
        if !was_out {
            self.stats.ejections.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// An active health check's verdict. Ready again closes the circuit at once: a replica
    /// that recovered is back in without waiting out its ejection.
    fn checked(&self, ready: bool) {
        let was = self.ready.swap(ready, Ordering::Relaxed);
        if ready {
            let mut h = self.health();
            if h.skip_until.is_some() {
                if h.open {
                    tracing::info!(upstream = %self.base, "ready again; circuit closed");
                }
                *h = Health::default();
            }
        } else if was {
            tracing::warn!(upstream = %self.base, "not ready; taken out of routing");
        }
    }
}

/// The replicas of one service.
pub struct ServicePool {
    pub name: String,
    pub upstreams: Vec<Upstream>,
    next: AtomicUsize,
    /// Attempts after a first failed one, for `/metrics`.
    pub retries: AtomicU64,
}

impl ServicePool {
    fn new(name: &str, bases: &[String]) -> anyhow::Result<ServicePool> {
        Ok(ServicePool {
            name: name.to_string(),
            upstreams: bases
                .iter()
                .map(|b| Upstream::new(b))
                .collect::<anyhow::Result<_>>()?,
            next: AtomicUsize::new(0),
            retries: AtomicU64::new(0),
        })
    }

    /// Least outstanding requests among the available replicas not yet `tried` (ties in
    /// round-robin order); when none is available, the untried one whose ejection ends first
    /// (better to try than to refuse outright).
    fn pick(&self, tried: &[usize]) -> Option<usize> {
        let n = self.upstreams.len();
        if n == 0 {
            return None;
        }
        let now = Instant::now();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let candidates: Vec<usize> = (0..n)
            .map(|i| (start + i) % n)
            .filter(|i| !tried.contains(i))
            .collect();
        let best = candidates
            .iter()
            .copied()
            .filter(|&i| self.upstreams[i].available(now))
            .min_by_key(|&i| self.upstreams[i].outstanding());
        if best.is_some() {
            return best;
        }
        candidates.into_iter().min_by_key(|&i| {
            let u = &self.upstreams[i];
            (u.health().skip_until, !u.is_ready(), u.outstanding())
        })
    }
}

/// The upstreams' figures for `/metrics`, labelled by service (`target`) and replica URL.
pub fn metrics_source(proxy: &Proxy) -> xs_kit::telemetry::MetricsSource {
    let pools: Vec<Arc<ServicePool>> = proxy.services.values().cloned().collect();
    Box::new(move |m| {
        let per_upstream = |f: &dyn Fn(&Upstream) -> f64| -> Vec<(Vec<(&str, String)>, f64)> {
            pools
                .iter()
                .flat_map(|p| {
                    p.upstreams.iter().map(|u| {
                        (
                            vec![("target", p.name.clone()), ("upstream", u.base.clone())],
                            f(u),
                        )
                    })
                })
                .collect()
        };
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64;
        m.family(
            "upstream_state",
            "gauge",
            "Circuit state per replica: 0 closed (taking requests), 1 ejected after a failed attempt, 2 open after repeated failures",
            &per_upstream(&|u| match u.state() {
                UpstreamState::Closed => 0.0,
                UpstreamState::Ejected => 1.0,
                UpstreamState::Open => 2.0,
            }),
        );
        m.family(
            "upstream_ready",
            "gauge",
            "1 when the last active health check (/readyz) of the replica passed",
            &per_upstream(&|u| if u.is_ready() { 1.0 } else { 0.0 }),
        );
        m.family(
            "upstream_outstanding",
            "gauge",
            "Requests sent to the replica and not yet answered",
            &per_upstream(&|u| u.outstanding() as f64),
        );
        m.family(
            "upstream_attempts_total",
            "counter",
            "Requests sent to the replica (first attempts and retries)",
            &per_upstream(&|u| load(&u.stats.attempts)),
        );
        m.family(
            "upstream_ejections_total",
            "counter",
            "Times the replica was taken out of routing after a failed attempt",
            &per_upstream(&|u| load(&u.stats.ejections)),
        );
        let failures: Vec<_> = pools
            .iter()
            .flat_map(|p| {
                p.upstreams.iter().flat_map(|u| {
                    [
                        ("connect", &u.stats.failures_connect),
                        ("timeout", &u.stats.failures_timeout),
                        ("reset", &u.stats.failures_reset),
                    ]
                    .map(|(kind, v)| {
                        (
                            vec![
                                ("target", p.name.clone()),
                                ("upstream", u.base.clone()),
                                ("kind", kind.to_string()),
                            ],
                            load(v),
                        )
                    })
                })
            })
            .collect();
        m.family(
            "upstream_failures_total",
            "counter",
            "Failed attempts by kind: connect (nothing sent), timeout (no answer in the attempt timeout), reset (closed before any answer)",
            &failures,
        );
        let retries: Vec<_> = pools
            .iter()
            .map(|p| (vec![("target", p.name.clone())], load(&p.retries)))
            .collect();
        m.family(
            "upstream_retries_total",
            "counter",
            "Attempts on another replica after a failed one",
            &retries,
        );
    })
}

/// Active health checks: every `interval`, each replica's `/readyz`; a replica that does not
/// answer 2xx within `interval` leaves routing until it does. Runs while the pools exist.
pub fn spawn_health_checks(
    proxy: &Proxy,
    interval: Duration,
) -> Option<tokio::task::JoinHandle<()>> {
    let pools: Vec<std::sync::Weak<ServicePool>> =
        proxy.services.values().map(Arc::downgrade).collect();
    if pools.is_empty() || interval.is_zero() {
        return None;
    }
    let Ok(client) = reqwest::Client::builder()
        .timeout(interval.max(Duration::from_millis(200)))
        .pool_idle_timeout(xs_kit::service::KEEP_ALIVE.saturating_sub(Duration::from_secs(1)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    else {
        tracing::warn!("no HTTP client for health checks; routing uses passive checks only");
        return None;
    };
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let live: Vec<Arc<ServicePool>> =
                pools.iter().filter_map(std::sync::Weak::upgrade).collect();
            if live.is_empty() {
                return; // the gateway stopped
            }
            let checks = live.iter().flat_map(|pool| {
                pool.upstreams.iter().map(|u| {
                    let client = client.clone();
                    async move {
                        let ok = client
                            .get(format!("{}/readyz", u.base))
                            .send()
                            .await
                            .is_ok_and(|r| r.status().is_success());
                        u.checked(ok);
                    }
                })
            });
            futures_util::future::join_all(checks).await;
        }
    }))
}

// ---------------------------------------------------------------------------------------------
// The proxy

pub struct Proxy {
    /// Prefix -> service, longest prefix first.
    routes: Vec<(String, String)>,
    pub services: HashMap<String, Arc<ServicePool>>,
    connect_timeout: Duration,
    upstream_timeout: Duration,
    attempt_timeout: Duration,
    trusted: Vec<IpAddr>,
    body_limit: usize,
    /// For https upstreams: verified against the system's roots (read once, as reqwest does).
    tls: rustls::ClientConfig,
}

/// Each HTTP worker's own clients. actix-web runs every worker on its own single-threaded
/// runtime, and a pooled connection lives on the runtime that opened it: a client shared by
/// all workers makes one worker's requests wait for another worker's runtime to get round to
/// them, which shows as a long latency tail under load. One client per worker keeps each
/// connection on the thread that uses it.
pub struct WorkerClient {
    /// Forwarding: hyper itself. reqwest, built on it, adds per request what a proxy does not
    /// need (the URL parsed again twice, redirect and retry layers, body wrappers), about a
    /// tenth of the gateway's time per forwarded request.
    forward: Forwarder,
    /// The gateway's own calls to the services (readiness, dashboards).
    pub http: reqwest::Client,
}

type Forwarder = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Outgoing,
>;

/// A request body on its way to a service.
type Outgoing = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;

impl Proxy {
    pub fn new(settings: &crate::GatewaySettings) -> anyhow::Result<Proxy> {
        let mut routes: Vec<(String, String)> = settings
            .routes
            .iter()
            .map(|(p, s)| (p.trim_matches('/').to_string(), s.clone()))
            .collect();
        routes.sort_by_key(|r| std::cmp::Reverse(r.0.len()));
        let proxy = Proxy {
            routes,
            services: settings
                .upstreams
                .iter()
                .map(|(name, bases)| Ok((name.clone(), Arc::new(ServicePool::new(name, bases)?))))
                .collect::<anyhow::Result<_>>()?,
            connect_timeout: settings.connect_timeout,
            upstream_timeout: settings.upstream_timeout,
            attempt_timeout: settings.attempt_timeout,
            trusted: settings.trusted_proxies.clone(),
            body_limit: settings.body_limit,
            tls: {
                use rustls_platform_verifier::ConfigVerifierExt;
                rustls::ClientConfig::with_platform_verifier()?
            },
        };
        proxy.new_client()?;
        Ok(proxy)
    }

    /// A client for one worker (see [`WorkerClient`]). Idle connections are dropped before the
    /// services' keep-alive closes them, so a long idle gap never yields a spurious error.
    ///
    /// The upstream timeout is a read timeout, not a deadline: it runs until the response head
    /// arrives and then restarts with every chunk of the body, so a long CSV export that keeps
    /// sending is never cut, while a service that goes silent is (a 504 before the head; after
    /// it, the streamed body is cut short).
    pub fn new_client(&self) -> anyhow::Result<WorkerClient> {
        let idle = xs_kit::service::KEEP_ALIVE.saturating_sub(Duration::from_secs(1));
        let http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.upstream_timeout)
            .pool_idle_timeout(idle)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
        connector.set_connect_timeout(Some(self.connect_timeout));
        connector.set_nodelay(true);
        connector.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(self.tls.clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let forward =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .pool_idle_timeout(idle)
                .pool_timer(hyper_util::rt::TokioTimer::new())
                .build(connector);
        Ok(WorkerClient { forward, http })
    }

    /// Whether `path` (`/api/v1/...`) belongs to a service.
    pub fn serves(&self, path: &str) -> bool {
        path.strip_prefix("/api/v1/")
            .is_some_and(|tail| self.route(tail).is_some())
    }

    /// Phase 1: which service owns `/api/v1/<tail>`.
    pub fn route(&self, tail: &str) -> Option<&str> {
        self.routes
            .iter()
            .find(|(prefix, _)| {
                tail == prefix
                    || tail
                        .strip_prefix(prefix.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .map(|(_, service)| service.as_str())
    }

    /// Phase 3: the headers the service gets.
    fn request_headers(&self, req: &HttpRequest) -> reqwest::header::HeaderMap {
        let named = connection_tokens(
            req.headers()
                .get_all(ax::CONNECTION)
                .filter_map(|v| v.to_str().ok()),
        );
        let peer = req.peer_addr().map(|a| a.ip());
        let trusted = peer.is_some_and(|p| self.trusted.contains(&p));
        let mut out = reqwest::header::HeaderMap::new();
        for (name, value) in req.headers() {
            let n = name.as_str();
            if hop_by_hop(n, &named)
                || n == "host"
                || n == "forwarded"
                || n == "x-real-ip"
                || n.starts_with("x-forwarded-")
                || n == "x-request-id"
                || IDENTITY_PREFIXES.iter().any(|p| n.starts_with(p))
            {
                continue;
            }
            put(&mut out, n, value.as_bytes(), true);
        }
        let incoming = |h: &str| -> Option<String> {
            let parts: Vec<&str> = req
                .headers()
                .get_all(h)
                .filter_map(|v| v.to_str().ok())
                .collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        };
        let xff = match (trusted.then(|| incoming("x-forwarded-for")).flatten(), peer) {
            (Some(prior), Some(ip)) => Some(format!("{prior}, {ip}")),
            (None, Some(ip)) => Some(ip.to_string()),
            (prior, None) => prior,
        };
        if let Some(xff) = xff {
            put(&mut out, "x-forwarded-for", xff.as_bytes(), false);
        }
        let proto = trusted
            .then(|| incoming("x-forwarded-proto"))
            .flatten()
            .unwrap_or_else(|| {
                if req.app_config().secure() {
                    "https"
                } else {
                    "http"
                }
                .to_string()
            });
        put(&mut out, "x-forwarded-proto", proto.as_bytes(), false);
        let host = trusted
            .then(|| incoming("x-forwarded-host"))
            .flatten()
            .or_else(|| {
                req.headers()
                    .get(ax::HOST)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            });
        if let Some(host) = host {
            put(&mut out, "x-forwarded-host", host.as_bytes(), false);
        }
        if let Some(rid) = req.extensions().get::<RequestId>() {
            put(&mut out, "x-request-id", rid.0.as_bytes(), false);
        }
        out
    }
}

fn put(map: &mut reqwest::header::HeaderMap, name: &str, value: &[u8], append: bool) {
    let (Ok(n), Ok(v)) = (
        reqwest::header::HeaderName::from_bytes(name.as_bytes()),
        reqwest::header::HeaderValue::from_bytes(value),
    ) else {
        return;
    };
    if append {
        map.append(n, v);
    } else {
        map.insert(n, v);
    }
}

/// The header names the `Connection` header values list (they apply to one hop only).
fn connection_tokens<'a>(values: impl Iterator<Item = &'a str>) -> Vec<String> {
    values
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

/// RFC 9110 §7.6.1: headers meant for one connection, never forwarded.
fn hop_by_hop(name: &str, named: &[String]) -> bool {
    matches!(
        name,
        "connection" | "keep-alive" | "te" | "trailer" | "transfer-encoding" | "upgrade"
    ) || name.starts_with("proxy-")
        || named.iter().any(|t| t == name)
}

// ---------------------------------------------------------------------------------------------
// Request bodies

type Chunk = Result<Bytes, std::io::Error>;

/// The request body, pumped from actix's (non-`Send`) payload through a channel. The channel's
/// receiver is handed to the first attempt that reads it; while none has, the body is intact
/// and the request can still be retried on another replica.
struct BodySource {
    slot: Arc<Mutex<Option<mpsc::Receiver<Chunk>>>>,
    too_large: Arc<AtomicBool>,
}

impl BodySource {
    fn pump(mut payload: web::Payload, limit: usize) -> BodySource {
        let (tx, rx) = mpsc::channel::<Chunk>(8);
        let too_large = Arc::new(AtomicBool::new(false));
        let flag = too_large.clone();
        actix_web::rt::spawn(async move {
            let mut seen = 0usize;
            while let Some(chunk) = payload.next().await {
                let item = match chunk {
                    Ok(b) => {
                        seen += b.len();
                        if seen > limit {
                            flag.store(true, Ordering::SeqCst);
                            let _ = tx
                                .send(Err(std::io::Error::other("request body too large")))
                                .await;
                            return;
                        }
                        Ok(b)
                    }
                    Err(e) => Err(std::io::Error::other(e.to_string())),
                };
                let stop = item.is_err();
                if tx.send(item).await.is_err() || stop {
                    return;
                }
            }
        });
        BodySource {
            slot: Arc::new(Mutex::new(Some(rx))),
            too_large,
        }
    }

    fn unread(&self) -> bool {
        self.slot.lock().map(|s| s.is_some()).unwrap_or(false)
    }

    fn too_large(&self) -> bool {
        self.too_large.load(Ordering::SeqCst)
    }

    fn stream(&self) -> TakeOnce {
        TakeOnce {
            slot: self.slot.clone(),
            rx: None,
        }
    }
}

struct TakeOnce {
    slot: Arc<Mutex<Option<mpsc::Receiver<Chunk>>>>,
    rx: Option<mpsc::Receiver<Chunk>>,
}

impl Stream for TakeOnce {
    type Item = Chunk;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Chunk>> {
        let this = self.get_mut();
        if this.rx.is_none() {
            this.rx = this.slot.lock().ok().and_then(|mut s| s.take());
        }
        match this.rx.as_mut() {
            Some(rx) => rx.poll_recv(cx),
            None => Poll::Ready(Some(Err(std::io::Error::other(
                "the request body was already sent",
            )))),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Forwarding

/// A failed attempt's kind (the attempt timeout is the caller's: it never reaches here).
fn classify(e: &hyper_util::client::legacy::Error) -> Failure {
    if e.is_connect() {
        Failure::Connect
    } else {
        Failure::Reset
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::PayloadTooLarge(format!("the body is larger than {limit} bytes"))
}

/// The request body: none, buffered (small, can be sent again), or streamed (large, once).
enum RequestBody {
    None,
    Buffered(Bytes),
    Streamed(BodySource),
}

impl RequestBody {
    /// The body for one attempt.
    fn outgoing(&self) -> Outgoing {
        use http_body_util::{BodyExt, Empty, Full, StreamBody};
        match self {
            RequestBody::None => Empty::new().map_err(|never| match never {}).boxed(),
            RequestBody::Buffered(b) => {
                Full::new(b.clone()).map_err(|never| match never {}).boxed()
            }
            RequestBody::Streamed(b) => BodyExt::boxed(StreamBody::new(
                b.stream().map(|chunk| chunk.map(hyper::body::Frame::data)),
            )),
        }
    }

    /// Could another attempt send it whole?
    fn resendable(&self) -> bool {
        match self {
            RequestBody::None | RequestBody::Buffered(_) => true,
            RequestBody::Streamed(b) => b.unread(),
        }
    }

    fn too_large(&self) -> bool {
        matches!(self, RequestBody::Streamed(b) if b.too_large())
    }
}

/// Read a small body whole (bounded by `limit`).
async fn buffer(mut payload: web::Payload, limit: usize) -> ApiResult<Bytes> {
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("reading the body: {e}")))?;
        if buf.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// `/api/v1/{tail}`: forward to the owning service, in named phases: admit (route and read
/// the request), then per attempt pick a peer, send, and on failure decide whether to retry;
/// finally respond.
///
/// Each attempt goes to the replica with the fewest requests outstanding among those neither
/// ejected nor found unready by the health checks, and waits at most the attempt timeout for
/// the response head (all attempts together at most the upstream timeout). A failed attempt
/// ejects its replica; the request moves to another replica when it cannot have been applied
/// twice: the connection failed (nothing was sent), or it is idempotent (GET, PUT, DELETE, ...,
/// or a write carrying an `Idempotency-Key`, which the services answer once), and its body can
/// be sent again.
pub async fn forward(
    req: HttpRequest,
    payload: web::Payload,
    proxy: web::Data<Proxy>,
    client: web::Data<WorkerClient>,
) -> ApiResult<HttpResponse> {
    let Some(mut admitted) = admit(&req, payload, &proxy).await? else {
        // The gateway's own /api/v1 resources (accounts, clients) taken with another method:
        // 405 with Allow, like every other path; anything else is 404.
        let methods = req
            .app_data::<web::Data<xs_kit::telemetry::RouteMethods>>()
            .cloned();
        return xs_kit::telemetry::not_found(req, methods).await;
    };
    let deadline = Instant::now() + proxy.upstream_timeout;
    let mut tried: Vec<usize> = Vec::with_capacity(1);
    loop {
        let idx = pick_peer(&admitted, &tried)?;
        tried.push(idx);
        let pool = admitted.pool.clone();
        let upstream = &pool.upstreams[idx];
        let budget = deadline
            .saturating_duration_since(Instant::now())
            .min(proxy.attempt_timeout);
        let last_chance = tried.len() >= MAX_ATTEMPTS.min(admitted.pool.upstreams.len());
        let (kind, error) =
            match send(&client, upstream, &mut admitted, budget, last_chance).await? {
                Ok(resp) => {
                    upstream.succeeded();
                    let head = admitted.method == reqwest::Method::HEAD;
                    let service = &admitted.pool.name;
                    return Ok(respond(resp, head, service, proxy.upstream_timeout).await);
                }
                Err(failed) => failed,
            };
        upstream.failed(kind);
        let again = !last_chance && decide_retry(&admitted, kind, deadline);
        tracing::warn!(
            service = admitted.pool.name,
            upstream = %upstream.base,
            failure = kind.describe(),
            error,
            attempt = tried.len(),
            retry = again,
            "upstream attempt failed"
        );
        if !again {
            return Err(failure_answer(&admitted.pool.name, kind));
        }
    }
}

/// A request admitted for forwarding: where it goes and what is sent.
struct Admitted {
    pool: Arc<ServicePool>,
    method: reqwest::Method,
    /// Path and query, as received.
    target: String,
    /// The rewritten request headers; taken by the last attempt, copied by earlier ones.
    headers: reqwest::header::HeaderMap,
    body: RequestBody,
    /// The body limit, for the 413 when a streamed body turns out larger.
    limit: usize,
    idempotent: bool,
}

/// Phase 1, admit: route to a service (`None`: no service owns the path), refuse paths a URL
/// parser could rewrite and bodies over the limit, rewrite the headers, read a small body.
async fn admit(
    req: &HttpRequest,
    payload: web::Payload,
    proxy: &Proxy,
) -> ApiResult<Option<Admitted>> {
    let path = req.uri().path();
    let tail = path.strip_prefix("/api/v1/").unwrap_or_default();
    if has_dot_segment(tail) {
        // The upstream URL would be normalised, `..` climbing out of /api/v1 (e.g. into a
        // service's /internal endpoints): refuse rather than rewrite.
        return Err(ApiError::NotFound(format!("no API resource at {path}")));
    }
    let Some(service) = proxy.route(tail) else {
        return Ok(None);
    };
    let pool =
        proxy.services.get(service).cloned().ok_or_else(|| {
            ApiError::Unavailable(format!("the {service} service is not configured"))
        })?;
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
        .map_err(|_| ApiError::BadRequest("unsupported method".into()))?;
    let idempotent = matches!(
        method,
        reqwest::Method::GET
            | reqwest::Method::HEAD
            | reqwest::Method::PUT
            | reqwest::Method::DELETE
            | reqwest::Method::OPTIONS
    ) || req.headers().contains_key("idempotency-key");
    let body = read_body(req, payload, proxy.body_limit).await?;
    Ok(Some(Admitted {
        pool,
        method,
        target: req
            .uri()
            .path_and_query()
            .map_or(path, |pq| pq.as_str())
            .to_string(),
        headers: proxy.request_headers(req),
        body,
        limit: proxy.body_limit,
        idempotent,
    }))
}

/// The request body: none, small enough to buffer (and so to send again), or streamed.
async fn read_body(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> ApiResult<RequestBody> {
    let declared = req
        .headers()
        .get(ax::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let chunked = req.headers().contains_key(ax::TRANSFER_ENCODING);
    Ok(match declared {
        Some(n) if n > 0 && n as usize <= REPLAYABLE_BODY && !chunked => {
            RequestBody::Buffered(buffer(payload, limit).await?)
        }
        Some(n) if n > 0 => RequestBody::Streamed(BodySource::pump(payload, limit)),
        _ if chunked => RequestBody::Streamed(BodySource::pump(payload, limit)),
        _ => RequestBody::None,
    })
}

/// Phase 2, pick a peer: the least busy replica not tried yet.
fn pick_peer(admitted: &Admitted, tried: &[usize]) -> ApiResult<usize> {
    let pool = &admitted.pool;
    let idx = pool.pick(tried).ok_or_else(|| {
        ApiError::BadGateway(format!(
            "the {} service has no reachable replica",
            pool.name
        ))
    })?;
    if !tried.is_empty() {
        pool.retries.fetch_add(1, Ordering::Relaxed);
    }
    Ok(idx)
}

/// Phase 3, send: one attempt within `budget` for the response head. The outer error ends the
/// request (the URL left the API, the body was too large); the inner one is a failed attempt.
async fn send(
    client: &WorkerClient,
    upstream: &Upstream,
    admitted: &mut Admitted,
    budget: Duration,
    last_chance: bool,
) -> ApiResult<Result<http::Response<hyper::body::Incoming>, (Failure, String)>> {
    // The path goes as received (admit refused any a parser could rewrite); it must still be
    // an API path.
    let uri = http::Uri::builder()
        .scheme(upstream.scheme.clone())
        .authority(upstream.authority.clone())
        .path_and_query(admitted.target.as_str())
        .build()
        .ok()
        .filter(|uri| uri.path().starts_with("/api/v1/"))
        .ok_or_else(|| {
            let path = admitted.target.split('?').next().unwrap_or_default();
            ApiError::NotFound(format!("no API resource at {path}"))
        })?;
    let headers = if last_chance {
        std::mem::take(&mut admitted.headers)
    } else {
        admitted.headers.clone()
    };
    let mut request = http::Request::new(admitted.body.outgoing());
    *request.method_mut() = admitted.method.clone();
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    let in_flight = upstream.begin();
    let sent = tokio::time::timeout(budget, client.forward.request(request)).await;
    drop(in_flight);
    Ok(match sent {
        Ok(Ok(resp)) => Ok(resp),
        Ok(Err(e)) => {
            if admitted.body.too_large() {
                return Err(too_large(admitted.limit));
            }
            // The error names no URL: its query may hold personal data (a name or phone).
            Err((classify(&e), error_chain(&e)))
        }
        Err(_) => Err((
            Failure::Timeout,
            format!("no response head within {} ms", budget.as_millis()),
        )),
    })
}

/// Phase 4, decide retry: only while time is left, the body can be sent again, and the request
/// cannot have been applied twice (nothing was sent, or it is idempotent).
fn decide_retry(admitted: &Admitted, kind: Failure, deadline: Instant) -> bool {
    Instant::now() < deadline
        && admitted.body.resendable()
        && (kind == Failure::Connect || admitted.idempotent)
}

/// The answer when the last attempt failed.
fn failure_answer(service: &str, kind: Failure) -> ApiError {
    match kind {
        Failure::Timeout => {
            ApiError::GatewayTimeout(format!("the {service} service did not answer in time"))
        }
        Failure::Connect => ApiError::BadGateway(format!("the {service} service is unreachable")),
        Failure::Reset => ApiError::BadGateway(format!("the {service} service failed to answer")),
    }
}

/// An error and its causes, one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A path a URL parser could turn into another path: a `.` or `..` segment, plain or
/// percent-encoded (parsers treat `%2e` as `.`), or a backslash or encoded slash (parsers of
/// http URLs treat `\` as `/`, and a service may decode `%2f`).
fn has_dot_segment(path: &str) -> bool {
    let has = |needle: &[u8]| {
        path.as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
    };
    /// `.`, `%2e`, `..`, `.%2e`, `%2e.` or `%2e%2e`, in any case: at most two dots.
    fn dots(mut s: &[u8]) -> bool {
        let mut n = 0;
        while !s.is_empty() {
            if s[0] == b'.' {
                s = &s[1..];
            } else if s.len() >= 3 && s[..3].eq_ignore_ascii_case(b"%2e") {
                s = &s[3..];
            } else {
                return false;
            }
            n += 1;
        }
        n == 1 || n == 2
    }
    path.contains('\\')
        || has(b"%5c")
        || has(b"%2f")
        || path.split('/').any(|segment| dots(segment.as_bytes()))
}

/// Phase 5, respond: the service's response minus hop-by-hop and CORS headers (the gateway answers
/// CORS itself), its body read whole when small (a 502 if the service breaks off before its
/// end), else streamed (cut short if it breaks off). `head`: answering a HEAD request, whose
/// response declares a length it does not send. `read_timeout`: the longest the service may
/// stay silent while sending the body.
async fn respond(
    resp: http::Response<hyper::body::Incoming>,
    head: bool,
    service: &str,
    read_timeout: Duration,
) -> HttpResponse {
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let named = connection_tokens(
        resp.headers()
            .get_all(http::header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    );
    let mut builder = HttpResponse::build(status);
    for (name, value) in resp.headers() {
        let n = name.as_str();
        if hop_by_hop(n, &named)
            || n == "content-length"
            || n == "date"
            || n.starts_with("access-control-")
        {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            ax::HeaderName::from_bytes(n.as_bytes()),
            ax::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            builder.append_header((n, v));
        }
    }
    if status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return builder.finish();
    }
    let length = if resp.headers().contains_key(http::header::TRANSFER_ENCODING) {
        None
    } else {
        resp.headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    let mut body = UpstreamBody {
        body: resp.into_body(),
        timeout: read_timeout,
        idle: None,
    };
    match length {
        Some(n) if n <= BUFFERED_RESPONSE && !head => match body.read_whole(n).await {
            Ok(bytes) => builder.body(bytes),
            Err(e) => {
                tracing::warn!(service, error = %e, "upstream response body failed");
                actix_web::ResponseError::error_response(&failure_answer(service, Failure::Reset))
            }
        },
        Some(n) => builder.body(SizedStream::new(n, body)),
        None => builder.streaming(body),
    }
}

/// A service's response body as a stream of chunks that fails when the service stays silent
/// for `timeout`: a read timeout, not a deadline, so a long export that keeps sending is never
/// cut while a service that hangs is.
struct UpstreamBody {
    body: hyper::body::Incoming,
    timeout: Duration,
    /// Set the first time the body is not ready; restarted by every chunk.
    idle: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl UpstreamBody {
    /// The whole body, declared `length` bytes long (not copied in the common case of a body
    /// that arrives in one chunk).
    async fn read_whole(&mut self, length: u64) -> std::io::Result<Bytes> {
        let Some(first) = self.next().await.transpose()? else {
            return Ok(Bytes::new());
        };
        if first.len() as u64 >= length {
            return Ok(first);
        }
        let mut all = bytes::BytesMut::with_capacity(usize::try_from(length).unwrap_or(0));
        all.extend_from_slice(&first);
        while let Some(chunk) = self.next().await.transpose()? {
            all.extend_from_slice(&chunk);
        }
        Ok(all.freeze())
    }
}

impl Stream for UpstreamBody {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        use hyper::body::Body;
        let this = self.get_mut();
        loop {
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    // Trailers are not passed on.
                    if let Ok(data) = frame.into_data() {
                        if let Some(idle) = this.idle.as_mut() {
                            idle.as_mut()
                                .reset(tokio::time::Instant::now() + this.timeout);
                        }
                        return Poll::Ready(Some(Ok(data)));
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    return Poll::Ready(Some(Err(std::io::Error::other(error_chain(&e)))));
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => {
                    let timeout = this.timeout;
                    let idle = this
                        .idle
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                    return match idle.as_mut().poll(cx) {
                        Poll::Ready(()) => Poll::Ready(Some(Err(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            format!("the service sent nothing for {} ms", timeout.as_millis()),
                        )))),
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_are_found_in_any_spelling() {
        for p in [
            "members/../x",
            "members/./x",
            "members/%2e%2E/x",
            "members/.%2e",
            "%2e",
            r"members/x\..\..\internal",
            "members/x%5C..",
            "members/a%2Fb",
        ] {
            assert!(has_dot_segment(p), "{p}");
        }
        for p in [
            "members/1",
            "members/a.b",
            "members/...",
            "members/%2e%2e%2e",
        ] {
            assert!(!has_dot_segment(p), "{p}");
        }
    }

    fn proxy(upstreams: &[&str]) -> Proxy {
        let mut s = crate::GatewaySettings::new(
            "127.0.0.1:0".parse().expect("addr"),
            String::new(),
            "/tmp".into(),
        );
        s.upstreams.insert(
            "membership".into(),
            upstreams.iter().map(|u| u.to_string()).collect(),
        );
        Proxy::new(&s).expect("proxy")
    }

    #[test]
    fn longest_prefix_wins() {
        let p = proxy(&["http://a"]);
        assert_eq!(p.route("members"), Some("membership"));
        assert_eq!(p.route("members/1/cards"), Some("membership"));
        assert_eq!(p.route("stats/membership/x"), Some("membership"));
        assert_eq!(p.route("stats/reports"), Some("reports"));
        assert_eq!(p.route("reports/9"), Some("reports"));
        assert_eq!(
            p.route("audit/membership/personal-data-reads"),
            Some("membership")
        );
        assert_eq!(
            p.route("audit/liaison/personal-data-reads"),
            Some("liaison")
        );
        assert_eq!(p.route("audit"), None);
        assert_eq!(p.route("stats"), None);
        assert_eq!(p.route("membersx"), None);
        assert_eq!(p.route("nothing"), None);
    }

    #[test]
    fn round_robin_skips_failed_and_opens_circuit() {
        let p = proxy(&["http://a", "http://b"]);
        let pool = &p.services["membership"];
        let picks: Vec<_> = (0..4).filter_map(|_| pool.pick(&[])).collect();
        assert_eq!(picks, vec![0, 1, 0, 1]);
        pool.upstreams[0].failed(Failure::Connect);
        assert_eq!(pool.upstreams[0].state(), UpstreamState::Ejected);
        assert!((0..4).all(|_| pool.pick(&[]) == Some(1)));
        assert_eq!(
            pool.pick(&[1]),
            Some(0),
            "fallback when only a skipped one is left"
        );
        assert_eq!(pool.pick(&[0, 1]), None, "every replica tried");
        for _ in 0..BREAKER_THRESHOLD {
            pool.upstreams[1].failed(Failure::Timeout);
        }
        assert_eq!(pool.upstreams[1].state(), UpstreamState::Open);
        assert!(
            pool.upstreams[1]
                .health()
                .skip_until
                .is_some_and(|t| t > Instant::now() + PASSIVE_SKIP)
        );
        // A health check that finds it ready lets it back in at once.
        pool.upstreams[1].checked(true);
        assert_eq!(pool.upstreams[1].state(), UpstreamState::Closed);
        assert_eq!(pool.upstreams[1].stats.ejections.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn least_outstanding_and_readiness_steer_picks() {
        let p = proxy(&["http://a", "http://b", "http://c"]);
        let pool = &p.services["membership"];
        // `a` has two requests outstanding, `b` one: new ones go to `c`, then `b`.
        let _a1 = pool.upstreams[0].begin();
        let _a2 = pool.upstreams[0].begin();
        let b1 = pool.upstreams[1].begin();
        assert!((0..3).all(|_| pool.pick(&[]) == Some(2)));
        assert_eq!(pool.pick(&[2]), Some(1));
        drop(b1);
        // An unready replica is not picked while a ready one is left.
        pool.upstreams[2].checked(false);
        assert!((0..3).all(|_| pool.pick(&[]) == Some(1)));
        pool.upstreams[1].checked(false);
        assert!((0..3).all(|_| pool.pick(&[]) == Some(0)));
        pool.upstreams[0].checked(false);
        assert!(pool.pick(&[]).is_some(), "all unready: still try one");
    }

    #[test]
    fn request_headers_are_rewritten() {
        let p = proxy(&["http://a"]);
        let req = actix_web::test::TestRequest::get()
            .uri("/api/v1/members")
            .peer_addr("198.51.100.4:5000".parse().expect("addr"))
            .insert_header(("connection", "keep-alive, X-Hop"))
            .insert_header(("x-hop", "1"))
            .insert_header(("keep-alive", "timeout=5"))
            .insert_header(("te", "trailers"))
            .insert_header(("trailer", "x-checksum"))
            .insert_header(("upgrade", "websocket"))
            .insert_header(("proxy-authorization", "Basic eA=="))
            .insert_header(("x-user-id", "admin"))
            .insert_header(("x-forwarded-for", "10.9.9.9"))
            .insert_header(("authorization", "Bearer t"))
            .insert_header(("host", "api.example"))
            .to_http_request();
        req.extensions_mut().insert(RequestId("rid-1".into()));
        let h = p.request_headers(&req);
        for gone in [
            "connection",
            "x-hop",
            "keep-alive",
            "te",
            "trailer",
            "upgrade",
            "proxy-authorization",
            "x-user-id",
            "host",
        ] {
            assert!(h.get(gone).is_none(), "{gone}");
        }
        assert_eq!(h["x-forwarded-for"], "198.51.100.4");
        assert_eq!(h["x-forwarded-host"], "api.example");
        assert_eq!(h["x-forwarded-proto"], "http");
        assert_eq!(h["x-request-id"], "rid-1");
        assert_eq!(h["authorization"], "Bearer t");
    }

    #[test]
    fn hop_by_hop_names() {
        let named = vec!["x-hop".to_string()];
        for n in [
            "connection",
            "keep-alive",
            "te",
            "trailer",
            "transfer-encoding",
            "upgrade",
            "proxy-authorization",
            "x-hop",
        ] {
            assert!(hop_by_hop(n, &named), "{n}");
        }
        assert!(!hop_by_hop("authorization", &named));
    }
}
