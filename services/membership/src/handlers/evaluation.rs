//! Yearly evaluation (履职考评): the rule tables, a member's evaluation, a district's ranking.
//!
//! Totals are sums of the records' stored points. A district's ranking reads the per-member
//! yearly totals kept with each record (one row per member, not every record), so it stays
//! fast with millions of records; ties share a rank.

use crate::domain::access::RECORDS;
use crate::domain::evaluation::{
    ActivityLevel, ActivityType, LevelPointsTable, MAX_POINTS, PointsTable, RankedSoFar,
    Thresholds, YEARS, assign_ranks, effective_rule_year, grade, has_levels, rank_from_ahead,
    year_bounds,
};
use crate::models::activity::{self as model, RuleYearRow};
use crate::models::{member as member_model, reference};
use crate::views::activity::*;
use actix_web::http::header;
use actix_web::{HttpResponse, get, put, web};
use chrono::Datelike;
use xs_kit::concurrency::{check_updated, etag, expected_version};
use xs_kit::error::Problem;
use xs_kit::extract::{IfMatch, Json, Query};
use xs_kit::scope::Scope;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, DbConn, PageRequest, Role};

fn this_year() -> i32 {
    xs_kit::localtime::today().year()
}

fn check_year(year: Option<i32>) -> ApiResult<i32> {
    let year = year.unwrap_or_else(this_year);
    if YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::field("year", "must be between 2000 and 2100"))
    }
}

/// The rule table that governs `year`, with its points by type and by level.
fn rules_for(c: &mut DbConn, year: i32) -> ApiResult<(RuleYearRow, PointsTable, LevelPointsTable)> {
    let years = model::rule_years(c)?;
    let rule_year =
        effective_rule_year(year, &years).ok_or_else(|| ApiError::not_found("evaluation rules"))?;
    let row = model::rule_year(c, rule_year)?.ok_or_else(|| ApiError::not_found("rules"))?;
    let points = model::rule_points(c, rule_year)?
        .into_iter()
        .filter_map(|(t, p)| ActivityType::parse(&t).map(|t| (t, p)))
        .collect();
    let mut levels = LevelPointsTable::new();
    for (t, l, p) in model::rule_level_points(c, rule_year)? {
        if let (Some(t), Some(l)) = (ActivityType::parse(&t), ActivityLevel::parse(&l)) {
            levels.entry(t).or_default().insert(l, p);
        }
    }
    Ok((row, points, levels))
}

fn thresholds(row: &RuleYearRow) -> Thresholds {
    Thresholds {
        excellent_min: row.excellent_min,
        competent_min: row.competent_min,
    }
}

/// Get the evaluation rules that govern a year
///
/// Points per activity type (and by level, for `report_adopted`) and the grade thresholds for `year` (2000–2100; default the current
/// local year, `XS_UTC_OFFSET`): the year's own table, else the latest earlier one. Any signed-in caller. 404 when
/// no table exists at all; the `ETag` is the version a replacement sends.
#[utoipa::path(tag = "evaluation", params(YearQuery), responses(
    (status = 200, body = EvaluationRules, headers(("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json")))]
#[get("/evaluation-rules")]
pub async fn get_rules(
    db: web::Data<Db>,
    _caller: Caller,
    q: Query<YearQuery>,
) -> ApiResult<HttpResponse> {
    let year = check_year(q.year)?;
    let (row, points, levels) = db.read(move |c| rules_for(c, year)).await?;
    let body = EvaluationRules::from_row(year, row, points, levels);
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(body.version)))
        .json(body))
}

/// Set a year's evaluation rules
///
/// Admins only. Creates the year's table (201) or replaces it (200); every activity type needs its
/// points (0–1000), and `excellent_min` ≥ `competent_min` ≥ 0. `level_points` optionally gives
/// `report_adopted` points by level (`municipal`, `provincial`, `national`, `department`); a
/// level left out earns the type's points. Replacing needs the version you
/// read as `If-Match` or `version`: none is a 428, a stale one a 412. Records keep the points they
/// were given; new records earn the new ones.
#[utoipa::path(tag = "evaluation", request_body = RulesInput, params(
    ("year" = i32, Path, minimum = 2000, maximum = 2100),
    ("If-Match" = Option<String>, Header, description = "When replacing a year: the ETag you read (or send `version`)")),
    responses(
    (status = 201, body = EvaluationRules, description = "The year's table was created", headers(("ETag" = String))),
    (status = 200, body = EvaluationRules, description = "The year's table was replaced", headers(("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json")))]
#[put("/evaluation-rules/{year}")]
pub async fn put_rules(
    db: web::Data<Db>,
    caller: Caller,
    year: web::Path<i32>,
    if_match: IfMatch,
    body: Json<RulesInput>,
) -> ApiResult<HttpResponse> {
    caller.require_any(&[Role::Admin])?;
    let year = check_year(Some(year.into_inner()))?;
    let input = body.0;
    let mut v = Validator::new();
    v.check(
        input.competent_min >= 0,
        "competent_min",
        "must not be negative",
    )
    // Each is schema-valid alone; their order is not in the schema: 422.
    .require(
        input.excellent_min >= input.competent_min,
        "excellent_min",
        "must be at least competent_min",
    );
    let mut table = PointsTable::new();
    for (name, p) in &input.points {
        match ActivityType::parse(name) {
            Some(kind) => {
                table.insert(kind, *p);
            }
            None => {
                v.push(&format!("points.{name}"), "no such activity type");
            }
        }
    }
    for kind in ActivityType::ALL {
        let field = format!("points.{}", kind.as_str());
        match table.get(kind) {
            None => v.push(&field, "every activity type needs its points"),
            Some(p) => v.check(
                (0..=MAX_POINTS).contains(p),
                &field,
                "must be between 0 and 1000",
            ),
        };
    }
    let mut level_table = LevelPointsTable::new();
    for (name, by_level) in &input.level_points {
        let field = format!("level_points.{name}");
        let Some(kind) = ActivityType::parse(name) else {
            v.push(&field, "no such activity type");
            continue;
        };
        if !has_levels(kind) {
            v.push(
                &field,
                "has no levels (only report_adopted is given points by level)",
            );
            continue;
        }
        for (level, p) in by_level {
            let field = format!("{field}.{level}");
            match ActivityLevel::parse(level) {
                None => {
                    v.push(
                        &field,
                        "must be municipal, provincial, national or department",
                    );
                }
                Some(l) => {
                    v.check(
                        (0..=MAX_POINTS).contains(p),
                        &field,
                        "must be between 0 and 1000",
                    );
                    level_table.entry(kind).or_default().insert(l, *p);
                }
            }
        }
    }
    v.finish()?;
    let by = caller.sub.clone();
    let (created, rules) = db
        .write(move |c| {
            let now = xs_kit::db::now();
            let created = match model::rule_year(c, year)? {
                None => {
                    model::insert_rule_year(
                        c,
                        &RuleYearRow {
                            year,
                            excellent_min: input.excellent_min,
                            competent_min: input.competent_min,
                            version: 1,
                            created_at: now,
                            created_by: by.clone(),
                            updated_at: now,
                            updated_by: by.clone(),
                        },
                    )?;
                    true
                }
                Some(_) => {
                    let expected = expected_version(if_match, input.version)?;
                    let rows = model::update_rule_year(
                        c,
                        year,
                        expected,
                        input.excellent_min,
                        input.competent_min,
                        &by,
                        now,
                    )?;
                    check_updated(rows, || Ok(true), "evaluation rules")?;
                    false
                }
            };
            let points: Vec<(&str, i32)> = table.iter().map(|(k, p)| (k.as_str(), *p)).collect();
            model::replace_rule_points(c, year, &points)?;
            let levels: Vec<(&str, &str, i32)> = level_table
                .iter()
                .flat_map(|(k, by)| by.iter().map(|(l, p)| (k.as_str(), l.as_str(), *p)))
                .collect();
            model::replace_rule_level_points(c, year, &levels)?;
            let (row, points, levels) = rules_for(c, year)?;
            Ok((
                created,
                EvaluationRules::from_row(year, row, points, levels),
            ))
        })
        .await?;
    let mut res = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(res
        .insert_header((header::ETAG, etag(rules.version)))
        .json(rules))
}

/// Get a member's yearly evaluation
///
/// Points by activity type, total, grade and rank among the members of their district for `year`
/// (2000–2100; default the current local year, `XS_UTC_OFFSET`). The member themself; admins; office staff,
/// coordinators, dashboards and integrators of the member's district; dashboards and integrators
/// whose token names no district. Others get 403; 404 for an unknown member or when no rule table
/// exists.
#[utoipa::path(tag = "evaluation", params(("id" = String, Path), YearQuery), responses(
    (status = 200, body = MemberEvaluation),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/members/{id}/evaluation")]
pub async fn member_evaluation(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<YearQuery>,
) -> ApiResult<HttpResponse> {
    let scope = RECORDS.read_scope(&caller)?;
    let year = check_year(q.year)?;
    let id = id.into_inner();
    let (from, to) = year_bounds(year).ok_or_else(|| ApiError::field("year", "no such year"))?;
    let evaluation = db
        .read_consistent(move |c| {
            let member =
                member_model::find(c, &id)?.ok_or_else(|| ApiError::not_found("member"))?;
            scope.require(&member.district_code, Some(&member.id), "evaluations")?;
            let (rules, _, _) = rules_for(c, year)?;
            let by_type: Vec<TypePoints> = model::member_points_by_type(c, &member.id, from, to)?
                .into_iter()
                .map(|(t, n, p)| TypePoints {
                    activity_type: t,
                    activities: n,
                    points: p.unwrap_or(0),
                })
                .collect();
            let total: i64 = by_type.iter().map(|t| t.points).sum();
            let ahead = model::members_ahead(c, &member.district_code, year, total)?;
            let ranked = model::members_in_district(c, &member.district_code)?;
            let t = thresholds(&rules);
            Ok(MemberEvaluation {
                activities: by_type.iter().map(|t| t.activities).sum(),
                member: member.id,
                name: member.name,
                district: member.district_code,
                year,
                rule_year: rules.year,
                by_type,
                total_points: total,
                rank: rank_from_ahead(ahead),
                ranked_members: ranked,
                grade: grade(total, t),
                thresholds: t,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(evaluation))
}

/// Rank a district's members for a year
///
/// One district's members by total points, highest first (ties share a rank), with grades, for
/// `year` (2000–2100; default the current local year, `XS_UTC_OFFSET`). Office staff, coordinators, dashboards and
/// integrators of a district get their own (another is 403); admins and dashboards or integrators
/// whose token names no district must name `district` (else 400). Members read their own at
/// `/members/{id}/evaluation` (403 here), residents get 403.
#[utoipa::path(tag = "evaluation", params(EvaluationQuery), responses(
    (status = 200, body = EvaluationList),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json")))]
#[get("/evaluations")]
pub async fn list_evaluations(
    db: web::Data<Db>,
    caller: Caller,
    q: Query<EvaluationQuery>,
) -> ApiResult<HttpResponse> {
    let scope = RECORDS.read_scope(&caller)?;
    if matches!(scope, Scope::Member(_)) {
        return Err(ApiError::Forbidden(
            "members read their own evaluation at /api/v1/members/{id}/evaluation".into(),
        ));
    }
    let q = q.0;
    let year = check_year(q.year)?;
    let district = scope.one_district(q.district, "members are ranked within a district")?;
    // The cursor carries the last row's (points, member id) and its rank and position, so
    // ranks continue across pages; the ranking itself is computed afresh for each page.
    let page = PageRequest::<(i64, String, i64, i64)>::parse(q.limit, q.cursor.as_deref())?;
    let (fetch, after) = (page.fetch(), page.after.clone());
    let district_code = district.clone();
    let (rules, ranked, rows) = db
        .read_consistent(move |c| {
            if reference::district(c, &district)?.is_none() {
                return Err(ApiError::unprocessable("district", "no such district"));
            }
            let (rules, _, _) = rules_for(c, year)?;
            let ranked = model::members_in_district(c, &district)?;
            let keyset = after.as_ref().map(|(p, id, _, _)| (*p, id.clone()));
            let rows = model::ranked_members(c, &district, year, keyset, fetch)?;
            Ok((rules, ranked, rows))
        })
        .await?;
    let prev = page
        .after
        .as_ref()
        .map(|(total, _, rank, position)| RankedSoFar {
            total: *total,
            rank: *rank,
            position: *position,
        });
    let totals: Vec<i64> = rows.iter().map(|r| r.3).collect();
    let ranks = assign_ranks(&totals, prev);
    let t = thresholds(&rules);
    let body = page.page(
        rows.into_iter().zip(ranks).collect::<Vec<_>>(),
        |(r, k)| (r.3, r.0.clone(), k.rank, k.position),
        |((id, name, sector, total, count), k)| EvaluationEntry {
            rank: k.rank,
            member: id,
            name,
            sector,
            activities: count,
            total_points: total,
            grade: grade(total, t),
        },
    );
    Ok(HttpResponse::Ok().json(EvaluationList {
        year,
        district: district_code,
        rule_year: rules.year,
        thresholds: t,
        ranked_members: ranked,
        items: body.items,
        next_cursor: body.next_cursor,
    }))
}
