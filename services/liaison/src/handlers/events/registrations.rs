//! Registrations for an event: one per person (a compatriot or a member) while not cancelled;
//! over capacity a registration waits, and a cancellation gives the first waiting one its
//! seat. Every seat decision is taken with the event's row locked (`rows::lock`), so
//! concurrent registrations never overbook, on either backend.

use super::{find_event, status_of};
use crate::domain::access::{EVENTS, REGISTRATIONS, SELF_REGISTRANTS};
use crate::domain::compatriot::is_self;
use crate::domain::event::{RegistrationStatus, place, promotions};
use crate::handlers::Refs;
use crate::models::compatriot as compatriot_model;
use crate::models::event::EventRow;
use crate::models::registration::{self as model, RegistrationRow, person_key};
use crate::views::event::*;
use actix_web::{HttpResponse, delete, get, post, web};
use xs_kit::client::ServiceClient;
use xs_kit::enums::stored;
use xs_kit::error::{OrNotFound, Problem};
use xs_kit::extract::{Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, DbConn, Page, PageRequest, rows};

fn view(r: RegistrationRow) -> ApiResult<Registration> {
    let status = stored("registration status", &r.status)?;
    Ok(Registration::from_row(r, status))
}

/// May the caller register (or cancel) this person for this event? The district's office
/// anyone; a member themself; a resident the compatriot record they registered.
fn require_person(
    caller: &Caller,
    event: &EventRow,
    member: Option<&str>,
    compatriot_account: Option<&str>,
) -> ApiResult<()> {
    if REGISTRATIONS.may_write(caller, &event.district_code) {
        return Ok(());
    }
    EVENTS.require_read(caller, &event.district_code, None)?;
    let own_member = member.is_some() && caller.member_id.as_deref() == member;
    let own_compatriot = compatriot_account.is_some() && is_self(caller, compatriot_account);
    if own_member || own_compatriot {
        return Ok(());
    }
    Err(ApiError::Forbidden(
        "members and residents register only themselves".into(),
    ))
}

fn not_open(event: &EventRow) -> ApiError {
    ApiError::Conflict(format!(
        "the event is {}; registrations are taken only while it is open for registration",
        event.status.replace('_', " ")
    ))
}

/// The locked event, or a 404.
fn lock_event(c: &mut DbConn, id: &str) -> ApiResult<EventRow> {
    if !rows::lock(c, "liaison_events", id)? {
        return Err(ApiError::not_found("liaison event"));
    }
    find_event(c, id)
}

/// Give waiting registrations the seats that are free, in registration order; the first one
/// promoted.
fn promote_waiting(
    c: &mut DbConn,
    event: &EventRow,
    by: &str,
) -> ApiResult<Option<RegistrationRow>> {
    let confirmed = model::count(c, &event.id, RegistrationStatus::Confirmed)?;
    let waiting = model::count(c, &event.id, RegistrationStatus::Waitlisted)?;
    let n = promotions(event.capacity, confirmed, waiting);
    if n == 0 {
        return Ok(None);
    }
    let ids = model::first_waiting(c, &event.id, n)?;
    model::promote(c, &ids, by, xs_kit::db::now())?;
    match ids.first() {
        Some(first) => Ok(model::find(c, &event.id, first)?),
        None => Ok(None),
    }
}

/// An event's registrations
///
/// In registration order (the waiting list's order), optionally one status. The district's
/// office staff and coordinators, admins, and read-only integrations see all of them; a member
/// or a resident of the district who may read the event sees their own (a resident: those of
/// the compatriot record they registered).
#[utoipa::path(tag = "liaison-events", params(("id" = String, Path), RegistrationQuery), responses(
    (status = 200, description = "A page of registrations in registration order", body = Page<Registration>),
    (status = 400, description = "A filter, `limit` or `cursor` is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "The role may not read registrations, or the event is outside the caller's scope", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/liaison-events/{id}/registrations")]
pub async fn list_registrations(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<RegistrationQuery>,
) -> ApiResult<HttpResponse> {
    let scope = REGISTRATIONS.read_scope(&caller).ok();
    if scope.is_none() && !caller.has_any(SELF_REGISTRANTS) {
        REGISTRATIONS.read_scope(&caller)?;
    }
    let q = q.0;
    let page = PageRequest::<i32>::parse(q.limit, q.cursor.as_deref())?;
    let (id, fetch, after) = (id.into_inner(), page.fetch(), page.after);
    let status = q.status.map(|s| s.as_str());
    let rows = db
        .read(move |c| {
            let event = find_event(c, &id)?;
            let persons = match &scope {
                Some(s) => {
                    s.require(&event.district_code, None, REGISTRATIONS.what)?;
                    None
                }
                // Members and residents: their own, at events they may read.
                None => {
                    EVENTS.require_read(&caller, &event.district_code, None)?;
                    let mut own = Vec::new();
                    if let Some(m) = &caller.member_id {
                        own.push(person_key(None, Some(m)));
                    }
                    if let Some(me) = compatriot_model::find_by_account(c, &caller.sub)?
                        && is_self(&caller, me.account_sub.as_deref())
                    {
                        own.push(person_key(Some(&me.id), None));
                    }
                    Some(own)
                }
            };
            Ok(model::list(
                c,
                &id,
                status,
                persons.as_deref(),
                after,
                fetch,
            )?)
        })
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    let body = page.page(rows, |r| r.queue_no, |r| r);
    for r in body.items {
        items.push(view(r)?);
    }
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: body.next_cursor,
    }))
}

/// Register for an event
///
/// One person: a compatriot of the event's district or a member of it (422 otherwise),
/// once while the registration stands (409 for a second). The district's office staff and
/// admins register anyone; a member registers themself, a resident the compatriot record they
/// registered. Only while the event is open for registration (409 otherwise). Within capacity
/// the registration is `confirmed`; beyond it `waitlisted`, promoted in order when a seat
/// frees up. Concurrent registrations never take more seats than there are.
#[utoipa::path(tag = "liaison-events", request_body = NewRegistration, params(
    ("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = Registration, headers(("Location" = String))),
    (status = 400, description = "Neither or both of `compatriot` and `member`", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not the district's office, nor the person themself", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already registered, or the event is not open for registration", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The compatriot or member does not exist or is of another district", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database or the membership service is unavailable", body = Problem, content_type = "application/problem+json")))]
#[post("/liaison-events/{id}/registrations")]
pub async fn create_registration(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    idem: Idempotency,
    id: web::Path<String>,
    body: Json<NewRegistration>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let lookup = id.clone();
    let event = db.read(move |c| find_event(c, &lookup)).await?;
    let body = body.0;
    let compatriot = body.compatriot.as_deref().map(str::trim).map(String::from);
    let member = body.member.as_deref().map(str::trim).map(String::from);
    // The compatriot's record decides whether a resident registers themself.
    let account = match &compatriot {
        Some(cid) => {
            let cid = cid.clone();
            db.read(move |c| Ok(compatriot_model::find(c, &cid)?))
                .await?
        }
        None => None,
    };
    require_person(
        &caller,
        &event,
        member.as_deref(),
        account.as_ref().and_then(|a| a.account_sub.as_deref()),
    )?;
    let mut v = Validator::new();
    v.require(
        compatriot.is_some() != member.is_some(),
        "compatriot",
        "give exactly one of compatriot and member",
    )
    .opt_text("compatriot", compatriot.as_deref(), 64)
    .opt_text("member", member.as_deref(), 64)
    .finish()?;
    let mut refs = Refs::new();
    if let Some(m) = &member {
        refs.member(&client, "member", m, &event.district_code)
            .await?;
    }
    if compatriot.is_some() {
        match &account {
            None => refs.push("compatriot", "no such compatriot"),
            Some(c) if c.district_code != event.district_code => refs.push(
                "compatriot",
                &format!("is not a compatriot of district {}", event.district_code),
            ),
            Some(_) => {}
        }
    }
    if let Some(r) = refs.answer() {
        return Ok(r);
    }
    let who = caller.sub.clone();
    idem.run(&db, &caller.sub, &body, move |c| {
        let event = lock_event(c, &id)?;
        if !status_of(&event)?.takes_registrations() {
            return Err(not_open(&event));
        }
        let person = person_key(compatriot.as_deref(), member.as_deref());
        if model::active_for(c, &id, &person)?.is_some() {
            return Err(ApiError::Conflict(
                "this person is already registered for the event".into(),
            ));
        }
        let confirmed = model::count(c, &id, RegistrationStatus::Confirmed)?;
        let status = place(event.capacity, confirmed);
        let now = xs_kit::db::now();
        let row = RegistrationRow {
            id: xs_kit::db::new_id(),
            event_id: id.clone(),
            compatriot_id: compatriot,
            member_id: member,
            person,
            status: status.as_str().into(),
            queue_no: model::next_queue_no(c, &id)?,
            attended: None,
            promoted_at: None,
            cancelled_at: None,
            version: 1,
            created_at: now,
            created_by: who.clone(),
            updated_at: now,
            updated_by: who,
        };
        model::insert(c, &row)?;
        let location = format!("/api/v1/liaison-events/{id}/registrations/{}", row.id);
        Reply::created(&view(row)?, location)
    })
    .await
}

/// Cancel a registration
///
/// The district's office staff and admins, or the person themself (a member, or the resident
/// who registered the compatriot), while the event is open for registration (409 otherwise,
/// and for a registration already cancelled). A confirmed seat that frees up goes to the first
/// waiting registration, which the answer shows as `promoted`.
#[utoipa::path(tag = "liaison-events", params(
    ("id" = String, Path), ("reg_id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 200, body = Cancellation),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not the district's office, nor the person themself", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already cancelled, or the event is not open for registration", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[delete("/liaison-events/{id}/registrations/{reg_id}")]
pub async fn cancel_registration(
    db: web::Data<Db>,
    caller: Caller,
    idem: Idempotency,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, reg_id) = path.into_inner();
    let key = serde_json::json!({"registration": reg_id});
    let sub = caller.sub.clone();
    idem.run(&db, &sub, &key, move |c| {
        let event = lock_event(c, &id)?;
        let reg = model::find(c, &id, &reg_id)?.or_not_found("registration")?;
        let account = match &reg.compatriot_id {
            Some(cid) => compatriot_model::find(c, cid)?.and_then(|r| r.account_sub),
            None => None,
        };
        require_person(
            &caller,
            &event,
            reg.member_id.as_deref(),
            account.as_deref(),
        )?;
        if !status_of(&event)?.takes_registrations() {
            return Err(not_open(&event));
        }
        if reg.status == RegistrationStatus::Cancelled.as_str() {
            return Err(ApiError::Conflict(
                "the registration is already cancelled".into(),
            ));
        }
        model::cancel(c, &reg.id, &caller.sub, xs_kit::db::now())?;
        let promoted = promote_waiting(c, &event, &caller.sub)?;
        let cancelled = model::find(c, &id, &reg.id)?.or_not_found("registration")?;
        Reply::ok(&Cancellation {
            cancelled: view(cancelled)?,
            promoted: promoted.map(view).transpose()?,
        })
    })
    .await
}

/// Mark attendance
///
/// The district's office staff and admins mark whether a confirmed registration attended,
/// while the event is open for registration or once it is held (409 otherwise, and for a
/// registration that is not confirmed). Attendances of compatriots count in the statistics.
#[utoipa::path(tag = "liaison-events", request_body = Attendance, params(
    ("id" = String, Path), ("reg_id" = String, Path)),
    responses(
    (status = 200, body = Registration),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not the district's office", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The registration is not confirmed, or the event is planned or cancelled", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[post("/liaison-events/{id}/registrations/{reg_id}/attendance")]
pub async fn mark_attendance(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: Json<Attendance>,
) -> ApiResult<HttpResponse> {
    caller.require_any(REGISTRATIONS.writers)?;
    let (id, reg_id) = path.into_inner();
    let attended = body.attended;
    let reg = db
        .write(move |c| {
            let event = lock_event(c, &id)?;
            REGISTRATIONS.require_write(&caller, &event.district_code)?;
            let status = status_of(&event)?;
            if !matches!(
                status,
                EventStatus::OpenForRegistration | EventStatus::Held
            ) {
                return Err(ApiError::Conflict(format!(
                    "attendance is marked only for events open for registration or held; this one is {}",
                    event.status.replace('_', " ")
                )));
            }
            let reg = model::find(c, &id, &reg_id)?.or_not_found("registration")?;
            if reg.status != RegistrationStatus::Confirmed.as_str() {
                return Err(ApiError::Conflict(format!(
                    "only confirmed registrations attend; this one is {}",
                    reg.status
                )));
            }
            model::set_attended(c, &reg.id, attended, &caller.sub, xs_kit::db::now())?;
            view(model::find(c, &id, &reg.id)?.or_not_found("registration")?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(reg))
}
