//! An event's lifecycle: the one transitions endpoint (the kit's state machine on
//! [`EventStatus`], with history and domain events). Holding an event credits each of its
//! organising members with a `liaison_event` activity in membership, through the outbox, in
//! the same transaction: exactly once, however long membership is down.

use super::{find_event, guards, publish, status_of, view};
use crate::domain::access::{EVENTS, REGISTRATIONS};
use crate::domain::event::{EventAction, EventStatus};
use crate::models::event::{self as model, LifecycleChanges};
use crate::views::HistoryEntry;
use crate::views::event::*;
use actix_web::{HttpResponse, get, post, web};
use xs_kit::concurrency::{check_updated, expected_version};
use xs_kit::contracts::{ActivityEvent, ActivityType, MEMBERSHIP_ACTIVITIES};
use xs_kit::error::Problem;
use xs_kit::extract::{IfMatch, Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::lifecycle::{self, Move};
use xs_kit::outbox::{self, Notifier};
use xs_kit::pagination::PageQuery;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, Page, PageRequest, rows};

/// The most people one event may record as served (membership's limit on an activity).
pub(crate) const MAX_PEOPLE_SERVED: i32 = 1_000_000;
pub(crate) const MAX_VOLUNTEERS: i32 = 100_000;

/// The source service name on activity credits.
pub(crate) const SOURCE: &str = "liaison";

/// The credit's event id: one per event and member, so a redelivery is recorded once.
pub(crate) fn credit_id(event: &str, member: &str) -> String {
    format!("liaison-event:{event}:{member}")
}

/// Which fields each action takes (required, optional); anything else is refused.
fn transition_fields(action: EventAction) -> (&'static [&'static str], &'static [&'static str]) {
    match action {
        EventAction::OpenRegistration => (&[], &[]),
        EventAction::Hold => (&["people_served", "volunteers", "summary"], &[]),
        EventAction::Cancel => (&["reason"], &[]),
    }
}

/// The same table for the API document (`xs_kit::apidoc::by_action`).
pub(crate) fn transition_rules() -> Vec<xs_kit::apidoc::ActionFields> {
    EventAction::ALL
        .iter()
        .map(|a| {
            let (required, optional) = transition_fields(*a);
            (a.as_str(), required, optional)
        })
        .collect()
}

fn validate_transition(t: &EventTransition) -> ApiResult<()> {
    let given = [
        ("people_served", t.people_served.is_some()),
        ("volunteers", t.volunteers.is_some()),
        ("summary", t.summary.is_some()),
        ("reason", t.reason.is_some()),
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
    if let Some(n) = t.people_served {
        v.check(
            (0..=MAX_PEOPLE_SERVED).contains(&n),
            "people_served",
            "must be between 0 and 1000000",
        );
    }
    if let Some(n) = t.volunteers {
        v.check(
            (0..=MAX_VOLUNTEERS).contains(&n),
            "volunteers",
            "must be between 0 and 100000",
        );
    }
    v.opt_text("summary", t.summary.as_deref(), 4000)
        .opt_text("reason", t.reason.as_deref(), 500)
        .finish()
}

/// Move a liaison event
///
/// Admins and office staff of the event's district. `open_registration` (planned → open for
/// registration), `hold` (planned or open → held, from its start date on; needs
/// `people_served`, `volunteers` and `summary`) and `cancel` (planned or open → cancelled;
/// needs `reason`). An action the current state does not allow is a 409 whose
/// `allowed_actions` lists what is possible. Holding credits each organising member with a
/// `liaison_event` activity in membership through the outbox, exactly once.
#[utoipa::path(tag = "liaison-events", request_body = EventTransition, params(
    ("id" = String, Path),
    ("If-Match" = Option<String>, Header, description = "Optional: the ETag you read; stale is a 412"),
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 200, body = Event, headers(("ETag" = String))),
    (status = 400, description = "A field is missing, invalid or does not apply to the action", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not the district's office", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Illegal in the current state; `allowed_actions` lists what is possible", body = Problem, content_type = "application/problem+json"),
    (status = 412, description = "Changed by someone else since it was read", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[post("/liaison-events/{id}/transitions")]
pub async fn transition_event(
    db: web::Data<Db>,
    notifier: web::Data<Notifier>,
    caller: Caller,
    idem: Idempotency,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<EventTransition>,
) -> ApiResult<HttpResponse> {
    caller.require_any(EVENTS.writers)?;
    validate_transition(&body)?;
    let expected = match (if_match.0, body.version) {
        (None, None) => None,
        (h, b) => Some(expected_version(IfMatch(h), b)?),
    };
    let req = body.0;
    let (id, input, who) = (id.into_inner(), req.clone(), caller.clone());
    let res = idem
        .run(&db, &caller.sub, &req, move |c| {
            let t = input;
            // Locked: a concurrent transition (or registration) waits, then sees this one.
            if !rows::lock(c, "liaison_events", &id)? {
                return Err(ApiError::not_found("liaison event"));
            }
            let current = find_event(c, &id)?;
            EVENTS.require_write(&who, &current.district_code)?;
            if expected.is_some_and(|v| v != current.version) {
                return Err(ApiError::PreconditionFailed(
                    "the liaison event was changed by someone else; read it again and retry".into(),
                ));
            }
            let from = status_of(&current)?;
            let to = lifecycle::apply(from, t.action, &guards(&current))?;
            let mut changes = LifecycleChanges {
                status: to.as_str().into(),
                ..LifecycleChanges::default()
            };
            match t.action {
                EventAction::Hold => {
                    changes.people_served = Some(t.people_served);
                    changes.volunteers = Some(t.volunteers);
                    changes.summary = Some(t.summary.as_ref().map(|s| s.trim().to_string()));
                }
                EventAction::Cancel => {
                    changes.cancel_reason = Some(t.reason.as_ref().map(|s| s.trim().to_string()));
                }
                EventAction::OpenRegistration => {}
            }
            let now = xs_kit::db::now();
            let updated = model::set_lifecycle(c, &id, current.version, &changes, &who.sub, now)?;
            check_updated(updated, || Ok(model::exists(c, &id)?), "liaison event")?;
            let row = find_event(c, &id)?;
            let event = view(c, Some(&who), row)?;
            if to == EventStatus::Held {
                // The credits exist exactly when the event is held: same transaction.
                for member in &event.organisers {
                    let credit = ActivityEvent {
                        member: member.clone(),
                        activity_type: ActivityType::LiaisonEvent,
                        level: None,
                        date: current.starts_at.date(),
                        workroom: current.liaison_point.clone(),
                        // The people served are the event's (see the liaison statistics), not
                        // each organiser's: counted once there, not once per organiser.
                        beneficiaries: 0,
                        problems_solved: 0,
                        note: Some(current.title.clone()),
                        source: SOURCE.into(),
                        source_event_id: credit_id(&id, member),
                    };
                    outbox::enqueue(c, MEMBERSHIP_ACTIVITIES, &credit)?;
                }
            }
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
            .record(c, publish(&event)?)?;
            Reply::ok(&event)
        })
        .await?;
    notifier.notify();
    Ok(res)
}

/// A liaison event's lifecycle history
///
/// Every step from planning on, oldest first, with what each recorded (figures when held,
/// the reason when cancelled) and the account that took it. The office's record: admins, the
/// district's office staff and coordinators, and read-only integrations.
#[utoipa::path(tag = "liaison-events", params(("id" = String, Path), PageQuery), responses(
    (status = 200, description = "A page of steps, oldest first", body = Page<HistoryEntry>),
    (status = 400, description = "`limit` or `cursor` is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Outside the caller's scope", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/liaison-events/{id}/history")]
pub async fn event_history(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let scope = REGISTRATIONS.read_scope(&caller)?;
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (id, fetch, after) = (id.into_inner(), page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| {
            let event = find_event(c, &id)?;
            scope.require(&event.district_code, None, "event histories")?;
            Ok(lifecycle::history::<EventStatus>(
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
