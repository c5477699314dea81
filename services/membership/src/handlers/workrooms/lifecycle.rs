//! A workroom's lifecycle: the one transitions endpoint (the kit's state machine on
//! [`WorkroomStatus`], its history and events) and the history it leaves.

use super::{
    Fields, NOTE_MAX, essentials_json, find_workroom, status_of, validate_fields, visible_workroom,
};
use crate::domain::access::WORKROOMS;
use crate::domain::workroom::{Guards, StepDates, WorkroomAction, WorkroomStatus};
use crate::models::workroom::{self as model, LifecycleChanges};
use crate::views::workroom::*;
use actix_web::{HttpResponse, get, post, web};
use xs_kit::concurrency::{check_updated, expected_version};
use xs_kit::error::Problem;
use xs_kit::extract::{IfMatch, Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::lifecycle::{self, Move, Publish};
use xs_kit::pagination::PageQuery;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, Page, PageRequest, rows};

/// The domain event's envelope for a workroom after a change: it belongs to its district, and
/// carries the workroom as anyone may read it (no personal fields on a workroom).
pub(super) fn publish(w: &Workroom) -> ApiResult<Publish> {
    Ok(Publish {
        district: Some(w.district.clone()),
        subject: format!("/api/v1/workrooms/{}", w.id),
        data: serde_json::to_value(w).map_err(ApiError::internal)?,
    })
}

/// Which fields each action takes: (required, optional). Anything else is refused, so a
/// client that sends `passed` with `approve` learns it is ignored rather than guessing.
fn transition_fields(action: WorkroomAction) -> (&'static [&'static str], &'static [&'static str]) {
    match action {
        WorkroomAction::Inspect => (
            &["date", "inspector", "passed"],
            &["findings", "essentials"],
        ),
        WorkroomAction::Approve => (&["approved_by", "date"], &[]),
        WorkroomAction::AwardPlaque => (&["date"], &[]),
        WorkroomAction::Suspend | WorkroomAction::Close => (&["reason"], &[]),
        WorkroomAction::Resume => (&[], &["note"]),
    }
}

/// The same table for the API document (`xs_kit::apidoc::by_action`).
pub(crate) fn transition_rules() -> Vec<xs_kit::apidoc::ActionFields> {
    WorkroomAction::ALL
        .iter()
        .map(|a| {
            let (required, optional) = transition_fields(*a);
            (a.as_str(), required, optional)
        })
        .collect()
}

fn validate_transition(t: &TransitionRequest) -> ApiResult<()> {
    let given: [(&str, bool); 8] = [
        ("date", t.date.is_some()),
        ("inspector", t.inspector.is_some()),
        ("findings", t.findings.is_some()),
        ("passed", t.passed.is_some()),
        ("essentials", t.essentials.is_some()),
        ("approved_by", t.approved_by.is_some()),
        ("reason", t.reason.is_some()),
        ("note", t.note.is_some()),
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
    v.opt_text("inspector", t.inspector.as_deref(), 100)
        .opt_text("findings", t.findings.as_deref(), 2000)
        .opt_text("approved_by", t.approved_by.as_deref(), 100)
        .opt_text("reason", t.reason.as_deref(), NOTE_MAX)
        .opt_text("note", t.note.as_deref(), NOTE_MAX);
    if let Some(e) = &t.essentials {
        validate_fields(
            &mut v,
            &Fields {
                essentials: Some(e),
                ..Fields::default()
            },
        );
    }
    v.finish()
}

/// Move a workroom through its lifecycle
///
/// Admins, and office staff of the workroom's district (another district is 403). `action` is
/// inspect, approve, award_plaque, suspend, resume or close, each with its own fields (missing or
/// foreign ones are 400); dated steps may not precede the step before them nor lie in the future
/// (422).
/// An illegal move is a 409 whose `allowed_actions` lists what is possible. A version (`If-Match`
/// or `version`) is optional but a stale one is a 412; accepts `Idempotency-Key`.
#[utoipa::path(tag = "workrooms", request_body = TransitionRequest, params(
    ("id" = String, Path),
    ("If-Match" = Option<String>, Header, description = "Optional: the ETag you read; stale is a 412"),
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 200, body = Workroom, headers(("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Illegal in the current state; `allowed_actions` lists what is possible", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json")))]
#[post("/workrooms/{id}/transitions")]
pub async fn transition_workroom(
    db: web::Data<Db>,
    caller: Caller,
    idem: Idempotency,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<TransitionRequest>,
) -> ApiResult<HttpResponse> {
    caller.require_any(WORKROOMS.writers)?;
    validate_transition(&body)?;
    // A version is optional here: the state machine already refuses what no longer fits.
    let expected = match (if_match.0, body.version) {
        (None, None) => None,
        (h, b) => Some(expected_version(IfMatch(h), b)?),
    };
    let req = body.0;
    let (id, input, who) = (id.into_inner(), req.clone(), caller.clone());
    idem.run(&db, &caller.sub, &req, move |c| {
        let t = input;
        // Locked, so a concurrent transition waits and then decides on what this one wrote.
        if !rows::lock(c, "workrooms", &id)? {
            return Err(ApiError::not_found("workroom"));
        }
        let current = find_workroom(c, &id)?;
        WORKROOMS.require_write(&who, &current.district_code)?;
        if expected.is_some_and(|v| v != current.version) {
            return Err(ApiError::PreconditionFailed(
                "the workroom was changed by someone else; read it again and retry".into(),
            ));
        }
        let from = status_of(&current)?;
        let essentials = match &t.essentials {
            Some(found) => found.clone(),
            None => parse_essentials(&current.essentials)?,
        };
        let guards = Guards {
            inspection_passed: t.passed.unwrap_or(false),
            missing_essentials: essentials.missing(),
        };
        let to = lifecycle::apply(from, t.action, &guards).map_err(|e| match e {
            // Offer what the workroom view offers: an inspection is always possible (failing).
            ApiError::IllegalTransition { detail, .. } => {
                let offered = Guards {
                    inspection_passed: false,
                    ..guards.clone()
                };
                ApiError::IllegalTransition {
                    detail,
                    allowed: lifecycle::allowed(from, &offered)
                        .into_iter()
                        .map(|a| a.as_str().to_string())
                        .collect(),
                }
            }
            other => other,
        })?;
        if let Some(date) = t.date {
            let dates = StepDates {
                applied: current.created_at.date(),
                inspected: current.inspected_on,
                approved: current.approved_on,
                latest: xs_kit::validate::latest_past_date(),
            };
            t.action
                .check_date(date, &dates)
                .map_err(|why| ApiError::unprocessable("date", why))?;
        }
        let mut changes = LifecycleChanges {
            status: to.as_str().into(),
            ..LifecycleChanges::default()
        };
        match t.action {
            WorkroomAction::Inspect => {
                changes.inspected_on = Some(t.date);
                changes.inspector = Some(t.inspector.clone());
                changes.inspection_findings = Some(t.findings.clone());
                changes.inspection_passed = Some(t.passed);
                if let Some(e) = &t.essentials {
                    changes.essentials = Some(essentials_json(e)?);
                }
            }
            WorkroomAction::Approve => {
                changes.approved_by = Some(t.approved_by.clone());
                changes.approved_on = Some(t.date);
            }
            WorkroomAction::AwardPlaque => {
                changes.plaque_awarded_on = Some(t.date);
            }
            WorkroomAction::Suspend | WorkroomAction::Resume | WorkroomAction::Close => {}
        }
        let now = xs_kit::db::now();
        let updated = model::set_lifecycle(c, &id, current.version, &changes, &who.sub, now)?;
        check_updated(updated, || Ok(model::exists(c, &id)?), "workroom")?;
        let mut details = serde_json::to_value(&t).map_err(ApiError::internal)?;
        if let Some(o) = details.as_object_mut() {
            o.remove("action");
            o.remove("version");
        }
        let workroom = Workroom::from_row(find_workroom(c, &id)?, None)?;
        Move {
            subject_id: id.clone(),
            from: Some(from),
            action: t.action.as_str().into(),
            to,
            details,
            by: who.sub.clone(),
            at: now,
        }
        .record(c, publish(&workroom)?)?;
        Reply::ok(&workroom)
    })
    .await
}

/// A workroom's lifecycle history
///
/// Every step from the application on, oldest first, with what each recorded (inspection
/// findings, reasons) and the account that took it. The office's record: admins, the
/// district's office staff and coordinators, and read-only integrations; residents, members
/// and other districts' staff get 403.
#[utoipa::path(tag = "workrooms", params(("id" = String, Path), PageQuery), responses(
    (status = 200, body = Page<HistoryEntry>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/workrooms/{id}/history")]
pub async fn workroom_history(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (id, fetch, after) = (id.into_inner(), page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| {
            let w = visible_workroom(c, &caller, &id)?;
            // The history is the office's record (inspection findings, staff account ids):
            // the district's staff and citywide readers only.
            WORKROOMS
                .read_scope(&caller)?
                .require(&w.district_code, None, "workroom histories")?;
            Ok(lifecycle::history::<WorkroomStatus>(
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
