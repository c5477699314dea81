//! Webhook subscriptions (Standard Webhooks 1.0): integrators and admins register a URL, the
//! event types and the district they want; the gateway pushes every matching domain event
//! there, signed, at least once ([`dispatch`]), never to a private address ([`guard`]).
//!
//! Who: admins manage every subscription; integrators create and manage their own (a district
//! in their token confines their subscriptions to it). Nobody else.

pub mod dispatch;
pub mod guard;

use crate::gate::Authed;
use crate::state::Shared;
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;
use xs_kit::concurrency::{check_updated, etag, expected_version};
use xs_kit::error::Problem;
use xs_kit::extract::{IfMatch, Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::pagination::PageQuery;
use xs_kit::scope::Access;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Page, PageRequest, Role};

diesel::table! {
    #[sql_name = "gw_webhooks"]
    webhooks_t (id) {
        id -> Text,
        url -> Text,
        event_types -> Text,
        district -> Nullable<Text>,
        description -> Nullable<Text>,
        secret -> Text,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        owner -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    #[sql_name = "gw_webhook_deliveries"]
    deliveries_t (id) {
        id -> Text,
        webhook_id -> Text,
        event_id -> Text,
        event_type -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    #[sql_name = "gw_webhook_attempts"]
    attempts_t (id) {
        id -> Text,
        delivery_id -> Text,
        attempted_at -> Timestamp,
        response_status -> Nullable<Integer>,
        error -> Nullable<Text>,
        duration_ms -> BigInt,
    }
}

diesel::table! {
    #[sql_name = "gw_webhook_feed"]
    feed_t (id) {
        id -> Text,
        cursor -> Text,
    }
}

/// Webhook subscriptions: admins (all of them) and integrators (their own) write and read
/// them; nobody else. The events a subscription receives are those its owner may read in the
/// feed (`xs_kit::events::ACCESS`).
pub const ACCESS: Access = Access {
    what: "webhooks",
    district_readers: &[],
    citywide_readers: &[],
    owner_readers: &[],
    personal_readers: &[],
    writers: &[Role::Admin, Role::Integrator],
};

/// What the handlers share with the dispatcher.
#[derive(Clone)]
pub struct WebhookState {
    pub allow: Arc<guard::AllowList>,
    pub wake: Arc<tokio::sync::Notify>,
}

/// A subscription as shown (never its secret).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    /// Empty: every type.
    pub event_types: Vec<String>,
    /// Only this district's events; absent: every district the owner may read.
    pub district: Option<String>,
    pub description: Option<String>,
    /// Disabled subscriptions get no new deliveries; their pending ones wait.
    pub enabled: bool,
    /// Why it was disabled (e.g. the receiver answered 410 Gone).
    pub disabled_reason: Option<String>,
    /// The account that created it.
    pub owner: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new subscription, with its signing secret: shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_` + base64 of the key: verify `webhook-signature` with it (Standard Webhooks).
    /// Not shown again.
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// `http` or `https`; must not resolve to a loopback, private or link-local address (a
    /// URL the parser refuses, or one that does not resolve to a public address, is a 422).
    #[schema(max_length = 2000, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\s]")]
    pub url: String,
    /// Event types to receive (e.g. `report.adopted`), at most 50; absent or empty: every type.
    #[serde(default)]
    #[schema(value_type = Vec<xs_kit::events::DomainEventType>, max_items = 50)]
    pub event_types: Vec<String>,
    /// Only this district's events.
    #[schema(pattern = "\\S", max_length = 64)]
    pub district: Option<String>,
    #[schema(pattern = "\\S", max_length = 200)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    /// The version read (or send `If-Match`).
    pub version: Option<i64>,
    #[schema(max_length = 2000, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\s]")]
    pub url: Option<String>,
    /// Replaces the event types (empty: every type).
    #[schema(value_type = Option<Vec<xs_kit::events::DomainEventType>>, max_items = 50)]
    pub event_types: Option<Vec<String>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(pattern = "\\S", max_length = 64)]
    pub district: Option<Option<String>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(pattern = "\\S", max_length = 200)]
    pub description: Option<Option<String>>,
    /// `true` enables a subscription again (e.g. after a 410); `false` pauses it.
    pub enabled: Option<bool>,
}

/// One attempt to deliver.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryAttempt {
    pub attempted_at: DateTime<Utc>,
    /// The receiver's status; absent when no answer came (refused, timed out, not allowed).
    pub response_status: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// One event queued for one subscription.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    /// The `webhook-id` header: the same on every attempt, for the receiver's deduplication.
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    /// `pending`, `delivered` or `failed` (410, or still failing three days after queueing).
    pub status: String,
    pub attempts: i32,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    /// When it was queued (or queued again by `redeliver`).
    pub queued_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    /// Every attempt, oldest first (the last 20).
    pub attempt_log: Vec<DeliveryAttempt>,
}

#[derive(Debug, Clone, Queryable)]
struct Row {
    id: String,
    url: String,
    event_types: String,
    district: Option<String>,
    description: Option<String>,
    enabled: bool,
    disabled_reason: Option<String>,
    owner: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

type RowCols = (
    webhooks_t::id,
    webhooks_t::url,
    webhooks_t::event_types,
    webhooks_t::district,
    webhooks_t::description,
    webhooks_t::enabled,
    webhooks_t::disabled_reason,
    webhooks_t::owner,
    webhooks_t::version,
    webhooks_t::created_at,
    webhooks_t::updated_at,
);

const ROW: RowCols = (
    webhooks_t::id,
    webhooks_t::url,
    webhooks_t::event_types,
    webhooks_t::district,
    webhooks_t::description,
    webhooks_t::enabled,
    webhooks_t::disabled_reason,
    webhooks_t::owner,
    webhooks_t::version,
    webhooks_t::created_at,
    webhooks_t::updated_at,
);

fn view(r: Row) -> Webhook {
    Webhook {
        event_types: serde_json::from_str(&r.event_types).unwrap_or_default(),
        id: r.id,
        url: r.url,
        district: r.district,
        description: r.description,
        enabled: r.enabled,
        disabled_reason: r.disabled_reason,
        owner: r.owner,
        version: r.version,
        created_at: r.created_at.and_utc(),
        updated_at: r.updated_at.and_utc(),
    }
}

fn with_etag(w: &Webhook) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(w.version)))
        .json(w)
}

/// 403 unless the caller may manage webhooks at all.
fn require_manager(caller: &Caller) -> ApiResult<()> {
    caller.require_any(ACCESS.writers)
}

/// The subscription, if the caller may manage it (admins: any; integrators: their own).
fn find_for(c: &mut xs_kit::DbConn, caller: &Caller, id: &str) -> ApiResult<Row> {
    let row: Row = webhooks_t::table
        .find(id)
        .select(ROW)
        .first(c)
        .optional()?
        .ok_or_else(|| ApiError::not_found("webhook"))?;
    if !caller.has(Role::Admin) && row.owner != caller.sub {
        return Err(ApiError::not_found("webhook"));
    }
    Ok(row)
}

/// The district a subscription may filter on: within what the owner reads in the feed.
fn scoped_district(caller: &Caller, requested: Option<String>) -> ApiResult<Option<String>> {
    let scope = xs_kit::events::ACCESS.read_scope(caller)?;
    Ok(scope.narrow(requested, None)?.district)
}

fn validate_types(v: &mut Validator, types: &[String]) {
    xs_kit::events::check_types(v, "event_types", types);
}

/// The documented shape (`xs_kit::validate::URL_PATTERN`) or a 400; shaped but refused by the
/// URL parser or the form rules (user info, length) is schema-valid: 422.
fn url_form(v: &mut Validator, url: &str) {
    if !xs_kit::validate::url_shaped(url) {
        v.check(false, "url", "must be an http or https URL");
    } else if url.chars().count() > 2000 {
        v.check(false, "url", "must be at most 2000 characters");
    } else if let Err(why) = guard::check_form(url) {
        v.refuse("url", &why);
    }
}

/// Where the URL's host resolves is no matter of the schema: 422.
async fn check_url(state: &WebhookState, url: &str) -> ApiResult<()> {
    guard::check(url, &state.allow)
        .await
        .map(drop)
        .map_err(|why| ApiError::unprocessable("url", why))
}

/// List webhook subscriptions
///
/// Admins see every subscription, integrators their own; anyone else gets 403. Secrets are
/// never shown. Oldest first, cursor-paginated.
#[utoipa::path(tag = "webhooks", params(PageQuery), responses(
    (status = 200, description = "A page of subscriptions", body = Page<Webhook>),
    (status = 400, description = "`limit` or `cursor` is malformed", body = Problem, content_type = "application/problem+json"),
    (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not an admin or integrator", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/webhooks")]
pub async fn list(
    caller: Authed,
    shared: web::Data<Shared>,
    q: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let caller = caller.0;
    require_manager(&caller)?;
    let page = PageRequest::<String>::parse(q.0.limit, q.0.cursor.as_deref())?;
    let (fetch, after) = (page.fetch(), page.after.clone());
    let owner = (!caller.has(Role::Admin)).then(|| caller.sub.clone());
    let rows: Vec<Row> = shared
        .db
        .read(move |c| {
            let mut q = webhooks_t::table
                .select(ROW)
                .order(webhooks_t::id)
                .limit(fetch)
                .into_boxed::<xs_kit::db::DbBackend>();
            if let Some(a) = after {
                q = q.filter(webhooks_t::id.gt(a));
            }
            if let Some(o) = owner {
                q = q.filter(webhooks_t::owner.eq(o));
            }
            Ok(q.load(c)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.page(rows, |r| r.id.clone(), view)))
}

/// Subscribe a URL to events
///
/// Admins and integrators. `url` must be `http(s)` and resolve only to public addresses
/// (loopback, private and link-local ones are refused unless the operator's
/// `XS_WEBHOOK_ALLOWED_HOSTS` names them); `event_types` empty means every type; `district`
/// must be within what the caller reads in the events feed (an integrator bound to a district:
/// that one). The answer carries the signing `secret` (`whsec_…`), shown only this once.
/// Deliveries begin with the events that reach the feed after this. Accepts `Idempotency-Key`.
#[utoipa::path(tag = "webhooks", request_body = NewWebhook, params(
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, description = "Subscribed; the secret is shown once", body = CreatedWebhook, headers(("Location" = String))),
    (status = 400, description = "A field is invalid or the URL is not allowed (named in the problem)", body = Problem, content_type = "application/problem+json"),
    (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not an admin or integrator, or the district is not the caller's", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The Idempotency-Key was used with another body", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[post("/api/v1/webhooks")]
pub async fn create(
    caller: Authed,
    shared: web::Data<Shared>,
    state: web::Data<WebhookState>,
    idem: Idempotency,
    body: Json<NewWebhook>,
) -> ApiResult<HttpResponse> {
    let caller = caller.0;
    require_manager(&caller)?;
    let b = body.0;
    let mut v = Validator::new();
    v.opt_text("description", b.description.as_deref(), 200)
        .opt_text("district", b.district.as_deref(), 64);
    validate_types(&mut v, &b.event_types);
    url_form(&mut v, &b.url);
    v.finish()?;
    check_url(&state, &b.url).await?;
    let district = scoped_district(&caller, b.district.clone())?;
    let secret = dispatch::new_secret()?;
    let who = caller.sub.clone();
    let request = b.clone();
    idem.run(&shared.db, &caller.sub, &request, move |c| {
        let now = xs_kit::db::now();
        let id = xs_kit::db::new_id();
        let types = serde_json::to_string(&b.event_types).map_err(ApiError::internal)?;
        diesel::insert_into(webhooks_t::table)
            .values((
                webhooks_t::id.eq(&id),
                webhooks_t::url.eq(b.url.trim()),
                webhooks_t::event_types.eq(types),
                webhooks_t::district.eq(&district),
                webhooks_t::description.eq(&b.description),
                webhooks_t::secret.eq(&secret),
                webhooks_t::enabled.eq(true),
                webhooks_t::owner.eq(&who),
                webhooks_t::version.eq(1),
                webhooks_t::created_at.eq(now),
                webhooks_t::created_by.eq(&who),
                webhooks_t::updated_at.eq(now),
                webhooks_t::updated_by.eq(&who),
            ))
            .execute(c)?;
        let row: Row = webhooks_t::table.find(&id).select(ROW).first(c)?;
        Reply::created(
            &CreatedWebhook {
                webhook: view(row),
                secret,
            },
            format!("/api/v1/webhooks/{id}"),
        )
    })
    .await
}

/// Read a webhook subscription
///
/// Admins any, integrators their own (another's is a 404, as if it did not exist). The
/// secret is never shown. `ETag` is the version.
#[utoipa::path(tag = "webhooks", params(("id" = String, Path)), responses(
    (status = 200, description = "The subscription", body = Webhook, headers(("ETag" = String))),
    (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not an admin or integrator", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such subscription (of yours)", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/webhooks/{id}")]
pub async fn read(
    caller: Authed,
    shared: web::Data<Shared>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let caller = caller.0;
    require_manager(&caller)?;
    let id = id.into_inner();
    let row = shared.db.read(move |c| find_for(c, &caller, &id)).await?;
    Ok(with_etag(&view(row)))
}

/// Change a webhook subscription
///
/// Admins any, integrators their own. URL (checked as on creation), event types, district,
/// description; `enabled: true` resumes a subscription that was paused or disabled by a 410
/// (its waiting deliveries are sent), `false` pauses it. Send the version read as `If-Match`
/// or `version`: none is a 428, a stale one a 412.
#[utoipa::path(tag = "webhooks", request_body = WebhookPatch, params(
    ("id" = String, Path),
    ("If-Match" = Option<String>, Header, description = "The ETag you read; or send `version` in the body")),
    responses(
    (status = 200, description = "The subscription after the change", body = Webhook, headers(("ETag" = String))),
    (status = 400, description = "A field is invalid or the URL is not allowed", body = Problem, content_type = "application/problem+json"),
    (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not an admin or integrator, or the district is not the caller's", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such subscription (of yours)", body = Problem, content_type = "application/problem+json"),
    (status = 412, description = "Changed by someone else since you read it", body = Problem, content_type = "application/problem+json"),
    (status = 428, description = "No version given", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/webhooks/{id}")]
pub async fn update(
    caller: Authed,
    shared: web::Data<Shared>,
    state: web::Data<WebhookState>,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<WebhookPatch>,
) -> ApiResult<HttpResponse> {
    let caller = caller.0;
    require_manager(&caller)?;
    let p = body.0;
    let expected = expected_version(if_match, p.version)?;
    let mut v = Validator::new();
    v.opt_text(
        "description",
        p.description.clone().flatten().as_deref(),
        200,
    )
    .opt_text("district", p.district.clone().flatten().as_deref(), 64);
    if let Some(types) = &p.event_types {
        validate_types(&mut v, types);
    }
    if let Some(url) = &p.url {
        url_form(&mut v, url);
    }
    v.finish()?;
    if let Some(url) = &p.url {
        check_url(&state, url).await?;
    }
    let district = match p.district.clone() {
        Some(d) => Some(scoped_district(&caller, d)?),
        None => None,
    };
    let id = id.into_inner();
    let wake = state.wake.clone();
    let row = shared
        .db
        .write(move |c| {
            let current = find_for(c, &caller, &id)?;
            let now = xs_kit::db::now();
            let types = match &p.event_types {
                Some(t) => serde_json::to_string(t).map_err(ApiError::internal)?,
                None => current.event_types.clone(),
            };
            let enabled = p.enabled.unwrap_or(current.enabled);
            let reason = if enabled {
                None
            } else if p.enabled == Some(false) {
                Some("paused by its owner".to_string())
            } else {
                current.disabled_reason.clone()
            };
            let n = diesel::update(
                webhooks_t::table
                    .filter(webhooks_t::id.eq(&id))
                    .filter(webhooks_t::version.eq(expected)),
            )
            .set((
                webhooks_t::url.eq(p
                    .url
                    .as_deref()
                    .map_or(current.url.clone(), |u| u.trim().to_string())),
                webhooks_t::event_types.eq(types),
                webhooks_t::district.eq(district.unwrap_or(current.district.clone())),
                webhooks_t::description
                    .eq(p.description.clone().unwrap_or(current.description.clone())),
                webhooks_t::enabled.eq(enabled),
                webhooks_t::disabled_reason.eq(reason),
                webhooks_t::version.eq(expected + 1),
                webhooks_t::updated_at.eq(now),
                webhooks_t::updated_by.eq(&caller.sub),
            ))
            .execute(c)?;
            check_updated(n, || Ok(true), "webhook")?;
            Ok(webhooks_t::table.find(&id).select(ROW).first::<Row>(c)?)
        })
        .await?;
    wake.notify_one();
    Ok(with_etag(&view(row)))
}

/// Delete a webhook subscription
///
/// Admins any, integrators their own. Its deliveries and their history go with it; nothing
/// more is sent.
#[utoipa::path(tag = "webhooks", params(("id" = String, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not an admin or integrator", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such subscription (of yours)", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/webhooks/{id}")]
pub async fn remove(
    caller: Authed,
    shared: web::Data<Shared>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let caller = caller.0;
    require_manager(&caller)?;
    let id = id.into_inner();
    shared
        .db
        .write(move |c| {
            find_for(c, &caller, &id)?;
            let of_it: Vec<String> = deliveries_t::table
                .filter(deliveries_t::webhook_id.eq(&id))
                .select(deliveries_t::id)
                .load(c)?;
            for chunk in of_it.chunks(500) {
                diesel::delete(attempts_t::table.filter(attempts_t::delivery_id.eq_any(chunk)))
                    .execute(c)?;
            }
            diesel::delete(deliveries_t::table.filter(deliveries_t::webhook_id.eq(&id)))
                .execute(c)?;
            diesel::delete(webhooks_t::table.find(&id)).execute(c)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

type DeliveryRow = (
    String,
    String,
    String,
    String,
    i32,
    NaiveDateTime,
    Option<i32>,
    Option<String>,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

fn delivery_cols() -> (
    deliveries_t::id,
    deliveries_t::event_id,
    deliveries_t::event_type,
    deliveries_t::status,
    deliveries_t::attempts,
    deliveries_t::next_attempt_at,
    deliveries_t::last_status,
    deliveries_t::last_error,
    deliveries_t::created_at,
    deliveries_t::delivered_at,
    deliveries_t::failed_at,
) {
    (
        deliveries_t::id,
        deliveries_t::event_id,
        deliveries_t::event_type,
        deliveries_t::status,
        deliveries_t::attempts,
        deliveries_t::next_attempt_at,
        deliveries_t::last_status,
        deliveries_t::last_error,
        deliveries_t::created_at,
        deliveries_t::delivered_at,
        deliveries_t::failed_at,
    )
}

fn delivery_view(c: &mut xs_kit::DbConn, r: DeliveryRow) -> ApiResult<Delivery> {
    let (
        id,
        event_id,
        event_type,
        status,
        attempts,
        next,
        last_status,
        last_error,
        created,
        delivered,
        failed,
    ) = r;
    let mut log: Vec<(NaiveDateTime, Option<i32>, Option<String>, i64)> = attempts_t::table
        .filter(attempts_t::delivery_id.eq(&id))
        .order(attempts_t::id.desc())
        .limit(20)
        .select((
            attempts_t::attempted_at,
            attempts_t::response_status,
            attempts_t::error,
            attempts_t::duration_ms,
        ))
        .load(c)?;
    log.reverse();
    Ok(Delivery {
        next_attempt_at: (status == "pending").then(|| next.and_utc()),
        id,
        event_id,
        event_type,
        status,
        attempts,
        last_status,
        last_error,
        queued_at: created.and_utc(),
        delivered_at: delivered.map(|t| t.and_utc()),
        failed_at: failed.map(|t| t.and_utc()),
        attempt_log: log
            .into_iter()
            .map(|(at, s, e, ms)| DeliveryAttempt {
                attempted_at: at.and_utc(),
                response_status: s,
                error: e,
                duration_ms: ms,
            })
            .collect(),
    })
}

/// A subscription's deliveries and their attempts
///
/// Admins any subscription's, integrators their own's. Oldest first, cursor-paginated: each
/// delivery with its status (`pending`, `delivered`, `failed`), when the next attempt is due,
/// and its attempts with the receiver's status or the error.
#[utoipa::path(tag = "webhooks", params(("id" = String, Path), PageQuery), responses(
    (status = 200, description = "A page of deliveries", body = Page<Delivery>),
    (status = 400, description = "`limit` or `cursor` is malformed", body = Problem, content_type = "application/problem+json"),
    (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not an admin or integrator", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such subscription (of yours)", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/webhooks/{id}/deliveries")]
pub async fn deliveries(
    caller: Authed,
    shared: web::Data<Shared>,
    id: web::Path<String>,
    q: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let caller = caller.0;
    require_manager(&caller)?;
    let page = PageRequest::<String>::parse(q.0.limit, q.0.cursor.as_deref())?;
    let (fetch, after) = (page.fetch(), page.after.clone());
    let id = id.into_inner();
    let rows = shared
        .db
        .read(move |c| {
            find_for(c, &caller, &id)?;
            let mut q = deliveries_t::table
                .filter(deliveries_t::webhook_id.eq(&id))
                .select(delivery_cols())
                .order(deliveries_t::id)
                .limit(fetch)
                .into_boxed::<xs_kit::db::DbBackend>();
            if let Some(a) = after {
                q = q.filter(deliveries_t::id.gt(a));
            }
            let rows: Vec<DeliveryRow> = q.load(c)?;
            rows.into_iter()
                .map(|r| delivery_view(c, r))
                .collect::<ApiResult<Vec<Delivery>>>()
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.page(rows, |d| d.id.clone(), |d| d)))
}

/// Send a delivery again
///
/// Admins any subscription's, integrators their own's. Queues the delivery again now (also
/// one that failed or was delivered), with a fresh three-day retry window; the receiver gets
/// the same `webhook-id`. 409 when the subscription is disabled (enable it first).
#[utoipa::path(tag = "webhooks", params(("id" = String, Path), ("delivery_id" = String, Path)), responses(
    (status = 202, description = "Queued; the delivery as it now is", body = Delivery),
    (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not an admin or integrator", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such subscription (of yours) or delivery", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The subscription is disabled", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[post("/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    caller: Authed,
    shared: web::Data<Shared>,
    state: web::Data<WebhookState>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let caller = caller.0;
    require_manager(&caller)?;
    let (id, delivery) = path.into_inner();
    let d = shared
        .db
        .write(move |c| {
            let hook = find_for(c, &caller, &id)?;
            if !hook.enabled {
                return Err(ApiError::Conflict(
                    "the subscription is disabled: enable it first".into(),
                ));
            }
            let now = xs_kit::db::now();
            let n = diesel::update(
                deliveries_t::table
                    .filter(deliveries_t::id.eq(&delivery))
                    .filter(deliveries_t::webhook_id.eq(&id)),
            )
            .set((
                deliveries_t::status.eq("pending"),
                deliveries_t::next_attempt_at.eq(now),
                deliveries_t::created_at.eq(now),
                deliveries_t::failed_at.eq(None::<NaiveDateTime>),
            ))
            .execute(c)?;
            if n == 0 {
                return Err(ApiError::not_found("delivery"));
            }
            let row: DeliveryRow = deliveries_t::table
                .find(&delivery)
                .select(delivery_cols())
                .first(c)?;
            delivery_view(c, row)
        })
        .await?;
    state.wake.notify_one();
    Ok(HttpResponse::Accepted().json(d))
}
