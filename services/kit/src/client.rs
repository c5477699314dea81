//! Calling other services: where they are ([`Targets`], one or more replica URLs per service),
//! how to authenticate ([`ServiceTokens`]: a `Role::Service` token minted locally or fetched
//! with client credentials), and [`ServiceClient`], which the outbox relay uses to deliver and
//! any handler uses for synchronous reference checks ("does member X exist, and is it in
//! district Y?").
//!
//! [`crate::service::start`] builds one `ServiceClient` per service from
//! [`crate::service::Settings::peers`] and puts it in app data (`web::Data<ServiceClient>`);
//! its relay shares it, so both use one cached token.
//!
//! A synchronous call has a connect and a read timeout, is retried once (on another replica
//! when there is one) after a connection error, a timeout or a 5xx, and its failures come back
//! as problem+json [`ApiError`]s: the other service down, slow or refusing this one → 503
//! naming it; the resource missing → `Ok(None)`, which the caller turns into its own field
//! error (`client.member(&id).await?.ok_or_else(|| ApiError::field("member", "no such member"))`).

use crate::contracts::{MemberRef, ReceptionRef, ReportRef, SuggestionRef, TopicRef, WorkroomRef};
use crate::error::{ApiError, ApiResult};
use crate::keys::SigningKey;
use crate::service::{DEFAULT_AUDIENCE, DEFAULT_ISSUER};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Service name → base URL(s), e.g. `membership` → `http://127.0.0.1:8081`. Shared: entries
/// may be set after a client is built (the whole stack learns its ports as services bind).
#[derive(Clone, Default)]
pub struct Targets(Arc<RwLock<HashMap<String, Vec<String>>>>);

impl std::fmt::Debug for Targets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.read() {
            Ok(m) => f.debug_tuple("Targets").field(&*m).finish(),
            Err(_) => f.write_str("Targets(<poisoned>)"),
        }
    }
}

impl Targets {
    pub fn new() -> Targets {
        Targets::default()
    }

    /// Set (or replace) a service's base URLs.
    pub fn set(&self, service: &str, urls: Vec<String>) {
        let urls = urls
            .into_iter()
            .map(|u| u.trim().trim_end_matches('/').to_string())
            .filter(|u| !u.is_empty())
            .collect();
        if let Ok(mut m) = self.0.write() {
            m.insert(service.to_string(), urls);
        }
    }

    /// The base URLs of a service's replicas (empty when none is configured).
    pub fn urls(&self, service: &str) -> Vec<String> {
        self.0
            .read()
            .ok()
            .and_then(|m| m.get(service).cloned())
            .unwrap_or_default()
    }

    /// The base URL for a message's `attempt` (1-based), rotating over replicas.
    pub(crate) fn pick(&self, service: &str, attempt: i32) -> Option<String> {
        let m = self.0.read().ok()?;
        let urls = m.get(service).filter(|u| !u.is_empty())?;
        let i = usize::try_from(attempt.max(1) - 1).unwrap_or(0) % urls.len();
        Some(urls[i].clone())
    }
}

/// How a service gets a bearer token with `Role::Service` for its outbound calls.
#[derive(Clone)]
pub enum ServiceTokens {
    /// The process holds the gateway's signing key (whole-stack mode): mint a 5-minute token,
    /// `sub` = `service:<name>`.
    Local(Arc<SigningKey>),
    /// One-role mode: the gateway's client-credentials grant, for a client holding `service`.
    ClientCredentials {
        token_url: String,
        client_id: String,
        client_secret: String,
    },
}

impl std::fmt::Debug for ServiceTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServiceTokens::Local(key) => f.debug_tuple("Local").field(&key.kid).finish(),
            ServiceTokens::ClientCredentials {
                token_url,
                client_id,
                ..
            } => f
                .debug_struct("ClientCredentials")
                .field("token_url", token_url)
                .field("client_id", client_id)
                .finish_non_exhaustive(),
        }
    }
}

/// Where the other services are and how to call them: what [`ServiceClient::new`] needs.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub targets: Targets,
    pub tokens: ServiceTokens,
    /// `iss` / `aud` of locally minted tokens (`service::start` sets the service's own).
    pub issuer: String,
    pub audience: String,
    pub connect_timeout: Duration,
    /// How long a synchronous call waits for an answer before the other service counts as
    /// down. (The relay has its own, longer, delivery timeout.)
    pub request_timeout: Duration,
}

impl ClientConfig {
    pub fn new(targets: Targets, tokens: ServiceTokens) -> ClientConfig {
        ClientConfig {
            targets,
            tokens,
            issuer: DEFAULT_ISSUER.into(),
            audience: DEFAULT_AUDIENCE.into(),
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
        }
    }
}

/// Lifetime of a locally minted service token.
const LOCAL_TOKEN_TTL_SECS: i64 = 300;

/// How much of an error body is kept in messages and logs.
pub(crate) const ERROR_TEXT_MAX: usize = 500;

/// Tokens for one service, cached until shortly before they expire.
struct TokenCache {
    source: ServiceTokens,
    subject: String,
    issuer: String,
    audience: String,
    cached: tokio::sync::Mutex<Option<(String, Instant)>>,
}

#[derive(serde::Deserialize)]
struct TokenGrant {
    access_token: String,
    expires_in: i64,
}

impl TokenCache {
    async fn get(&self, http: &reqwest::Client) -> Result<String, String> {
        let mut cached = self.cached.lock().await;
        if let Some((token, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let (token, ttl) = match &self.source {
            ServiceTokens::Local(key) => (self.mint(key)?, LOCAL_TOKEN_TTL_SECS),
            ServiceTokens::ClientCredentials {
                token_url,
                client_id,
                client_secret,
            } => {
                let grant = fetch(http, token_url, client_id, client_secret).await?;
                (grant.access_token, grant.expires_in)
            }
        };
        // Renew a minute early (or halfway through a short lifetime): a token must not expire
        // between being taken from the cache and being checked by the receiver.
        let margin = 60.min(ttl / 2);
        let until = Instant::now() + Duration::from_secs(u64::try_from(ttl - margin).unwrap_or(0));
        *cached = Some((token.clone(), until));
        Ok(token)
    }

    /// Drop the cached token (the receiver refused it).
    async fn forget(&self) {
        *self.cached.lock().await = None;
    }

    fn mint(&self, key: &SigningKey) -> Result<String, String> {
        let now = chrono::Utc::now().timestamp();
        let claims = crate::auth::Claims {
            sub: self.subject.clone(),
            roles: vec![crate::auth::Role::Service],
            district: None,
            member_id: None,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + LOCAL_TOKEN_TTL_SECS,
            nbf: None,
            jti: uuid::Uuid::new_v4().to_string(),
            rev: 0,
        };
        let mut header = jsonwebtoken::Header::new(crate::keys::ALGORITHM);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, &claims, &key.encoding)
            .map_err(|e| format!("signing a service token: {e}"))
    }
}

async fn fetch(
    http: &reqwest::Client,
    url: &str,
    id: &str,
    secret: &str,
) -> Result<TokenGrant, String> {
    let form = serde_urlencoded::to_string([
        ("grant_type", "client_credentials"),
        ("client_id", id),
        ("client_secret", secret),
    ])
    .map_err(|e| e.to_string())?;
    let res = http
        .post(url)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(form)
        .send()
        .await
        .map_err(|e| format!("token endpoint {url}: {}", error_chain(&e)))?;
    let status = res.status();
    if !status.is_success() {
        let text = res.text().await.unwrap_or_default();
        return Err(format!(
            "token endpoint {url} answered {status}: {}",
            truncate(&text)
        ));
    }
    res.json::<TokenGrant>()
        .await
        .map_err(|e| format!("token endpoint {url}: unreadable answer: {e}"))
}

/// Calls to other services on behalf of one service (in app data as `web::Data<ServiceClient>`).
/// Cheap to clone.
#[derive(Clone)]
pub struct ServiceClient(Arc<Inner>);

struct Inner {
    /// `None`: this service was started without peers; every call answers 503.
    config: Option<ClientConfig>,
    tokens: Option<TokenCache>,
    http: reqwest::Client,
    /// Spreads synchronous calls over replicas.
    next: AtomicUsize,
}

impl std::fmt::Debug for ServiceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceClient")
            .field("config", &self.0.config)
            .finish_non_exhaustive()
    }
}

/// How one attempt of a synchronous call ended.
enum Attempt {
    Answer(reqwest::Response),
    /// No connection could be made (refused, unreachable): worth another try at once.
    Unreachable(String),
    /// Worth another try on another replica: timed out, 5xx, no token; with what to log.
    Transient(String),
    /// The receiver refused the token: try once more with a fresh one.
    Refused(String),
}

impl ServiceClient {
    /// A client for `service` (its tokens say `service:<name>`). Fails only if the HTTP client
    /// cannot be built, which is a startup error.
    pub fn new(service: &str, config: ClientConfig) -> anyhow::Result<ServiceClient> {
        let http = crate::http_client(config.connect_timeout, config.request_timeout)?;
        let tokens = TokenCache {
            source: config.tokens.clone(),
            subject: format!("service:{service}"),
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            cached: tokio::sync::Mutex::new(None),
        };
        Ok(ServiceClient(Arc::new(Inner {
            config: Some(config),
            tokens: Some(tokens),
            http,
            next: AtomicUsize::new(0),
        })))
    }

    /// A client that knows no other service: every call is a 503 (a service started without
    /// peers, e.g. in a test of its own or in one-role mode without service credentials).
    pub fn unconfigured() -> anyhow::Result<ServiceClient> {
        Ok(ServiceClient(Arc::new(Inner {
            config: None,
            tokens: None,
            http: crate::http_client(Duration::from_secs(2), Duration::from_secs(5))?,
            next: AtomicUsize::new(0),
        })))
    }

    /// `GET <service><path>` with a service token, the answer's JSON body read as `T`.
    /// `Ok(None)` when the other service answers 404; 503 naming it when it is down, slow or
    /// refuses this service; any other unexpected answer is an internal error (logged).
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        service: &str,
        path: &str,
    ) -> ApiResult<Option<T>> {
        let Some((url, res)) = self.call(service, path, None).await? else {
            return Ok(None);
        };
        if res.status().is_success() {
            return read_json(&url, res).await.map(Some);
        }
        Err(unexpected(&url, res).await)
    }

    /// `POST <service><path>` with a service token, `body` as JSON and `idempotency_key` as the
    /// `Idempotency-Key` (so the one retry cannot apply it twice); the answer read as `T`. The
    /// other service refusing the content (400, 409, 422) comes back as a 422 or 409 carrying
    /// its detail; down, slow or refusing this service is a 503 naming it.
    pub async fn post_json<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        service: &str,
        path: &str,
        body: &B,
        idempotency_key: &str,
    ) -> ApiResult<T> {
        let body = serde_json::to_vec(body).map_err(ApiError::internal)?;
        let sent = self
            .call(service, path, Some((body, idempotency_key)))
            .await?;
        let Some((url, res)) = sent else {
            return Err(ApiError::internal(anyhow::anyhow!(
                "{service}{path} answered 404"
            )));
        };
        let status = res.status();
        if status.is_success() {
            return read_json(&url, res).await;
        }
        if matches!(status.as_u16(), 400 | 409 | 422) {
            let text = res.text().await.unwrap_or_default();
            let detail = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| {
                    let fields = v["errors"].as_array().map(|errors| {
                        errors
                            .iter()
                            .map(|e| {
                                format!(
                                    "{}: {}",
                                    e["field"].as_str().unwrap_or("?"),
                                    e["message"].as_str().unwrap_or("invalid")
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("; ")
                    });
                    fields
                        .filter(|f| !f.is_empty())
                        .or_else(|| v["detail"].as_str().map(str::to_string))
                })
                .unwrap_or_else(|| truncate(&text));
            let detail = format!("the {service} service refused it: {detail}");
            return Err(if status.as_u16() == 409 {
                ApiError::Conflict(detail)
            } else {
                ApiError::Unprocessable(detail)
            });
        }
        Err(unexpected(&url, res).await)
    }

    /// One call with one retry (on another replica when there is one). `Ok(None)` on 404;
    /// otherwise the URL that answered and its answer, which is not a 5xx, 401 or 403.
    async fn call(
        &self,
        service: &str,
        path: &str,
        post: Option<(Vec<u8>, &str)>,
    ) -> ApiResult<Option<(String, reqwest::Response)>> {
        let unavailable = || {
            ApiError::Unavailable(format!(
                "the {service} service is unavailable; try again shortly"
            ))
        };
        let (Some(config), Some(tokens)) = (&self.0.config, &self.0.tokens) else {
            tracing::warn!(target_service = service, %path, "no other services are configured");
            return Err(unavailable());
        };
        let urls = config.targets.urls(service);
        if urls.is_empty() {
            tracing::warn!(target_service = service, %path, "no URL is configured for this service");
            return Err(unavailable());
        }
        let first = self.0.next.fetch_add(1, Ordering::Relaxed) % urls.len();
        let mut last_error = String::new();
        for attempt in 0..2 {
            let base = &urls[(first + attempt) % urls.len()];
            let outcome = self.attempt(tokens, base, path, post.as_ref()).await;
            let res = match outcome {
                Attempt::Answer(res) => res,
                Attempt::Refused(e) => {
                    tokens.forget().await;
                    last_error = e;
                    continue;
                }
                Attempt::Unreachable(e) => {
                    last_error = e;
                    continue;
                }
                Attempt::Transient(e) => {
                    last_error = e;
                    // With one replica a slow or failing answer would just come twice as slowly.
                    if urls.len() == 1 {
                        break;
                    }
                    continue;
                }
            };
            let status = res.status();
            if status == reqwest::StatusCode::NOT_FOUND {
                return Ok(None);
            }
            if status == reqwest::StatusCode::FORBIDDEN {
                // This service's credentials lack the service role: a deployment error.
                let text = res.text().await.unwrap_or_default();
                tracing::error!(target_service = service, url = %format!("{base}{path}"), body = %truncate(&text), "refused this service's call (403)");
                return Err(unavailable());
            }
            return Ok(Some((format!("{base}{path}"), res)));
        }
        tracing::warn!(target_service = service, %path, error = %last_error, "call to another service failed");
        Err(unavailable())
    }

    async fn attempt(
        &self,
        tokens: &TokenCache,
        base: &str,
        path: &str,
        post: Option<&(Vec<u8>, &str)>,
    ) -> Attempt {
        let token = match tokens.get(&self.0.http).await {
            Ok(t) => t,
            Err(e) => return Attempt::Transient(format!("no service token: {e}")),
        };
        let url = format!("{base}{path}");
        let request = match post {
            None => self.0.http.get(&url),
            Some((body, key)) => self
                .0
                .http
                .post(&url)
                .header("Idempotency-Key", *key)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone()),
        };
        let sent = request
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await;
        match sent {
            Ok(res) if res.status().is_server_error() => {
                Attempt::Transient(format!("{url} answered {}", res.status()))
            }
            Ok(res) if res.status() == reqwest::StatusCode::UNAUTHORIZED => {
                Attempt::Refused(format!("{url} refused the service token (401)"))
            }
            Ok(res) => Attempt::Answer(res),
            Err(e) if e.is_connect() => Attempt::Unreachable(format!("{url}: {}", error_chain(&e))),
            Err(e) => Attempt::Transient(format!("{url}: {}", error_chain(&e))),
        }
    }

    /// A member as membership's internal endpoint shows it; `None` if there is no such member.
    pub async fn member(&self, id: &str) -> ApiResult<Option<MemberRef>> {
        match ref_path("/internal/v1/members", id) {
            Some(path) => self.get_json("membership", &path).await,
            None => Ok(None),
        }
    }

    /// A workroom as membership's internal endpoint shows it; `None` if there is none.
    pub async fn workroom(&self, id: &str) -> ApiResult<Option<WorkroomRef>> {
        match ref_path("/internal/v1/workrooms", id) {
            Some(path) => self.get_json("membership", &path).await,
            None => Ok(None),
        }
    }

    /// A report as the reports service's internal endpoint shows it; `None` if there is none.
    pub async fn report(&self, id: &str) -> ApiResult<Option<ReportRef>> {
        match ref_path("/internal/v1/reports", id) {
            Some(path) => self.get_json("reports", &path).await,
            None => Ok(None),
        }
    }

    /// A reception as the consultation service's internal endpoint shows it.
    pub async fn reception(&self, id: &str) -> ApiResult<Option<ReceptionRef>> {
        match ref_path("/internal/v1/receptions", id) {
            Some(path) => self.get_json("consultation", &path).await,
            None => Ok(None),
        }
    }

    /// A consultation topic as the consultation service's internal endpoint shows it.
    pub async fn topic(&self, id: &str) -> ApiResult<Option<TopicRef>> {
        match ref_path("/internal/v1/topics", id) {
            Some(path) => self.get_json("consultation", &path).await,
            None => Ok(None),
        }
    }

    /// A liaison-event suggestion as the liaison service's internal endpoint shows it.
    pub async fn liaison_suggestion(&self, id: &str) -> ApiResult<Option<SuggestionRef>> {
        match ref_path("/internal/v1/liaison-suggestions", id) {
            Some(path) => self.get_json("liaison", &path).await,
            None => Ok(None),
        }
    }

    /// Whether other services are configured (else every call answers 503 and no relay runs).
    pub fn is_configured(&self) -> bool {
        self.0.config.is_some()
    }

    /// For the relay: the configured targets, if any.
    pub(crate) fn targets(&self) -> Option<&Targets> {
        self.0.config.as_ref().map(|c| &c.targets)
    }

    /// For the relay: a service token (cached).
    pub(crate) async fn token(&self) -> Result<String, String> {
        match &self.0.tokens {
            Some(t) => t.get(&self.0.http).await,
            None => Err("no service credentials are configured".into()),
        }
    }

    /// For the relay: the receiver refused the token; fetch a new one next time.
    pub(crate) async fn forget_token(&self) {
        if let Some(t) = &self.0.tokens {
            t.forget().await;
        }
    }
}

async fn read_json<T: DeserializeOwned>(url: &str, res: reqwest::Response) -> ApiResult<T> {
    res.json::<T>()
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("{url}: unreadable answer: {e}")))
}

async fn unexpected(url: &str, res: reqwest::Response) -> ApiError {
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    ApiError::internal(anyhow::anyhow!(
        "{url} answered {status}: {}",
        truncate(&text)
    ))
}

/// `<prefix>/<id>` with the id percent-encoded, so an id taken from a request cannot change
/// the path; `None` for ids no resource can have (empty, `.`, `..`: URL parsers resolve dot
/// segments, even percent-encoded ones).
fn ref_path(prefix: &str, id: &str) -> Option<String> {
    let id = id.trim();
    (!matches!(id, "" | "." | "..")).then(|| format!("{prefix}/{}", path_segment(id)))
}

/// Percent-encode one path segment.
fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(crate) fn truncate(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(ERROR_TEXT_MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_rotate_over_replicas() {
        let t = Targets::new();
        assert_eq!(t.pick("membership", 1), None);
        t.set("membership", vec!["http://a/".into(), " http://b ".into()]);
        assert_eq!(t.pick("membership", 1).as_deref(), Some("http://a"));
        assert_eq!(t.pick("membership", 2).as_deref(), Some("http://b"));
        assert_eq!(t.pick("membership", 3).as_deref(), Some("http://a"));
        assert_eq!(t.pick("membership", 0).as_deref(), Some("http://a"));
        assert_eq!(t.urls("membership"), ["http://a", "http://b"]);
        t.set("reports", vec![]);
        assert_eq!(t.pick("reports", 1), None);
        assert!(t.urls("reports").is_empty());
        assert!(t.urls("liaison").is_empty());
    }

    #[test]
    fn long_error_texts_are_cut() {
        let long = "错".repeat(2000);
        let cut = truncate(&long);
        assert_eq!(cut.chars().count(), ERROR_TEXT_MAX + 1);
        assert_eq!(truncate("  short  "), "short");
    }

    #[test]
    fn ids_cannot_escape_their_path_segment() {
        assert_eq!(path_segment("0190-ab_c.d~"), "0190-ab_c.d~");
        assert_eq!(path_segment("../x?y=1#z"), "..%2Fx%3Fy%3D1%23z");
        assert_eq!(path_segment("a b"), "a%20b");
        assert_eq!(path_segment("委"), "%E5%A7%94");
        assert_eq!(ref_path("/m", " 42 ").as_deref(), Some("/m/42"));
        for bad in ["", " ", ".", ".."] {
            assert_eq!(ref_path("/m", bad), None, "{bad:?}");
        }
    }
}
