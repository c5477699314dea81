//! Accounts: people and machine clients, their roles and scope, and the API to manage them.
//!
//! Passwords and client secrets are stored as argon2id hashes. A login for an unknown name is
//! checked against a dummy hash, so it takes as long as a wrong password.

use crate::Shared;
use crate::gate::Authed;
use crate::limits::client_ip;
use crate::schema::{gw_accounts, gw_refresh_tokens};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use utoipa::{IntoParams, ToSchema};
use xs_kit::concurrency::{check_updated, etag, expected_version};
use xs_kit::db::{Db, DbConn, new_id, now};
use xs_kit::extract::{IfMatch, Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Page, PageRequest, Role};

pub const KIND_USER: &str = "user";
pub const KIND_CLIENT: &str = "client";

/// Registrations allowed per client IP per hour.
const REGISTRATIONS_PER_HOUR: usize = 10;

pub fn registration_limiter() -> crate::limits::AttemptLimiter {
    crate::limits::AttemptLimiter::new(REGISTRATIONS_PER_HOUR, std::time::Duration::from_secs(3600))
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = gw_accounts)]
pub struct AccountRow {
    pub id: String,
    pub username: String,
    pub kind: String,
    pub display_name: Option<String>,
    pub password_hash: String,
    pub roles: String,
    pub district: Option<String>,
    pub member_id: Option<String>,
    pub disabled: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Raised whenever the account's powers change; see `xs_kit::revocation`.
    pub token_epoch: i64,
}

impl AccountRow {
    pub fn role_list(&self) -> Vec<Role> {
        parse_roles(&self.roles)
    }
}

/// An account as the API shows it (never its hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Account {
    pub id: String,
    /// Login name; for machine clients, the `client_id`.
    pub username: String,
    /// `user` or `client`.
    pub kind: String,
    pub display_name: Option<String>,
    pub roles: Vec<Role>,
    pub district: Option<String>,
    pub member_id: Option<String>,
    pub disabled: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<AccountRow> for Account {
    fn from(r: AccountRow) -> Self {
        let roles = r.role_list();
        Account {
            id: r.id,
            username: r.username,
            kind: r.kind,
            display_name: r.display_name,
            roles,
            district: r.district,
            member_id: r.member_id,
            disabled: r.disabled,
            version: r.version,
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        }
    }
}

pub fn roles_text(roles: &[Role]) -> String {
    let mut names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

pub fn parse_roles(s: &str) -> Vec<Role> {
    s.split(',')
        .filter_map(|name| Role::ALL.into_iter().find(|r| r.as_str() == name.trim()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Passwords

fn argon2() -> Argon2<'static> {
    Argon2::default()
}

/// An argon2id PHC string for `password`, with a fresh random salt.
pub fn hash_password_now(password: &str) -> ApiResult<String> {
    let mut salt = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt)
        .map_err(|_| ApiError::internal(anyhow::anyhow!("no randomness for a salt")))?;
    argon2()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(anyhow::anyhow!("hashing a password: {e}")))
}

/// Hash off the executor: argon2 takes tens of milliseconds by design.
pub async fn hash_password(password: String) -> ApiResult<String> {
    web::block(move || hash_password_now(&password))
        .await
        .map_err(ApiError::internal)?
}

/// Check `password` against `hash`, or, when there is no account, against a dummy hash, so
/// both cases take the same time. Off the executor.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    web::block(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| dummy_hash().to_string());
        let ok = argon2()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok();
        ok && known
    })
    .await
    .unwrap_or(false)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password_now(&random_token(24)).unwrap_or_default())
}

/// Warm the dummy hash so the first unknown-user login is not the slow one.
pub fn prepare() {
    let _ = dummy_hash();
}

/// `n` random bytes, base64url without padding.
pub fn random_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    // aws-lc's generator only fails when the OS has no entropy; then nothing is safe anyway.
    if aws_lc_rs::rand::fill(&mut buf).is_err() {
        tracing::error!("system randomness unavailable");
    }
    URL_SAFE_NO_PAD.encode(buf)
}

// ---------------------------------------------------------------------------------------------
// Storage

pub fn find(conn: &mut DbConn, id: &str) -> ApiResult<AccountRow> {
    gw_accounts::table
        .find(id)
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("account"))
}

pub fn find_by_username(
    conn: &mut DbConn,
    username: &str,
    kind: &str,
) -> ApiResult<Option<AccountRow>> {
    Ok(gw_accounts::table
        .filter(gw_accounts::username.eq(username))
        .filter(gw_accounts::kind.eq(kind))
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?)
}

pub struct NewAccount {
    pub username: String,
    pub kind: &'static str,
    pub display_name: Option<String>,
    pub password_hash: String,
    pub roles: Vec<Role>,
    pub district: Option<String>,
    pub member_id: Option<String>,
}

pub fn insert(conn: &mut DbConn, a: &NewAccount) -> ApiResult<AccountRow> {
    let taken = gw_accounts::table
        .filter(gw_accounts::username.eq(&a.username))
        .count()
        .get_result::<i64>(conn)?;
    if taken > 0 {
        return Err(ApiError::Conflict(format!(
            "the username {} is taken",
            a.username
        )));
    }
    let id = new_id();
    let at = now();
    diesel::insert_into(gw_accounts::table)
        .values((
            gw_accounts::id.eq(&id),
            gw_accounts::username.eq(&a.username),
            gw_accounts::kind.eq(a.kind),
            gw_accounts::display_name.eq(&a.display_name),
            gw_accounts::password_hash.eq(&a.password_hash),
            gw_accounts::roles.eq(roles_text(&a.roles)),
            gw_accounts::district.eq(&a.district),
            gw_accounts::member_id.eq(&a.member_id),
            gw_accounts::disabled.eq(false),
            gw_accounts::version.eq(1i64),
            gw_accounts::created_at.eq(at),
            gw_accounts::updated_at.eq(at),
        ))
        .execute(conn)?;
    find(conn, &id)
}

/// Revoke every live refresh token of an account.
pub fn revoke_all_refresh(conn: &mut DbConn, account_id: &str) -> ApiResult<usize> {
    Ok(diesel::update(
        gw_refresh_tokens::table
            .filter(gw_refresh_tokens::account_id.eq(account_id))
            .filter(gw_refresh_tokens::revoked_at.is_null()),
    )
    .set(gw_refresh_tokens::revoked_at.eq(Some(now())))
    .execute(conn)?)
}

/// The revocation epochs of accounts ever revoked, to refuse their older tokens after a restart.
pub async fn revocation_epochs(db: &Db) -> ApiResult<Vec<(String, i64)>> {
    db.read(|conn| {
        Ok(gw_accounts::table
            .filter(gw_accounts::token_epoch.gt(0i64))
            .select((gw_accounts::id, gw_accounts::token_epoch))
            .load(conn)?)
    })
    .await
}

pub async fn disabled_ids(db: &Db) -> ApiResult<Vec<String>> {
    db.read(|conn| {
        Ok(gw_accounts::table
            .filter(gw_accounts::disabled.eq(true))
            .select(gw_accounts::id)
            .load(conn)?)
    })
    .await
}

/// On first start, create `admin` unless an admin exists. Without a configured password a
/// random one is generated and shown once.
pub async fn ensure_admin(db: &Db, password: Option<String>) -> anyhow::Result<()> {
    let exists = db
        .read(|conn| {
            Ok(gw_accounts::table
                .filter(gw_accounts::roles.like("%admin%"))
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .map_err(|e| anyhow::anyhow!("looking for an admin account: {e}"))?;
    if exists > 0 {
        return Ok(());
    }
    let generated = password.is_none();
    let password = password.unwrap_or_else(|| random_token(18));
    let hash = hash_password(password.clone())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let new = NewAccount {
        username: "admin".into(),
        kind: KIND_USER,
        display_name: Some("Administrator".into()),
        password_hash: hash,
        roles: vec![Role::Admin],
        district: None,
        member_id: None,
    };
    db.write(move |conn| insert(conn, &new))
        .await
        .map_err(|e| anyhow::anyhow!("creating the admin account: {e}"))?;
    if generated {
        tracing::warn!(
            "created account `admin` with a generated password (shown once on stderr); set XS_ADMIN_PASSWORD to choose it"
        );
        eprintln!("Xieshang: created account `admin` with password: {password}");
    } else {
        tracing::info!("created account `admin` with the configured password");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Validation

fn check_username(v: &mut Validator, username: &str) -> String {
    let u = username.trim().to_lowercase();
    let ok_chars = u
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    v.check(
        (3..=64).contains(&u.chars().count()) && ok_chars,
        "username",
        "3 to 64 characters: letters, digits, . _ - @",
    );
    u
}

fn check_password(v: &mut Validator, password: &str) {
    v.check(
        (8..=256).contains(&password.chars().count()),
        "password",
        "8 to 256 characters",
    );
}

fn check_roles(v: &mut Validator, roles: &[Role]) {
    v.check(!roles.is_empty(), "roles", "at least one role");
}

fn clean(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn with_etag(account: Account) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(account.version)))
        .json(account)
}

/// Admins see every account; office staff only those of their own district.
fn can_read(caller: &Caller, account: &AccountRow) -> bool {
    caller.has(Role::Admin)
        || (caller.has(Role::OfficeStaff)
            && caller.district.is_some()
            && caller.district == account.district)
}

// ---------------------------------------------------------------------------------------------
// Handlers

/// Get your own account
///
/// Any signed-in caller, person or machine client: the account the token names, with its roles,
/// district and member. The `ETag` is its version.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "The caller's account", body = Account),
        (status = 401, description = "No valid token", body = xs_kit::Problem)
    )
)]
#[get("/auth/me")]
pub async fn me(caller: Authed, shared: web::Data<Shared>) -> ApiResult<HttpResponse> {
    let id = caller.0.sub.clone();
    let row = shared.db.read(move |conn| find(conn, &id)).await?;
    Ok(with_etag(row.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(pattern = "^\\s*[A-Za-z0-9._@-]{3,64}\\s*$")]
    pub username: String,
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
    pub display_name: Option<String>,
}

/// Sign up as a resident
///
/// Open to anyone (no token): creates a user account with the `resident` role and no district.
/// `username` is 3–64 of letters, digits and `. _ - @` (kept lower-case), `password` 8–256
/// characters. 409 when the username is taken; 429 after 10 registrations from one address in an
/// hour.
#[utoipa::path(
    tag = "auth",
    request_body = RegisterRequest,
    security(()),
    responses(
        (status = 201, description = "Registered", body = Account),
        (status = 400, description = "Invalid", body = xs_kit::Problem),
        (status = 409, description = "Username taken", body = xs_kit::Problem),
        (status = 429, description = "Too many registrations from this address", body = xs_kit::Problem)
    )
)]
#[post("/auth/register")]
pub async fn register(
    req: HttpRequest,
    body: Json<RegisterRequest>,
    shared: web::Data<Shared>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let mut v = Validator::new();
    let username = check_username(&mut v, &body.username);
    check_password(&mut v, &body.password);
    v.finish()?;
    let ip = client_ip(&req, &shared.trusted_proxies)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    if let Err(wait) = shared.registrations.hit(&format!("ip:{ip}")) {
        return Err(ApiError::TooManyRequests {
            detail: "too many registrations from this address".into(),
            retry_after_secs: wait,
        });
    }
    let new = NewAccount {
        username,
        kind: KIND_USER,
        display_name: clean(body.display_name),
        password_hash: hash_password(body.password).await?,
        roles: vec![Role::Resident],
        district: None,
        member_id: None,
    };
    let row = shared.db.write(move |conn| insert(conn, &new)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/accounts/{}", row.id)))
        .insert_header((header::ETAG, etag(row.version)))
        .json(Account::from(row)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// Only accounts of this district.
    pub district: Option<String>,
    /// `user` or `client`.
    pub kind: Option<String>,
}

/// List accounts
///
/// Admins see every account and may filter by `district`; office staff see only the accounts of
/// their own district (another district is 403); everyone else gets 403. Filter by `kind` (`user`
/// or `client`); never shows password hashes or secrets.
#[utoipa::path(
    tag = "accounts",
    params(ListParams),
    responses(
        (status = 200, description = "A page of accounts", body = Page<Account>),
        (status = 403, description = "Not allowed", body = xs_kit::Problem)
    )
)]
#[get("/api/v1/accounts")]
pub async fn list(
    caller: Authed,
    params: Query<ListParams>,
    shared: web::Data<Shared>,
) -> ApiResult<HttpResponse> {
    let caller = caller.0;
    caller.require_any(&[Role::Admin, Role::OfficeStaff])?;
    let params = params.0;
    let district = if caller.has(Role::Admin) {
        params.district
    } else {
        let own = caller
            .district
            .clone()
            .ok_or_else(|| ApiError::Forbidden("your account has no district to list".into()))?;
        if params.district.as_ref().is_some_and(|d| *d != own) {
            return Err(ApiError::Forbidden(
                "your scope does not cover that district".into(),
            ));
        }
        Some(own)
    };
    let page = PageRequest::<String>::parse(params.limit, params.cursor.as_deref())?;
    let kind = params.kind;
    let result = shared
        .db
        .read(move |conn| {
            let mut q = gw_accounts::table
                .select(AccountRow::as_select())
                .order(gw_accounts::id.asc())
                .limit(page.fetch())
                .into_boxed();
            if let Some(after) = &page.after {
                q = q.filter(gw_accounts::id.gt(after.clone()));
            }
            if let Some(d) = &district {
                q = q.filter(gw_accounts::district.eq(d.clone()));
            }
            if let Some(k) = &kind {
                q = q.filter(gw_accounts::kind.eq(k.clone()));
            }
            let rows: Vec<AccountRow> = q.load(conn)?;
            Ok(page.page(rows, |r| r.id.clone(), Account::from))
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    #[schema(pattern = "^\\s*[A-Za-z0-9._@-]{3,64}\\s*$")]
    pub username: String,
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
    #[schema(min_items = 1)]
    pub roles: Vec<Role>,
    pub district: Option<String>,
    pub member_id: Option<String>,
    pub display_name: Option<String>,
}

/// An account may be bound only to a district that exists and to a member of that very
/// district (membership is asked; 503 while it is down). Without this, a district-A account
/// bound to a district-B member would see and edit that member's personal data.
pub(crate) async fn check_binding(
    shared: &Shared,
    district: Option<&str>,
    member: Option<&str>,
) -> ApiResult<()> {
    if let Some(member) = member {
        let found = shared
            .membership
            .member(member)
            .await?
            .ok_or_else(|| ApiError::field("member_id", "no such member"))?;
        if district != Some(found.district.as_str()) {
            return Err(ApiError::field(
                "district",
                format!(
                    "must be the member's district ({}) when member_id is set",
                    found.district
                ),
            ));
        }
        return Ok(());
    }
    if let Some(code) = district {
        let known = code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            && shared
                .membership
                .get_json::<serde_json::Value>("membership", &format!("/api/v1/districts/{code}"))
                .await?
                .is_some();
        if !known {
            return Err(ApiError::field("district", "no such district"));
        }
    }
    Ok(())
}

/// Create an account
///
/// Admins only. The district must exist and a member must be of that district (else 400; 503 while
/// membership cannot be asked). 409 when the username is taken. Accepts `Idempotency-Key`: a
/// repeat replays the first answer, the same key with another body is a 422.
#[utoipa::path(
    tag = "accounts",
    request_body = CreateAccount,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
        (status = 201, description = "Created", body = Account),
        (status = 400, description = "Invalid", body = xs_kit::Problem),
        (status = 403, description = "Not an admin", body = xs_kit::Problem),
        (status = 409, description = "Username taken", body = xs_kit::Problem)
    )
)]
#[post("/api/v1/accounts")]
pub async fn create(
    caller: Authed,
    idem: Idempotency,
    body: Json<CreateAccount>,
    shared: web::Data<Shared>,
) -> ApiResult<HttpResponse> {
    let caller = caller.0;
    caller.require_any(&[Role::Admin])?;
    let body = body.0;
    let mut v = Validator::new();
    let username = check_username(&mut v, &body.username);
    check_password(&mut v, &body.password);
    check_roles(&mut v, &body.roles);
    v.finish()?;
    let (district, member_id) = (clean(body.district.clone()), clean(body.member_id.clone()));
    check_binding(&shared, district.as_deref(), member_id.as_deref()).await?;
    let hash = hash_password(body.password.clone()).await?;
    let new = std::sync::Arc::new(NewAccount {
        username,
        kind: KIND_USER,
        display_name: clean(body.display_name.clone()),
        password_hash: hash,
        roles: body.roles.clone(),
        district,
        member_id,
    });
    idem.run(&shared.db, &caller.sub, &body, move |conn| {
        let row = insert(conn, &new)?;
        let location = format!("/api/v1/accounts/{}", row.id);
        Reply::created(&Account::from(row), location)
    })
    .await
}

/// Get an account
///
/// Admins read any account; office staff read those of their own district; everyone else gets 403.
/// An account outside an office staff member's district is a 403; an unknown id a 404.
#[utoipa::path(
    tag = "accounts",
    params(("id" = String, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account", body = Account),
        (status = 403, description = "Not allowed", body = xs_kit::Problem),
        (status = 404, description = "No such account", body = xs_kit::Problem)
    )
)]
#[get("/api/v1/accounts/{id}")]
pub async fn read(
    caller: Authed,
    id: web::Path<String>,
    shared: web::Data<Shared>,
) -> ApiResult<HttpResponse> {
    let caller = caller.0;
    caller.require_any(&[Role::Admin, Role::OfficeStaff])?;
    let id = id.into_inner();
    let row = shared.db.read(move |conn| find(conn, &id)).await?;
    if !can_read(&caller, &row) {
        // One answer for "not yours" (docs/SECURITY.md): out of scope is 403, unknown 404.
        return Err(ApiError::Forbidden(
            "office staff read the accounts of their own district".into(),
        ));
    }
    Ok(with_etag(row.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccount {
    /// The version read; or send `If-Match`.
    pub version: Option<i64>,
    #[schema(min_items = 1)]
    pub roles: Option<Vec<Role>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(value_type = Option<String>)]
    pub district: Option<Option<String>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(value_type = Option<String>)]
    pub member_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(value_type = Option<String>)]
    pub display_name: Option<Option<String>>,
    /// Disabling revokes the account's refresh tokens and refuses its access tokens at once.
    pub disabled: Option<bool>,
    /// A new password (reset); revokes the account's refresh tokens.
    #[schema(min_length = 8, max_length = 256)]
    pub password: Option<String>,
}

/// Change an account
///
/// Admins only: roles, district, member, display name, disabled, or a password reset. Changing
/// roles, district or member, disabling or resetting the password voids the account's live access
/// tokens (at once at the gateway, within about 2 seconds at separately run services), and
/// disabling or a reset revokes its refresh tokens too; disabling yourself is a 409. Send the
/// version you read as `If-Match` or `version`: none is a 428, a stale one a 412 (someone else
/// changed it since).
#[utoipa::path(
    tag = "accounts",
    params(
        ("id" = String, Path, description = "Account id"),
        ("If-Match" = Option<String>, Header, description = "The version read, as an ETag")
    ),
    request_body = UpdateAccount,
    responses(
        (status = 200, description = "Updated", body = Account),
        (status = 403, description = "Not an admin", body = xs_kit::Problem),
        (status = 404, description = "No such account", body = xs_kit::Problem),
        (status = 412, description = "Stale version", body = xs_kit::Problem),
        (status = 428, description = "No version given", body = xs_kit::Problem)
    )
)]
#[patch("/api/v1/accounts/{id}")]
pub async fn update(
    caller: Authed,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<UpdateAccount>,
    shared: web::Data<Shared>,
) -> ApiResult<HttpResponse> {
    let caller = caller.0;
    caller.require_any(&[Role::Admin])?;
    let body = body.0;
    let expected = expected_version(if_match, body.version)?;
    let mut v = Validator::new();
    if let Some(roles) = &body.roles {
        check_roles(&mut v, roles);
    }
    if let Some(pw) = &body.password {
        check_password(&mut v, pw);
    }
    v.finish()?;
    if body.disabled == Some(true) && *id == caller.sub {
        return Err(ApiError::Conflict(
            "you cannot disable your own account".into(),
        ));
    }
    let new_hash = match body.password.clone() {
        Some(pw) => Some(hash_password(pw).await?),
        None => None,
    };
    let id = id.into_inner();
    if body.district.is_some() || body.member_id.is_some() {
        // Checked against what the account will hold; the write below changes nothing unless
        // the version is still the one these values were read at.
        let read_id = id.clone();
        let cur = shared.db.read(move |conn| find(conn, &read_id)).await?;
        if cur.version != expected {
            return Err(ApiError::PreconditionFailed(
                "the account was changed by someone else; read it again and retry".into(),
            ));
        }
        let district = body.district.clone().map_or(cur.district.clone(), clean);
        let member_id = body.member_id.clone().map_or(cur.member_id.clone(), clean);
        check_binding(&shared, district.as_deref(), member_id.as_deref()).await?;
    }
    let row = shared
        .db
        .write(move |conn| {
            let cur = find(conn, &id)?;
            let roles = body
                .roles
                .as_deref()
                .map(roles_text)
                .unwrap_or(cur.roles.clone());
            let district = body.district.clone().map_or(cur.district.clone(), clean);
            let member_id = body.member_id.clone().map_or(cur.member_id.clone(), clean);
            let display_name = body
                .display_name
                .clone()
                .map_or(cur.display_name.clone(), clean);
            let disabled = body.disabled.unwrap_or(cur.disabled);
            let hash = new_hash.clone().unwrap_or(cur.password_hash.clone());
            // Any change of powers voids the live access tokens (new ones carry the new epoch).
            let powers_changed = roles != cur.roles
                || district != cur.district
                || member_id != cur.member_id
                || (disabled && !cur.disabled)
                || new_hash.is_some();
            let epoch = cur.token_epoch + i64::from(powers_changed);
            let rows = diesel::update(
                gw_accounts::table
                    .filter(gw_accounts::id.eq(&id))
                    .filter(gw_accounts::version.eq(expected)),
            )
            .set((
                gw_accounts::roles.eq(roles),
                gw_accounts::district.eq(district),
                gw_accounts::member_id.eq(member_id),
                gw_accounts::display_name.eq(display_name),
                gw_accounts::disabled.eq(disabled),
                gw_accounts::password_hash.eq(hash),
                gw_accounts::token_epoch.eq(epoch),
                gw_accounts::version.eq(gw_accounts::version + 1),
                gw_accounts::updated_at.eq(now()),
            ))
            .execute(conn)?;
            check_updated(rows, || Ok(true), "account")?;
            if disabled || new_hash.is_some() {
                revoke_all_refresh(conn, &id)?;
            }
            find(conn, &id)
        })
        .await?;
    shared.disabled.set(&row.id, row.disabled);
    shared.revocations.set(&row.id, row.token_epoch);
    Ok(with_etag(row.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClient {
    /// What the client is, e.g. "Siming district information centre".
    #[schema(pattern = "\\S")]
    pub name: String,
    /// `integrator`, `dashboard` or `service`.
    #[schema(min_items = 1)]
    pub roles: Vec<Role>,
    pub district: Option<String>,
}

/// A new client's credentials; the secret is shown only here.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientCreated {
    pub id: String,
    pub client_id: String,
    pub client_secret: String,
    pub name: Option<String>,
    pub roles: Vec<Role>,
    pub district: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Create a machine client
///
/// Admins only: a client of the client-credentials grant holding `integrator`, `dashboard` or
/// `service`, optionally bound to an existing district (integrations without one read citywide).
/// The `client_secret` is in this answer only (`Cache-Control: no-store`).
#[utoipa::path(
    tag = "accounts",
    request_body = CreateClient,
    responses(
        (status = 201, description = "Created; the secret is shown once", body = ClientCreated),
        (status = 400, description = "Invalid", body = xs_kit::Problem),
        (status = 403, description = "Not an admin", body = xs_kit::Problem)
    )
)]
#[post("/api/v1/clients")]
pub async fn create_client(
    caller: Authed,
    body: Json<CreateClient>,
    shared: web::Data<Shared>,
) -> ApiResult<HttpResponse> {
    caller.0.require_any(&[Role::Admin])?;
    let body = body.0;
    let mut v = Validator::new();
    let name = clean(Some(body.name));
    v.check(name.is_some(), "name", "required");
    check_roles(&mut v, &body.roles);
    v.check(
        body.roles
            .iter()
            .all(|r| matches!(r, Role::Integrator | Role::Dashboard | Role::Service)),
        "roles",
        "a client may hold integrator, dashboard or service",
    );
    v.finish()?;
    let district = clean(body.district);
    check_binding(&shared, district.as_deref(), None).await?;
    let client_id = format!("xsc_{}", random_token(12).replace(['-', '_'], "x"));
    let secret = random_token(32);
    let new = NewAccount {
        username: client_id.to_lowercase(),
        kind: KIND_CLIENT,
        display_name: name,
        password_hash: hash_password(secret.clone()).await?,
        roles: body.roles,
        district,
        member_id: None,
    };
    let row = shared.db.write(move |conn| insert(conn, &new)).await?;
    let view = ClientCreated {
        id: row.id.clone(),
        client_id: row.username.clone(),
        client_secret: secret,
        name: row.display_name.clone(),
        roles: row.role_list(),
        district: row.district.clone(),
        created_at: row.created_at.and_utc(),
    };
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/accounts/{}", row.id)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view))
}
