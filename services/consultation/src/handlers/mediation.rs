//! Mediation cases (政协+调解): received → in_mediation → agreement_signed / failed /
//! referred, with sessions, days taken, and a `mediation` credit for each mediator when the
//! case ends. The parties (names and contacts) are whole only for the district's staff and
//! the case's mediators, masked for everyone else, and never logged: the kit logs no request
//! bodies, and history and events carry them masked or not at all.

use super::{check_members, check_workroom, trimmed};
use crate::domain::access::MEDIATION;
use crate::domain::consultation::days_between;
use crate::domain::mediation::{may_work_on, sees_parties};
use crate::models::mediation::{
    self as model, CaseChanges, CaseFilter, CaseRow, Full, LifecycleChanges, SessionRow,
};
use crate::views::HistoryEntry;
use crate::views::mediation::*;
use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use xs_kit::audit::{self, Disclosures, Reader};
use xs_kit::client::ServiceClient;
use xs_kit::concurrency::{check_updated, etag, expected_version};
use xs_kit::contracts::{ActivityEvent, ActivityType, MEMBERSHIP_ACTIVITIES};
use xs_kit::enums::stored;
use xs_kit::error::Problem;
use xs_kit::extract::{IfMatch, Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::lifecycle::{self, Move, Publish};
use xs_kit::outbox::{self, Notifier};
use xs_kit::pagination::PageQuery;
use xs_kit::telemetry::RequestId;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, DbConn, Page, PageRequest, Role};

/// The audit's name for a case's parties as the subject of a personal-data read.
const AUDIT_SUBJECT: &str = "mediation_parties";

fn status_of(r: &CaseRow) -> ApiResult<MediationStatus> {
    stored("mediation status", &r.status)
}

fn view(caller: &Caller, f: Full) -> ApiResult<MediationCase> {
    let show = sees_parties(caller, &f.row.district_code, &f.mediators);
    let actions = if may_work_on(caller, &f.row.district_code, &f.mediators) {
        lifecycle::allowed(status_of(&f.row)?, &())
    } else {
        Vec::new()
    };
    MediationCase::from_full(f, show, actions)
}

fn load(c: &mut DbConn, id: &str) -> ApiResult<Full> {
    model::find_full(c, id)?.ok_or_else(|| ApiError::not_found("mediation case"))
}

fn note_parties(seen: &mut Disclosures, m: &MediationCase) {
    if !m.parties.is_empty() && !m.parties_masked {
        seen.note(AUDIT_SUBJECT, &m.id, &["parties"]);
    }
}

/// The event carries the case with its parties masked.
fn publish(m: &MediationCase) -> ApiResult<Publish> {
    let mut shown = m.clone();
    shown.parties = masked(shown.parties);
    shown.parties_masked = !shown.parties.is_empty();
    Ok(Publish {
        district: Some(m.district.clone()),
        subject: format!("/api/v1/mediation-cases/{}", m.id),
        data: serde_json::to_value(&shown).map_err(ApiError::internal)?,
    })
}

fn with_etag(m: &MediationCase) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(m.version)))
        .json(m)
}

fn validate_parties(v: &mut Validator, parties: &[Party]) {
    v.check(
        (1..=20).contains(&parties.len()),
        "parties",
        "name 1 to 20 parties",
    );
    for (i, p) in parties.iter().enumerate() {
        v.text(&format!("parties[{i}].name"), &p.name, 50)
            .phone(&format!("parties[{i}].contact"), p.contact.as_deref())
            .opt_text(&format!("parties[{i}].role"), p.role.as_deref(), 50);
    }
}

fn validate_mediators(v: &mut Validator, mediators: &[String]) {
    v.texts("mediators", mediators, 1..=10, 64);
}

fn parties_json(parties: &[Party]) -> ApiResult<String> {
    let trimmed: Vec<Party> = parties
        .iter()
        .map(|p| Party {
            name: p.name.trim().to_string(),
            contact: p.contact.as_deref().map(|c| c.trim().to_string()),
            role: p.role.as_deref().map(|r| r.trim().to_string()),
        })
        .collect();
    serde_json::to_string(&trimmed).map_err(ApiError::internal)
}

/// List mediation cases
///
/// The district's office staff, coordinators and members see their district's cases; admins
/// and read-only integrations citywide or their token's district. Parties are whole for the
/// district's staff and each case's mediators (recorded in the personal-data audit), masked
/// for everyone else. Filters: status, dispute type, workroom, mediator.
#[utoipa::path(tag = "mediation", params(MediationQuery), responses(
    (status = 200, body = Page<MediationCase>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 503, body = Problem, content_type = "application/problem+json")))]
#[get("/mediation-cases")]
pub async fn list_cases(
    db: web::Data<Db>,
    caller: Caller,
    rid: RequestId,
    q: Query<MediationQuery>,
) -> ApiResult<HttpResponse> {
    let scope = MEDIATION.read_scope(&caller)?;
    let q = q.0;
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let filter = CaseFilter {
        district: scope.narrow(q.district, None)?.district,
        status: q.status.map(|s| s.as_str().to_string()),
        dispute_type: q.dispute_type.map(|s| s.as_str().to_string()),
        workroom: q.workroom,
        mediator: q.mediator,
    };
    let (fetch, after) = (page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| {
            let rows = model::list(c, &filter, after.as_deref(), fetch)?;
            Ok(model::full(c, rows)?)
        })
        .await?;
    let more = rows.len() as i64 > page.limit;
    let mut items = Vec::new();
    for f in rows.into_iter().take(page.limit as usize) {
        items.push(view(&caller, f)?);
    }
    let next_cursor = if more {
        items
            .last()
            .map(|m: &MediationCase| xs_kit::pagination::encode_cursor(&m.id))
    } else {
        None
    };
    let mut seen = Disclosures::new();
    for m in &items {
        note_parties(&mut seen, m);
    }
    audit::record(&db, &Reader::new(&caller, &rid), seen).await?;
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
}

/// Read a mediation case
///
/// Readers as in the list; another district's case is 403. Parties are whole for the
/// district's staff and the case's mediators (audited), masked for everyone else.
#[utoipa::path(tag = "mediation", params(("id" = String, Path)), responses(
    (status = 200, body = MediationCase, headers(("ETag" = String))),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/mediation-cases/{id}")]
pub async fn get_case(
    db: web::Data<Db>,
    caller: Caller,
    rid: RequestId,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let scope = MEDIATION.read_scope(&caller)?;
    let id = id.into_inner();
    let f = db.read(move |c| load(c, &id)).await?;
    scope.require(&f.row.district_code, None, MEDIATION.what)?;
    let m = view(&caller, f)?;
    let mut seen = Disclosures::new();
    note_parties(&mut seen, &m);
    audit::record(&db, &Reader::new(&caller, &rid), seen).await?;
    Ok(with_etag(&m))
}

/// Open a mediation case
///
/// Admins and the district's office staff and coordinators. The workroom and mediators are
/// checked with membership (422 naming the field; 503 when it is down). The case starts
/// `received`.
#[utoipa::path(tag = "mediation", request_body = NewMediationCase, params(
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = MediationCase, headers(("Location" = String), ("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 503, body = Problem, content_type = "application/problem+json")))]
#[post("/mediation-cases")]
pub async fn create_case(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    rid: RequestId,
    idem: Idempotency,
    body: Json<NewMediationCase>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    MEDIATION.require_write(&caller, &b.district)?;
    let mut v = Validator::new();
    v.code("district", &b.district)
        .text("summary", &b.summary, 2000)
        .opt_text("workroom", b.workroom.as_deref(), 64);
    v.past_date("received_on", b.received_on);
    validate_parties(&mut v, &b.parties);
    validate_mediators(&mut v, &b.mediators);
    v.finish()?;
    let room = match &b.workroom {
        Some(w) => Some(check_workroom(&client, "workroom", w.trim(), &b.district).await?),
        None => None,
    };
    let mediators = trimmed(&b.mediators);
    check_members(&client, "mediators", &mediators, &b.district).await?;
    let reader = Reader::new(&caller, &rid);
    let (input, who) = (b.clone(), caller.clone());
    idem.run(&db, &caller.sub, &b, move |c| {
        let b = input;
        let now = xs_kit::db::now();
        let row = CaseRow {
            id: xs_kit::db::new_id(),
            district_code: b.district.clone(),
            subdistrict_code: room.as_ref().map(|w| w.subdistrict.clone()),
            workroom_id: room.as_ref().map(|w| w.id.clone()),
            dispute_type: b.dispute_type.as_str().into(),
            summary: b.summary.trim().to_string(),
            parties: parties_json(&b.parties)?,
            status: MediationStatus::Received.as_str().into(),
            received_on: b.received_on,
            started_on: None,
            outcome_on: None,
            agreement_summary: None,
            referred_to: None,
            outcome_note: None,
            days_taken: None,
            version: 1,
            created_at: now,
            created_by: who.sub.clone(),
            updated_at: now,
            updated_by: who.sub.clone(),
        };
        model::insert(c, &row, &mediators)?;
        let id = row.id.clone();
        let case = view(&who, load(c, &id)?)?;
        Move::<MediationStatus> {
            subject_id: id.clone(),
            from: None,
            action: "receive".into(),
            to: MediationStatus::Received,
            details: serde_json::json!({"dispute_type": b.dispute_type}),
            by: who.sub.clone(),
            at: now,
        }
        .record(c, publish(&case)?)?;
        let mut seen = Disclosures::new();
        note_parties(&mut seen, &case);
        audit::record_in(c, &reader, &seen)?;
        Reply::created(&case, format!("/api/v1/mediation-cases/{id}"))
    })
    .await
}

/// Change a mediation case
///
/// Dispute type, summary, parties and mediators, while the case is `received` or
/// `in_mediation` (409 after). The district's staff and the case's mediators; new mediators
/// are checked with membership (422). Send the version you read.
#[utoipa::path(tag = "mediation", request_body = MediationPatch, params(
    ("id" = String, Path),
    ("If-Match" = Option<String>, Header, description = "The ETag you read; or send `version` in the body")),
    responses(
    (status = 200, body = MediationCase, headers(("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
    (status = 503, body = Problem, content_type = "application/problem+json")))]
#[patch("/mediation-cases/{id}")]
pub async fn update_case(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    rid: RequestId,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<MediationPatch>,
) -> ApiResult<HttpResponse> {
    if !caller.has_any(MEDIATION.writers) && !caller.has(Role::Member) {
        caller.require_any(MEDIATION.writers)?;
    }
    let p = body.0;
    let expected = expected_version(if_match, p.version);
    let mut v = Validator::new();
    v.opt_text("summary", p.summary.as_deref(), 2000);
    if let Some(parties) = &p.parties {
        validate_parties(&mut v, parties);
    }
    if let Some(m) = &p.mediators {
        validate_mediators(&mut v, m);
    }
    let valid = v.finish();
    let id = id.into_inner();
    let key = id.clone();
    let current = db.read(move |c| load(c, &key)).await?;
    if !may_work_on(&caller, &current.row.district_code, &current.mediators) {
        return Err(ApiError::Forbidden(
            "cases are changed by the district's staff and their mediators".into(),
        ));
    }
    // Role and scope before input: the version and the fields come after.
    let expected = expected?;
    valid?;
    let mediators = p.mediators.as_deref().map(trimmed);
    if let Some(m) = &mediators {
        check_members(&client, "mediators", m, &current.row.district_code).await?;
    }
    let reader = Reader::new(&caller, &rid);
    let case = db
        .write(move |c| {
            let f = load(c, &id)?;
            if status_of(&f.row)?.is_outcome() {
                return Err(ApiError::Conflict(format!(
                    "a case that is {} can no longer be changed",
                    f.row.status
                )));
            }
            let changes = CaseChanges {
                dispute_type: p.dispute_type.map(|d| d.as_str().to_string()),
                summary: p.summary.map(|s| s.trim().to_string()),
                parties: p.parties.as_deref().map(parties_json).transpose()?,
            };
            let n = model::update(c, &id, expected, &changes, &caller.sub, xs_kit::db::now())?;
            check_updated(n, || Ok(model::exists(c, &id)?), "mediation case")?;
            if let Some(m) = &mediators {
                model::replace_mediators(c, &id, m)?;
            }
            let case = view(&caller, load(c, &id)?)?;
            let mut seen = Disclosures::new();
            note_parties(&mut seen, &case);
            audit::record_in(c, &reader, &seen)?;
            Ok(case)
        })
        .await?;
    Ok(with_etag(&case))
}

/// Which fields each action takes: (required, optional); anything else is refused.
fn transition_fields(
    action: MediationAction,
) -> (&'static [&'static str], &'static [&'static str]) {
    use MediationAction as A;
    match action {
        A::Start => (&["date"], &["note"]),
        A::SignAgreement => (&["date", "summary"], &["note"]),
        A::Fail => (&["date"], &["note"]),
        A::Refer => (&["date", "referred_to"], &["note"]),
    }
}

/// The same table for the API document (`xs_kit::apidoc::by_action`).
pub(crate) fn transition_rules() -> Vec<xs_kit::apidoc::ActionFields> {
    MediationAction::ALL
        .iter()
        .map(|a| {
            let (required, optional) = transition_fields(*a);
            (a.as_str(), required, optional)
        })
        .collect()
}

fn validate_transition(t: &MediationTransition) -> ApiResult<()> {
    let given = [
        ("date", t.date.is_some()),
        ("summary", t.summary.is_some()),
        ("referred_to", t.referred_to.is_some()),
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
    v.opt_text("summary", t.summary.as_deref(), 2000)
        .opt_text("note", t.note.as_deref(), 2000);
    if let Some(d) = t.date {
        v.past_date("date", d);
    }
    v.finish()
}

/// The credit a mediator earns when the case ends.
fn credit(
    r: &CaseRow,
    member: &str,
    parties: i32,
    on: chrono::NaiveDate,
    solved: bool,
) -> ActivityEvent {
    ActivityEvent {
        member: member.to_string(),
        activity_type: ActivityType::Mediation,
        level: None,
        date: on,
        workroom: r.workroom_id.clone(),
        beneficiaries: parties,
        problems_solved: i32::from(solved),
        note: None,
        source: "consultation".into(),
        source_event_id: format!("mediation/{}/{member}", r.id),
    }
}

/// Move a mediation case through its lifecycle
///
/// `start` (received → in_mediation), `sign_agreement` (in_mediation → agreement_signed,
/// with what was agreed), `fail` (in_mediation → failed), `refer` (received or in_mediation →
/// referred, to `court` or `arbitration`). Each dated, not before the case was received; an
/// outcome records the days taken and earns each mediator a `mediation` activity credit in
/// membership through the outbox, in the same transaction. Illegal moves are 409 with
/// `allowed_actions`. The district's staff and the case's mediators.
#[utoipa::path(tag = "mediation", request_body = MediationTransition, params(
    ("id" = String, Path),
    ("If-Match" = Option<String>, Header, description = "Optional: the ETag you read; stale is a 412"),
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 200, body = MediationCase, headers(("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Illegal in the current state; `allowed_actions` lists what is possible", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json")))]
#[post("/mediation-cases/{id}/transitions")]
#[allow(clippy::too_many_arguments)]
pub async fn transition_case(
    db: web::Data<Db>,
    notifier: web::Data<Notifier>,
    caller: Caller,
    rid: RequestId,
    idem: Idempotency,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<MediationTransition>,
) -> ApiResult<HttpResponse> {
    if !caller.has_any(MEDIATION.writers) && !caller.has(Role::Member) {
        caller.require_any(MEDIATION.writers)?;
    }
    validate_transition(&body)?;
    let expected = match (if_match.0, body.version) {
        (None, None) => None,
        (h, b) => Some(expected_version(IfMatch(h), b)?),
    };
    let t = body.0;
    let id = id.into_inner();
    let reader = Reader::new(&caller, &rid);
    let who = caller.clone();
    let res = idem
        .run(&db, &caller.sub, &t.clone(), move |c| {
            if !xs_kit::rows::lock(c, "mediation_cases", &id)? {
                return Err(ApiError::not_found("mediation case"));
            }
            let f = load(c, &id)?;
            let row = f.row.clone();
            if !may_work_on(&who, &row.district_code, &f.mediators) {
                return Err(ApiError::Forbidden(
                    "cases are moved by the district's staff and their mediators".into(),
                ));
            }
            if expected.is_some_and(|v| v != row.version) {
                return Err(ApiError::PreconditionFailed(
                    "the case was changed by someone else; read it again and retry".into(),
                ));
            }
            let from = status_of(&row)?;
            let to = lifecycle::apply(from, t.action, &())?;
            let date = t.date.unwrap_or(row.received_on);
            let earliest = row.started_on.unwrap_or(row.received_on);
            if date < earliest {
                return Err(ApiError::unprocessable(
                    "date",
                    format!("must not be before {earliest}"),
                ));
            }
            let mut changes = LifecycleChanges {
                status: to.as_str().into(),
                ..Default::default()
            };
            if t.action == MediationAction::Start {
                changes.started_on = Some(Some(date));
            } else {
                changes.outcome_on = Some(Some(date));
                changes.days_taken = Some(Some(days_between(row.received_on, date)));
                changes.outcome_note = Some(t.note.as_deref().map(|n| n.trim().to_string()));
                changes.agreement_summary =
                    Some(t.summary.as_deref().map(|s| s.trim().to_string()));
                changes.referred_to = Some(t.referred_to.map(|r| r.as_str().to_string()));
            }
            let now = xs_kit::db::now();
            let n = model::set_lifecycle(c, &id, row.version, &changes, &who.sub, now)?;
            check_updated(n, || Ok(model::exists(c, &id)?), "mediation case")?;
            if to.is_outcome() {
                let parties = i32::try_from(
                    serde_json::from_str::<Vec<serde_json::Value>>(&row.parties)
                        .map(|p| p.len())
                        .unwrap_or(0),
                )
                .unwrap_or(0);
                let solved = to == MediationStatus::AgreementSigned;
                for m in &f.mediators {
                    outbox::enqueue(
                        c,
                        MEMBERSHIP_ACTIVITIES,
                        &credit(&row, m, parties, date, solved),
                    )?;
                }
            }
            let mut details = serde_json::to_value(&t).map_err(ApiError::internal)?;
            if let Some(o) = details.as_object_mut() {
                o.remove("action");
                o.remove("version");
                o.retain(|_, v| !v.is_null());
            }
            let case = view(&who, load(c, &id)?)?;
            Move {
                subject_id: id.clone(),
                from: Some(from),
                action: t.action.as_str().into(),
                to,
                details,
                by: who.sub.clone(),
                at: now,
            }
            .record(c, publish(&case)?)?;
            let mut seen = Disclosures::new();
            note_parties(&mut seen, &case);
            audit::record_in(c, &reader, &seen)?;
            Reply::ok(&case)
        })
        .await;
    notifier.notify();
    res
}

/// Record a mediation session
///
/// A dated note of one session, while the case is `received` or `in_mediation` (409 after).
/// The district's staff and the case's mediators. Answers the case.
#[utoipa::path(tag = "mediation", request_body = NewSession, params(
    ("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = MediationCase),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json")))]
#[post("/mediation-cases/{id}/sessions")]
pub async fn add_session(
    db: web::Data<Db>,
    caller: Caller,
    rid: RequestId,
    idem: Idempotency,
    id: web::Path<String>,
    body: Json<NewSession>,
) -> ApiResult<HttpResponse> {
    if !caller.has_any(MEDIATION.writers) && !caller.has(Role::Member) {
        caller.require_any(MEDIATION.writers)?;
    }
    let b = body.0;
    let mut v = Validator::new();
    v.text("note", &b.note, 2000);
    v.past_date("date", b.date);
    v.finish()?;
    let id = id.into_inner();
    let reader = Reader::new(&caller, &rid);
    let (input, who) = (b.clone(), caller.clone());
    idem.run(&db, &caller.sub, &b, move |c| {
        if !xs_kit::rows::lock(c, "mediation_cases", &id)? {
            return Err(ApiError::not_found("mediation case"));
        }
        let f = load(c, &id)?;
        if !may_work_on(&who, &f.row.district_code, &f.mediators) {
            return Err(ApiError::Forbidden(
                "sessions are recorded by the district's staff and the case's mediators".into(),
            ));
        }
        if status_of(&f.row)?.is_outcome() {
            return Err(ApiError::Conflict(format!(
                "a case that is {} takes no more sessions",
                f.row.status
            )));
        }
        if input.date < f.row.received_on {
            return Err(ApiError::unprocessable(
                "date",
                "must not be before the case was received",
            ));
        }
        let now = xs_kit::db::now();
        model::insert_session(
            c,
            &SessionRow {
                id: xs_kit::db::new_id(),
                case_id: id.clone(),
                session_on: input.date,
                note: input.note.trim().to_string(),
                created_at: now,
                created_by: who.sub.clone(),
            },
        )?;
        let case = view(&who, load(c, &id)?)?;
        let mut seen = Disclosures::new();
        note_parties(&mut seen, &case);
        audit::record_in(c, &reader, &seen)?;
        Reply::created(&case, format!("/api/v1/mediation-cases/{id}"))
    })
    .await
}

/// A mediation case's lifecycle history
///
/// Oldest first, with the account that took each step; never the parties. Readers as for
/// the case.
#[utoipa::path(tag = "mediation", params(("id" = String, Path), PageQuery), responses(
    (status = 200, body = Page<HistoryEntry>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/mediation-cases/{id}/history")]
pub async fn case_history(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let scope = MEDIATION.read_scope(&caller)?;
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (id, fetch, after) = (id.into_inner(), page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| {
            let r = model::find(c, &id)?.ok_or_else(|| ApiError::not_found("mediation case"))?;
            scope.require(&r.district_code, None, "mediation histories")?;
            Ok(lifecycle::history::<MediationStatus>(
                c,
                &id,
                after.as_deref(),
                fetch,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.page(rows, |e| e.id.clone(), HistoryEntry::from_row)))
}
