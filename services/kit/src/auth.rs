//! Who is calling: every service verifies the gateway's access token itself (defence in
//! depth), so a request that bypasses the gateway gets no further.
//!
//! The algorithm comes from the key, never from the token: a key published as RS256 only ever
//! verifies RS256 signatures, which rules out `alg: none` and HMAC-with-the-public-key tricks.

use crate::error::{ApiError, ApiResult};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use utoipa::ToSchema;

/// Clock skew tolerated on `exp`/`nbf`.
pub const LEEWAY_SECS: u64 = 30;
/// An unknown `kid` triggers a JWKS refetch at most this often.
const REFETCH_INTERVAL: Duration = Duration::from_secs(10);
/// After a failed fetch, the next is tried no sooner than this.
const RETRY_FAILED_FETCH: Duration = Duration::from_secs(1);
/// Tokens remembered as verified by default (`XS_VERIFIED_TOKENS`): more than a city's app
/// users send in one access-token lifetime. About 1 KB each at most.
pub const DEFAULT_VERIFIED_TOKENS: usize = 65_536;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    OfficeStaff,
    Coordinator,
    Member,
    Resident,
    Integrator,
    Dashboard,
    /// Another Xieshang service calling an internal endpoint.
    Service,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::OfficeStaff,
        Role::Coordinator,
        Role::Member,
        Role::Resident,
        Role::Integrator,
        Role::Dashboard,
        Role::Service,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::OfficeStaff => "office_staff",
            Role::Coordinator => "coordinator",
            Role::Member => "member",
            Role::Resident => "resident",
            Role::Integrator => "integrator",
            Role::Dashboard => "dashboard",
            Role::Service => "service",
        }
    }
}

/// The access token's claims, as the gateway issues them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub roles: Vec<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub jti: String,
    /// The account's revocation epoch when the token was signed (see [`crate::revocation`]);
    /// absent means 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rev: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// The verified caller, handed to handlers.
#[derive(Debug, Clone)]
pub struct Caller {
    pub sub: String,
    pub roles: Vec<Role>,
    pub district: Option<String>,
    pub member_id: Option<String>,
    pub token_id: String,
}

impl From<Claims> for Caller {
    fn from(c: Claims) -> Self {
        Caller {
            sub: c.sub,
            roles: c.roles,
            district: c.district,
            member_id: c.member_id,
            token_id: c.jti,
        }
    }
}

/// From remembered claims: copies only what a caller is, not the issuer and audience.
impl From<&Claims> for Caller {
    fn from(c: &Claims) -> Self {
        Caller {
            sub: c.sub.clone(),
            roles: c.roles.clone(),
            district: c.district.clone(),
            member_id: c.member_id.clone(),
            token_id: c.jti.clone(),
        }
    }
}

impl Caller {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has(*r))
    }

    /// 403 unless the caller holds one of `roles`.
    pub fn require_any(&self, roles: &[Role]) -> ApiResult<()> {
        if self.has_any(roles) {
            Ok(())
        } else {
            let names: Vec<_> = roles.iter().map(|r| r.as_str()).collect();
            Err(ApiError::Forbidden(format!(
                "this needs one of the roles: {}",
                names.join(", ")
            )))
        }
    }

    /// Admins and services act across districts; everyone else within their own district.
    pub fn is_citywide(&self) -> bool {
        self.has_any(&[Role::Admin, Role::Service])
    }

    /// Does the caller's scope cover `district`?
    pub fn covers_district(&self, district: &str) -> bool {
        self.is_citywide() || self.district.as_deref() == Some(district)
    }

    /// 403 unless the caller's scope covers `district`.
    pub fn require_district(&self, district: &str) -> ApiResult<()> {
        if self.covers_district(district) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "your scope does not cover district {district}"
            )))
        }
    }
}

/// Where the verifier finds public keys.
#[derive(Clone)]
pub enum KeySource {
    /// The gateway's JWKS endpoint, fetched and cached; refetched (bounded) on an unknown kid.
    Url(String),
    /// A fixed set, e.g. read from a file at start.
    Static(JwkSet),
    /// Keys held by the same process (whole-stack mode and tests).
    Shared(Arc<dyn Fn() -> JwkSet + Send + Sync>),
}

struct VerifyingKey {
    alg: Algorithm,
    key: DecodingKey,
}

pub struct Verifier {
    source: KeySource,
    issuer: String,
    audience: String,
    keys: RwLock<HashMap<String, Arc<VerifyingKey>>>,
    /// Held across a fetch, so that concurrent requests with an unknown key id wait for the
    /// one fetch in flight instead of failing (or each fetching): when it succeeded and
    /// whether. `None` before the first.
    fetch: tokio::sync::Mutex<Option<(Instant, bool)>>,
    http: reqwest::Client,
    /// Exact token strings already verified, with their claims. A signature check is most of
    /// what verification costs and a client sends the same token many times; keying on the whole
    /// token means a token that differs in any byte is verified afresh.
    verified: VerifiedTokens,
}

/// A bounded memory of verified tokens that evicts the least recently used half instead of
/// starting over when full: per shard, a young and an old generation of at most `capacity /
/// shards / 2` each; a hit in the old one moves the token to the young one, and when the young
/// one is full it becomes the old one (the previous old one, tokens not seen since, is dropped).
/// Never stale: an entry vouches for a token only while it is unexpired, and the whole memory
/// is dropped when the key set changes. Revocation is checked after it, on every request.
pub struct VerifiedTokens {
    shards: Box<[Mutex<Generations>]>,
    per_generation: usize,
}

#[derive(Default)]
struct Generations {
    young: HashMap<Box<str>, Arc<Claims>>,
    old: HashMap<Box<str>, Arc<Claims>>,
}

impl VerifiedTokens {
    /// Room for up to `capacity` tokens (`0`: remember none).
    pub fn new(capacity: usize) -> VerifiedTokens {
        let shards = if capacity >= 4096 { 16 } else { 1 };
        VerifiedTokens {
            shards: (0..shards).map(|_| Mutex::default()).collect(),
            per_generation: capacity / shards / 2
                + usize::from(!capacity.is_multiple_of(shards * 2)),
        }
    }

    fn shard(&self, token: &str) -> std::sync::MutexGuard<'_, Generations> {
        // The signature's last bytes are as good as random, and cheaper than hashing it all.
        let h = token.as_bytes().iter().rev().take(8).fold(0usize, |h, b| {
            h.wrapping_mul(31).wrapping_add(usize::from(*b))
        });
        self.shards[h % self.shards.len()]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, token: &str) -> Option<Arc<Claims>> {
        if self.per_generation == 0 {
            return None;
        }
        let mut g = self.shard(token);
        if let Some(c) = g.young.get(token) {
            return Some(c.clone());
        }
        let (key, claims) = g.old.remove_entry(token)?;
        g.promote(key, claims.clone(), self.per_generation);
        Some(claims)
    }

    pub fn insert(&self, token: &str, claims: Arc<Claims>) {
        if self.per_generation == 0 {
            return;
        }
        self.shard(token)
            .promote(token.into(), claims, self.per_generation);
    }

    /// How many tokens are remembered.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let g = s.lock().unwrap_or_else(|p| p.into_inner());
                g.young.len() + g.old.len()
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most this memory holds.
    pub fn capacity(&self) -> usize {
        self.shards.len() * self.per_generation * 2
    }

    pub fn clear(&self) {
        for s in self.shards.iter() {
            *s.lock().unwrap_or_else(|p| p.into_inner()) = Generations::default();
        }
    }
}

impl Generations {
    fn promote(&mut self, key: Box<str>, claims: Arc<Claims>, per_generation: usize) {
        if self.young.len() >= per_generation && !self.young.contains_key(&key) {
            self.old = std::mem::take(&mut self.young);
            self.old.remove(&key);
        }
        self.young.insert(key, claims);
    }
}

impl Verifier {
    /// Panics if the HTTP client for fetching keys cannot be built (its TLS backend failed
    /// to start): that happens at startup or never, and a client without timeouts is worse.
    pub fn new(source: KeySource, issuer: &str, audience: &str) -> Verifier {
        Verifier::remembering(source, issuer, audience, DEFAULT_VERIFIED_TOKENS)
    }

    /// A verifier that remembers up to `verified_tokens` verified tokens (see [`VerifiedTokens`]).
    pub fn remembering(
        source: KeySource,
        issuer: &str,
        audience: &str,
        verified_tokens: usize,
    ) -> Verifier {
        let v = Verifier {
            source,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            keys: RwLock::new(HashMap::new()),
            fetch: tokio::sync::Mutex::new(None),
            http: crate::http_client(Duration::from_secs(2), Duration::from_secs(5))
                .unwrap_or_else(|e| panic!("building the token verifier's HTTP client: {e}")),
            verified: VerifiedTokens::new(verified_tokens),
        };
        if let KeySource::Static(set) = &v.source {
            v.install(set);
        }
        v
    }

    /// Replace the keys by `set` (a holder whose key set changed pushes it here).
    pub fn install(&self, set: &JwkSet) {
        let mut map = HashMap::new();
        for jwk in &set.keys {
            let (Some(kid), Some(alg)) = (jwk.common.key_id.clone(), algorithm_of(jwk)) else {
                continue;
            };
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => {
                    map.insert(kid, Arc::new(VerifyingKey { alg, key }));
                }
                Err(e) => tracing::warn!(kid, error = %e, "ignoring unusable JWK"),
            }
        }
        if let Ok(mut keys) = self.keys.write() {
            *keys = map;
        }
        // A key that left the set must stop vouching for tokens it signed.
        self.verified.clear();
    }

    /// The memory of verified tokens.
    pub fn verified(&self) -> &VerifiedTokens {
        &self.verified
    }

    fn cached(&self, kid: &str) -> Option<Arc<VerifyingKey>> {
        self.keys.read().ok().and_then(|k| k.get(kid).cloned())
    }

    /// Fetch the keys because `kid` is unknown: one fetch at a time; whoever waited for it
    /// finds the key installed. Bounded: no sooner than [`REFETCH_INTERVAL`] after a fetch
    /// (so unknown key ids cannot make us hammer the gateway), [`RETRY_FAILED_FETCH`] after
    /// a failed one.
    async fn refresh(&self, kid: &str) -> ApiResult<()> {
        let mut last = self.fetch.lock().await;
        if self.cached(kid).is_some() {
            return Ok(()); // the fetch we waited for brought it
        }
        if let Some((at, ok)) = *last {
            let wait = if ok {
                REFETCH_INTERVAL
            } else {
                RETRY_FAILED_FETCH
            };
            if at.elapsed() < wait {
                return if ok {
                    Ok(())
                } else {
                    Err(ApiError::Unavailable("token keys unavailable".into()))
                };
            }
        }
        let fetched = self.fetch_set().await;
        *last = Some((Instant::now(), fetched.is_ok()));
        if let Some(set) = fetched? {
            self.install(&set);
        }
        Ok(())
    }

    async fn fetch_set(&self) -> ApiResult<Option<JwkSet>> {
        let set = match &self.source {
            KeySource::Static(_) => return Ok(None),
            KeySource::Shared(f) => f(),
            KeySource::Url(url) => {
                let res = self.http.get(url).send().await.map_err(|e| {
                    tracing::warn!(error = %e, url, "fetching JWKS failed");
                    ApiError::Unavailable("token keys unavailable".into())
                })?;
                res.error_for_status()
                    .map_err(|e| ApiError::Unavailable(format!("token keys unavailable: {e}")))?
                    .json::<JwkSet>()
                    .await
                    .map_err(|e| ApiError::Unavailable(format!("token keys unreadable: {e}")))?
            }
        };
        Ok(Some(set))
    }

    /// Verify a compact JWS and return its claims.
    pub async fn verify(&self, token: &str) -> ApiResult<Claims> {
        self.verify_shared(token).await.map(Arc::unwrap_or_clone)
    }

    /// [`Verifier::verify`], sharing the remembered claims instead of copying them.
    pub async fn verify_shared(&self, token: &str) -> ApiResult<Arc<Claims>> {
        if let Some(claims) = self.verified.get(token) {
            if chrono::Utc::now().timestamp() <= claims.exp + LEEWAY_SECS as i64 {
                return Ok(claims);
            }
            return Err(ApiError::Unauthorized("invalid token: expired".into()));
        }
        let claims = Arc::new(self.verify_signed(token).await?);
        self.verified.insert(token, claims.clone());
        Ok(claims)
    }

    async fn verify_signed(&self, token: &str) -> ApiResult<Claims> {
        let unauthorized = |why: &str| ApiError::Unauthorized(format!("invalid token: {why}"));
        let header = jsonwebtoken::decode_header(token).map_err(|_| unauthorized("malformed"))?;
        let kid = header.kid.ok_or_else(|| unauthorized("no key id"))?;
        let key = match self.cached(&kid) {
            Some(k) => k,
            None => {
                self.refresh(&kid).await?;
                self.cached(&kid)
                    .ok_or_else(|| unauthorized("unknown key id"))?
            }
        };
        if header.alg != key.alg {
            return Err(unauthorized("algorithm does not match the key"));
        }
        let mut validation = Validation::new(key.alg);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &key.key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            match e.kind() {
                K::ExpiredSignature => unauthorized("expired"),
                K::ImmatureSignature => unauthorized("not yet valid"),
                K::InvalidIssuer => unauthorized("wrong issuer"),
                K::InvalidAudience => unauthorized("wrong audience"),
                K::MissingRequiredClaim(c) => unauthorized(&format!("missing claim {c}")),
                K::InvalidSignature => unauthorized("bad signature"),
                _ => unauthorized("rejected"),
            }
        })?;
        Ok(data.claims)
    }
}

/// The algorithm a JWK is for: its `alg`, or what its key type implies.
fn algorithm_of(jwk: &jsonwebtoken::jwk::Jwk) -> Option<Algorithm> {
    match (&jwk.common.key_algorithm, &jwk.algorithm) {
        (Some(KeyAlgorithm::RS256), AlgorithmParameters::RSA(_)) => Some(Algorithm::RS256),
        (Some(KeyAlgorithm::ES256), AlgorithmParameters::EllipticCurve(_)) => {
            Some(Algorithm::ES256)
        }
        (None, AlgorithmParameters::RSA(_)) => Some(Algorithm::RS256),
        (None, AlgorithmParameters::EllipticCurve(_)) => Some(Algorithm::ES256),
        // Symmetric keys are never accepted for verification.
        _ => None,
    }
}

/// The bearer token from `Authorization`, if well-formed.
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(actix_web::http::header::AUTHORIZATION)?;
    let value = value.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verifier = req.app_data::<web::Data<Verifier>>().cloned();
        let revocations = req
            .app_data::<web::Data<crate::revocation::Revocations>>()
            .cloned();
        let token = bearer(req).map(str::to_owned);
        Box::pin(async move {
            let verifier = verifier.ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("no token verifier configured"))
            })?;
            let token = token.ok_or_else(|| {
                ApiError::Unauthorized("send an access token: Authorization: Bearer <token>".into())
            })?;
            let claims = verifier.verify_shared(&token).await?;
            if let Some(revocations) = revocations {
                revocations.check(&claims)?;
            }
            Ok(Caller::from(&*claims))
        })
    }
}
