//! The accounts API and its input checks.

use super::model::*;
use super::passwords::*;
use super::queries::*;
use crate::gate::Authed;
use crate::limits::client_ip;
use crate::schema::gw_accounts;
use crate::state::Shared;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xs_kit::concurrency::{check_updated, etag, expected_version};
use xs_kit::db::now;
use xs_kit::extract::{IfMatch, Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Page, PageRequest, Role};

/// Registrations allowed per client IP per hour.
const REGISTRATIONS_PER_HOUR: usize = 10;

pub fn registration_limiter() -> crate::limits::AttemptLimiter {
    crate::limits::AttemptLimiter::new(
        "register",
        REGISTRATIONS_PER_HOUR,
        std::time::Duration::from_secs(3600),
    )
}

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
    if let Err(wait) = shared.registrations.hit(&format!("ip:{ip}")).await {
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
            .ok_or_else(|| ApiError::unprocessable("member_id", "no such member"))?;
        if district != Some(found.district.as_str()) {
            return Err(ApiError::unprocessable(
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
            return Err(ApiError::unprocessable("district", "no such district"));
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
        (status = 409, description = "An admin cannot disable their own account", body = xs_kit::Problem),
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
    crate::epochs::publish(&shared, &row.id, row.token_epoch).await;
    Ok(with_etag(row.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClient {
    /// What the client is, e.g. "Siming district information centre".
    #[schema(pattern = "\\S")]
    pub name: String,
    /// `integrator`, `dashboard` or `service`.
    #[schema(min_items = 1, value_type = Vec<ClientRole>)]
    pub roles: Vec<Role>,
    pub district: Option<String>,
}

/// The roles a client (machine account) may hold, as the document states them.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
enum ClientRole {
    Integrator,
    Dashboard,
    Service,
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
