//! A report's lifecycle: the one transitions endpoint (the kit's state machine on
//! [`ReportStatus`], its history and events; credits to the authors through the outbox), the
//! office's history and the authors' feedback.

use super::{author_ids, find_report, publish, status_of, view};
use crate::domain::access::{Visibility, is_office};
use crate::domain::report::{
    Guards, Level, ReportAction, ReportStatus, RevisionKind, SUBMIT_MAX_CHARS, chars,
};
use crate::models::report::{
    self as model, AdoptionRow, ForwardRow, InstructionRow, LifecycleChanges, ReportRow,
};
use crate::views::report::*;
use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDate;
use serde_json::json;
use xs_kit::concurrency::check_updated;
use xs_kit::contracts::{ActivityEvent, ActivityLevel, ActivityType, MEMBERSHIP_ACTIVITIES};
use xs_kit::error::Problem;
use xs_kit::extract::{IfMatch, Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::lifecycle::{self, Move};
use xs_kit::outbox::{self, Notifier};
use xs_kit::pagination::PageQuery;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, DbConn, Page, PageRequest, rows};

/// The service that reports activities to membership.
const SOURCE: &str = "reports";

/// Which fields each action takes: (required, optional). Anything else is refused.
fn transition_fields(action: ReportAction) -> (&'static [&'static str], &'static [&'static str]) {
    match action {
        ReportAction::Submit | ReportAction::StartReview => (&[], &[]),
        ReportAction::Return => (&["comments"], &[]),
        ReportAction::Reject => (&["reason"], &[]),
        ReportAction::Accept => (&[], &["title", "body"]),
        ReportAction::Forward => (&["targets"], &["date"]),
        ReportAction::Adopt => (&["adoption"], &[]),
        ReportAction::Instruct => (&["instruction"], &[]),
    }
}

/// The same table for the API document (`xs_kit::apidoc::by_action`).
pub(crate) fn transition_rules() -> Vec<xs_kit::apidoc::ActionFields> {
    ReportAction::ALL
        .iter()
        .map(|a| {
            let (required, optional) = transition_fields(*a);
            (a.as_str(), required, optional)
        })
        .collect()
}

fn validate_transition(t: &TransitionRequest) -> ApiResult<()> {
    let given: [(&str, bool); 8] = [
        ("comments", t.comments.is_some()),
        ("reason", t.reason.is_some()),
        ("title", t.title.is_some()),
        ("body", t.body.is_some()),
        ("targets", t.targets.is_some()),
        ("date", t.date.is_some()),
        ("adoption", t.adoption.is_some()),
        ("instruction", t.instruction.is_some()),
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
    v.opt_text("comments", t.comments.as_deref(), 2000)
        .opt_text("reason", t.reason.as_deref(), 2000)
        .opt_text(
            "title",
            t.title.as_deref(),
            crate::domain::report::TITLE_MAX_CHARS,
        )
        .opt_text("body", t.body.as_deref(), SUBMIT_MAX_CHARS);
    if let Some(targets) = &t.targets {
        v.check(
            !targets.is_empty(),
            "targets",
            "at least one level or department",
        )
        .check(targets.len() <= 10, "targets", "at most 10 at a time");
        for (i, target) in targets.iter().enumerate() {
            check_department(
                &mut v,
                &format!("targets[{i}]"),
                target.level,
                target.department.as_deref(),
            );
        }
        // The schema cannot state this exactly (an absent `department` and a `null` one, or
        // one with surrounding spaces, are the same target here): 422.
        let mut seen = std::collections::HashSet::new();
        v.require(
            targets
                .iter()
                .all(|t| seen.insert((t.level, t.department.as_deref().map(str::trim)))),
            "targets",
            "must not repeat a level or department",
        );
    }
    if let Some(a) = &t.adoption {
        check_department(&mut v, "adoption", a.level, a.department.as_deref());
        v.opt_text(
            "adoption.document_number",
            a.document_number.as_deref(),
            100,
        );
    }
    if let Some(i) = &t.instruction {
        v.text("instruction.leader", &i.leader, 50)
            .text("instruction.leader_title", &i.leader_title, 100)
            .text("instruction.text", &i.text, 2000);
    }
    v.finish()
}

/// A department is named exactly when the level is `department`: a rule between two fields,
/// which the schema does not state (422); the name itself is the schema's (400).
fn check_department(v: &mut Validator, field: &str, level: Level, department: Option<&str>) {
    let field = format!("{field}.department");
    v.opt_text(&field, department, 100);
    if level == Level::Department {
        v.require(department.is_some(), &field, "is required for a department");
    } else {
        v.require(
            department.is_none(),
            &field,
            "is given only with level department",
        );
    }
}

/// A dated step happens on or after the acceptance and not in the future (a day's slack for
/// time zones).
fn check_date(field: &str, date: NaiveDate, accepted: Option<NaiveDate>) -> ApiResult<()> {
    let latest = chrono::Utc::now().date_naive() + chrono::Days::new(1);
    if date > latest {
        return Err(ApiError::unprocessable(field, "must not be in the future"));
    }
    if let Some(a) = accepted
        && date < a
    {
        return Err(ApiError::unprocessable(
            field,
            format!("must not be before the report was accepted ({a})"),
        ));
    }
    Ok(())
}

/// Credit each author through the outbox, in this transaction: one activity per author and
/// event (`source_event_id` says which), recorded once by membership however often it
/// arrives. An adoption carries its level: membership's rule table gives its points by level.
fn credit(
    c: &mut DbConn,
    authors: &[String],
    kind: ActivityType,
    level: Option<ActivityLevel>,
    date: NaiveDate,
    event: &str,
    note: &str,
) -> ApiResult<()> {
    for member in authors {
        let e = ActivityEvent {
            member: member.clone(),
            activity_type: kind,
            level,
            date,
            workroom: None,
            beneficiaries: 0,
            problems_solved: 0,
            note: Some(note.to_string()),
            source: SOURCE.into(),
            source_event_id: format!("{event}:{member}"),
        };
        outbox::enqueue(c, MEMBERSHIP_ACTIVITIES, &e)?;
    }
    Ok(())
}

/// The level an adoption credits its authors at (membership's rule table, by level).
fn credit_level(level: Level) -> ActivityLevel {
    match level {
        Level::Municipal => ActivityLevel::Municipal,
        Level::Provincial => ActivityLevel::Provincial,
        Level::National => ActivityLevel::National,
        Level::Department => ActivityLevel::Department,
    }
}

fn short(title: &str) -> String {
    title.chars().take(100).collect()
}

/// Move a report through its lifecycle
///
/// One endpoint for every step: `submit` (its authors, or the office of the district on their
/// behalf; the body must be at most 1,500 characters), and for the office of the district
/// (office staff, admins) `start_review`, `return` (with `comments`, back to the authors for
/// revision), `reject` (with a `reason`), `accept` (optionally with the office's edited
/// `title`/`body`, which become the text; the authors' submitted text stays readable as
/// `original`), `forward` (to one or more levels or named departments), `adopt` (one adoption
/// by a level or department; several are possible) and `instruct` (a leader's instruction on
/// an accepted, forwarded or adopted report). An illegal step is a 409 listing the allowed
/// actions. Accepting credits each author `report_submitted`, each adoption credits each
/// author `report_adopted` at the adoption's level (membership's rule table gives the points
/// by level), through the outbox (delivered to membership exactly once, also
/// after an outage). Each step is kept in the history with who and when.
#[utoipa::path(tag = "reports", request_body = TransitionRequest, params(
    ("id" = String, Path),
    ("If-Match" = Option<String>, Header, description = "Optional: the ETag you read; stale is a 412"),
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 200, body = Report, headers(("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Illegal in the current state (`allowed_actions` lists what is possible), or an adoption already recorded", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json")))]
#[post("/reports/{id}/transitions")]
pub async fn transition_report(
    db: web::Data<Db>,
    notifier: web::Data<Notifier>,
    caller: Caller,
    idem: Idempotency,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<TransitionRequest>,
) -> ApiResult<HttpResponse> {
    Visibility::of(&caller)?;
    validate_transition(&body)?;
    let expected = match (if_match.0, body.version) {
        (None, None) => None,
        (h, b) => Some(xs_kit::concurrency::expected_version(IfMatch(h), b)?),
    };
    let req = body.0;
    let (id, input, who) = (id.into_inner(), req.clone(), caller.clone());
    let response = idem
        .run(&db, &caller.sub, &req, move |c| {
            let t = input;
            // Locked, so a concurrent transition waits and then decides on what this one wrote.
            if !rows::lock(c, "reports", &id)? {
                return Err(ApiError::not_found("report"));
            }
            let current = find_report(c, &id)?;
            let authors = author_ids(c, &id)?;
            let refs: Vec<&str> = authors.iter().map(String::as_str).collect();
            let from = status_of(&current)?;
            Visibility::of(&who)?.require(&current.district_code, from, &refs)?;
            let office = is_office(&who, &current.district_code);
            let author = who
                .member_id
                .as_ref()
                .is_some_and(|me| authors.contains(me));
            if !(office || (t.action.by_authors() && author)) {
                return Err(ApiError::Forbidden(if t.action.by_authors() {
                    "a report is submitted by its authors or the district's office".into()
                } else {
                    format!(
                        "only the district's office may {}",
                        t.action.as_str().replace('_', " ")
                    )
                }));
            }
            if expected.is_some_and(|v| v != current.version) {
                return Err(ApiError::PreconditionFailed(
                    "the report was changed by someone else; read it again and retry".into(),
                ));
            }
            let guards = Guards {
                body_chars: chars(&current.body),
            };
            let to = lifecycle::apply(from, t.action, &guards)?;
            let now = xs_kit::db::now();
            let today = now.date();
            let accepted_on = current.accepted_at.map(|a| a.date());
            let mut changes = LifecycleChanges {
                status: to.as_str().into(),
                ..LifecycleChanges::default()
            };
            let mut details = serde_json::Value::Object(Default::default());
            let mut edited = false;
            match t.action {
                ReportAction::Submit => {
                    changes.submitted_title = Some(Some(current.title.clone()));
                    changes.submitted_body = Some(Some(current.body.clone()));
                    if current.submitted_at.is_none() {
                        changes.submitted_at = Some(Some(now));
                    } else {
                        details = json!({ "resubmitted": true });
                    }
                }
                ReportAction::StartReview => {}
                ReportAction::Return => {
                    let comments = t.comments.as_deref().unwrap_or_default().trim().to_string();
                    details = json!({ "comments": comments });
                    changes.review_comments = Some(Some(comments));
                }
                ReportAction::Reject => {
                    let reason = t.reason.as_deref().unwrap_or_default().trim().to_string();
                    details = json!({ "reason": reason });
                    changes.rejection_reason = Some(Some(reason));
                }
                ReportAction::Accept => {
                    let title = t.title.as_deref().map(str::trim);
                    let body = t.body.as_deref().map(str::trim);
                    edited = title.is_some_and(|x| x != current.title)
                        || body.is_some_and(|x| x != current.body);
                    changes.title = title.map(str::to_string);
                    changes.body = body.map(str::to_string);
                    changes.accepted_at = Some(Some(now));
                    details = json!({ "edited": edited });
                }
                ReportAction::Forward => {
                    let date = t.date.unwrap_or(today);
                    check_date("date", date, accepted_on)?;
                    let before = model::forwards_of(c, &[id.as_str()])?
                        .remove(&id)
                        .unwrap_or_default();
                    let targets = t.targets.clone().unwrap_or_default();
                    for (i, target) in targets.iter().enumerate() {
                        let department = target.department.as_deref().map(str::trim);
                        if before.iter().any(|f| {
                            f.level == target.level.as_str()
                                && f.department.as_deref() == department
                        }) {
                            return Err(ApiError::unprocessable(
                                format!("targets[{i}]"),
                                "the report was already forwarded there",
                            ));
                        }
                        model::insert_forward(
                            c,
                            &ForwardRow {
                                id: xs_kit::db::new_id(),
                                report_id: id.clone(),
                                level: target.level.as_str().into(),
                                department: department.map(str::to_string),
                                forwarded_on: date,
                                created_at: now,
                                created_by: who.sub.clone(),
                            },
                        )?;
                    }
                    if current.forwarded_at.is_none() {
                        changes.forwarded_at = Some(Some(now));
                    }
                    details = json!({ "targets": targets, "date": date });
                }
                ReportAction::Adopt => {
                    let a = t
                        .adoption
                        .clone()
                        .ok_or_else(|| ApiError::field("adoption", "is required to adopt"))?;
                    check_date("adoption.date", a.date, accepted_on)?;
                    let department = a.department.as_deref().map(str::trim).map(str::to_string);
                    let before = model::adoptions_of(c, &[id.as_str()])?
                        .remove(&id)
                        .unwrap_or_default();
                    if before
                        .iter()
                        .any(|x| x.level == a.level.as_str() && x.department == department)
                    {
                        return Err(ApiError::Conflict(format!(
                            "the report was already adopted by {}",
                            department.as_deref().unwrap_or(a.level.as_str())
                        )));
                    }
                    let adoption_id = xs_kit::db::new_id();
                    model::insert_adoption(
                        c,
                        &AdoptionRow {
                            id: adoption_id.clone(),
                            report_id: id.clone(),
                            level: a.level.as_str().into(),
                            department: department.clone(),
                            adopted_on: a.date,
                            document_number: a
                                .document_number
                                .as_deref()
                                .map(str::trim)
                                .map(str::to_string),
                            created_at: now,
                            created_by: who.sub.clone(),
                        },
                    )?;
                    if current.adopted_at.is_none() {
                        changes.adopted_at = Some(Some(now));
                    }
                    let by = department
                        .clone()
                        .unwrap_or_else(|| a.level.as_str().into());
                    credit(
                        c,
                        &authors,
                        ActivityType::ReportAdopted,
                        Some(credit_level(a.level)),
                        a.date,
                        &format!("report-adoption:{adoption_id}"),
                        &format!("report 《{}》 adopted by {by}", short(&current.title)),
                    )?;
                    details = json!({ "adoption": {
                        "id": adoption_id, "level": a.level, "department": department,
                        "date": a.date, "document_number": a.document_number } });
                }
                ReportAction::Instruct => {
                    let i = t
                        .instruction
                        .clone()
                        .ok_or_else(|| ApiError::field("instruction", "is required to instruct"))?;
                    check_date("instruction.date", i.date, accepted_on)?;
                    let row = InstructionRow {
                        id: xs_kit::db::new_id(),
                        report_id: id.clone(),
                        leader: i.leader.trim().into(),
                        leader_title: i.leader_title.trim().into(),
                        level: i.level.as_str().into(),
                        instructed_on: i.date,
                        text: i.text.trim().into(),
                        created_at: now,
                        created_by: who.sub.clone(),
                    };
                    model::insert_instruction(c, &row)?;
                    details = json!({ "instruction": {
                        "id": row.id, "leader": row.leader, "leader_title": row.leader_title,
                        "level": i.level, "date": i.date, "text": row.text } });
                }
            }
            let updated = model::set_lifecycle(c, &id, current.version, &changes, &who.sub, now)?;
            check_updated(updated, || Ok(model::exists(c, &id)?), "report")?;
            let row: ReportRow = find_report(c, &id)?;
            if edited {
                model::index(c, &id, &row.title, &row.body)?;
                model::add_revision(c, &row, RevisionKind::OfficeEdited.as_str(), &who.sub, now)?;
            }
            if t.action == ReportAction::Accept {
                credit(
                    c,
                    &authors,
                    ActivityType::ReportSubmitted,
                    None,
                    today,
                    &format!("report-accepted:{id}"),
                    &format!("report 《{}》 accepted", short(&row.title)),
                )?;
            }
            let report = view(c, &who, row)?;
            Move {
                subject_id: id.clone(),
                from: Some(from),
                action: t.action.as_str().into(),
                to,
                details,
                by: who.sub.clone(),
                at: now,
            }
            .record(c, publish(&report)?)?;
            Reply::ok(&report)
        })
        .await?;
    // The credits are in the outbox once the transaction committed; wake the relay.
    if matches!(req.action, ReportAction::Accept | ReportAction::Adopt) {
        notifier.notify();
    }
    Ok(response)
}

/// A report's history
///
/// Every step from its creation on, oldest first, with what each recorded (comments,
/// reasons, levels, adoptions, instructions) and the account that took it. The office's
/// record: admins and the office staff of the report's district; authors follow their
/// report at `/reports/{id}/feedback`; everyone else gets 403.
#[utoipa::path(tag = "reports", params(("id" = String, Path), PageQuery), responses(
    (status = 200, body = Page<HistoryEntry>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/reports/{id}/history")]
pub async fn report_history(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    Visibility::of(&caller)?;
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (id, fetch, after) = (id.into_inner(), page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| {
            let r = find_report(c, &id)?;
            if !is_office(&caller, &r.district_code) {
                return Err(ApiError::Forbidden(
                    "a report's history is the office's record; authors follow it at /feedback"
                        .into(),
                ));
            }
            Ok(lifecycle::history::<ReportStatus>(
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

/// What a report's authors hear back
///
/// The timeline its authors follow: created, submitted, taken up for review, returned (with
/// the comments), rejected (with the reason), accepted (and whether the office edited the
/// text), forwarded (where to), adopted (by whom, when, under which document number) and
/// leader instructions — without the office's account ids. For the report's authors and the
/// office of its district; everyone else gets 403.
#[utoipa::path(tag = "reports", params(("id" = String, Path), PageQuery), responses(
    (status = 200, body = Page<FeedbackEntry>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/reports/{id}/feedback")]
pub async fn report_feedback(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    Visibility::of(&caller)?;
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (id, fetch, after) = (id.into_inner(), page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| {
            let r = find_report(c, &id)?;
            let authors = author_ids(c, &id)?;
            let author = caller
                .member_id
                .as_ref()
                .is_some_and(|me| authors.contains(me));
            if !(author || is_office(&caller, &r.district_code)) {
                return Err(ApiError::Forbidden(
                    "a report's feedback is for its authors and the district's office".into(),
                ));
            }
            Ok(lifecycle::history::<ReportStatus>(
                c,
                &id,
                after.as_deref(),
                fetch,
            )?)
        })
        .await?;
    let mut keys = Vec::with_capacity(rows.len());
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        keys.push(r.id.clone());
        items.push(FeedbackEntry::from_row(r)?);
    }
    let paired: Vec<(String, FeedbackEntry)> = keys.into_iter().zip(items).collect();
    let body: Page<FeedbackEntry> = page.page(paired, |(k, _)| k.clone(), |(_, e)| e);
    Ok(HttpResponse::Ok().json(body))
}
