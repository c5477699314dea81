//! Duty shifts (轮值), the rota, who is on duty, and check-ins (报到).
//!
//! Shifts and rotas are written by admins and the office staff of the workroom's district; the
//! workroom's own members, district staff and integrations read them; anyone signed in (the
//! app's residents) sees who is on duty, with phones masked. A member checks in at a workroom
//! they serve — against their shift that day if they have one, else flexibly — and the check-in
//! earns an activity record (`duty_shift` or `check_in`, points from the rule table) in the
//! same transaction, so participation counts in the yearly evaluation.

use crate::domain::access::{RECORDS, SHIFTS};
use crate::domain::duty::{
    self as rules, Booked, ORDER_MESSAGE, RotaRequest, check_range, local_day_and_minute,
    parse_window, plan_rota, shift_for_check_in, weekday_of,
};
use crate::domain::evaluation::{ActivityType, YEARS};
use crate::domain::member::{note_phone, require_manager, shown_phone};
use crate::domain::workroom::{Weekday, WorkroomStatus, sees_only_active};
use crate::models::activity::{self as activities, ActivityRow};
use crate::models::duty::{self as model, CheckInFilter, CheckInRow, ShiftFilter, ShiftRow};
use crate::models::member as members;
use crate::models::workroom::{self as workrooms, WorkroomRow};
use crate::views::duty::*;
use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDate};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use xs_kit::audit::{self, Disclosures, Reader};
use xs_kit::error::{OrNotFound, Problem};
use xs_kit::extract::{Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::scope::Scope;
use xs_kit::telemetry::RequestId;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, DbConn, Page, PageRequest, Role, rows};

/// The service name activity records made here carry; their event id is `check_in:<id>`.
const SOURCE: &str = "membership";

const ALREADY_CHECKED_IN: &str = "the member has already checked in at this workroom today";

fn reception_days(w: &WorkroomRow) -> ApiResult<Vec<Weekday>> {
    serde_json::from_str(&w.reception_days).map_err(ApiError::internal)
}

/// Shifts are planned for any workroom still in the register; a closed one has no more.
fn require_not_closed(w: &WorkroomRow) -> ApiResult<()> {
    if w.status == WorkroomStatus::Closed.as_str() {
        return Err(ApiError::Conflict("the workroom is closed".into()));
    }
    Ok(())
}

/// A date the schema takes (any) but a rota or shift cannot use: 422.
fn check_date(v: &mut Validator, field: &str, date: NaiveDate) {
    v.require(
        YEARS.contains(&date.year()),
        field,
        "must be in the years 2000 to 2100",
    );
}

fn check_window(v: &mut Validator, start: &str, end: &str) -> Option<(i32, i32)> {
    match parse_window(start, end) {
        Ok(w) => Some(w),
        Err(errors) => {
            for e in errors {
                // An end not after the start is schema-valid (both are times of day): 422.
                if e.message == ORDER_MESSAGE {
                    v.refuse(&e.field, &e.message);
                } else {
                    v.push(&e.field, &e.message);
                }
            }
            None
        }
    }
}

/// A member who may hold shifts here: exists, serves in the workroom, is active. Problems
/// name the `member` field.
fn serving_member(c: &mut DbConn, w: &WorkroomRow, id: &str) -> ApiResult<members::MemberRow> {
    let m =
        members::find(c, id)?.ok_or_else(|| ApiError::unprocessable("member", "no such member"))?;
    if workrooms::assignment(c, &w.id, &m.id)?.is_none() {
        return Err(ApiError::unprocessable(
            "member",
            "does not serve in this workroom",
        ));
    }
    if m.status != "active" {
        return Err(ApiError::unprocessable("member", "is not an active member"));
    }
    Ok(m)
}

/// Shifts are for the workroom's members, its district's staff and integrations, and admins.
fn require_shift_reader(c: &mut DbConn, caller: &Caller, w: &WorkroomRow) -> ApiResult<()> {
    let scope = SHIFTS.read_scope(caller).map_err(|_| {
        ApiError::Forbidden(
            "duty shifts are for staff and the workroom's members; see /on-duty for who is on \
             duty"
                .into(),
        )
    })?;
    match scope {
        // A member's own shifts are those of the workrooms they serve in.
        Scope::Member(m) if workrooms::assignment(c, &w.id, &m)?.is_some() => Ok(()),
        Scope::Member(_) => Err(ApiError::Forbidden(
            "members see the shifts of the workrooms they serve".into(),
        )),
        scope => scope.require(&w.district_code, None, SHIFTS.what),
    }
}

/// List a workroom's duty shifts
///
/// By date and start time; dates and `HH:MM` times are local time (`XS_UTC_OFFSET`, default
/// UTC+8). Filter by `member` and by `from`–`to` (inclusive, `from` ≤ `to`). Admins; office staff,
/// coordinators, dashboards and integrators of the workroom's district (or integrations whose
/// token names no district); members only for workrooms they serve in. Anyone else gets 403:
/// `/on-duty` says who is on duty.
#[utoipa::path(tag = "duty", params(("id" = String, Path), ShiftQuery), responses(
    (status = 200, body = Page<DutyShift>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/workrooms/{id}/duty-shifts")]
pub async fn list_shifts(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<ShiftQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.0;
    if let (Some(f), Some(t)) = (q.from, q.to)
        && t < f
    {
        return Err(ApiError::unprocessable("to", "must not be before from"));
    }
    let page = PageRequest::<model::ShiftKey>::parse(q.limit, q.cursor.as_deref())?;
    let filter = ShiftFilter {
        member: q.member,
        from: q.from,
        to: q.to,
    };
    let (id, fetch, after) = (id.into_inner(), page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| {
            // Residents see active workrooms only: any other is 404 to them, as an unknown id.
            let w = workrooms::find_visible(c, &id, sees_only_active(&caller))?
                .or_not_found("workroom")?;
            require_shift_reader(c, &caller, &w)?;
            Ok(model::list_shifts(c, &id, &filter, after, fetch)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.page(
        rows,
        |(s, _)| (s.shift_date, s.start_minute, s.id.clone()),
        |(s, name)| DutyShift::from_row(s, name),
    )))
}

/// Get a duty shift
///
/// One shift of the workroom; its date and `HH:MM` times are local time (`XS_UTC_OFFSET`, default
/// UTC+8). Admins; office staff, coordinators, dashboards and integrators of the workroom's
/// district, or integrations whose token names no district; members only for workrooms they serve
/// in; anyone else gets 403.
#[utoipa::path(tag = "duty", params(("id" = String, Path), ("shift_id" = String, Path)),
    responses(
    (status = 200, body = DutyShift),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/workrooms/{id}/duty-shifts/{shift_id}")]
pub async fn get_shift(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, shift_id) = path.into_inner();
    let shift = db
        .read(move |c| {
            // Residents see active workrooms only: any other is 404 to them, as an unknown id.
            let w = workrooms::find_visible(c, &id, sees_only_active(&caller))?
                .or_not_found("workroom")?;
            require_shift_reader(c, &caller, &w)?;
            let s = model::find_shift(c, &shift_id)?
                .filter(|s| s.workroom_id == id)
                .ok_or_else(|| ApiError::not_found("duty shift"))?;
            let name = members::find(c, &s.member_id)?
                .map(|m| m.name)
                .unwrap_or_default();
            Ok(DutyShift::from_row(s, name))
        })
        .await?;
    Ok(HttpResponse::Ok().json(shift))
}

/// Add a duty shift
///
/// Admins, and office staff of the workroom's district (another district is 403). The member must
/// be active and serve in the workroom (else 400); `date` (2000–2100) and the `HH:MM` window
/// (`end` after `start`) are local time (`XS_UTC_OFFSET`, default UTC+8). 409 when it overlaps
/// another of the member's shifts that day in any workroom, or the workroom is closed. Accepts
/// `Idempotency-Key`: a repeat replays the first answer, the same key with another body is a 422.
#[utoipa::path(tag = "duty", request_body = NewDutyShift, params(
    ("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = DutyShift, headers(("Location" = String))),
    (status = 400, description = "Bad input, or the member does not serve in the workroom", body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Overlaps another of the member's shifts that day, or the workroom is closed", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/workrooms/{id}/duty-shifts")]
pub async fn create_shift(
    db: web::Data<Db>,
    caller: Caller,
    idem: Idempotency,
    id: web::Path<String>,
    body: Json<NewDutyShift>,
) -> ApiResult<HttpResponse> {
    caller.require_any(SHIFTS.writers)?;
    let mut v = Validator::new();
    v.text("member", &body.member, 64);
    check_date(&mut v, "date", body.date);
    let window = check_window(&mut v, &body.start, &body.end);
    v.finish()?;
    let Some((start, end)) = window else {
        return Err(ApiError::field("start", "must be a time of day, HH:MM"));
    };
    let body = body.0;
    let (id, input, who) = (id.into_inner(), body.clone(), caller.clone());
    idem.run(&db, &caller.sub, &body, move |c| {
        let b = input;
        // Writers of one workroom's shifts, and of one member's shifts anywhere, take turns.
        rows::lock(c, "workrooms", &id)?;
        let w = workrooms::find(c, &id)?.or_not_found("workroom")?;
        require_manager(&who, &w.district_code)?;
        require_not_closed(&w)?;
        let m = serving_member(c, &w, b.member.trim())?;
        rows::lock(c, "members", &m.id)?;
        if let Some(other) = model::member_shifts_on(c, &m.id, b.date)?
            .into_iter()
            .find(|s| rules::overlaps((s.start_minute, s.end_minute), (start, end)))
        {
            return Err(ApiError::Conflict(format!(
                "the member already has a shift from {} to {} that day{}",
                rules::format_time(other.start_minute),
                rules::format_time(other.end_minute),
                if other.workroom_id == id {
                    String::new()
                } else {
                    format!(" at workroom {}", other.workroom_id)
                }
            )));
        }
        let row = ShiftRow {
            id: xs_kit::db::new_id(),
            workroom_id: id.clone(),
            member_id: m.id.clone(),
            shift_date: b.date,
            start_minute: start,
            end_minute: end,
            origin: ShiftOrigin::Manual.as_str().into(),
            created_at: xs_kit::db::now(),
            created_by: who.sub.clone(),
        };
        model::insert_shift(c, &row)?;
        let location = format!("/api/v1/workrooms/{id}/duty-shifts/{}", row.id);
        Reply::created(&DutyShift::from_row(row, m.name), location)
    })
    .await
}

/// Generate a duty rota for a date range
///
/// Admins, and office staff of the workroom's district (another district is 403). For each
/// reception day from `from` to `to` (inclusive, `from` ≤ `to`, at most 366 days) creates one
/// shift in the `HH:MM` window, local time (`XS_UTC_OFFSET`, default UTC+8), round-robin over the
/// workroom's active members, passing over anyone on duty elsewhere then; days already staffed
/// here are kept and listed as skipped. 409 when the workroom has no reception days, no active
/// members, or is closed; accepts `Idempotency-Key`.
#[utoipa::path(tag = "duty", request_body = NewRota, params(
    ("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = Rota, description = "The shifts created (possibly none), and the reception days left alone", headers(("Location" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "No reception days, no assigned active members, or the workroom is closed", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/workrooms/{id}/duty-rota")]
pub async fn generate_rota(
    db: web::Data<Db>,
    caller: Caller,
    idem: Idempotency,
    id: web::Path<String>,
    body: Json<NewRota>,
) -> ApiResult<HttpResponse> {
    caller.require_any(SHIFTS.writers)?;
    let mut v = Validator::new();
    check_date(&mut v, "from", body.from);
    check_date(&mut v, "to", body.to);
    if let Err(e) = check_range(body.from, body.to) {
        v.refuse(&e.field, &e.message);
    }
    let window = check_window(&mut v, &body.start, &body.end);
    v.finish()?;
    let Some((start, end)) = window else {
        return Err(ApiError::field("start", "must be a time of day, HH:MM"));
    };
    let body = body.0;
    let (id, input, who) = (id.into_inner(), body.clone(), caller.clone());
    idem.run(&db, &caller.sub, &body, move |c| {
        let b = input;
        rows::lock(c, "workrooms", &id)?;
        let w = workrooms::find(c, &id)?.or_not_found("workroom")?;
        require_manager(&who, &w.district_code)?;
        require_not_closed(&w)?;
        let days = reception_days(&w)?;
        if days.is_empty() {
            return Err(ApiError::Conflict(
                "the workroom has no reception days; set them first".into(),
            ));
        }
        let team = model::rota_members(c, &id)?;
        if team.is_empty() {
            return Err(ApiError::Conflict(
                "no active members serve in the workroom".into(),
            ));
        }
        rows::lock_all(
            c,
            "members",
            &team.iter().map(String::as_str).collect::<Vec<_>>(),
        )?;
        let booked: Vec<Booked> = model::shifts_around(c, &id, &team, b.from, b.to)?
            .into_iter()
            .map(|s| Booked {
                here: s.workroom_id == id,
                member: s.member_id,
                date: s.shift_date,
                start: s.start_minute,
                end: s.end_minute,
            })
            .collect();
        let plan = plan_rota(&RotaRequest {
            from: b.from,
            to: b.to,
            start,
            end,
            reception_days: &days,
            members: &team,
            booked: &booked,
        });
        let names = model::names_of(c, &team)?;
        let now = xs_kit::db::now();
        let mut created = Vec::with_capacity(plan.shifts.len());
        // One statement per row: batch inserts do not compile for the multi-backend connection.
        for p in plan.shifts {
            let row = ShiftRow {
                id: xs_kit::db::new_id(),
                workroom_id: id.clone(),
                member_id: p.member,
                shift_date: p.date,
                start_minute: p.start,
                end_minute: p.end,
                origin: ShiftOrigin::Rota.as_str().into(),
                created_at: now,
                created_by: who.sub.clone(),
            };
            model::insert_shift(c, &row)?;
            let name = names.get(&row.member_id).cloned().unwrap_or_default();
            created.push(DutyShift::from_row(row, name));
        }
        let rota = Rota {
            workroom: id.clone(),
            from: b.from,
            to: b.to,
            created,
            skipped: plan
                .skipped
                .into_iter()
                .map(|(date, reason)| SkippedDay { date, reason })
                .collect(),
        };
        Reply::created(
            &rota,
            format!(
                "/api/v1/workrooms/{id}/duty-shifts?from={}&to={}",
                b.from, b.to
            ),
        )
    })
    .await
}

/// See who is on duty at a workroom
///
/// The members with a shift there on `date` (default: today), by start time, with whether each has
/// checked in; dates and `HH:MM` times are local time (`XS_UTC_OFFSET`, default UTC+8). Any
/// signed-in caller; residents see active workrooms only (others are 404). The phone is masked
/// (`138****1234`) unless the caller is the member, an admin, or office staff or a coordinator of
/// the member's district; each whole phone served to someone else is recorded in the personal-data
/// audit.
#[utoipa::path(tag = "duty", params(("id" = String, Path), OnDutyQuery), responses(
    (status = 200, body = OnDuty),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/workrooms/{id}/on-duty")]
pub async fn on_duty(
    db: web::Data<Db>,
    caller: Caller,
    rid: RequestId,
    id: web::Path<String>,
    q: Query<OnDutyQuery>,
) -> ApiResult<HttpResponse> {
    let date = q
        .date
        .unwrap_or_else(|| local_day_and_minute(xs_kit::db::now()).0);
    let id = id.into_inner();
    let reader = Reader::new(&caller, &rid);
    let viewer = caller.member_id.clone();
    let body = db
        .read(move |c| {
            let w = workrooms::find_visible(c, &id, sees_only_active(&caller))?
                .or_not_found("workroom")?;
            let shifts = model::on_duty(c, &id, date)?;
            let ids: Vec<&str> = shifts.iter().map(|(_, m)| m.id.as_str()).collect();
            let mut specialties = members::specialties_of(c, &ids)?;
            let arrived = model::checked_in_on(c, &id, date)?;
            let on_duty = shifts
                .into_iter()
                .map(|(s, m)| {
                    let (phone, phone_masked) =
                        shown_phone(&caller, &m.id, &m.district_code, m.phone);
                    OnDutyMember {
                        specialties: specialties.remove(&m.id).unwrap_or_default(),
                        checked_in: arrived.contains(&m.id),
                        phone_masked,
                        phone,
                        member: m.id,
                        name: m.name,
                        photo_url: m.photo_url,
                        shift: s.id,
                        start: rules::format_time(s.start_minute),
                        end: rules::format_time(s.end_minute),
                    }
                })
                .collect();
            Ok(OnDuty {
                reception_day: reception_days(&w)?.contains(&weekday_of(date)),
                workroom: w.id,
                workroom_name: w.name,
                date,
                members: on_duty,
            })
        })
        .await?;
    let mut seen = Disclosures::new();
    for m in &body.members {
        let phone = m.phone.as_deref();
        note_phone(
            &mut seen,
            viewer.as_deref(),
            &m.member,
            phone,
            m.phone_masked,
        );
    }
    audit::record(&db, &reader, seen).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Check in at a workroom
///
/// A member checks themself in (leave out `member`) at a workroom they serve (elsewhere is 403);
/// admins and office staff of the workroom's district may record one for a named member; others
/// get 403. The check-in earns an activity record in the same transaction: `duty_shift` when the
/// member has a shift there that day, else `check_in`, with points from the rule table. The day is
/// the platform's local day (`XS_UTC_OFFSET`, default UTC+8); 409 when already checked in there
/// that day, the workroom is not active, or no rule table exists.
#[utoipa::path(tag = "duty", request_body = NewCheckIn, params(
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = CheckIn, headers(("Location" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already checked in at this workroom today, or the workroom is not open", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/check-ins")]
pub async fn check_in(
    db: web::Data<Db>,
    caller: Caller,
    idem: Idempotency,
    body: Json<NewCheckIn>,
) -> ApiResult<HttpResponse> {
    // Who may check in at all comes before what the body says: a resident gets 403 whatever
    // they send.
    if !(caller.has(Role::Member) && caller.member_id.is_some()) {
        caller.require_any(SHIFTS.writers)?;
    }
    let mut v = Validator::new();
    v.text("workroom", &body.workroom, 64)
        .opt_text("member", body.member.as_deref(), 64);
    v.finish()?;
    let own = caller
        .member_id
        .clone()
        .filter(|_| caller.has(Role::Member));
    let member_id = match (&body.member, &own) {
        (Some(m), _) => m.trim().to_string(),
        (None, Some(me)) => me.clone(),
        (None, None) => {
            // `member` is optional in the schema (members leave it out): 422, not 400.
            return Err(ApiError::unprocessable(
                "member",
                "name the member (only members check themselves in)",
            ));
        }
    };
    let for_self = own.as_deref() == Some(member_id.as_str());
    if !for_self {
        caller.require_any(SHIFTS.writers)?;
    }
    let body = body.0;
    let (input, who) = (body.clone(), caller.clone());
    idem.run(&db, &caller.sub, &body, move |c| {
        let workroom_id = input.workroom.trim();
        let w = workrooms::find(c, workroom_id)?
            .ok_or_else(|| ApiError::unprocessable("workroom", "no such workroom"))?;
        if !for_self {
            require_manager(&who, &w.district_code)?;
        }
        if !WorkroomStatus::parse(&w.status).is_some_and(WorkroomStatus::accepts_check_ins) {
            return Err(ApiError::Conflict(format!(
                "the workroom is {}; check-ins are for active workrooms",
                w.status
            )));
        }
        let m = match serving_member(c, &w, &member_id) {
            Err(ApiError::UnprocessableFields(_)) if for_self => {
                return Err(ApiError::Forbidden(
                    "you check in only at workrooms you serve".into(),
                ));
            }
            other => other?,
        };
        let now = xs_kit::db::now();
        let (date, minute) = local_day_and_minute(now);
        if model::check_in_on(c, &m.id, &w.id, date)?.is_some() {
            return Err(ApiError::Conflict(ALREADY_CHECKED_IN.into()));
        }
        let shifts: Vec<ShiftRow> = model::member_shifts_on(c, &m.id, date)?
            .into_iter()
            .filter(|s| s.workroom_id == w.id)
            .collect();
        let windows: Vec<(i32, i32)> = shifts
            .iter()
            .map(|s| (s.start_minute, s.end_minute))
            .collect();
        let shift = shift_for_check_in(&windows, minute).and_then(|i| shifts.get(i));
        let kind = match shift {
            Some(_) => ActivityType::DutyShift,
            None => ActivityType::CheckIn,
        };
        let (rule_year, points) = activities::rule_points_on(c, kind.as_str(), None, date)?
            .ok_or_else(|| {
                ApiError::Conflict(
                    "no evaluation rules exist yet; an admin must set a year's".into(),
                )
            })?;
        let id = xs_kit::db::new_id();
        let activity = ActivityRow {
            id: xs_kit::db::new_id(),
            member_id: m.id.clone(),
            district_code: m.district_code.clone(),
            activity_type: kind.as_str().into(),
            activity_date: date,
            workroom_id: Some(w.id.clone()),
            beneficiaries: 0,
            problems_solved: 0,
            note: None,
            points,
            rule_year,
            points_overridden: false,
            source_service: SOURCE.into(),
            source_event_id: Some(format!("check_in:{id}")),
            created_at: now,
            created_by: who.sub.clone(),
        };
        activities::insert(c, &activity)?;
        let row = CheckInRow {
            id,
            workroom_id: w.id.clone(),
            member_id: m.id.clone(),
            district_code: w.district_code.clone(),
            check_in_date: date,
            checked_in_at: now,
            shift_id: shift.map(|s| s.id.clone()),
            activity_id: activity.id.clone(),
            created_by: who.sub.clone(),
        };
        // The unique constraint decides between concurrent check-ins (PostgreSQL; SQLite
        // writers are serialised and meet the check above): the loser's activity goes too.
        match model::insert_check_in(c, &row) {
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                Err(ApiError::Conflict(ALREADY_CHECKED_IN.into()))
            }
            other => other.map_err(ApiError::from),
        }?;
        let location = format!("/api/v1/check-ins/{}", row.id);
        Reply::created(
            &CheckIn::from_row(row, m.name, activity.activity_type, activity.points),
            location,
        )
    })
    .await
}

/// List check-ins
///
/// Newest day first; filter by `workroom`, `member`, `district` (the workroom's) and day,
/// `from`–`to` (inclusive, `from` ≤ `to`), each check-in's day being the platform's local day
/// (`XS_UTC_OFFSET`, default UTC+8). Admins, and dashboards or integrators whose token names no
/// district, read every district; office staff, coordinators, dashboards and integrators of a
/// district read that district's; a member reads only their own; anyone else gets 403.
#[utoipa::path(tag = "duty", params(CheckInQuery), responses(
    (status = 200, body = Page<CheckIn>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json")))]
#[get("/check-ins")]
pub async fn list_check_ins(
    db: web::Data<Db>,
    caller: Caller,
    q: Query<CheckInQuery>,
) -> ApiResult<HttpResponse> {
    let scope = RECORDS.read_scope(&caller)?;
    let q = q.0;
    if let (Some(f), Some(t)) = (q.from, q.to)
        && t < f
    {
        return Err(ApiError::unprocessable("to", "must not be before from"));
    }
    let page = PageRequest::<(NaiveDate, String)>::parse(q.limit, q.cursor.as_deref())?;
    let scoped = scope.narrow(q.district, q.member)?;
    super::member_filter_in_scope(&db, &scope, scoped.member.as_deref(), "check-ins").await?;
    let filter = CheckInFilter {
        workroom: q.workroom,
        member: scoped.member,
        district: scoped.district,
        from: q.from,
        to: q.to,
    };
    let (fetch, after) = (page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| Ok(model::list_check_ins(c, &filter, after, fetch)?))
        .await?;
    Ok(HttpResponse::Ok().json(page.page(
        rows,
        |(r, ..)| (r.check_in_date, r.id.clone()),
        |(r, name, kind, points)| CheckIn::from_row(r, name, kind, points),
    )))
}

/// Get a check-in
///
/// One check-in with the activity record it earned; its `date` is the platform's local day
/// (`XS_UTC_OFFSET`, default UTC+8). Admins, and dashboards or integrators whose token names no
/// district, read every district; office staff, coordinators, dashboards and integrators of a
/// district read that district's; a member reads only their own; anyone else gets 403.
#[utoipa::path(tag = "duty", params(("id" = String, Path)), responses(
    (status = 200, body = CheckIn),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/check-ins/{id}")]
pub async fn get_check_in(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let scope = RECORDS.read_scope(&caller)?;
    let id = id.into_inner();
    let (r, name, kind, points) = db
        .read(move |c| model::find_check_in(c, &id)?.ok_or_else(|| ApiError::not_found("check-in")))
        .await?;
    scope.require(&r.district_code, Some(&r.member_id), "check-ins")?;
    Ok(HttpResponse::Ok().json(CheckIn::from_row(r, name, kind, points)))
}
