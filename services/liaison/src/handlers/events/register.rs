//! The register of liaison events: list, read, create, change.

use super::{find_event, publish, status_of, view, views, with_etag};
use crate::domain::access::EVENTS;
use crate::domain::event::RegistrationStatus;
use crate::domain::event::{EventStatus, promotions};
use crate::handlers::Refs;
use crate::models::enterprise as enterprise_model;
use crate::models::event::{self as model, EventChanges, EventFilter, EventRow};
use crate::models::registration as reg_model;
use crate::views::event::*;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDateTime;
use xs_kit::client::ServiceClient;
use xs_kit::concurrency::{check_updated, expected_version};
use xs_kit::error::Problem;
use xs_kit::extract::{IfMatch, Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::lifecycle::Move;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, Page, PageRequest, rows};

pub(crate) const MAX_CAPACITY: i32 = 100_000;

/// The fields create and change share; `None` is "not given".
#[derive(Default)]
struct Fields<'a> {
    title: Option<&'a str>,
    place: Option<&'a str>,
    starts_at: Option<NaiveDateTime>,
    ends_at: Option<NaiveDateTime>,
    capacity: Option<i32>,
    organisers: Option<&'a [String]>,
    liaison_point: Option<&'a str>,
    enterprise: Option<&'a str>,
}

fn validate(v: &mut Validator, f: &Fields) {
    v.opt_text("title", f.title, 200)
        .opt_text("place", f.place, 200)
        .opt_text("liaison_point", f.liaison_point, 64)
        .opt_text("enterprise", f.enterprise, 64);
    if let (Some(s), Some(e)) = (f.starts_at, f.ends_at) {
        v.require(e > s, "ends_at", "must be after starts_at");
    }
    if let Some(c) = f.capacity {
        v.check(
            (1..=MAX_CAPACITY).contains(&c),
            "capacity",
            "must be between 1 and 100000",
        );
    }
    if let Some(o) = f.organisers {
        v.texts("organisers", o, 0..=20, 64);
    }
}

/// The references of an event: liaison point (a `taiwan_liaison_point` workroom of the
/// district), enterprise (of the district), organisers (members of the district).
async fn check_refs(
    db: &Db,
    client: &ServiceClient,
    refs: &mut Refs,
    district: &str,
    f: &Fields<'_>,
) -> ApiResult<()> {
    if let Some(p) = f.liaison_point {
        refs.liaison_point(client, "liaison_point", p.trim(), district)
            .await?;
    }
    if let Some(o) = f.organisers {
        refs.members(client, "organisers", o, district).await?;
    }
    if let Some(e) = f.enterprise {
        let id = e.trim().to_string();
        let found = db
            .read(move |c| Ok(enterprise_model::find(c, &id)?))
            .await?;
        match found {
            None => refs.push("enterprise", "no such Taiwan enterprise"),
            Some(row) if row.district_code != district => refs.push(
                "enterprise",
                &format!("is not an enterprise of district {district}"),
            ),
            Some(_) => {}
        }
    }
    Ok(())
}

fn trimmed(ids: &[String]) -> Vec<String> {
    ids.iter().map(|s| s.trim().to_string()).collect()
}

/// List liaison events
///
/// In start order. Admins, office staff, coordinators, members and residents of a district
/// read its events (residents to find one to join); dashboards and integrators read citywide
/// (or their district). `allowed_actions` is filled in only for those who may move the event.
#[utoipa::path(tag = "liaison-events", params(EventQuery), responses(
    (status = 200, description = "A page of events in start order", body = Page<Event>),
    (status = 400, description = "A filter, `limit` or `cursor` is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "The role may not read events, or the district is outside the caller's scope", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/liaison-events")]
pub async fn list_events(
    db: web::Data<Db>,
    caller: Caller,
    q: Query<EventQuery>,
) -> ApiResult<HttpResponse> {
    let scope = EVENTS.read_scope(&caller)?;
    let q = q.0;
    let mut v = Validator::new();
    if let (Some(f), Some(t)) = (q.from, q.to) {
        v.require(f <= t, "to", "must not be before from");
    }
    v.finish()?;
    let filter = EventFilter {
        district: scope.narrow(q.district, None)?.district,
        kind: q.kind.map(|k| k.as_str().to_string()),
        status: q.status.map(|s| s.as_str().to_string()),
        from: q.from.map(|t| t.naive_utc()),
        to: q.to.map(|t| t.naive_utc()),
        liaison_point: q.liaison_point,
        enterprise: q.enterprise,
    };
    let page = PageRequest::<(NaiveDateTime, String)>::parse(q.limit, q.cursor.as_deref())?;
    let (fetch, after) = (page.fetch(), page.after.clone());
    let limit = page.limit;
    let (items, next) = db
        .read(move |c| {
            let rows = model::list(c, &filter, after, fetch)?;
            let more = rows.len() as i64 > limit;
            let rows: Vec<EventRow> = rows.into_iter().take(limit as usize).collect();
            let next = more
                .then(|| rows.last().map(|r| (r.starts_at, r.id.clone())))
                .flatten();
            let items = views(c, Some(&caller), rows)?;
            Ok((items, next))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: next.map(|k| xs_kit::pagination::encode_cursor(&k)),
    }))
}

/// One liaison event
///
/// Readable by everyone signed in within its district and by read-only integrations. It
/// shows seats confirmed and waiting; `allowed_actions` only for those who may move it.
#[utoipa::path(tag = "liaison-events", params(("id" = String, Path)), responses(
    (status = 200, body = Event, headers(("ETag" = String))),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Outside the caller's scope", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/liaison-events/{id}")]
pub async fn get_event(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let scope = EVENTS.read_scope(&caller)?;
    let id = id.into_inner();
    let e = db
        .read(move |c| {
            let row = find_event(c, &id)?;
            scope.require(&row.district_code, None, EVENTS.what)?;
            view(c, Some(&caller), row)
        })
        .await?;
    Ok(with_etag(&e))
}

/// Plan a liaison event
///
/// Admins and office staff of the district. The liaison point must be a membership workroom
/// of kind `taiwan_liaison_point` in the district, the enterprise one of the district, each
/// organiser a member of the district (422 naming the field otherwise). It starts `planned`.
#[utoipa::path(tag = "liaison-events", request_body = NewEvent, params(
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = Event, headers(("Location" = String), ("ETag" = String))),
    (status = 400, description = "A field is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not the district's office", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "`district`, `liaison_point`, `enterprise` or an organiser does not exist, is of another district or of the wrong kind", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database or the membership service is unavailable", body = Problem, content_type = "application/problem+json")))]
#[post("/liaison-events")]
pub async fn create_event(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    idem: Idempotency,
    body: Json<NewEvent>,
) -> ApiResult<HttpResponse> {
    EVENTS.require_write(&caller, &body.district)?;
    let fields = Fields {
        title: Some(&body.title),
        place: Some(&body.place),
        starts_at: Some(body.starts_at.naive_utc()),
        ends_at: body.ends_at.map(|t| t.naive_utc()),
        capacity: body.capacity,
        organisers: Some(&body.organisers),
        liaison_point: body.liaison_point.as_deref(),
        enterprise: body.enterprise.as_deref(),
    };
    let mut v = Validator::new();
    v.text("title", &body.title, 200)
        .text("place", &body.place, 200)
        .code("district", &body.district);
    validate(&mut v, &fields);
    v.finish()?;
    let mut refs = Refs::new();
    refs.district(&client, "district", &body.district).await?;
    check_refs(&db, &client, &mut refs, &body.district, &fields).await?;
    if let Some(r) = refs.answer() {
        return Ok(r);
    }
    let body = body.0;
    let (input, who) = (body.clone(), caller.clone());
    idem.run(&db, &caller.sub, &body, move |c| {
        let b = input;
        let now = xs_kit::db::now();
        let row = EventRow {
            id: xs_kit::db::new_id(),
            kind: b.kind.as_str().into(),
            title: b.title.trim().to_string(),
            district_code: b.district,
            starts_at: crate::handlers::micros(b.starts_at.naive_utc()),
            ends_at: b.ends_at.map(|t| crate::handlers::micros(t.naive_utc())),
            place: b.place.trim().to_string(),
            liaison_point: b.liaison_point.map(|s| s.trim().to_string()),
            enterprise_id: b.enterprise.map(|s| s.trim().to_string()),
            capacity: b.capacity,
            status: EventStatus::Planned.as_str().into(),
            people_served: None,
            volunteers: None,
            summary: None,
            cancel_reason: None,
            version: 1,
            created_at: now,
            created_by: who.sub.clone(),
            updated_at: now,
            updated_by: who.sub.clone(),
        };
        model::insert(c, &row, &trimmed(&b.organisers))?;
        let id = row.id.clone();
        let event = view(c, Some(&who), row)?;
        Move {
            subject_id: id.clone(),
            from: None,
            action: "plan".into(),
            to: EventStatus::Planned,
            details: serde_json::json!({}),
            by: who.sub.clone(),
            at: now,
        }
        .record(c, publish(&event)?)?;
        Reply::created(&event, format!("/api/v1/liaison-events/{id}"))
    })
    .await
}

/// Change a liaison event
///
/// Admins and office staff of its district, while it is planned or open for registration
/// (409 after). References are checked as on creation (422). `capacity` may not go below the
/// seats already confirmed (400); raising it (or removing it) gives waiting registrations
/// their seats in the order they registered. Send the version you read (`If-Match` or
/// `version`): 428 without, 412 when stale.
#[utoipa::path(tag = "liaison-events", request_body = EventPatch, params(
    ("id" = String, Path),
    ("If-Match" = Option<String>, Header, description = "The ETag you read; or send `version` in the body")),
    responses(
    (status = 200, body = Event, headers(("ETag" = String))),
    (status = 400, description = "A field is invalid, or capacity below the confirmed seats", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not the district's office", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The event is held or cancelled", body = Problem, content_type = "application/problem+json"),
    (status = 412, description = "Changed by someone else since it was read", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "A reference does not exist, is of another district or of the wrong kind", body = Problem, content_type = "application/problem+json"),
    (status = 428, description = "No version given", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database or the membership service is unavailable", body = Problem, content_type = "application/problem+json")))]
#[patch("/liaison-events/{id}")]
pub async fn update_event(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<EventPatch>,
) -> ApiResult<HttpResponse> {
    caller.require_any(EVENTS.writers)?;
    let id = id.into_inner();
    let lookup = id.clone();
    let current = db.read(move |c| find_event(c, &lookup)).await?;
    EVENTS.require_write(&caller, &current.district_code)?;
    let patch = body.0;
    let expected = expected_version(if_match, patch.version)?;
    let starts = patch
        .starts_at
        .map(|t| t.naive_utc())
        .unwrap_or(current.starts_at);
    let ends = match patch.ends_at {
        Some(e) => e.map(|t| t.naive_utc()),
        None => current.ends_at,
    };
    let point = patch.liaison_point.as_ref().and_then(|p| p.as_deref());
    let enterprise = patch.enterprise.as_ref().and_then(|p| p.as_deref());
    let mut v = Validator::new();
    validate(
        &mut v,
        &Fields {
            title: patch.title.as_deref(),
            place: patch.place.as_deref(),
            starts_at: Some(starts),
            ends_at: ends,
            capacity: patch.capacity.flatten(),
            organisers: patch.organisers.as_deref(),
            liaison_point: point,
            enterprise,
        },
    );
    v.finish()?;
    let mut refs = Refs::new();
    let references = Fields {
        liaison_point: point,
        enterprise,
        organisers: patch.organisers.as_deref(),
        ..Fields::default()
    };
    check_refs(&db, &client, &mut refs, &current.district_code, &references).await?;
    if let Some(r) = refs.answer() {
        return Ok(r);
    }
    let trim = |o: Option<Option<String>>| o.map(|v| v.map(|s| s.trim().to_string()));
    let changes = EventChanges {
        kind: patch.kind.map(|k| k.as_str().to_string()),
        title: patch.title.map(|s| s.trim().to_string()),
        starts_at: patch
            .starts_at
            .map(|t| crate::handlers::micros(t.naive_utc())),
        ends_at: patch
            .ends_at
            .map(|e| e.map(|t| crate::handlers::micros(t.naive_utc()))),
        place: patch.place.map(|s| s.trim().to_string()),
        liaison_point: trim(patch.liaison_point),
        enterprise_id: trim(patch.enterprise),
        capacity: patch.capacity,
    };
    let organisers = patch.organisers.as_deref().map(trimmed);
    let event = db
        .write(move |c| {
            // Locked: registrations and promotions wait while capacity changes.
            if !rows::lock(c, "liaison_events", &id)? {
                return Err(ApiError::not_found("liaison event"));
            }
            let now_row = find_event(c, &id)?;
            if !status_of(&now_row)?.editable() {
                return Err(ApiError::Conflict(format!(
                    "a {} event can no longer be changed",
                    now_row.status.replace('_', " ")
                )));
            }
            let confirmed = reg_model::count(c, &id, RegistrationStatus::Confirmed)?;
            if let Some(cap) = changes.capacity
                && cap.is_some_and(|n| i64::from(n) < confirmed)
            {
                return Err(ApiError::unprocessable(
                    "capacity",
                    format!("must not be below the {confirmed} seats already confirmed"),
                ));
            }
            let now = xs_kit::db::now();
            let updated = model::update(c, &id, expected, &changes, &caller.sub, now)?;
            check_updated(updated, || Ok(model::exists(c, &id)?), "liaison event")?;
            if let Some(o) = &organisers {
                model::replace_organisers(c, &id, o)?;
            }
            let row = find_event(c, &id)?;
            let waiting = reg_model::count(c, &id, RegistrationStatus::Waitlisted)?;
            let n = promotions(row.capacity, confirmed, waiting);
            if n > 0 {
                let ids = reg_model::first_waiting(c, &id, n)?;
                reg_model::promote(c, &ids, &caller.sub, now)?;
            }
            view(c, Some(&caller), row)
        })
        .await?;
    Ok(with_etag(&event))
}
