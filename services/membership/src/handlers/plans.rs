//! Annual plans (年度计划) of workrooms and the progress bulletin (通报) the office publishes.
//!
//! A plan sets a target per activity type for a workroom's year; progress is always counted
//! from the activity records at that workroom, never stored. Plans are written by admins and
//! the office staff of the workroom's district, and read by anyone signed in within the
//! district, dashboards, integrators and admins.

use crate::domain::access::PLANS;
use crate::domain::evaluation::{ActivityType, YEARS, year_bounds};
use crate::domain::member::require_manager;
use crate::domain::plan::{self as rules, COMPLETION_RULE, PRORATION_RULE, QUARTERS, Targets};
use crate::domain::workroom::{WorkroomKind, WorkroomStatus, sees_only_active};
use crate::models::plan::{self as model, PlanRow};
use crate::models::reference;
use crate::models::workroom::{self as workrooms, WorkroomRow};
use crate::views::plan::*;
use actix_web::http::header;
use actix_web::{HttpResponse, get, put, web};
use chrono::Datelike;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use std::collections::HashMap;
use xs_kit::concurrency::{check_updated, etag, expected_version};
use xs_kit::error::{OrNotFound, Problem};
use xs_kit::extract::{IfMatch, Json, Query};
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, DbConn, PageRequest};

const NOTE_MAX: usize = 2000;
/// A whole year, in quarters: an annual plan's own progress is measured against all of it.
const WHOLE_YEAR: u8 = 4;

fn check_year(year: i32) -> ApiResult<i32> {
    if YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::field("year", "must be between 2000 and 2100"))
    }
}

fn stored<T>(what: &str, parsed: Option<T>) -> ApiResult<T> {
    parsed.ok_or_else(|| {
        ApiError::internal(std::io::Error::other(format!("stored {what} unreadable")))
    })
}

/// Targets with their actuals, in activity-type order.
fn progress(
    targets: Vec<(String, i32)>,
    actuals: &HashMap<String, i64>,
) -> ApiResult<Vec<(ActivityType, i32, i64)>> {
    let mut lines = targets
        .into_iter()
        .map(|(t, target)| {
            let actual = actuals.get(&t).copied().unwrap_or(0);
            Ok((
                stored("activity type", ActivityType::parse(&t))?,
                target,
                actual,
            ))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    lines.sort_by_key(|(t, _, _)| *t);
    Ok(lines)
}

fn completion_of(lines: &[(ActivityType, i32, i64)], quarter: u8) -> Option<i64> {
    let pairs: Vec<(i64, i32)> = lines.iter().map(|(_, t, a)| (*a, *t)).collect();
    rules::completion(&pairs, quarter)
}

/// The plan as the API shows it: targets with this year's actuals so far.
fn plan_view(c: &mut DbConn, w: WorkroomRow, row: PlanRow) -> ApiResult<Plan> {
    let (from, to) =
        year_bounds(row.year).ok_or_else(|| ApiError::field("year", "no such year"))?;
    let actuals: HashMap<String, i64> = model::actuals(c, &w.id, from, to)?.into_iter().collect();
    let lines = progress(model::targets(c, &row.id)?, &actuals)?;
    let completion = completion_of(&lines, WHOLE_YEAR);
    let targets = lines
        .into_iter()
        .map(|(activity_type, target, actual)| TargetProgress {
            activity_type,
            target,
            actual,
            percent: rules::percent(actual, target, WHOLE_YEAR),
        })
        .collect();
    Ok(Plan::from_row(
        row,
        w.name,
        w.district_code,
        targets,
        completion,
    ))
}

/// Get a workroom's annual plan
///
/// Targets per activity type with progress counted from the activity records at the workroom that
/// calendar year (never stored). Anyone signed in whose token names the workroom's district
/// (residents included), admins, and dashboards or integrators whose token names no district;
/// another district is 403, a year without a plan 404.
#[utoipa::path(tag = "plans", params(("id" = String, Path), ("year" = i32, Path, minimum = 2000, maximum = 2100)), responses(
    (status = 200, body = Plan, headers(("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/workrooms/{id}/plans/{year}")]
pub async fn get_plan(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<(String, i32)>,
) -> ApiResult<HttpResponse> {
    let scope = PLANS.read_scope(&caller)?;
    let public = sees_only_active(&caller);
    let (id, year) = path.into_inner();
    let year = check_year(year)?;
    let plan = db
        .read(move |c| {
            // Residents see active workrooms only: any other is 404 to them.
            let w = workrooms::find_visible(c, &id, public)?.or_not_found("workroom")?;
            scope.require(&w.district_code, None, PLANS.what)?;
            let row = model::find(c, &id, year)?.ok_or_else(|| {
                ApiError::NotFound(format!("the workroom has no plan for {year}"))
            })?;
            plan_view(c, w, row)
        })
        .await?;
    let plan = if public { plan.public() } else { plan };
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(plan.version)))
        .json(plan))
}

/// Create or replace a workroom's annual plan
///
/// Admins, and office staff of the workroom's district (another district is 403). Creates the
/// year's plan (201; send no version, or it is a 412) or replaces it whole (200; targets left out
/// are dropped), which needs the version you read as `If-Match` or `version`: none is a 428, a
/// stale one a 412. Each target 0–100000, at least one above 0; 409 when the workroom is closed.
#[utoipa::path(tag = "plans", request_body = PlanInput, params(
    ("id" = String, Path),
    ("year" = i32, Path, minimum = 2000, maximum = 2100),
    ("If-Match" = Option<String>, Header, description = "When replacing: the ETag you read (or send `version`)")),
    responses(
    (status = 201, body = Plan, description = "The year's plan was created", headers(("Location" = String), ("ETag" = String))),
    (status = 200, body = Plan, description = "The year's plan was replaced", headers(("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The workroom is closed", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json")))]
#[put("/workrooms/{id}/plans/{year}")]
pub async fn put_plan(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<(String, i32)>,
    if_match: IfMatch,
    body: Json<PlanInput>,
) -> ApiResult<HttpResponse> {
    caller.require_any(PLANS.writers)?;
    let (id, year) = path.into_inner();
    let year = check_year(year)?;
    let input = body.0;
    let mut v = Validator::new();
    let targets: Targets = rules::check_targets(&mut v, &input.targets);
    v.opt_text("note", input.note.as_deref(), NOTE_MAX);
    v.finish()?;
    let note = input.note.map(|n| n.trim().to_string());
    let by = caller.sub.clone();
    let (created, plan) = db
        .write(move |c| {
            let w = workrooms::find(c, &id)?.or_not_found("workroom")?;
            require_manager(&caller, &w.district_code)?;
            if w.status == WorkroomStatus::Closed.as_str() {
                return Err(ApiError::Conflict("the workroom is closed".into()));
            }
            let now = xs_kit::db::now();
            let (created, plan_id) = match model::find(c, &id, year)? {
                None => {
                    // A version names a plan the caller read; there is none to match.
                    if if_match.0.is_some() || input.version.is_some() {
                        return Err(ApiError::PreconditionFailed(format!(
                            "the workroom has no plan for {year} yet; send no version to create it"
                        )));
                    }
                    let row = PlanRow {
                        id: xs_kit::db::new_id(),
                        workroom_id: id.clone(),
                        year,
                        note,
                        version: 1,
                        created_at: now,
                        created_by: by.clone(),
                        updated_at: now,
                        updated_by: by.clone(),
                    };
                    match model::insert(c, &row) {
                        // Only PostgreSQL gets here (SQLite writers are serialised): another
                        // request created the plan between our read and write.
                        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                            return Err(ApiError::PreconditionFailed(
                                "the plan was just created by someone else; read it and retry"
                                    .into(),
                            ));
                        }
                        other => other?,
                    }
                    (true, row.id)
                }
                Some(current) => {
                    let expected = expected_version(if_match, input.version)?;
                    let rows = model::update(c, &current.id, expected, note.as_deref(), &by, now)?;
                    check_updated(rows, || Ok(true), "plan")?;
                    (false, current.id)
                }
            };
            let targets: Vec<(&str, i32)> = targets.iter().map(|(k, t)| (k.as_str(), *t)).collect();
            model::replace_targets(c, &plan_id, &targets)?;
            let row = model::find(c, &id, year)?
                .ok_or_else(|| ApiError::internal(std::io::Error::other("the plan vanished")))?;
            Ok((created, plan_view(c, w, row)?))
        })
        .await?;
    let mut res = if created {
        let mut res = HttpResponse::Created();
        res.insert_header((
            header::LOCATION,
            format!("/api/v1/workrooms/{}/plans/{}", plan.workroom, plan.year),
        ));
        res
    } else {
        HttpResponse::Ok()
    };
    Ok(res
        .insert_header((header::ETAG, etag(plan.version)))
        .json(plan))
}

/// Get a district's quarterly plan-progress bulletin
///
/// A district's planned workrooms ranked by completion of their targets prorated to the end of
/// `quarter` (1–4) of `year` (2000–2100; default the current local year, `XS_UTC_OFFSET`), counting from 1
/// January. Anyone signed in whose token names a district gets that district (another is 403);
/// admins and dashboards or integrators whose token names no district must name `district` (else
/// 400); other callers without a district get 403.
#[utoipa::path(tag = "plans", params(BulletinQuery), responses(
    (status = 200, body = Bulletin),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json")))]
#[get("/bulletins")]
pub async fn bulletin(
    db: web::Data<Db>,
    caller: Caller,
    q: Query<BulletinQuery>,
) -> ApiResult<HttpResponse> {
    let scope = PLANS.read_scope(&caller)?;
    let q = q.0;
    let year = q.year.unwrap_or_else(|| xs_kit::localtime::today().year());
    let mut v = Validator::new();
    v.check(
        YEARS.contains(&year),
        "year",
        "must be between 2000 and 2100",
    )
    .check(
        QUARTERS.contains(&q.quarter),
        "quarter",
        "must be 1, 2, 3 or 4",
    );
    v.finish()?;
    let district =
        scope.one_district(q.district, "a bulletin ranks the workrooms of one district")?;
    let quarter =
        u8::try_from(q.quarter).map_err(|_| ApiError::field("quarter", "must be 1 to 4"))?;
    let (from, to) = rules::quarter_span(year, quarter)
        .ok_or_else(|| ApiError::field("quarter", "must be 1 to 4"))?;
    // Ordered by (completion, workroom id), paged by that pair. The ranking is computed here
    // from per-workroom aggregates (GROUP BY in SQL): a district has at most hundreds of
    // workrooms, and ranks must be over all of them, so each page ranks the whole district.
    let page = PageRequest::<(i64, String)>::parse(q.limit, q.cursor.as_deref())?;
    let code = district.clone();
    let (rooms, targets, actuals, unplanned) = db
        .read_consistent(move |c| {
            if reference::district(c, &code)?.is_none() {
                return Err(ApiError::unprocessable("district", "no such district"));
            }
            Ok((
                model::planned_workrooms(c, &code, year)?,
                model::targets_in_district(c, &code, year)?,
                model::actuals_in_district(c, &code, year, from, to)?,
                model::unplanned_workrooms(c, &code, year)?,
            ))
        })
        .await?;
    let mut targets_of: HashMap<String, Vec<(String, i32)>> = HashMap::new();
    for (w, t, target) in targets {
        targets_of.entry(w).or_default().push((t, target));
    }
    let mut actuals_of: HashMap<String, HashMap<String, i64>> = HashMap::new();
    for (w, t, n) in actuals {
        if let Some(w) = w {
            actuals_of.entry(w).or_default().insert(t, n);
        }
    }
    let none = HashMap::new();
    // Residents see active workrooms only.
    let public = sees_only_active(&caller);
    let entries = rooms
        .into_iter()
        .filter(|r| !public || r.4 == WorkroomStatus::Active.as_str())
        .map(|(id, name, kind, subdistrict, status)| {
            let lines = progress(
                targets_of.remove(&id).unwrap_or_default(),
                actuals_of.get(&id).unwrap_or(&none),
            )?;
            let completion = completion_of(&lines, quarter);
            Ok((
                rules::rank_key(completion),
                BulletinEntry {
                    rank: 0,
                    kind: stored("workroom kind", WorkroomKind::parse(&kind))?,
                    status: stored("workroom status", WorkroomStatus::parse(&status))?,
                    workroom: id,
                    name,
                    subdistrict,
                    completion_percent: completion.map(rules::as_percent),
                    targets: lines
                        .into_iter()
                        .map(|(activity_type, annual, actual)| BulletinTarget {
                            activity_type,
                            annual_target: annual,
                            target_to_date: rules::target_due(annual, quarter),
                            actual,
                            percent: rules::percent(actual, annual, quarter),
                        })
                        .collect(),
                },
            ))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let ranked_workrooms = entries.len() as i64;
    let ranked = rules::rank_workrooms(entries, |(k, e)| (*k, e.workroom.as_str()));
    let after = page.after.clone();
    let rest: Vec<_> = ranked
        .into_iter()
        .map(|(r, (key, mut e))| {
            e.rank = r.rank;
            (key, e)
        })
        .filter(|(key, e)| {
            after.as_ref().is_none_or(|(ak, aid)| {
                rules::bulletin_order((*key, &e.workroom), (*ak, aid)).is_gt()
            })
        })
        .take(page.fetch() as usize)
        .collect();
    let body = page.page(rest, |(k, e)| (*k, e.workroom.clone()), |(_, e)| e);
    Ok(HttpResponse::Ok().json(Bulletin {
        year,
        quarter: q.quarter,
        district,
        from,
        to,
        proration_rule: PRORATION_RULE.into(),
        completion_rule: COMPLETION_RULE.into(),
        ranked_workrooms,
        unplanned_workrooms: unplanned,
        items: body.items,
        next_cursor: body.next_cursor,
    }))
}
