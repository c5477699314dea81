//! Logs, request ids, metrics and health: the same on every service and on the gateway.

use crate::db::Db;
use crate::error::{ApiError, PROBLEM_JSON, Problem};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use futures_util::future::{Ready, ready};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Install the global subscriber once; later calls (tests, whole-stack mode) are no-ops.
pub fn init(filter: &str, format: LogFormat) {
    init_with_writer(filter, format, std::io::stdout);
}

/// [`init`] with log lines going to `writer` instead of stdout (tests read them back this way).
/// Returns whether this call installed the subscriber.
pub fn init_with_writer<W>(filter: &str, format: LogFormat, writer: W) -> bool
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{EnvFilter, Layer, Registry, layer::SubscriberExt};
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_target(false);
    let lines: Box<dyn Layer<Registry> + Send + Sync> = match format {
        LogFormat::Json => lines
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
        LogFormat::Pretty => lines.compact().boxed(),
    };
    let subscriber = Registry::default()
        .with(lines.with_filter(HideHttpRefusals))
        .with(filter);
    subscriber.try_init().is_ok()
}

/// Leaves out actix-http's ERROR line for a request head it refused: the server logs those as
/// client errors itself (`crate::server`).
struct HideHttpRefusals;

impl<S> tracing_subscriber::layer::Filter<S> for HideHttpRefusals {
    fn enabled(
        &self,
        _: &tracing::Metadata<'_>,
        _: &tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        true
    }

    fn event_enabled(
        &self,
        event: &tracing::Event<'_>,
        _: &tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        !crate::server::is_refusal_log(event)
    }
}

/// Share of successful requests that get an access log line, in millionths (failures are
/// always logged). Set once at start by [`set_access_log`].
static ACCESS_LOG_PPM: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1_000_000);
static ACCESS_LOG_SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Log this share (0.0 to 1.0) of successful requests: 1 logs all (the default), 0 none, 0.01
/// one in a hundred. 5xx answers are logged whatever the share.
pub fn set_access_log(share: f64) {
    let ppm = (share.clamp(0.0, 1.0) * 1_000_000.0).round() as u32;
    ACCESS_LOG_PPM.store(ppm, std::sync::atomic::Ordering::Relaxed);
}

fn access_logged() -> bool {
    use std::sync::atomic::Ordering::Relaxed;
    let ppm = u64::from(ACCESS_LOG_PPM.load(Relaxed));
    if ppm >= 1_000_000 {
        return true;
    }
    if ppm == 0 {
        return false;
    }
    // Every n-th request, deterministic and cheap: n = 1 / share.
    let every = (1_000_000 / ppm).max(1);
    ACCESS_LOG_SEQ.fetch_add(1, Relaxed).is_multiple_of(every)
}

/// The request's id: the client's `X-Request-Id` when sane, else a new one.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl FromRequest for RequestId {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(req
            .extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId(new_request_id()))))
    }
}

/// A new request id: a version-4 UUID in simple form. Its bits come from a per-thread
/// generator seeded once from the operating system, not a system call per request: an id must
/// be unique, not secret.
pub fn new_request_id() -> String {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new(uuid::Uuid::new_v4().as_u64_pair().0);
    }
    // wyrand: 64 random bits per step, full period over the 64-bit state.
    let next = || {
        STATE.with(|s| {
            let x = s.get().wrapping_add(0xa076_1d64_78bd_642f);
            s.set(x);
            let t = u128::from(x) * u128::from(x ^ 0xe703_7ed1_a0b4_28db);
            ((t >> 64) as u64) ^ (t as u64)
        })
    };
    let bits = (u128::from(next()) << 64) | u128::from(next());
    uuid::Builder::from_random_bytes(bits.to_be_bytes())
        .into_uuid()
        .simple()
        .to_string()
}

/// Up to 128 characters of `[A-Za-z0-9._:-]`: safe to log and to pass on.
pub fn sane_request_id(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 128
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// Renders more metric families into the `/metrics` text (pool, outbox, upstreams).
pub type MetricsSource = Box<dyn Fn(&mut MetricsText) + Send + Sync>;

/// Request count and latency by route pattern and status, for Prometheus; plus whatever the
/// [`MetricsSource`]s added report when scraped.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    service: String,
    sources: std::sync::RwLock<Vec<MetricsSource>>,
}

/// Prometheus text for metric families computed at scrape time: every sample gets the
/// `service` label, like the registry's own.
pub struct MetricsText {
    out: String,
    service: String,
}

impl MetricsText {
    /// One family: `# HELP`, `# TYPE` and its samples (`labels` as name/value pairs).
    pub fn family(
        &mut self,
        name: &str,
        kind: &str,
        help: &str,
        samples: &[(Vec<(&str, String)>, f64)],
    ) {
        use std::fmt::Write;
        let _ = writeln!(self.out, "# HELP xieshang_{name} {help}");
        let _ = writeln!(self.out, "# TYPE xieshang_{name} {kind}");
        for (labels, value) in samples {
            let mut l = format!("service=\"{}\"", escape_label(&self.service));
            for (k, v) in labels {
                let _ = write!(l, ",{k}=\"{}\"", escape_label(v));
            }
            let _ = writeln!(self.out, "xieshang_{name}{{{l}}} {value}");
        }
    }
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    pub fn new(service: &str) -> Metrics {
        let registry = Registry::new_custom(
            Some("xieshang".into()),
            Some(
                [("service".to_string(), service.to_string())]
                    .into_iter()
                    .collect(),
            ),
        )
        .unwrap_or_default();
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by route and status"),
            &["method", "route", "status"],
        )
        .expect("static metric definition");
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    10.0,
                ],
            ),
            &["method", "route", "status"],
        )
        .expect("static metric definition");
        let _ = registry.register(Box::new(requests.clone()));
        let _ = registry.register(Box::new(latency.clone()));
        Metrics {
            registry,
            requests,
            latency,
            service: service.to_string(),
            sources: std::sync::RwLock::new(Vec::new()),
        }
    }

    /// Add families computed at scrape time.
    pub fn add_source(&self, source: MetricsSource) {
        if let Ok(mut s) = self.sources.write() {
            s.push(source);
        }
    }

    /// Count one request: `status` is the three-digit code.
    pub fn observe(&self, method: &str, route: &str, status: &str, elapsed: Duration) {
        let labels = [method, route, status];
        self.requests.with_label_values(&labels).inc();
        self.latency
            .with_label_values(&labels)
            .observe(elapsed.as_secs_f64());
    }

    pub fn render(&self) -> String {
        self.render_with(|_| {})
    }

    /// [`Metrics::render`] plus families computed by the caller (e.g. with a database query).
    pub fn render_with(&self, extra: impl FnOnce(&mut MetricsText)) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        let mut text = MetricsText {
            out: String::from_utf8(buf).unwrap_or_default(),
            service: self.service.clone(),
        };
        if let Ok(sources) = self.sources.read() {
            for source in sources.iter() {
                source(&mut text);
            }
        }
        extra(&mut text);
        text.out
    }

    /// The database pool's figures: connections in use, idle, requests waiting for one, the
    /// size limit, and whether the database is known to be down.
    pub fn add_pool(&self, db: &Db) {
        let db = db.clone();
        self.add_source(Box::new(move |m| {
            let s = db.pool_stats();
            let g = |v: f64| vec![(Vec::new(), v)];
            m.family(
                "db_pool_in_use",
                "gauge",
                "Database connections in use",
                &g(s.in_use.into()),
            );
            m.family(
                "db_pool_idle",
                "gauge",
                "Database connections open and idle",
                &g(s.idle.into()),
            );
            m.family(
                "db_pool_waiting",
                "gauge",
                "Requests waiting for a database connection",
                &g(s.waiting as f64),
            );
            m.family(
                "db_pool_max",
                "gauge",
                "Database pool size limit",
                &g(s.max_size.into()),
            );
            m.family(
                "db_down",
                "gauge",
                "1 while the database is known to be down (requests answer 503 at once)",
                &g(if s.down { 1.0 } else { 0.0 }),
            );
        }));
    }
}

/// The middleware every app wraps: request id in and out, a span around the request, metrics,
/// and every error answered as problem+json (with `instance` and `request_id` filled in), even
/// when it came from actix-web itself.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let rid = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane_request_id(v))
        .map(str::to_owned)
        .unwrap_or_else(new_request_id);
    req.extensions_mut().insert(RequestId(rid.clone()));
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let routes = req.app_data::<web::Data<RouteMethods>>().cloned();
    let method = req.method().clone();
    // The path as logged: a client may send personal data where an id belongs. (Masked only
    // when the span is recorded: span fields are not evaluated when the level is off.)
    let span = tracing::info_span!(
        "request",
        request_id = %rid,
        method = %method,
        path = %crate::mask::request_path(req.path())
    );
    let started = Instant::now();
    let res = next.call(req).instrument(span.clone()).await?;
    let mut res = res.map_into_boxed_body();
    let status = res.status();
    let route: std::borrow::Cow<'_, str> = match routes
        .as_ref()
        .and_then(|r| r.template(res.request().path()))
    {
        Some(template) => template.into(),
        None => res
            .request()
            .match_pattern()
            .map_or("unmatched".into(), Into::into),
    };
    let elapsed = started.elapsed();
    if let Some(m) = metrics {
        m.observe(method.as_str(), &route, status.as_str(), elapsed);
    }
    if let Ok(v) = HeaderValue::from_str(&rid) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    let ms = elapsed.as_secs_f64() * 1000.0;
    if status.is_server_error() {
        tracing::warn!(parent: &span, status = status.as_u16(), ms, route = &*route, "request failed");
    } else if access_logged() {
        tracing::info!(parent: &span, status = status.as_u16(), ms, route = &*route, "request");
    }
    // An encoded body cannot be read here; the kit's own apps compress outside this middleware.
    if (status.is_client_error() || status.is_server_error())
        && !res.headers().contains_key(header::CONTENT_ENCODING)
    {
        res = as_problem(res, &rid).await;
    }
    Ok(res)
}

/// Error bodies that are JSON by contract (an OAuth 2.0 token error, a readiness report) stay
/// as written; problem+json gets `instance` and `request_id`; anything else (plain text, HTML,
/// empty) becomes a problem.
fn error_body_kind(res: &ServiceResponse<BoxBody>) -> ErrorBody {
    match res
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.as_bytes())
    {
        Some(ct) if ct.starts_with(PROBLEM_JSON.as_bytes()) => ErrorBody::Problem,
        Some(ct) if ct.starts_with(b"application/json") => ErrorBody::Contract,
        _ => ErrorBody::Other,
    }
}

#[derive(PartialEq)]
enum ErrorBody {
    Problem,
    Contract,
    Other,
}

async fn as_problem(res: ServiceResponse<BoxBody>, rid: &str) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let kind = error_body_kind(&res);
    if kind == ErrorBody::Contract {
        return res;
    }
    let is_problem = kind == ErrorBody::Problem;
    let (req, res) = res.into_parts();
    let (head, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body).await.unwrap_or_default();
    let parsed = if is_problem {
        serde_json::from_slice::<Problem>(&bytes).ok()
    } else {
        None
    };
    let mut problem = parsed.unwrap_or_else(|| {
        let text = String::from_utf8_lossy(&bytes).trim().to_string();
        Problem {
            type_: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: (!text.is_empty() && text.len() < 500 && !text.starts_with('<'))
                .then_some(text),
            instance: None,
            errors: Vec::new(),
            allowed_actions: None,
            request_id: None,
        }
    });
    problem.instance = Some(req.path().to_string());
    problem.request_id = Some(rid.to_string());
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut res = head.set_body(BoxBody::new(body));
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    res.headers_mut().remove(header::CONTENT_LENGTH);
    ServiceResponse::new(req, res)
}

/// `GET /healthz`: the process is alive.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// `GET /readyz`: the database answers within a second, and the server is not stopping.
pub async fn readyz(
    db: web::Data<Db>,
    draining: Option<web::Data<crate::service::Draining>>,
) -> Result<HttpResponse, ApiError> {
    if draining.is_some_and(|d| d.is_draining()) {
        return Err(ApiError::Unavailable("stopping".into()));
    }
    db.ping(Duration::from_secs(1)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ready", "database": "ok"})))
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(m: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(m.render())
}

/// Unmatched requests: 405 problem+json with `Allow` when the path is served with other
/// methods (per [`RouteMethods`] in app data), else 404 problem+json.
pub async fn not_found(
    req: HttpRequest,
    methods: Option<web::Data<RouteMethods>>,
) -> Result<HttpResponse, ApiError> {
    let method = req.method().as_str();
    if let Some(methods) = methods {
        let allow = methods.allowed(req.path());
        if !allow.is_empty() && !allow.iter().any(|m| m == method) {
            return Err(ApiError::MethodNotAllowed {
                detail: format!("{} does not take {method}", req.path()),
                allow,
            });
        }
    }
    Err(ApiError::NotFound(format!(
        "no route for {method} {}",
        req.path()
    )))
}

/// Which methods each path template of an app answers, for the 405's `Allow`: the
/// operations of its API document plus the routes it serves outside it.
#[derive(Debug, Clone, Default)]
pub struct RouteMethods(std::sync::Arc<Table>);

/// The routes, and an index by segment count and resource segment (the fourth, as in
/// `/api/v1/districts/...`; `{}` for templates with a parameter there), so that a lookup
/// compares a handful of templates rather than all of them.
#[derive(Debug, Default)]
struct Table {
    routes: Vec<Route>,
    index: HashMap<usize, HashMap<String, Vec<usize>>>,
}

const RESOURCE_SEGMENT: usize = 3;
const ANY_RESOURCE: &str = "{}";

fn is_param(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

#[derive(Debug)]
struct Route {
    template: String,
    segments: Vec<String>,
    methods: Vec<String>,
}

impl RouteMethods {
    /// `extra`: (path, method) pairs served but not documented (`/healthz`, GET).
    pub fn new(doc: &utoipa::openapi::OpenApi, extra: &[(&str, &str)]) -> RouteMethods {
        let mut table: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (path, item) in &doc.paths.paths {
            let operations = [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("OPTIONS", &item.options),
                ("HEAD", &item.head),
                ("PATCH", &item.patch),
                ("TRACE", &item.trace),
            ];
            table.entry(path.clone()).or_default().extend(
                operations
                    .into_iter()
                    .filter(|(_, op)| op.is_some())
                    .map(|(m, _)| m.to_string()),
            );
        }
        for (path, method) in extra {
            table
                .entry((*path).to_string())
                .or_default()
                .push(method.to_ascii_uppercase());
        }
        let routes: Vec<Route> = table
            .into_iter()
            .map(|(template, mut methods)| {
                methods.sort();
                methods.dedup();
                Route {
                    segments: template.split('/').map(str::to_string).collect(),
                    template,
                    methods,
                }
            })
            .collect();
        let mut index: HashMap<usize, HashMap<String, Vec<usize>>> = HashMap::new();
        for (i, r) in routes.iter().enumerate() {
            let key = match r.segments.get(RESOURCE_SEGMENT) {
                Some(s) if is_param(s) => ANY_RESOURCE,
                Some(s) => s.as_str(),
                None => "",
            };
            index
                .entry(r.segments.len())
                .or_default()
                .entry(key.to_string())
                .or_default()
                .push(i);
        }
        RouteMethods(std::sync::Arc::new(Table { routes, index }))
    }

    /// The methods of the template `path` matches; empty when none.
    pub fn allowed(&self, path: &str) -> Vec<String> {
        self.matching(path)
            .map(|r| r.methods.clone())
            .unwrap_or_default()
    }

    /// The path template `path` matches, as the API document writes it: the `route` label of
    /// the request metrics. Cheaper than asking the router again (`match_pattern` runs every
    /// route's regular expression once more), and at the gateway it names the service's
    /// operation rather than the proxy's catch-all.
    pub fn template(&self, path: &str) -> Option<&str> {
        self.matching(path).map(|r| r.template.as_str())
    }

    /// The template `path` matches (`{name}` matches one non-empty segment; of several, the
    /// one with most literal segments, as routing picks it).
    fn matching(&self, path: &str) -> Option<&Route> {
        let n = path.split('/').count();
        let by_resource = self.0.index.get(&n)?;
        let resource = path.split('/').nth(RESOURCE_SEGMENT).unwrap_or("");
        let candidates = [resource, ANY_RESOURCE]
            .into_iter()
            .filter_map(|key| by_resource.get(key))
            .flatten()
            .map(|&i| &self.0.routes[i]);
        candidates
            .filter_map(|r| {
                let mut literal = 0;
                for (t, s) in r.segments.iter().zip(path.split('/')) {
                    if t == s {
                        literal += 1;
                    } else if !is_param(t) || s.is_empty() {
                        return None;
                    }
                }
                Some((literal, r))
            })
            .max_by_key(|(literal, _)| *literal)
            .map(|(_, r)| r)
    }
}
