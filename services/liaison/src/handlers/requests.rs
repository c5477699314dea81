//! Compatriots' requests (诉求): raised by a compatriot or an enterprise, assigned to a
//! member, followed up with notes until resolved or found unresolvable, with the days each has
//! been open and the list of those open too long.
//!
//! The district's office and coordinators read them, each member those assigned to them;
//! the office writes, and the assigned member moves their own on and adds notes.

use super::Refs;
use crate::domain::access::REQUESTS;
use crate::domain::request::{RequestAction, RequestStatus};
use crate::models::compatriot as compatriot_model;
use crate::models::enterprise as enterprise_model;
use crate::models::request::{
    self as model, LifecycleChanges, NoteRow, RequestChanges, RequestFilter, RequestRow,
};
use crate::views::HistoryEntry;
use crate::views::request::*;
use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use xs_kit::client::ServiceClient;
use xs_kit::concurrency::{check_updated, etag, expected_version};
use xs_kit::enums::stored;
use xs_kit::error::{OrNotFound, Problem};
use xs_kit::extract::{IfMatch, Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::lifecycle::{self, Move, Publish};
use xs_kit::pagination::PageQuery;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, DbConn, Page, PageRequest, rows};

pub(crate) const DEFAULT_OVERDUE_DAYS: i64 = 30;

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn find_request(c: &mut DbConn, id: &str) -> ApiResult<RequestRow> {
    model::find(c, id)?.or_not_found("compatriot request")
}

/// Is the caller the member the request is assigned to?
fn is_assignee(caller: &Caller, r: &RequestRow) -> bool {
    caller.member_id.is_some() && caller.member_id == r.assigned_member
}

fn view(caller: Option<&Caller>, r: RequestRow) -> ApiResult<CompatriotRequest> {
    let kind = stored("request kind", &r.kind)?;
    let status: RequestStatus = stored("request status", &r.status)?;
    let allowed = match caller {
        Some(c) if REQUESTS.may_write(c, &r.district_code) || is_assignee(c, &r) => {
            lifecycle::allowed(status, &())
        }
        _ => Vec::new(),
    };
    Ok(CompatriotRequest::from_row(
        r,
        kind,
        status,
        allowed,
        today(),
    ))
}

fn publish(r: &CompatriotRequest) -> ApiResult<Publish> {
    Ok(Publish {
        district: Some(r.district.clone()),
        subject: format!("/api/v1/compatriot-requests/{}", r.id),
        data: serde_json::to_value(r).map_err(ApiError::internal)?,
    })
}

fn with_etag(r: &CompatriotRequest) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(r.version)))
        .json(r)
}

/// Rows of a page in receipt order, as views, with the next cursor.
fn page_of(
    page: &PageRequest<(NaiveDate, String)>,
    caller: &Caller,
    rows: Vec<RequestRow>,
) -> ApiResult<Page<CompatriotRequest>> {
    let body = page.page(rows, |r| (r.received_on, r.id.clone()), |r| r);
    let items = body
        .items
        .into_iter()
        .map(|r| view(Some(caller), r))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Page {
        items,
        next_cursor: body.next_cursor,
    })
}

/// List compatriots' requests
///
/// Oldest received first. The district's office staff and coordinators and admins, read-only
/// integrations (citywide or their district), and each member the requests assigned to them.
#[utoipa::path(tag = "compatriot-requests", params(RequestQuery), responses(
    (status = 200, description = "A page of requests, oldest received first", body = Page<CompatriotRequest>),
    (status = 400, description = "A filter, `limit` or `cursor` is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "The role may not read requests, or the district or member is outside the caller's scope", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/compatriot-requests")]
pub async fn list_requests(
    db: web::Data<Db>,
    caller: Caller,
    q: Query<RequestQuery>,
) -> ApiResult<HttpResponse> {
    let scope = REQUESTS.read_scope(&caller)?;
    let q = q.0;
    let scoped = scope.narrow(q.district, q.member)?;
    let filter = RequestFilter {
        district: scoped.district,
        member: scoped.member,
        kind: q.kind.map(|k| k.as_str().to_string()),
        status: q.status.map(|s| s.as_str().to_string()),
        compatriot: q.compatriot,
        enterprise: q.enterprise,
        open_received_by: None,
    };
    let page = PageRequest::<(NaiveDate, String)>::parse(q.limit, q.cursor.as_deref())?;
    let (fetch, after) = (page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| Ok(model::list(c, &filter, after, fetch)?))
        .await?;
    Ok(HttpResponse::Ok().json(page_of(&page, &caller, rows)?))
}

/// Requests open too long
///
/// The requests still open (received, assigned or in progress) that were received more than
/// `days` days ago (default 30), oldest first, each with its `days_open`. Readable as the list.
#[utoipa::path(tag = "compatriot-requests", params(OverdueQuery), responses(
    (status = 200, description = "A page of overdue requests, oldest first", body = Page<CompatriotRequest>),
    (status = 400, description = "`days`, a filter, `limit` or `cursor` is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "The role may not read requests, or the district or member is outside the caller's scope", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/compatriot-requests/overdue")]
pub async fn overdue_requests(
    db: web::Data<Db>,
    caller: Caller,
    q: Query<OverdueQuery>,
) -> ApiResult<HttpResponse> {
    let scope = REQUESTS.read_scope(&caller)?;
    let q = q.0;
    let days = q.days.unwrap_or(DEFAULT_OVERDUE_DAYS);
    Validator::new()
        .check(
            (1..=3650).contains(&days),
            "days",
            "must be between 1 and 3650",
        )
        .finish()?;
    let scoped = scope.narrow(q.district, q.member)?;
    let filter = RequestFilter {
        district: scoped.district,
        member: scoped.member,
        // Open more than `days` days: received on or before the day `days + 1` days ago.
        open_received_by: Some(today() - chrono::Days::new(days as u64 + 1)),
        ..RequestFilter::default()
    };
    let page = PageRequest::<(NaiveDate, String)>::parse(q.limit, q.cursor.as_deref())?;
    let (fetch, after) = (page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| Ok(model::list(c, &filter, after, fetch)?))
        .await?;
    Ok(HttpResponse::Ok().json(page_of(&page, &caller, rows)?))
}

/// One compatriot request
///
/// Readable by the district's office staff and coordinators, admins, read-only integrations
/// and the member it is assigned to.
#[utoipa::path(tag = "compatriot-requests", params(("id" = String, Path)), responses(
    (status = 200, body = CompatriotRequest, headers(("ETag" = String))),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Outside the caller's scope", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/compatriot-requests/{id}")]
pub async fn get_request(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let scope = REQUESTS.read_scope(&caller)?;
    let id = id.into_inner();
    let row = db.read(move |c| find_request(c, &id)).await?;
    scope.require(
        &row.district_code,
        row.assigned_member.as_deref(),
        REQUESTS.what,
    )?;
    Ok(with_etag(&view(Some(&caller), row)?))
}

/// Record a compatriot request
///
/// Admins and office staff. Raised by exactly one of a compatriot and an enterprise (youth
/// base, association), which must exist (422); the request belongs to its district, which must
/// be the caller's. `received_on` defaults to today and may not be in the future. It starts
/// `received`.
#[utoipa::path(tag = "compatriot-requests", request_body = NewRequest, params(
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = CompatriotRequest, headers(("Location" = String), ("ETag" = String))),
    (status = 400, description = "A field is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not the office of the raiser's district", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The compatriot or enterprise does not exist", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[post("/compatriot-requests")]
pub async fn create_request(
    db: web::Data<Db>,
    caller: Caller,
    idem: Idempotency,
    body: Json<NewRequest>,
) -> ApiResult<HttpResponse> {
    caller.require_any(REQUESTS.writers)?;
    let mut v = Validator::new();
    v.require(
        body.compatriot.is_some() != body.enterprise.is_some(),
        "compatriot",
        "give exactly one of compatriot and enterprise",
    )
    .opt_text("compatriot", body.compatriot.as_deref(), 64)
    .opt_text("enterprise", body.enterprise.as_deref(), 64)
    .text("description", &body.description, 4000);
    if let Some(d) = body.received_on {
        v.step_date("received_on", d, None);
    }
    v.finish()?;
    let body = body.0;
    let (c_id, e_id) = (body.compatriot.clone(), body.enterprise.clone());
    let district = db
        .read(move |c| {
            Ok(match (c_id, e_id) {
                (Some(id), _) => compatriot_model::find(c, id.trim())?.map(|r| r.district_code),
                (None, Some(id)) => enterprise_model::find(c, id.trim())?.map(|r| r.district_code),
                (None, None) => None,
            })
        })
        .await?;
    let mut refs = Refs::new();
    if district.is_none() {
        if body.compatriot.is_some() {
            refs.push("compatriot", "no such compatriot");
        } else {
            refs.push("enterprise", "no such Taiwan enterprise");
        }
    }
    if let Some(r) = refs.answer() {
        return Ok(r);
    }
    let district = district.unwrap_or_default();
    REQUESTS.require_write(&caller, &district)?;
    let (input, who) = (body.clone(), caller.clone());
    idem.run(&db, &caller.sub, &body, move |c| {
        let b = input;
        let now = xs_kit::db::now();
        let row = RequestRow {
            id: xs_kit::db::new_id(),
            district_code: district,
            compatriot_id: b.compatriot.map(|s| s.trim().to_string()),
            enterprise_id: b.enterprise.map(|s| s.trim().to_string()),
            kind: b.kind.as_str().into(),
            description: b.description.trim().to_string(),
            assigned_member: None,
            status: RequestStatus::Received.as_str().into(),
            received_on: b.received_on.unwrap_or_else(today),
            closed_on: None,
            resolution: None,
            unresolvable_reason: None,
            version: 1,
            created_at: now,
            created_by: who.sub.clone(),
            updated_at: now,
            updated_by: who.sub.clone(),
        };
        model::insert(c, &row)?;
        let id = row.id.clone();
        let out = view(Some(&who), row)?;
        Move {
            subject_id: id.clone(),
            from: None,
            action: "receive".into(),
            to: RequestStatus::Received,
            details: serde_json::json!({}),
            by: who.sub.clone(),
            at: now,
        }
        .record(c, publish(&out)?)?;
        Reply::created(&out, format!("/api/v1/compatriot-requests/{id}"))
    })
    .await
}

/// Change a compatriot request
///
/// Admins and office staff of its district change the kind or description of an open request
/// (409 once closed). Send the version you read (`If-Match` or `version`): 428 without, 412
/// when stale.
#[utoipa::path(tag = "compatriot-requests", request_body = RequestPatch, params(
    ("id" = String, Path),
    ("If-Match" = Option<String>, Header, description = "The ETag you read; or send `version` in the body")),
    responses(
    (status = 200, body = CompatriotRequest, headers(("ETag" = String))),
    (status = 400, description = "A field is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not the district's office", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The request is closed", body = Problem, content_type = "application/problem+json"),
    (status = 412, description = "Changed by someone else since it was read", body = Problem, content_type = "application/problem+json"),
    (status = 428, description = "No version given", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[patch("/compatriot-requests/{id}")]
pub async fn update_request(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<RequestPatch>,
) -> ApiResult<HttpResponse> {
    caller.require_any(REQUESTS.writers)?;
    let patch = body.0;
    // Role and scope before input: the version and the fields are checked after the scope.
    let expected = expected_version(if_match, patch.version);
    let valid = Validator::new()
        .opt_text("description", patch.description.as_deref(), 4000)
        .finish();
    let id = id.into_inner();
    let changes = RequestChanges {
        kind: patch.kind.map(|k| k.as_str().to_string()),
        description: patch.description.map(|s| s.trim().to_string()),
    };
    let out = db
        .write(move |c| {
            let current = find_request(c, &id)?;
            REQUESTS.require_write(&caller, &current.district_code)?;
            let expected = expected?;
            valid?;
            let status: RequestStatus = stored("request status", &current.status)?;
            if !status.is_open() {
                return Err(ApiError::Conflict(format!(
                    "a {} request can no longer be changed",
                    current.status
                )));
            }
            let rows = model::update(c, &id, expected, &changes, &caller.sub, xs_kit::db::now())?;
            check_updated(rows, || Ok(model::exists(c, &id)?), "compatriot request")?;
            view(Some(&caller), find_request(c, &id)?)
        })
        .await?;
    Ok(with_etag(&out))
}

/// Which fields each action takes (required, optional).
fn transition_fields(a: RequestAction) -> (&'static [&'static str], &'static [&'static str]) {
    match a {
        RequestAction::Assign => (&["member"], &[]),
        RequestAction::Start => (&[], &[]),
        RequestAction::Resolve => (&["resolution"], &["date"]),
        RequestAction::MarkUnresolvable => (&["reason"], &["date"]),
    }
}

/// The same table for the API document (`xs_kit::apidoc::by_action`).
pub(crate) fn transition_rules() -> Vec<xs_kit::apidoc::ActionFields> {
    RequestAction::ALL
        .iter()
        .map(|a| {
            let (required, optional) = transition_fields(*a);
            (a.as_str(), required, optional)
        })
        .collect()
}

fn validate_transition(t: &RequestTransition) -> ApiResult<()> {
    let given = [
        ("member", t.member.is_some()),
        ("resolution", t.resolution.is_some()),
        ("reason", t.reason.is_some()),
        ("date", t.date.is_some()),
    ];
    let (required, optional) = transition_fields(t.action);
    let mut v = Validator::new();
    for (field, present) in given {
        if required.contains(&field) {
            v.check(
                present,
                field,
                &format!("is required to {}", t.action.as_str()),
            );
        } else if !optional.contains(&field) {
            v.check(
                !present,
                field,
                &format!("does not apply to {}", t.action.as_str()),
            );
        }
    }
    v.opt_text("member", t.member.as_deref(), 64)
        .opt_text("resolution", t.resolution.as_deref(), 2000)
        .opt_text("reason", t.reason.as_deref(), 2000);
    if let Some(d) = t.date {
        v.step_date("date", d, None);
    }
    v.finish()
}

/// Move a compatriot request
///
/// `assign` (received, assigned or in progress → assigned; needs `member`, a member of the
/// request's district, 422 otherwise) is for admins and the district's office staff; `start`
/// (assigned → in progress), `resolve` (assigned or in progress → resolved; needs
/// `resolution`) and `mark_unresolvable` (any open state → unresolvable; needs `reason`) also
/// for the assigned member. `date` (resolve, mark unresolvable) defaults to today and may not
/// be before receipt. An illegal action is a 409 listing the allowed ones.
#[utoipa::path(tag = "compatriot-requests", request_body = RequestTransition, params(
    ("id" = String, Path),
    ("If-Match" = Option<String>, Header, description = "Optional: the ETag you read; stale is a 412"),
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 200, body = CompatriotRequest, headers(("ETag" = String))),
    (status = 400, description = "A field is missing, invalid or does not apply", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Neither the district's office nor the assigned member", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Illegal in the current state; `allowed_actions` lists what is possible", body = Problem, content_type = "application/problem+json"),
    (status = 412, description = "Changed by someone else since it was read", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "`member` does not exist or is of another district", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database or the membership service is unavailable", body = Problem, content_type = "application/problem+json")))]
#[post("/compatriot-requests/{id}/transitions")]
pub async fn transition_request(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    idem: Idempotency,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<RequestTransition>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let lookup = id.clone();
    let current = db.read(move |c| find_request(c, &lookup)).await?;
    let office = REQUESTS.may_write(&caller, &current.district_code);
    let assignee_may = body.action != RequestAction::Assign && is_assignee(&caller, &current);
    if !office && !assignee_may {
        REQUESTS.require_write(&caller, &current.district_code)?;
    }
    validate_transition(&body)?;
    let expected = match (if_match.0, body.version) {
        (None, None) => None,
        (h, b) => Some(expected_version(IfMatch(h), b)?),
    };
    if let Some(m) = &body.member {
        let mut refs = Refs::new();
        refs.member(&client, "member", m.trim(), &current.district_code)
            .await?;
        if let Some(r) = refs.answer() {
            return Ok(r);
        }
    }
    let req = body.0;
    let (input, who) = (req.clone(), caller.clone());
    idem.run(&db, &caller.sub, &req, move |c| {
        let t = input;
        if !rows::lock(c, "compatriot_requests", &id)? {
            return Err(ApiError::not_found("compatriot request"));
        }
        let current = find_request(c, &id)?;
        // Decided again under the lock: a reassignment may have come in between.
        if !office && !is_assignee(&who, &current) {
            return Err(ApiError::Forbidden(
                "the request is no longer assigned to you".into(),
            ));
        }
        if expected.is_some_and(|v| v != current.version) {
            return Err(ApiError::PreconditionFailed(
                "the request was changed by someone else; read it again and retry".into(),
            ));
        }
        let from: RequestStatus = stored("request status", &current.status)?;
        let to = lifecycle::apply(from, t.action, &())?;
        let mut changes = LifecycleChanges {
            status: to.as_str().into(),
            ..LifecycleChanges::default()
        };
        match t.action {
            RequestAction::Assign => {
                changes.assigned_member = Some(t.member.as_ref().map(|m| m.trim().to_string()));
            }
            RequestAction::Start => {}
            RequestAction::Resolve | RequestAction::MarkUnresolvable => {
                let day = t.date.unwrap_or_else(today);
                if day < current.received_on {
                    return Err(ApiError::unprocessable(
                        "date",
                        format!("must not be before receipt ({})", current.received_on),
                    ));
                }
                changes.closed_on = Some(Some(day));
                if t.action == RequestAction::Resolve {
                    changes.resolution = Some(t.resolution.as_ref().map(|s| s.trim().to_string()));
                } else {
                    changes.unresolvable_reason =
                        Some(t.reason.as_ref().map(|s| s.trim().to_string()));
                }
            }
        }
        let now = xs_kit::db::now();
        let updated = model::set_lifecycle(c, &id, current.version, &changes, &who.sub, now)?;
        check_updated(updated, || Ok(model::exists(c, &id)?), "compatriot request")?;
        let out = view(Some(&who), find_request(c, &id)?)?;
        let mut details = serde_json::to_value(&t).map_err(ApiError::internal)?;
        if let Some(o) = details.as_object_mut() {
            o.remove("action");
            o.remove("version");
            o.retain(|_, v| !v.is_null());
        }
        Move {
            subject_id: id.clone(),
            from: Some(from),
            action: t.action.as_str().into(),
            to,
            details,
            by: who.sub.clone(),
            at: now,
        }
        .record(c, publish(&out)?)?;
        Reply::ok(&out)
    })
    .await
}

/// A request's follow-up notes
///
/// Oldest first; readable as the request.
#[utoipa::path(tag = "compatriot-requests", params(("id" = String, Path), PageQuery), responses(
    (status = 200, description = "A page of notes, oldest first", body = Page<Note>),
    (status = 400, description = "`limit` or `cursor` is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Outside the caller's scope", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/compatriot-requests/{id}/notes")]
pub async fn list_notes(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let scope = REQUESTS.read_scope(&caller)?;
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (id, fetch, after) = (id.into_inner(), page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| {
            let r = find_request(c, &id)?;
            scope.require(
                &r.district_code,
                r.assigned_member.as_deref(),
                REQUESTS.what,
            )?;
            Ok(model::notes(c, &id, after.as_deref(), fetch)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.page(rows, |r| r.id.clone(), Note::from)))
}

/// Add a follow-up note
///
/// Admins and office staff of the request's district, or the member it is assigned to.
#[utoipa::path(tag = "compatriot-requests", request_body = NewNote, params(
    ("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = Note, headers(("Location" = String))),
    (status = 400, description = "The note is blank or too long", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Neither the district's office nor the assigned member", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[post("/compatriot-requests/{id}/notes")]
pub async fn add_note(
    db: web::Data<Db>,
    caller: Caller,
    idem: Idempotency,
    id: web::Path<String>,
    body: Json<NewNote>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let (id, input, who) = (id.into_inner(), body.clone(), caller.clone());
    let lookup = id.clone();
    let current = db.read(move |c| find_request(c, &lookup)).await?;
    if !is_assignee(&caller, &current) {
        REQUESTS.require_write(&caller, &current.district_code)?;
    }
    Validator::new().text("note", &body.note, 2000).finish()?;
    idem.run(&db, &caller.sub, &body, move |c| {
        let row = NoteRow {
            id: xs_kit::db::new_id(),
            request_id: id.clone(),
            note: input.note.trim().to_string(),
            created_at: xs_kit::db::now(),
            created_by: who.sub.clone(),
        };
        model::insert_note(c, &row)?;
        let location = format!("/api/v1/compatriot-requests/{id}/notes");
        Reply::created(&Note::from(row), location)
    })
    .await
}

/// A compatriot request's history
///
/// Every step from receipt on, oldest first, with what each recorded (the member assigned,
/// the resolution or the reason) and the account that took it. Readable as the request.
#[utoipa::path(tag = "compatriot-requests", params(("id" = String, Path), PageQuery), responses(
    (status = 200, description = "A page of steps, oldest first", body = Page<HistoryEntry>),
    (status = 400, description = "`limit` or `cursor` is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Outside the caller's scope", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/compatriot-requests/{id}/history")]
pub async fn request_history(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let scope = REQUESTS.read_scope(&caller)?;
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (id, fetch, after) = (id.into_inner(), page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| {
            let r = find_request(c, &id)?;
            scope.require(
                &r.district_code,
                r.assigned_member.as_deref(),
                REQUESTS.what,
            )?;
            Ok(lifecycle::history::<RequestStatus>(
                c,
                &id,
                after.as_deref(),
                fetch,
            )?)
        })
        .await?;
    let items = rows
        .into_iter()
        .map(HistoryEntry::from_row)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(page.page(items, |e| e.id.clone(), |e| e)))
}
