//! Consultations (微协商): planned with the topics they take up, held (minutes, opinions with
//! responsible bodies; topics consulted; each participating member credited through the
//! outbox), submitted to main recipients with due dates and copied to departments, followed
//! up (opinion statuses, recipients' replies) until implemented (topics resolved) or closed
//! unresolved; overdue replies oldest first. Residents' names among the participants are whole
//! for the district's staff only.

use super::{bad_reference, check_members, check_workroom, move_topic, trimmed};
use crate::domain::access::CONSULTATIONS;
use crate::domain::consultation::days_between;
use crate::domain::topic::{Guards as TopicGuards, TopicAction, TopicStatus};
use crate::models::consultation::{
    self as model, ConsultationChanges, ConsultationFilter, ConsultationRow, FollowUpRow, Full,
    LifecycleChanges, OpinionRow, RecipientRow,
};
use crate::models::topic as topics;
use crate::views::HistoryEntry;
use crate::views::consultation::*;
use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
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
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, DbConn, Page, PageRequest};

fn status_of(r: &ConsultationRow) -> ApiResult<ConsultationStatus> {
    stored("consultation status", &r.status)
}

fn view(caller: &Caller, f: Full) -> ApiResult<Consultation> {
    let district = f.row.district_code.clone();
    let show = CONSULTATIONS.may_read_personal(caller, &district, None);
    let actions = if CONSULTATIONS.may_write(caller, &district) {
        lifecycle::allowed(status_of(&f.row)?, &())
    } else {
        Vec::new()
    };
    Consultation::from_full(f, show, actions)
}

fn load(c: &mut DbConn, id: &str) -> ApiResult<Full> {
    model::find_full(c, id)?.ok_or_else(|| ApiError::not_found("consultation"))
}

fn with_etag(v: &Consultation) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(v.version)))
        .json(v)
}

fn publish(v: &Consultation) -> ApiResult<Publish> {
    // The event carries the consultation as a reader outside the office sees it.
    let mut data = serde_json::to_value(v).map_err(ApiError::internal)?;
    if let Some(names) = data.get_mut("resident_names") {
        *names = serde_json::to_value(
            v.resident_names
                .iter()
                .map(|n| xs_kit::mask::name(n))
                .collect::<Vec<_>>(),
        )
        .map_err(ApiError::internal)?;
    }
    Ok(Publish {
        district: Some(v.district.clone()),
        subject: format!("/api/v1/consultations/{}", v.id),
        data,
    })
}

fn text_list(v: &mut Validator, field: &str, list: &[String], max_items: usize, max: usize) {
    v.check(
        list.len() <= max_items,
        field,
        &format!("at most {max_items} entries"),
    );
    for (i, s) in list.iter().enumerate() {
        v.text(&format!("{field}[{i}]"), s, max);
    }
}

fn json_list(list: &[String]) -> ApiResult<String> {
    let list: Vec<&str> = list.iter().map(|s| s.trim()).collect();
    serde_json::to_string(&list).map_err(ApiError::internal)
}

/// List consultations
///
/// The district's office staff, coordinators and members see their district's consultations;
/// admins and read-only integrations citywide or their token's district; others 403 (and a
/// `district` outside the caller's scope is 403). Residents' names are masked (`张*`) for
/// everyone but the district's staff. Filters: status, workroom, topic, member.
#[utoipa::path(tag = "consultations", params(ConsultationQuery), responses(
    (status = 200, body = Page<Consultation>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 503, body = Problem, content_type = "application/problem+json")))]
#[get("/consultations")]
pub async fn list_consultations(
    db: web::Data<Db>,
    caller: Caller,
    q: Query<ConsultationQuery>,
) -> ApiResult<HttpResponse> {
    let scope = CONSULTATIONS.read_scope(&caller)?;
    let q = q.0;
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let filter = ConsultationFilter {
        district: scope.narrow(q.district, None)?.district,
        status: q.status.map(|s| s.as_str().to_string()),
        workroom: q.workroom,
        topic: q.topic,
        member: q.member,
    };
    let (fetch, after) = (page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| {
            let rows = model::list(c, &filter, after.as_deref(), fetch)?;
            Ok(model::full(c, rows)?)
        })
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    let more = rows.len() as i64 > page.limit;
    for f in rows.into_iter().take(page.limit as usize) {
        items.push(view(&caller, f)?);
    }
    let next_cursor = if more {
        items
            .last()
            .map(|v: &Consultation| xs_kit::pagination::encode_cursor(&v.id))
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
}

/// Read a consultation
///
/// With its topics, members, opinions and recipients. Readers as in the list; another
/// district's consultation is 403. Residents' names are whole for the district's staff only.
#[utoipa::path(tag = "consultations", params(("id" = String, Path)), responses(
    (status = 200, body = Consultation, headers(("ETag" = String))),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/consultations/{id}")]
pub async fn get_consultation(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let scope = CONSULTATIONS.read_scope(&caller)?;
    let id = id.into_inner();
    let f = db.read(move |c| load(c, &id)).await?;
    scope.require(&f.row.district_code, None, CONSULTATIONS.what)?;
    Ok(with_etag(&view(&caller, f)?))
}

fn validate_participants(
    v: &mut Validator,
    members: Option<&[String]>,
    residents_count: Option<i32>,
    names: Option<&[String]>,
    units: Option<&[String]>,
    departments: Option<&[String]>,
) {
    if let Some(m) = members {
        v.texts("members", m, 0..=50, 64);
    }
    if let Some(n) = residents_count {
        v.check(
            (0..=100_000).contains(&n),
            "residents_count",
            "must be between 0 and 100000",
        );
    }
    if let Some(n) = names {
        text_list(v, "resident_names", n, 200, 50);
    }
    if let Some(u) = units {
        text_list(v, "grassroots_units", u, 50, 100);
    }
    if let Some(d) = departments {
        text_list(v, "departments", d, 50, 100);
    }
}

/// Plan a consultation
///
/// Admins and the district's office staff and coordinators. The topics (1 to 20, open or
/// claimed topics of the district) move to `scheduled` in the same transaction; a topic that
/// does not exist, lies elsewhere or is not open or claimed is 422 naming it. The workroom and
/// members are checked with membership (422 naming the field; 503 when it is down).
#[utoipa::path(tag = "consultations", request_body = NewConsultation, params(
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = Consultation, headers(("Location" = String), ("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "A topic, workroom or member does not exist, lies elsewhere or cannot be taken up", body = Problem, content_type = "application/problem+json"),
    (status = 503, body = Problem, content_type = "application/problem+json")))]
#[post("/consultations")]
pub async fn create_consultation(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    idem: Idempotency,
    body: Json<NewConsultation>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    CONSULTATIONS.require_write(&caller, &b.district)?;
    let mut v = Validator::new();
    v.text("title", &b.title, 100)
        .text("place", &b.place, 200)
        .text("host", &b.host, 100)
        .code("district", &b.district)
        .opt_text("workroom", b.workroom.as_deref(), 64)
        .texts("topics", &b.topics, 1..=20, 64);
    validate_participants(
        &mut v,
        Some(&b.members),
        Some(b.residents_count),
        Some(&b.resident_names),
        Some(&b.grassroots_units),
        Some(&b.departments),
    );
    v.finish()?;
    let room = match &b.workroom {
        Some(w) => Some(check_workroom(&client, "workroom", w.trim(), &b.district).await?),
        None => None,
    };
    let members = trimmed(&b.members);
    check_members(&client, "members", &members, &b.district).await?;
    let (input, who) = (b.clone(), caller.clone());
    idem.run(&db, &caller.sub, &b, move |c| {
        let b = input;
        let topic_ids = trimmed(&b.topics);
        let refs: Vec<&str> = topic_ids.iter().map(String::as_str).collect();
        xs_kit::rows::lock_all(c, "topics", &refs)?;
        let mut rows = Vec::new();
        for (i, tid) in topic_ids.iter().enumerate() {
            let field = format!("topics[{i}]");
            let Some(t) = topics::find(c, tid)? else {
                return Err(bad_reference(&field, "no such topic"));
            };
            if t.district_code != b.district {
                return Err(bad_reference(&field, "is a topic of another district"));
            }
            let status: TopicStatus = stored("topic status", &t.status)?;
            if !status.is_open() {
                return Err(bad_reference(
                    &field,
                    &format!(
                        "is {}; only open or claimed topics can be taken up",
                        t.status
                    ),
                ));
            }
            rows.push(t);
        }
        let now = xs_kit::db::now();
        let subdistrict = room
            .as_ref()
            .map(|w| w.subdistrict.clone())
            .or_else(|| rows.first().map(|t| t.subdistrict_code.clone()));
        let row = ConsultationRow {
            id: xs_kit::db::new_id(),
            title: b.title.trim().to_string(),
            district_code: b.district.clone(),
            subdistrict_code: subdistrict,
            workroom_id: b.workroom.as_deref().map(|w| w.trim().to_string()),
            scheduled_on: b.scheduled_on,
            place: b.place.trim().to_string(),
            format: b.format.as_str().into(),
            host: b.host.trim().to_string(),
            residents_count: b.residents_count,
            resident_names: json_list(&b.resident_names)?,
            grassroots_units: json_list(&b.grassroots_units)?,
            departments: json_list(&b.departments)?,
            status: ConsultationStatus::Planned.as_str().into(),
            minutes: None,
            held_on: None,
            submitted_on: None,
            closed_on: None,
            closing_note: None,
            version: 1,
            created_at: now,
            created_by: who.sub.clone(),
            updated_at: now,
            updated_by: who.sub.clone(),
        };
        model::insert(c, &row, &topic_ids, &members)?;
        let id = row.id.clone();
        for t in &rows {
            let guards = TopicGuards {
                by_consultation: true,
                has_claimants: !t.claimants().is_empty(),
            };
            move_topic(
                c,
                t,
                TopicAction::Schedule,
                &guards,
                |_| {},
                serde_json::json!({"consultation": id}),
                &who.sub,
                now,
            )?;
        }
        let consultation = view(&who, load(c, &id)?)?;
        Move::<ConsultationStatus> {
            subject_id: id.clone(),
            from: None,
            action: "plan".into(),
            to: ConsultationStatus::Planned,
            details: serde_json::json!({"topics": topic_ids}),
            by: who.sub.clone(),
            at: now,
        }
        .record(c, publish(&consultation)?)?;
        Reply::created(&consultation, format!("/api/v1/consultations/{id}"))
    })
    .await
}

/// Change a planned consultation
///
/// Title, date, place, format, host and participants, while it is `planned` (409 after: a
/// held consultation's record is its minutes). Admins and the district's office staff and
/// coordinators; members named are checked with membership (422). Send the version you read.
#[utoipa::path(tag = "consultations", request_body = ConsultationPatch, params(
    ("id" = String, Path),
    ("If-Match" = Option<String>, Header, description = "The ETag you read; or send `version` in the body")),
    responses(
    (status = 200, body = Consultation, headers(("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
    (status = 503, body = Problem, content_type = "application/problem+json")))]
#[patch("/consultations/{id}")]
pub async fn update_consultation(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<ConsultationPatch>,
) -> ApiResult<HttpResponse> {
    caller.require_any(CONSULTATIONS.writers)?;
    let p = body.0;
    let expected = expected_version(if_match, p.version);
    let mut v = Validator::new();
    v.opt_text("title", p.title.as_deref(), 100)
        .opt_text("place", p.place.as_deref(), 200)
        .opt_text("host", p.host.as_deref(), 100);
    validate_participants(
        &mut v,
        p.members.as_deref(),
        p.residents_count,
        p.resident_names.as_deref(),
        p.grassroots_units.as_deref(),
        p.departments.as_deref(),
    );
    let valid = v.finish();
    let id = id.into_inner();
    let key = id.clone();
    let current = db
        .read(move |c| model::find(c, &key)?.ok_or_else(|| ApiError::not_found("consultation")))
        .await?;
    CONSULTATIONS.require_write(&caller, &current.district_code)?;
    let members = p.members.as_deref().map(trimmed);
    // Role and scope before input: the version and the fields come after.
    let expected = expected?;
    valid?;
    if let Some(m) = &members {
        check_members(&client, "members", m, &current.district_code).await?;
    }
    let updated = db
        .write(move |c| {
            let row = model::find(c, &id)?.ok_or_else(|| ApiError::not_found("consultation"))?;
            if status_of(&row)? != ConsultationStatus::Planned {
                return Err(ApiError::Conflict(format!(
                    "a consultation that is {} can no longer be changed",
                    row.status
                )));
            }
            let changes = ConsultationChanges {
                title: p.title.map(|s| s.trim().to_string()),
                scheduled_on: p.scheduled_on,
                place: p.place.map(|s| s.trim().to_string()),
                format: p.format.map(|f| f.as_str().to_string()),
                host: p.host.map(|s| s.trim().to_string()),
                residents_count: p.residents_count,
                resident_names: p.resident_names.as_deref().map(json_list).transpose()?,
                grassroots_units: p.grassroots_units.as_deref().map(json_list).transpose()?,
                departments: p.departments.as_deref().map(json_list).transpose()?,
            };
            let n = model::update(c, &id, expected, &changes, &caller.sub, xs_kit::db::now())?;
            check_updated(n, || Ok(model::exists(c, &id)?), "consultation")?;
            if let Some(m) = &members {
                model::replace_members(c, &id, m)?;
            }
            view(&caller, load(c, &id)?)
        })
        .await?;
    Ok(with_etag(&updated))
}

/// Which fields each action takes: (required, optional); anything else is refused.
fn transition_fields(
    action: ConsultationAction,
) -> (&'static [&'static str], &'static [&'static str]) {
    use ConsultationAction as A;
    match action {
        A::Hold => (&["date", "minutes", "opinions"], &[]),
        A::Submit => (&["date", "recipients"], &["copies"]),
        A::FollowUp => (&[], &["note"]),
        A::Implement | A::CloseUnresolved => (&["date"], &["note"]),
        A::Cancel => (&["note"], &["date"]),
    }
}

/// The same table for the API document (`xs_kit::apidoc::by_action`).
pub(crate) fn transition_rules() -> Vec<xs_kit::apidoc::ActionFields> {
    ConsultationAction::ALL
        .iter()
        .map(|a| {
            let (required, optional) = transition_fields(*a);
            (a.as_str(), required, optional)
        })
        .collect()
}

fn validate_transition(t: &ConsultationTransition) -> ApiResult<()> {
    let given = [
        ("date", t.date.is_some()),
        ("minutes", t.minutes.is_some()),
        ("opinions", t.opinions.is_some()),
        ("recipients", t.recipients.is_some()),
        ("copies", t.copies.is_some()),
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
    v.opt_text("minutes", t.minutes.as_deref(), 10_000)
        .opt_text("note", t.note.as_deref(), 2000);
    if let Some(d) = t.date {
        v.past_date("date", d);
    }
    if let Some(list) = &t.opinions {
        v.check(
            (1..=50).contains(&list.len()),
            "opinions",
            "record 1 to 50 opinions",
        );
        for (i, o) in list.iter().enumerate() {
            v.text(&format!("opinions[{i}].text"), &o.text, 2000).text(
                &format!("opinions[{i}].responsible_body"),
                &o.responsible_body,
                100,
            );
        }
    }
    if let Some(list) = &t.recipients {
        v.check(
            (1..=10).contains(&list.len()),
            "recipients",
            "name 1 to 10 main recipients",
        );
        for (i, r) in list.iter().enumerate() {
            v.opt_text(&format!("recipients[{i}].name"), r.name.as_deref(), 100);
            // Rules between fields (a department's name, a due date after the submission's)
            // are not in the schema: 422.
            if r.body == RecipientBody::Department {
                v.require(
                    r.name.is_some(),
                    &format!("recipients[{i}].name"),
                    "is required for a department",
                );
            }
            if let Some(d) = t.date {
                v.require(
                    r.due_on >= d,
                    &format!("recipients[{i}].due_on"),
                    "must not be before the submission",
                );
            }
        }
    }
    if let Some(list) = &t.copies {
        v.check(list.len() <= 50, "copies", "at most 50 copies");
        for (i, c) in list.iter().enumerate() {
            v.text(&format!("copies[{i}].name"), &c.name, 100);
        }
    }
    v.finish()
}

/// The activity credit a member earns for taking part in a held consultation. The event id is
/// the consultation and the member: delivered however often, recorded once.
fn credit(row: &ConsultationRow, member: &str, held_on: NaiveDate) -> ActivityEvent {
    ActivityEvent {
        member: member.to_string(),
        activity_type: ActivityType::Consultation,
        level: None,
        date: held_on,
        workroom: row.workroom_id.clone(),
        beneficiaries: row.residents_count,
        problems_solved: 0,
        note: Some(row.title.chars().take(200).collect()),
        source: "consultation".into(),
        source_event_id: format!("consultation/{}/{member}", row.id),
    }
}

/// Move a consultation through its lifecycle
///
/// `hold` (planned → held: date, minutes, opinions each with a responsible body; its topics
/// become `consulted` and each participating member earns a `consultation` activity credit in
/// membership, through the outbox in the same transaction — delivered once membership is
/// reachable, even if it is down now), `submit` (held → submitted: main recipients with due
/// dates, copies), `follow_up` (submitted → following_up; the first follow-up recorded does it
/// too), `implement` (following_up → implemented; its consulted topics become `resolved`),
/// `close_unresolved` (submitted or following_up → closed_unresolved; topics `unresolved`),
/// `cancel` (planned → cancelled, with a note; topics go back to claimed or open). Each in one
/// transaction; illegal moves are 409 with `allowed_actions`. Admins and the district's office
/// staff and coordinators.
#[utoipa::path(tag = "consultations", request_body = ConsultationTransition, params(
    ("id" = String, Path),
    ("If-Match" = Option<String>, Header, description = "Optional: the ETag you read; stale is a 412"),
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 200, body = Consultation, headers(("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Illegal in the current state; `allowed_actions` lists what is possible", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json")))]
#[post("/consultations/{id}/transitions")]
#[allow(clippy::too_many_arguments)]
pub async fn transition_consultation(
    db: web::Data<Db>,
    notifier: web::Data<Notifier>,
    caller: Caller,
    idem: Idempotency,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<ConsultationTransition>,
) -> ApiResult<HttpResponse> {
    caller.require_any(CONSULTATIONS.writers)?;
    validate_transition(&body)?;
    let expected = match (if_match.0, body.version) {
        (None, None) => None,
        (h, b) => Some(expected_version(IfMatch(h), b)?),
    };
    let t = body.0;
    let id = id.into_inner();
    let who = caller.clone();
    let res = idem
        .run(&db, &caller.sub, &t.clone(), move |c| {
            if !xs_kit::rows::lock(c, "consultations", &id)? {
                return Err(ApiError::not_found("consultation"));
            }
            let f = load(c, &id)?;
            let row = f.row.clone();
            CONSULTATIONS.require_write(&who, &row.district_code)?;
            if expected.is_some_and(|v| v != row.version) {
                return Err(ApiError::PreconditionFailed(
                    "the consultation was changed by someone else; read it again and retry".into(),
                ));
            }
            let from = status_of(&row)?;
            let to = lifecycle::apply(from, t.action, &())?;
            let now = xs_kit::db::now();
            let date = t.date.unwrap_or(now.date());
            let mut changes = LifecycleChanges {
                status: to.as_str().into(),
                ..Default::default()
            };
            match t.action {
                ConsultationAction::Hold => {
                    let earliest = row.scheduled_on.checked_sub_days(chrono::Days::new(365));
                    if earliest.is_some_and(|e| date < e) {
                        return Err(ApiError::unprocessable(
                            "date",
                            "is long before the planned date",
                        ));
                    }
                    changes.held_on = Some(Some(date));
                    changes.minutes = Some(t.minutes.as_deref().map(|m| m.trim().to_string()));
                    for (i, o) in t.opinions.iter().flatten().enumerate() {
                        model::insert_opinion(
                            c,
                            &OpinionRow {
                                id: xs_kit::db::new_id(),
                                consultation_id: id.clone(),
                                district_code: row.district_code.clone(),
                                subdistrict_code: row.subdistrict_code.clone(),
                                held_on: date,
                                position: i32::try_from(i + 1).unwrap_or(i32::MAX),
                                text: o.text.trim().to_string(),
                                responsible_body: o.responsible_body.trim().to_string(),
                                status: OpinionStatus::Pending.as_str().into(),
                                updated_at: now,
                                updated_by: who.sub.clone(),
                            },
                        )?;
                    }
                    for m in &f.members {
                        outbox::enqueue(c, MEMBERSHIP_ACTIVITIES, &credit(&row, m, date))?;
                    }
                }
                ConsultationAction::Submit => {
                    if row.held_on.is_some_and(|h| date < h) {
                        return Err(ApiError::unprocessable(
                            "date",
                            "must not be before it was held",
                        ));
                    }
                    changes.submitted_on = Some(Some(date));
                    for r in t.recipients.iter().flatten() {
                        model::insert_recipient(
                            c,
                            &RecipientRow {
                                id: xs_kit::db::new_id(),
                                consultation_id: id.clone(),
                                district_code: row.district_code.clone(),
                                kind: RecipientKind::Main.as_str().into(),
                                body: r.body.as_str().into(),
                                name: r.name.as_deref().map(|n| n.trim().to_string()),
                                due_on: Some(r.due_on),
                                replied_on: None,
                                reply: None,
                            },
                        )?;
                    }
                    for copy in t.copies.iter().flatten() {
                        model::insert_recipient(
                            c,
                            &RecipientRow {
                                id: xs_kit::db::new_id(),
                                consultation_id: id.clone(),
                                district_code: row.district_code.clone(),
                                kind: RecipientKind::Copy.as_str().into(),
                                body: RecipientBody::Department.as_str().into(),
                                name: Some(copy.name.trim().to_string()),
                                due_on: None,
                                replied_on: None,
                                reply: None,
                            },
                        )?;
                    }
                }
                ConsultationAction::FollowUp => {}
                ConsultationAction::Implement
                | ConsultationAction::CloseUnresolved
                | ConsultationAction::Cancel => {
                    if row.submitted_on.is_some_and(|s| date < s) {
                        return Err(ApiError::unprocessable(
                            "date",
                            "must not be before the submission",
                        ));
                    }
                    changes.closed_on = Some(Some(date));
                    changes.closing_note = Some(t.note.as_deref().map(|n| n.trim().to_string()));
                }
            }
            let n = model::set_lifecycle(c, &id, row.version, &changes, &who.sub, now)?;
            check_updated(n, || Ok(model::exists(c, &id)?), "consultation")?;
            if let Some(action) = t.action.topic_move() {
                move_topics(c, &f.topics, action, &id, date, &who.sub, now)?;
            }
            let mut details = serde_json::to_value(&t).map_err(ApiError::internal)?;
            if let Some(o) = details.as_object_mut() {
                o.remove("action");
                o.remove("version");
                o.retain(|_, v| !v.is_null());
            }
            let after = view(&who, load(c, &id)?)?;
            Move {
                subject_id: id.clone(),
                from: Some(from),
                action: t.action.as_str().into(),
                to,
                details,
                by: who.sub.clone(),
                at: now,
            }
            .record(c, publish(&after)?)?;
            Reply::ok(&after)
        })
        .await;
    // The credits are in the outbox now: wake the relay.
    notifier.notify();
    res
}

/// Move the consultation's topics (locked, in id order) as its own move requires; a topic
/// already moved on by hand (a consulted topic resolved before the consultation was
/// implemented) is left as it is.
fn move_topics(
    c: &mut DbConn,
    ids: &[String],
    action: TopicAction,
    consultation: &str,
    date: NaiveDate,
    by: &str,
    at: chrono::NaiveDateTime,
) -> ApiResult<()> {
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    xs_kit::rows::lock_all(c, "topics", &refs)?;
    for t in topics::find_all(c, ids)? {
        let guards = TopicGuards {
            by_consultation: true,
            has_claimants: !t.claimants().is_empty(),
        };
        let status: TopicStatus = stored("topic status", &t.status)?;
        if lifecycle::apply(status, action, &guards).is_err() {
            continue;
        }
        let days = days_between(t.raised_on, date.max(t.raised_on));
        let resolved = action == TopicAction::Resolve;
        move_topic(
            c,
            &t,
            action,
            &guards,
            |ch| {
                if resolved {
                    ch.resolved_on = Some(Some(date.max(t.raised_on)));
                    ch.resolution_days = Some(Some(days));
                }
            },
            serde_json::json!({"consultation": consultation}),
            by,
            at,
        )?;
    }
    Ok(())
}

/// A consultation's lifecycle history
///
/// Every step from planning on, oldest first, with what each recorded and the account that
/// took it. Readers as for the consultation; other districts' staff get 403.
#[utoipa::path(tag = "consultations", params(("id" = String, Path), PageQuery), responses(
    (status = 200, body = Page<HistoryEntry>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/consultations/{id}/history")]
pub async fn consultation_history(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let scope = CONSULTATIONS.read_scope(&caller)?;
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (id, fetch, after) = (id.into_inner(), page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| {
            let r = model::find(c, &id)?.ok_or_else(|| ApiError::not_found("consultation"))?;
            scope.require(&r.district_code, None, "consultation histories")?;
            Ok(lifecycle::history::<ConsultationStatus>(
                c,
                &id,
                after.as_deref(),
                fetch,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.page(rows, |e| e.id.clone(), HistoryEntry::from_row)))
}

/// A consultation's follow-ups
///
/// Oldest first. Readers as for the consultation.
#[utoipa::path(tag = "consultations", params(("id" = String, Path), PageQuery), responses(
    (status = 200, body = Page<FollowUp>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/consultations/{id}/follow-ups")]
pub async fn list_follow_ups(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let scope = CONSULTATIONS.read_scope(&caller)?;
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (id, fetch, after) = (id.into_inner(), page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| {
            let r = model::find(c, &id)?.ok_or_else(|| ApiError::not_found("consultation"))?;
            scope.require(&r.district_code, None, CONSULTATIONS.what)?;
            Ok(model::follow_ups_of(c, &id, after.as_deref(), fetch)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.page(rows, |r| r.id.clone(), FollowUp::from_row)))
}

/// Record a follow-up
///
/// While the consultation is `submitted` or `following_up` (409 otherwise): the date, who
/// followed up, a note, new statuses of its opinions (`pending`, `in_progress`, `adopted`,
/// `implemented`, `not_adopted`) and a main recipient's reply. The first follow-up of a
/// submitted consultation moves it to `following_up` (in its history). Admins and the
/// district's office staff and coordinators. An opinion or recipient not of this consultation
/// is 422 naming it.
#[utoipa::path(tag = "consultations", request_body = NewFollowUp, params(
    ("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = FollowUp, headers(("Location" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/consultations/{id}/follow-ups")]
pub async fn create_follow_up(
    db: web::Data<Db>,
    caller: Caller,
    idem: Idempotency,
    id: web::Path<String>,
    body: Json<NewFollowUp>,
) -> ApiResult<HttpResponse> {
    caller.require_any(CONSULTATIONS.writers)?;
    let b = body.0;
    let mut v = Validator::new();
    v.text("by_whom", &b.by_whom, 100)
        .text("note", &b.note, 2000)
        .check(b.opinions.len() <= 50, "opinions", "at most 50 entries")
        .opt_text("recipient", b.recipient.as_deref(), 64)
        .opt_text("reply", b.reply.as_deref(), 4000)
        .require(
            b.recipient.is_some() == b.reply.is_some(),
            if b.reply.is_some() {
                "recipient"
            } else {
                "reply"
            },
            "a reply comes with the recipient who gave it",
        );
    v.past_date("date", b.date);
    v.finish()?;
    let id = id.into_inner();
    let (input, who) = (b.clone(), caller.clone());
    idem.run(&db, &caller.sub, &b, move |c| {
        let b = input;
        if !xs_kit::rows::lock(c, "consultations", &id)? {
            return Err(ApiError::not_found("consultation"));
        }
        let f = load(c, &id)?;
        CONSULTATIONS.require_write(&who, &f.row.district_code)?;
        let from = status_of(&f.row)?;
        if !from.takes_follow_ups() {
            return Err(ApiError::IllegalTransition {
                detail: format!(
                    "a consultation that is {} takes no follow-ups",
                    from.as_str()
                ),
                allowed: lifecycle::allowed(from, &())
                    .into_iter()
                    .map(|a| a.as_str().to_string())
                    .collect(),
            });
        }
        let now = xs_kit::db::now();
        for (i, u) in b.opinions.iter().enumerate() {
            if !f.opinions.iter().any(|o| o.id == u.opinion) {
                return Err(bad_reference(
                    &format!("opinions[{i}].opinion"),
                    "is not an opinion of this consultation",
                ));
            }
            model::set_opinion_status(c, &u.opinion, u.status.as_str(), &who.sub, now)?;
        }
        if let (Some(r), Some(reply)) = (&b.recipient, &b.reply) {
            let Some(rec) = f.recipients.iter().find(|x| x.id == *r) else {
                return Err(bad_reference(
                    "recipient",
                    "is not a recipient of this consultation",
                ));
            };
            if rec.kind != RecipientKind::Main.as_str() {
                return Err(bad_reference("recipient", "is a copy; copies do not reply"));
            }
            model::record_reply(c, r, b.date, reply.trim())?;
        }
        let row = FollowUpRow {
            id: xs_kit::db::new_id(),
            consultation_id: id.clone(),
            follow_up_on: b.date,
            by_whom: b.by_whom.trim().to_string(),
            note: b.note.trim().to_string(),
            recipient_id: b.recipient.clone(),
            reply: b.reply.as_deref().map(|r| r.trim().to_string()),
            opinion_statuses: serde_json::to_string(&b.opinions).map_err(ApiError::internal)?,
            created_at: now,
            created_by: who.sub.clone(),
        };
        model::insert_follow_up(c, &row)?;
        if from == ConsultationStatus::Submitted {
            let to = lifecycle::apply(from, ConsultationAction::FollowUp, &())?;
            let changes = LifecycleChanges {
                status: to.as_str().into(),
                ..Default::default()
            };
            let n = model::set_lifecycle(c, &id, f.row.version, &changes, &who.sub, now)?;
            check_updated(n, || Ok(model::exists(c, &id)?), "consultation")?;
            let after = view(&who, load(c, &id)?)?;
            Move {
                subject_id: id.clone(),
                from: Some(from),
                action: ConsultationAction::FollowUp.as_str().into(),
                to,
                details: serde_json::json!({"follow_up": row.id}),
                by: who.sub.clone(),
                at: now,
            }
            .record(c, publish(&after)?)?;
        }
        let location = format!("/api/v1/consultations/{id}/follow-ups");
        Reply::created(&FollowUp::from_row(row), location)
    })
    .await
}

/// Overdue replies
///
/// Main recipients whose reply is past its due date with none recorded, on consultations
/// still `submitted` or `following_up`: oldest due first. Readers of consultations, scoped to
/// their district (admins and integrations citywide or `district`).
#[utoipa::path(tag = "consultations", params(OverdueQuery), responses(
    (status = 200, body = Page<OverdueReply>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json")))]
#[get("/consultations/overdue")]
pub async fn overdue_replies(
    db: web::Data<Db>,
    caller: Caller,
    q: Query<OverdueQuery>,
) -> ApiResult<HttpResponse> {
    let scope = CONSULTATIONS.read_scope(&caller)?;
    let q = q.0;
    let page = PageRequest::<(NaiveDate, String)>::parse(q.limit, q.cursor.as_deref())?;
    let district = scope.narrow(q.district, None)?.district;
    let today = chrono::Utc::now().date_naive();
    let (fetch, after) = (page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| {
            let awaiting: Vec<&str> = ConsultationStatus::ALL
                .iter()
                .filter(|s| s.awaits_replies())
                .map(|s| s.as_str())
                .collect();
            Ok(model::overdue(
                c,
                district.as_deref(),
                today,
                &awaiting,
                after.as_ref(),
                fetch,
            )?)
        })
        .await?;
    let mut items = Vec::new();
    let more = rows.len() as i64 > page.limit;
    let mut last = None;
    for (r, title) in rows.into_iter().take(page.limit as usize) {
        let due = r.due_on.unwrap_or(today);
        last = Some((due, r.id.clone()));
        items.push(OverdueReply {
            consultation: r.consultation_id.clone(),
            consultation_title: title,
            district: r.district_code.clone(),
            days_overdue: days_between(due, today),
            recipient: Recipient::from_row(r)?,
        });
    }
    let next_cursor = if more {
        last.map(|k| xs_kit::pagination::encode_cursor(&k))
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
}
