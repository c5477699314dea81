//! Activity records (履职记录) and the membership statistics made from them.
//!
//! Office staff and coordinators record by hand for members of their district; the other
//! services report activities through the internal endpoint, recorded once per source event
//! however often the outbox delivers it. Points always come from the year's rule table
//! (admins alone may set them by hand), and each record keeps its points and rule year.

use crate::domain::access::{RECORDS, STATS};
use crate::domain::evaluation::{ActivityLevel, ActivityType, MAX_POINTS, has_levels};
use crate::models::activity::{self as model, ActivityFilter, ActivityRow, MANUAL};
use crate::models::member::{self as member_model, MemberRow};
use crate::models::reference;
use crate::models::workroom as workroom_model;
use crate::views::activity::*;
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDate;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use xs_kit::audit::Reader;
use xs_kit::csv::{self, Export, Format};
use xs_kit::error::Problem;
use xs_kit::extract::{Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::telemetry::RequestId;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, DbConn, Page, PageRequest, Role};

const MAX_BENEFICIARIES: i32 = 1_000_000;
const MAX_PROBLEMS: i32 = 10_000;

/// The fields every record shares, checked the same way for both ways in.
struct Common<'a> {
    member: &'a str,
    date: NaiveDate,
    workroom: Option<&'a str>,
    beneficiaries: i32,
    problems_solved: i32,
    note: Option<&'a str>,
}

fn validate_common(v: &mut Validator, f: &Common) {
    v.text("member", f.member, 64)
        .opt_text("workroom", f.workroom, 64)
        .opt_text("note", f.note, 2000)
        .check(
            (0..=MAX_BENEFICIARIES).contains(&f.beneficiaries),
            "beneficiaries",
            "must be between 0 and 1000000",
        )
        .check(
            (0..=MAX_PROBLEMS).contains(&f.problems_solved),
            "problems_solved",
            "must be between 0 and 10000",
        );
    // A record is of something done: from 2000 on, not in the future.
    v.past_date("date", f.date);
}

/// What a new record needs beyond its fields.
struct Recording {
    kind: ActivityType,
    /// The level reached, for a type the rule table gives points by level.
    level: Option<ActivityLevel>,
    source: String,
    event_id: Option<String>,
    points_override: Option<i32>,
    by: String,
}

/// A record's workroom must exist and be in the member's district: its records count towards
/// that workroom's plan (and the foreign key would refuse an unknown one less clearly).
fn check_workroom(c: &mut DbConn, member: &MemberRow, workroom: Option<&str>) -> ApiResult<()> {
    let Some(id) = workroom.map(str::trim) else {
        return Ok(());
    };
    match workroom_model::find(c, id)? {
        None => Err(ApiError::unprocessable("workroom", "no such workroom")),
        Some(w) if w.district_code != member.district_code => Err(ApiError::unprocessable(
            "workroom",
            "is not in the member's district",
        )),
        Some(_) => Ok(()),
    }
}

/// Build the record for `member`, with points from the rule table of the activity's year.
fn build(c: &mut DbConn, member: &MemberRow, f: &Common, r: Recording) -> ApiResult<ActivityRow> {
    check_workroom(c, member, f.workroom)?;
    let (rule_year, rule_points) =
        model::rule_points_on(c, r.kind.as_str(), r.level.map(|l| l.as_str()), f.date)?
            .ok_or_else(|| {
                ApiError::Conflict(
                    "no evaluation rules exist yet; an admin must set a year's".into(),
                )
            })?;
    let points = r.points_override.unwrap_or(rule_points);
    Ok(ActivityRow {
        id: xs_kit::db::new_id(),
        member_id: member.id.clone(),
        district_code: member.district_code.clone(),
        activity_type: r.kind.as_str().into(),
        activity_date: f.date,
        workroom_id: f.workroom.map(|w| w.trim().to_string()),
        beneficiaries: f.beneficiaries,
        problems_solved: f.problems_solved,
        note: f.note.map(|n| n.trim().to_string()),
        points,
        rule_year,
        points_overridden: r.points_override.is_some(),
        source_service: r.source,
        source_event_id: r.event_id,
        created_at: xs_kit::db::now(),
        created_by: r.by,
    })
}

fn unknown_member() -> ApiError {
    ApiError::unprocessable("member", "no such member")
}

fn check_range(v: &mut Validator, from: Option<NaiveDate>, to: Option<NaiveDate>) {
    if let (Some(f), Some(t)) = (from, to) {
        v.require(f <= t, "to", "must not be before from");
    }
}

/// List activity records
///
/// Newest first. Admins (and dashboards or integrators without a district) read every
/// district; office staff, coordinators, dashboards and integrators of a district read that
/// district; a member reads their own records. With `Accept: text/csv` the answer is the whole
/// filtered list as CSV (UTF-8 with BOM, the JSON fields as columns), streamed, in the same
/// scope; `cursor` then starts it after that record, and `limit` does not apply.
#[utoipa::path(tag = "activities", params(ActivityQuery), responses(
    (status = 200, description = "A page of records; or, for `Accept: text/csv`, every record the filters select",
        content((Page<Activity> = "application/json"), (String = "text/csv"))),
    (status = 400, description = "A filter, `limit` or `cursor` is invalid (`limit` with CSV)", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/activities")]
pub async fn list_activities(
    db: web::Data<Db>,
    caller: Caller,
    rid: RequestId,
    format: Format,
    q: Query<ActivityQuery>,
) -> ApiResult<HttpResponse> {
    let scope = RECORDS.read_scope(&caller)?;
    let q = q.0;
    let mut v = Validator::new();
    check_range(&mut v, q.from, q.to);
    csv::no_limit(&mut v, format, q.limit);
    v.finish()?;
    let page = PageRequest::<(NaiveDate, String)>::parse(q.limit, q.cursor.as_deref())?;
    let scoped = scope.narrow(q.district, q.member)?;
    super::member_filter_in_scope(&db, &scope, scoped.member.as_deref(), "activity records")
        .await?;
    let filter = ActivityFilter {
        member: scoped.member,
        district: scoped.district,
        activity_type: q.activity_type.map(|t| t.as_str().to_string()),
        from: q.from,
        to: q.to,
        workroom: q.workroom,
    };
    if format == Format::Csv {
        let export = Export::new(
            "activities.csv",
            Activity::CSV_HEADER,
            Reader::new(&caller, &rid),
        );
        return csv::export(&db, export, page.after, move |c, after, limit, out| {
            let rows = model::list(c, &filter, after, limit)?;
            let next = csv::next_key(&rows, limit, |r| (r.activity_date, r.id.clone()));
            for r in rows {
                out.row(Activity::from(r).csv_row());
            }
            Ok(next)
        })
        .await;
    }
    let (fetch, after) = (page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| Ok(model::list(c, &filter, after, fetch)?))
        .await?;
    let body = page.page(rows, |r| (r.activity_date, r.id.clone()), Activity::from);
    Ok(HttpResponse::Ok().json(body))
}

/// Get an activity record
///
/// Admins, and dashboards or integrators whose token names no district, read every district;
/// office staff, coordinators, dashboards and integrators of a district read that district's; a
/// member reads only their own; anyone else gets 403. A record holds no personal fields.
#[utoipa::path(tag = "activities", params(("id" = String, Path)), responses(
    (status = 200, body = Activity),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/activities/{id}")]
pub async fn get_activity(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let scope = RECORDS.read_scope(&caller)?;
    let id = id.into_inner();
    let row = db
        .read(move |c| model::find(c, &id)?.ok_or_else(|| ApiError::not_found("activity")))
        .await?;
    scope.require(&row.district_code, Some(&row.member_id), RECORDS.what)?;
    Ok(HttpResponse::Ok().json(Activity::from(row)))
}

/// Record an activity by hand
///
/// Admins, and office staff and coordinators for members of their own district (another district's
/// member is 403). Points come from the rule table of the activity's year; only an admin may set
/// `points` (0–1000) by hand. `date` is from 2000 to tomorrow, a workroom must be in the member's
/// district, and 409 means no rule table exists yet. Accepts `Idempotency-Key`: a repeat replays
/// the first answer, the same key with another body is a 422.
#[utoipa::path(tag = "activities", request_body = NewActivity, params(
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = Activity, headers(("Location" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/activities")]
pub async fn record_activity(
    db: web::Data<Db>,
    caller: Caller,
    idem: Idempotency,
    body: Json<NewActivity>,
) -> ApiResult<HttpResponse> {
    caller.require_any(RECORDS.writers)?;
    if body.points.is_some() && !caller.has(Role::Admin) {
        return Err(ApiError::Forbidden(
            "points come from the rule table; only an admin may set them".into(),
        ));
    }
    let mut v = Validator::new();
    validate_common(
        &mut v,
        &Common {
            member: &body.member,
            date: body.date,
            workroom: body.workroom.as_deref(),
            beneficiaries: body.beneficiaries,
            problems_solved: body.problems_solved,
            note: body.note.as_deref(),
        },
    );
    if let Some(p) = body.points {
        v.check(
            (0..=MAX_POINTS).contains(&p),
            "points",
            "must be between 0 and 1000",
        );
    }
    v.finish()?;
    let body = body.0;
    let input = body.clone();
    let who = caller.clone();
    idem.run(&db, &caller.sub, &body, move |c| {
        let b = input;
        let member = member_model::find(c, b.member.trim())?.ok_or_else(unknown_member)?;
        RECORDS.require_write(&who, &member.district_code)?;
        let fields = Common {
            member: &b.member,
            date: b.date,
            workroom: b.workroom.as_deref(),
            beneficiaries: b.beneficiaries,
            problems_solved: b.problems_solved,
            note: b.note.as_deref(),
        };
        let recording = Recording {
            kind: b.activity_type,
            level: None,
            source: MANUAL.into(),
            event_id: None,
            points_override: b.points,
            by: who.sub.clone(),
        };
        let row = build(c, &member, &fields, recording)?;
        model::insert(c, &row)?;
        let location = format!("/api/v1/activities/{}", row.id);
        Reply::created(&Activity::from(row), location)
    })
    .await
}

/// Marks a source event that a concurrent delivery recorded first.
const ALREADY_RECORDED: &str = "source event already recorded";

/// Record an activity another service reports (internal)
///
/// The outbox target for activity credits (a consultation held, a report adopted, a liaison
/// event held): service tokens only; everyone else is 403, and the gateway does not route
/// `/internal`. Recorded once per `source` + `source_event_id`: a redelivery of the same event
/// answers 200 with the existing record, the same id with different content 409. Points come
/// from the rule table of the activity's year: for a type it gives points by level
/// (`report_adopted`), the `level`'s points (the type's where the table gives none for that
/// level); `level` on any other type is a 400. The answer carries no personal fields.
#[utoipa::path(tag = "internal", request_body = ActivityEvent, responses(
    (status = 201, body = Activity, description = "Recorded", headers(("Location" = String))),
    (status = 200, body = Activity, description = "This event was recorded before: the existing record"),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, description = "The event id was recorded with different content", content_type = "application/problem+json")))]
#[post("/activities")]
pub async fn record_activity_event(
    db: web::Data<Db>,
    caller: Caller,
    body: Json<ActivityEvent>,
) -> ApiResult<HttpResponse> {
    // The source event id is the idempotency key here: an outbox redelivers the same event.
    caller.require_any(&[Role::Service])?;
    let mut v = Validator::new();
    validate_common(
        &mut v,
        &Common {
            member: &body.member,
            date: body.date,
            workroom: body.workroom.as_deref(),
            beneficiaries: body.beneficiaries,
            problems_solved: body.problems_solved,
            note: body.note.as_deref(),
        },
    );
    v.code("source", &body.source)
        .check(
            body.source != MANUAL,
            "source",
            "is reserved for records made by hand",
        )
        .text("source_event_id", &body.source_event_id, 200)
        .require(
            body.level.is_none() || has_levels(body.activity_type),
            "level",
            "is given only for an activity type the rule table gives points by level (report_adopted)",
        )
        .finish()?;
    let event = std::sync::Arc::new(body.0);
    let by = caller.sub.clone();
    let e = event.clone();
    let outcome = db
        .write(move |c| {
            if let Some(existing) = model::find_by_source(c, &e.source, &e.source_event_id)? {
                return Ok((existing, false));
            }
            let member = member_model::find(c, e.member.trim())?.ok_or_else(unknown_member)?;
            let fields = Common {
                member: &e.member,
                date: e.date,
                workroom: e.workroom.as_deref(),
                beneficiaries: e.beneficiaries,
                problems_solved: e.problems_solved,
                note: e.note.as_deref(),
            };
            let recording = Recording {
                kind: e.activity_type,
                level: e.level,
                source: e.source.clone(),
                event_id: Some(e.source_event_id.clone()),
                points_override: None,
                by,
            };
            let row = build(c, &member, &fields, recording)?;
            match model::insert(c, &row) {
                // A concurrent delivery of the same event committed first (PostgreSQL; SQLite
                // writers are serialised and see it above). This transaction is void now.
                Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                    Err(ApiError::Conflict(ALREADY_RECORDED.into()))
                }
                other => other.map_err(ApiError::from),
            }?;
            Ok((row, true))
        })
        .await;
    let (row, created) = match outcome {
        Err(ApiError::Conflict(m)) if m == ALREADY_RECORDED => {
            let e = event.clone();
            let row = db
                .read(move |c| {
                    model::find_by_source(c, &e.source, &e.source_event_id)?.ok_or_else(|| {
                        ApiError::internal(std::io::Error::other("a duplicate event vanished"))
                    })
                })
                .await?;
            (row, false)
        }
        other => other?,
    };
    // A redelivery carries exactly what was recorded; anything else is a sender's bug that
    // must not pass as a success (the record would silently keep the old figures).
    let trimmed = |s: Option<&str>| s.map(|s| s.trim().to_string());
    if !created
        && (row.member_id != event.member.trim()
            || row.activity_type != event.activity_type.as_str()
            || row.activity_date != event.date
            || row.workroom_id != trimmed(event.workroom.as_deref())
            || row.beneficiaries != event.beneficiaries
            || row.problems_solved != event.problems_solved
            || row.note != trimmed(event.note.as_deref()))
    {
        return Err(ApiError::Conflict(format!(
            "event {} of {} was already recorded with different content",
            event.source_event_id, event.source
        )));
    }
    let location = format!("/api/v1/activities/{}", row.id);
    let view = Activity::from(row);
    Ok(if created {
        HttpResponse::Created()
            .insert_header((header::LOCATION, location))
            .json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// Get membership statistics
///
/// Members by sector and placement, workrooms by kind and status, and activities by type (with
/// people helped and problems solved) between `from` and `to` (inclusive, `from` ≤ `to`). Admins,
/// and dashboards or integrators whose token names no district, see every district or one
/// `district`; office staff, coordinators, and dashboards or integrators of a district, see their
/// own (another is 403); everyone else gets 403. Counts only, no personal fields.
#[utoipa::path(tag = "stats", params(StatsQuery), responses(
    (status = 200, body = MembershipStats),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json")))]
#[get("/stats/membership")]
pub async fn membership_stats(
    db: web::Data<Db>,
    caller: Caller,
    q: Query<StatsQuery>,
) -> ApiResult<HttpResponse> {
    let scope = STATS.read_scope(&caller)?;
    let q = q.0;
    let mut v = Validator::new();
    check_range(&mut v, q.from, q.to);
    v.finish()?;
    let district = scope.narrow(q.district, None)?.district;
    let (from, to) = (q.from, q.to);
    let stats = db
        .read_consistent(move |c| {
            if let Some(d) = &district
                && reference::district(c, d)?.is_none()
            {
                return Err(ApiError::unprocessable("district", "no such district"));
            }
            // Sorted here: NULL and collation order differ between the backends.
            let mut sectors = model::members_by_sector(c, district.as_deref())?;
            sectors.sort();
            let mut types = model::activities_by_type(c, district.as_deref(), from, to)?;
            types.sort();
            let mut rooms = model::workrooms_by_kind_and_status(c, district.as_deref())?;
            rooms.sort();
            let placed = model::members_placed(c, district.as_deref())?;
            let by_type: Vec<TypeStats> = types
                .into_iter()
                .map(|(t, n, people, solved)| TypeStats {
                    activity_type: t,
                    activities: n,
                    people_helped: people.unwrap_or(0),
                    problems_solved: solved.unwrap_or(0),
                })
                .collect();
            let members: i64 = sectors.iter().map(|(_, n)| n).sum();
            let mut by_kind = std::collections::BTreeMap::<String, i64>::new();
            let mut by_status = std::collections::BTreeMap::<String, i64>::new();
            for (kind, status, n) in &rooms {
                *by_kind.entry(kind.clone()).or_default() += n;
                *by_status.entry(status.clone()).or_default() += n;
            }
            Ok(MembershipStats {
                district,
                from,
                to,
                members,
                workrooms: rooms.iter().map(|(_, _, n)| n).sum(),
                workrooms_by_kind: by_kind
                    .into_iter()
                    .map(|(kind, workrooms)| KindCount { kind, workrooms })
                    .collect(),
                workrooms_by_status: by_status
                    .into_iter()
                    .map(|(status, workrooms)| StatusCount { status, workrooms })
                    .collect(),
                workrooms_by_kind_and_status: rooms
                    .into_iter()
                    .map(|(kind, status, workrooms)| KindStatusCount {
                        kind,
                        status,
                        workrooms,
                    })
                    .collect(),
                members_placed: placed,
                members_not_placed: members - placed,
                members_by_sector: sectors
                    .into_iter()
                    .map(|(sector, members)| SectorCount { sector, members })
                    .collect(),
                activities: by_type.iter().map(|t| t.activities).sum(),
                people_helped: by_type.iter().map(|t| t.people_helped).sum(),
                problems_solved: by_type.iter().map(|t| t.problems_solved).sum(),
                activities_by_type: by_type,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(stats))
}
