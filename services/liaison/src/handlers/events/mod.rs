//! Liaison events: the register (`register`), the lifecycle with the credits of holding one
//! (`lifecycle`), registrations with capacity, waiting list and attendance (`registrations`),
//! and the suggestions raised at them, which become draft reports (`suggestions`).
//!
//! Everyone signed in within the district reads events; the district's office writes.

mod lifecycle;
pub(crate) use lifecycle::transition_rules;
mod register;
mod registrations;
mod suggestions;

pub use lifecycle::*;
pub use register::*;
pub use registrations::*;
pub use suggestions::*;

use crate::domain::access::EVENTS;
use crate::domain::event::{EventStatus, Guards, RegistrationStatus};
use crate::models::event::{self as model, EventRow};
use crate::models::registration as registrations_model;
use crate::views::event::{Event, EventExtras};
use actix_web::HttpResponse;
use actix_web::http::header;
use xs_kit::concurrency::etag;
use xs_kit::enums::stored;
use xs_kit::error::OrNotFound;
use xs_kit::lifecycle::Publish;
use xs_kit::{ApiError, ApiResult, Caller, DbConn};

/// The event, or a 404.
pub(super) fn find_event(c: &mut DbConn, id: &str) -> ApiResult<EventRow> {
    model::find(c, id)?.or_not_found("liaison event")
}

pub(super) fn status_of(row: &EventRow) -> ApiResult<EventStatus> {
    stored("event status", &row.status)
}

/// What the lifecycle's guards know: whether the event's day has come.
pub(super) fn guards(row: &EventRow) -> Guards {
    Guards {
        started: row.starts_at.date() <= chrono::Utc::now().date_naive(),
    }
}

/// The event as `caller` sees it (allowed actions only for those who may move it).
pub(super) fn view(c: &mut DbConn, caller: Option<&Caller>, row: EventRow) -> ApiResult<Event> {
    let mut views = views(c, caller, vec![row])?;
    views
        .pop()
        .ok_or_else(|| ApiError::internal(std::io::Error::other("an event view went missing")))
}

/// A page of events as `caller` sees them, with a fixed number of queries whatever its size.
pub(super) fn views(
    c: &mut DbConn,
    caller: Option<&Caller>,
    rows: Vec<EventRow>,
) -> ApiResult<Vec<Event>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut organisers = model::organisers_of(c, &ids)?;
    let counts = registrations_model::counts_for(c, &ids)?;
    let count = |id: &str, s: RegistrationStatus| {
        counts
            .get(&(id.to_string(), s.as_str().to_string()))
            .copied()
            .unwrap_or(0)
    };
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let kind = stored("event kind", &row.kind)?;
        let status = status_of(&row)?;
        let allowed_actions = match caller {
            Some(who) if EVENTS.may_write(who, &row.district_code) => {
                xs_kit::lifecycle::allowed(status, &guards(&row))
            }
            _ => Vec::new(),
        };
        let extras = EventExtras {
            kind,
            status,
            organisers: organisers.remove(&row.id).unwrap_or_default(),
            allowed_actions,
            confirmed: count(&row.id, RegistrationStatus::Confirmed),
            waitlisted: count(&row.id, RegistrationStatus::Waitlisted),
        };
        out.push(Event::from_row(row, extras));
    }
    Ok(out)
}

/// The domain event's envelope for an event after a change (no personal data on an event).
pub(super) fn publish(e: &Event) -> ApiResult<Publish> {
    Ok(Publish {
        district: Some(e.district.clone()),
        subject: format!("/api/v1/liaison-events/{}", e.id),
        data: serde_json::to_value(e).map_err(ApiError::internal)?,
    })
}

pub(super) fn with_etag(e: &Event) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(e.version)))
        .json(e)
}
