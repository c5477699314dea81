//! Tokens: the OAuth 2.0 token endpoint (RFC 6749: password, client_credentials and
//! refresh_token grants), revocation (RFC 7009) and the JWKS.
//!
//! Access tokens are RS256 JWTs signed with the signing key (the newest that every replica
//! can verify, [`crate::keyring`]). Refresh tokens are opaque random
//! strings stored as SHA-256 hashes in families: each use rotates the token, and presenting a
//! rotated one again (a sign it was stolen) revokes the whole family.

use crate::accounts::{self, AccountRow, KIND_CLIENT, KIND_USER, random_token};
use crate::limits::{AttemptLimiter, client_ip};
use crate::schema::{gw_accounts, gw_refresh_tokens};
use crate::state::Shared;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, post, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;
use xs_kit::db::{DbConn, new_id, now};
use xs_kit::{ApiError, ApiResult};

/// Failed sign-ins allowed per account and client address within [`LOGIN_PERIOD`]...
pub const LOGIN_FAILURES: usize = 10;
/// ...and per client IP (higher: many people may share one address).
pub const LOGIN_FAILURES_PER_IP: usize = 30;
pub const LOGIN_PERIOD: Duration = Duration::from_secs(15 * 60);

pub fn login_limiter() -> AttemptLimiter {
    AttemptLimiter::new("login", LOGIN_FAILURES, LOGIN_PERIOD)
}

pub fn login_ip_limiter() -> AttemptLimiter {
    AttemptLimiter::new("login-ip", LOGIN_FAILURES_PER_IP, LOGIN_PERIOD)
}

/// The token request, as form fields or JSON.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// `password`, `client_credentials` or `refresh_token`; any other is
    /// `unsupported_grant_type`.
    #[schema(
        required = true,
        pattern = "^(password|client_credentials|refresh_token)$"
    )]
    pub grant_type: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub refresh_token: Option<String>,
    /// Accepted and ignored: access follows the account's roles.
    pub scope: Option<String>,
}

impl TokenRequest {
    /// No text column can hold U+0000 (PostgreSQL refuses it): a 400 naming the field.
    fn refuse_nul(&self) -> ApiResult<()> {
        let fields = [
            ("grant_type", &self.grant_type),
            ("username", &self.username),
            ("password", &self.password),
            ("client_id", &self.client_id),
            ("client_secret", &self.client_secret),
            ("refresh_token", &self.refresh_token),
            ("scope", &self.scope),
        ];
        match fields
            .iter()
            .find(|(_, v)| v.as_deref().is_some_and(|v| v.contains('\0')))
        {
            Some((name, _)) => Err(ApiError::field(
                *name,
                "must not contain a NUL character (U+0000)",
            )),
            None => Ok(()),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the access token is valid.
    pub expires_in: i64,
    /// Absent for the client_credentials grant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// An RFC 6749 §5.2 error.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unsupported_grant_type`.
    pub error: String,
    pub error_description: String,
}

/// An OAuth error response: plain JSON by contract, which the kit's middleware leaves as is.
fn oauth_error(status: StatusCode, code: &str, description: &str) -> HttpResponse {
    let body = serde_json::to_vec(&OAuthError {
        error: code.into(),
        error_description: description.into(),
    })
    .unwrap_or_default();
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .content_type(ContentType::json())
        .body(body)
}

fn invalid_request(d: &str) -> HttpResponse {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", d)
}

fn invalid_grant(d: &str) -> HttpResponse {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", d)
}

fn invalid_client(basic: bool) -> HttpResponse {
    let mut res = oauth_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "unknown client or wrong secret",
    );
    let challenge = if basic {
        "Basic realm=\"xieshang\""
    } else {
        "Bearer realm=\"xieshang\""
    };
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static(challenge),
    );
    res
}

fn token_ok(body: &TokenResponse) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

/// Parse a form or JSON body into `T`.
fn parse_body<T: serde::de::DeserializeOwned + Default>(
    req: &HttpRequest,
    body: &[u8],
) -> Result<T, String> {
    let mime = req.mime_type().ok().flatten();
    let is_json = mime
        .as_ref()
        .is_some_and(|m| m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"));
    let is_form = mime
        .as_ref()
        .is_some_and(|m| m.subtype() == "x-www-form-urlencoded");
    if is_json {
        serde_json::from_slice(body).map_err(|e| format!("malformed JSON body: {e}"))
    } else if is_form || body.is_empty() {
        serde_urlencoded::from_bytes(body).map_err(|e| format!("malformed form body: {e}"))
    } else {
        Err("send application/x-www-form-urlencoded or application/json".into())
    }
}

/// HTTP Basic client credentials (RFC 6749 §2.3.1), if sent.
fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(rest.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((unescape(id), unescape(secret)))
}

fn sha256_hex(s: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, s.as_bytes());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn insert_refresh(
    conn: &mut DbConn,
    token: &str,
    family: &str,
    account_id: &str,
    ttl: Duration,
) -> ApiResult<()> {
    let at = now();
    diesel::insert_into(gw_refresh_tokens::table)
        .values((
            gw_refresh_tokens::token_hash.eq(sha256_hex(token)),
            gw_refresh_tokens::family_id.eq(family),
            gw_refresh_tokens::account_id.eq(account_id),
            gw_refresh_tokens::expires_at.eq(
                at + chrono::Duration::from_std(ttl).unwrap_or_else(|_| chrono::Duration::days(30))
            ),
            gw_refresh_tokens::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

fn revoke_family(conn: &mut DbConn, family: &str) -> ApiResult<()> {
    diesel::update(
        gw_refresh_tokens::table
            .filter(gw_refresh_tokens::family_id.eq(family))
            .filter(gw_refresh_tokens::revoked_at.is_null()),
    )
    .set(gw_refresh_tokens::revoked_at.eq(Some(now())))
    .execute(conn)?;
    Ok(())
}

/// Access and refresh tokens for an account, starting a new refresh family.
async fn issue_with_refresh(shared: &Shared, account: AccountRow) -> ApiResult<TokenResponse> {
    let access = shared.signer.sign(&account)?;
    let refresh = random_token(32);
    let (r, id, ttl) = (refresh.clone(), account.id.clone(), shared.refresh_ttl);
    shared
        .db
        .write(move |conn| insert_refresh(conn, &r, &new_id(), &id, ttl))
        .await?;
    Ok(TokenResponse {
        access_token: access,
        token_type: "Bearer".into(),
        expires_in: shared.signer.access_ttl_secs(),
        refresh_token: Some(refresh),
    })
}

/// Obtain tokens (OAuth 2.0)
///
/// Open to anyone. `password`: a user's access token and refresh token; `client_credentials` (in
/// the form or HTTP Basic): a machine client's access token only; `refresh_token`: new tokens,
/// rotating the refresh token (presenting a used one revokes its whole family). Failed attempts
/// are limited per account and address (10 in 15 minutes) and per address (30), then 429; access
/// tokens carry the account's roles, district and member.
#[utoipa::path(
    tag = "auth",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded",
        description = "Form fields (or the same as JSON). Clients may authenticate with HTTP Basic."),
    security(()),
    responses(
        (status = 200, description = "Tokens", body = TokenResponse),
        (status = 400, description = "invalid_request, invalid_grant or unsupported_grant_type", body = OAuthError),
        (status = 401, description = "invalid_client", body = OAuthError),
        (status = 429, description = "Too many failed attempts", body = xs_kit::Problem)
    )
)]
#[post("/auth/token")]
pub async fn token_endpoint(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> ApiResult<HttpResponse> {
    let form: TokenRequest = match parse_body(&req, &body) {
        Ok(f) => f,
        Err(why) => return Ok(invalid_request(&why)),
    };
    form.refuse_nul()?;
    let ip = client_ip(&req, &shared.trusted_proxies)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    match form.grant_type.as_deref() {
        Some("password") => password_grant(&shared, form, &ip).await,
        Some("client_credentials") => client_grant(&shared, &req, form, &ip).await,
        Some("refresh_token") => refresh_grant(&shared, form).await,
        Some(other) => Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("grant_type {other} is not supported"),
        )),
        None => Ok(invalid_request("grant_type is required")),
    }
}

fn too_many(wait: u64) -> ApiError {
    ApiError::TooManyRequests {
        detail: "too many failed sign-in attempts; try again later".into(),
        retry_after_secs: wait,
    }
}

/// Count a sign-in attempt against the account and the address before checking it, so that
/// concurrent guesses cannot all slip under the limit; a success gives its count back.
async fn count_attempt(shared: &Shared, account_key: &str, ip_key: &str) -> ApiResult<()> {
    shared.logins.hit(account_key).await.map_err(too_many)?;
    if let Err(wait) = shared.login_ips.hit(ip_key).await {
        shared.logins.forget_one(account_key).await;
        return Err(too_many(wait));
    }
    Ok(())
}

async fn attempt_succeeded(shared: &Shared, account_key: &str, ip_key: &str) {
    shared.logins.clear(account_key).await;
    shared.login_ips.forget_one(ip_key).await;
}

async fn password_grant(shared: &Shared, form: TokenRequest, ip: &str) -> ApiResult<HttpResponse> {
    let (Some(username), Some(password)) = (form.username, form.password) else {
        return Ok(invalid_request("username and password are required"));
    };
    let username = username.trim().to_lowercase();
    // Failures count per account *and* address: a guesser slows only themself down, and the
    // owner signing in from elsewhere is never locked out by someone else's guesses.
    let (account_key, ip_key) = (format!("user:{username}@{ip}"), format!("ip:{ip}"));
    count_attempt(shared, &account_key, &ip_key).await?;
    let name = username.clone();
    let account = shared
        .db
        .read(move |conn| accounts::find_by_username(conn, &name, KIND_USER))
        .await?;
    let hash = account.as_ref().map(|a| a.password_hash.clone());
    if !accounts::verify_password(password, hash).await {
        return Ok(invalid_grant("wrong username or password"));
    }
    let Some(account) = account else {
        return Ok(invalid_grant("wrong username or password"));
    };
    attempt_succeeded(shared, &account_key, &ip_key).await;
    if account.disabled {
        return Ok(invalid_grant("the account is disabled"));
    }
    Ok(token_ok(&issue_with_refresh(shared, account).await?))
}

async fn client_grant(
    shared: &Shared,
    req: &HttpRequest,
    form: TokenRequest,
    ip: &str,
) -> ApiResult<HttpResponse> {
    let basic = basic_credentials(req);
    let used_basic = basic.is_some();
    let (client_id, secret) = match (basic, form.client_id, form.client_secret) {
        (Some(creds), _, _) => creds,
        (None, Some(id), Some(secret)) => (id, secret),
        _ => return Ok(invalid_request("client_id and client_secret are required")),
    };
    let client_id = client_id.trim().to_lowercase();
    let (client_key, ip_key) = (format!("client:{client_id}@{ip}"), format!("ip:{ip}"));
    count_attempt(shared, &client_key, &ip_key).await?;
    let id = client_id.clone();
    let account = shared
        .db
        .read(move |conn| accounts::find_by_username(conn, &id, KIND_CLIENT))
        .await?;
    let hash = account.as_ref().map(|a| a.password_hash.clone());
    let ok = accounts::verify_password(secret, hash).await;
    let account = match account {
        Some(a) if ok && !a.disabled => a,
        _ => return Ok(invalid_client(used_basic)),
    };
    attempt_succeeded(shared, &client_key, &ip_key).await;
    Ok(token_ok(&TokenResponse {
        access_token: shared.signer.sign(&account)?,
        token_type: "Bearer".into(),
        expires_in: shared.signer.access_ttl_secs(),
        refresh_token: None,
    }))
}

/// family, account, expires, used, revoked
type RefreshRow = (
    String,
    String,
    chrono::NaiveDateTime,
    Option<chrono::NaiveDateTime>,
    Option<chrono::NaiveDateTime>,
);

enum Rotation {
    Rotated(Box<AccountRow>),
    Refused(&'static str),
}

async fn refresh_grant(shared: &Shared, form: TokenRequest) -> ApiResult<HttpResponse> {
    let Some(presented) = form.refresh_token.filter(|t| !t.is_empty()) else {
        return Ok(invalid_request("refresh_token is required"));
    };
    let next = random_token(32);
    let (n, ttl) = (next.clone(), shared.refresh_ttl);
    let outcome = shared
        .db
        .write(move |conn| {
            let t = gw_refresh_tokens::table;
            let row: Option<RefreshRow> = t
                .find(sha256_hex(&presented))
                .select((
                    gw_refresh_tokens::family_id,
                    gw_refresh_tokens::account_id,
                    gw_refresh_tokens::expires_at,
                    gw_refresh_tokens::used_at,
                    gw_refresh_tokens::revoked_at,
                ))
                .first(conn)
                .optional()?;
            let Some((family, account_id, expires_at, used_at, revoked_at)) = row else {
                return Ok(Rotation::Refused("unknown refresh token"));
            };
            if revoked_at.is_some() {
                return Ok(Rotation::Refused("the refresh token was revoked"));
            }
            // Mark it used only if nobody did first: of two concurrent uses one wins.
            let claimed = diesel::update(
                t.find(sha256_hex(&presented))
                    .filter(gw_refresh_tokens::used_at.is_null()),
            )
            .set(gw_refresh_tokens::used_at.eq(Some(now())))
            .execute(conn)?;
            if used_at.is_some() || claimed == 0 {
                tracing::warn!(
                    family,
                    account_id,
                    "refresh token reused; revoking its family"
                );
                revoke_family(conn, &family)?;
                return Ok(Rotation::Refused(
                    "the refresh token was already used; its sessions are revoked",
                ));
            }
            if expires_at < now() {
                return Ok(Rotation::Refused("the refresh token has expired"));
            }
            let account: AccountRow = gw_accounts::table
                .find(&account_id)
                .select(AccountRow::as_select())
                .first(conn)?;
            if account.disabled {
                revoke_family(conn, &family)?;
                return Ok(Rotation::Refused("the account is disabled"));
            }
            insert_refresh(conn, &n, &family, &account_id, ttl)?;
            Ok(Rotation::Rotated(Box::new(account)))
        })
        .await?;
    match outcome {
        Rotation::Refused(why) => Ok(invalid_grant(why)),
        Rotation::Rotated(account) => Ok(token_ok(&TokenResponse {
            access_token: shared.signer.sign(&account)?,
            token_type: "Bearer".into(),
            expires_in: shared.signer.access_ttl_secs(),
            refresh_token: Some(next),
        })),
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RevokeRequest {
    /// The refresh token to revoke (with every token of its family).
    #[schema(required = true, min_length = 1)]
    pub token: Option<String>,
    pub token_type_hint: Option<String>,
}

/// Revoke a refresh token
///
/// Open to anyone holding the token (RFC 7009): revokes it and every token of its family. Unknown
/// or already revoked tokens also answer 200. Access tokens already issued stay valid until they
/// expire.
#[utoipa::path(
    tag = "auth",
    request_body(content = RevokeRequest, content_type = "application/x-www-form-urlencoded"),
    security(()),
    responses(
        (status = 200, description = "Revoked (or never valid)"),
        (status = 400, description = "invalid_request", body = OAuthError)
    )
)]
#[post("/auth/revoke")]
pub async fn revoke(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> ApiResult<HttpResponse> {
    let form: RevokeRequest = match parse_body(&req, &body) {
        Ok(f) => f,
        Err(why) => return Ok(invalid_request(&why)),
    };
    let Some(token) = form.token.filter(|t| !t.is_empty()) else {
        return Ok(invalid_request("token is required"));
    };
    shared
        .db
        .write(move |conn| {
            let family: Option<String> = gw_refresh_tokens::table
                .find(sha256_hex(&token))
                .select(gw_refresh_tokens::family_id)
                .first(conn)
                .optional()?;
            if let Some(family) = family {
                revoke_family(conn, &family)?;
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// Accounts' revocation epochs
///
/// For the services: each account whose powers changed since it was created (disabled,
/// demoted, other district or member, password reset) with its current epoch; access tokens
/// carrying a lower `rev` claim are refused. Public like the JWKS: it holds opaque account ids
/// and numbers only. Services poll it every 2 seconds.
#[utoipa::path(
    tag = "auth",
    security(()),
    responses((status = 200, description = "The epochs", body = xs_kit::revocation::Published))
)]
#[get("/auth/revocations")]
pub async fn revocations(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(xs_kit::revocation::Published {
            accounts: shared.revocations.snapshot(),
        })
}

/// Get the public keys that verify access tokens
///
/// Open to anyone: the JSON Web Key Set (RS256) with every published key; tokens name theirs by
/// `kid`. Cacheable for 5 minutes.
#[utoipa::path(
    tag = "auth",
    security(()),
    responses((status = 200, description = "JSON Web Key Set", content_type = "application/json", body = Object))
)]
#[get("/.well-known/jwks.json")]
pub async fn jwks(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(shared.signer.jwks())
}
