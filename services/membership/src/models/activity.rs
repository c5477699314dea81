//! Rows and queries for activity records, the yearly rule tables, and the per-member yearly
//! point totals that rankings read.

use crate::domain::member::MemberStatus;
use crate::domain::workroom::WorkroomStatus;
use crate::schema::{
    activities, activity_day_totals, evaluation_rule_levels, evaluation_rule_years,
    evaluation_rules, member_year_points, members, workroom_assignments, workrooms,
};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{count_star, sum};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};
use xs_kit::DbConn;
use xs_kit::db::DbBackend;

diesel::define_sql_function!(fn coalesce(x: Nullable<BigInt>, y: BigInt) -> BigInt);

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = activities)]
pub struct ActivityRow {
    pub id: String,
    pub member_id: String,
    pub district_code: String,
    pub activity_type: String,
    pub activity_date: NaiveDate,
    pub workroom_id: Option<String>,
    pub beneficiaries: i32,
    pub problems_solved: i32,
    pub note: Option<String>,
    pub points: i32,
    pub rule_year: i32,
    pub points_overridden: bool,
    pub source_service: String,
    pub source_event_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = evaluation_rule_years)]
pub struct RuleYearRow {
    pub year: i32,
    pub excellent_min: i32,
    pub competent_min: i32,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

/// The source every hand-recorded activity carries.
pub const MANUAL: &str = "manual";

/// Record an activity and add it to the member's points for the year and to its district's
/// day totals, in the caller's transaction. A second record of the same source event fails
/// with a unique violation.
pub fn insert(conn: &mut DbConn, row: &ActivityRow) -> QueryResult<()> {
    diesel::insert_into(activities::table)
        .values(row)
        .execute(conn)?;
    add_to_year_total(conn, row)?;
    adjust_day_totals(conn, row, 1)
}

/// Count a record into its district's totals for its day and type (`delta` 1), or out of them
/// (-1: whatever removes or corrects a record must call this in the same transaction, the old
/// record out and the corrected one in). Atomic under concurrent records on both backends.
pub fn adjust_day_totals(conn: &mut DbConn, row: &ActivityRow, delta: i64) -> QueryResult<()> {
    use activity_day_totals as t;
    use diesel::upsert::excluded;
    macro_rules! upsert {
        ($c:expr) => {
            diesel::insert_into(t::table)
                .values((
                    t::district_code.eq(&row.district_code),
                    t::activity_date.eq(row.activity_date),
                    t::activity_type.eq(&row.activity_type),
                    t::activities.eq(delta),
                    t::beneficiaries.eq(delta * i64::from(row.beneficiaries)),
                    t::problems_solved.eq(delta * i64::from(row.problems_solved)),
                ))
                .on_conflict((t::district_code, t::activity_date, t::activity_type))
                .do_update()
                .set((
                    t::activities.eq(t::activities + excluded(t::activities)),
                    t::beneficiaries.eq(t::beneficiaries + excluded(t::beneficiaries)),
                    t::problems_solved.eq(t::problems_solved + excluded(t::problems_solved)),
                ))
                .execute($c)
        };
    }
    match conn {
        DbConn::Pg(c) => upsert!(c),
        DbConn::Sqlite(c) => upsert!(c),
    }
    .map(drop)
}

/// An upsert is atomic under concurrent records for one member on both backends; the
/// multi-backend connection cannot express ON CONFLICT, so each backend runs its own.
fn add_to_year_total(conn: &mut DbConn, row: &ActivityRow) -> QueryResult<()> {
    use diesel::upsert::excluded;
    use member_year_points as t;
    let year = chrono::Datelike::year(&row.activity_date);
    macro_rules! upsert {
        ($c:expr) => {
            diesel::insert_into(t::table)
                .values((
                    t::member_id.eq(&row.member_id),
                    t::year.eq(year),
                    t::district_code.eq(&row.district_code),
                    t::points.eq(i64::from(row.points)),
                    t::activity_count.eq(1i64),
                ))
                .on_conflict((t::member_id, t::year))
                .do_update()
                .set((
                    t::points.eq(t::points + excluded(t::points)),
                    t::activity_count.eq(t::activity_count + 1i64),
                ))
                .execute($c)
        };
    }
    match conn {
        DbConn::Pg(c) => upsert!(c),
        DbConn::Sqlite(c) => upsert!(c),
    }
    .map(drop)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<ActivityRow>> {
    activities::table
        .find(id)
        .select(ActivityRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_source(
    conn: &mut DbConn,
    service: &str,
    event_id: &str,
) -> QueryResult<Option<ActivityRow>> {
    activities::table
        .filter(activities::source_service.eq(service))
        .filter(activities::source_event_id.eq(event_id))
        .select(ActivityRow::as_select())
        .first(conn)
        .optional()
}

#[derive(Debug, Default, Clone)]
pub struct ActivityFilter {
    pub member: Option<String>,
    pub district: Option<String>,
    pub activity_type: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub workroom: Option<String>,
}

/// A page of records, newest date first (then newest id), after the cursor key.
pub fn list(
    conn: &mut DbConn,
    f: &ActivityFilter,
    after: Option<(NaiveDate, String)>,
    limit: i64,
) -> QueryResult<Vec<ActivityRow>> {
    let mut q = activities::table
        .select(ActivityRow::as_select())
        .order((activities::activity_date.desc(), activities::id.desc()))
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some((date, id)) = after {
        q = q.filter(
            activities::activity_date
                .lt(date)
                .or(activities::activity_date
                    .eq(date)
                    .and(activities::id.lt(id))),
        );
    }
    if let Some(v) = &f.member {
        q = q.filter(activities::member_id.eq(v.clone()));
    }
    if let Some(v) = &f.district {
        q = q.filter(activities::district_code.eq(v.clone()));
    }
    if let Some(v) = &f.activity_type {
        q = q.filter(activities::activity_type.eq(v.clone()));
    }
    if let Some(v) = f.from {
        q = q.filter(activities::activity_date.ge(v));
    }
    if let Some(v) = f.to {
        q = q.filter(activities::activity_date.le(v));
    }
    if let Some(v) = &f.workroom {
        q = q.filter(activities::workroom_id.eq(v.clone()));
    }
    q.load(conn)
}

// ---- rule tables ----------------------------------------------------------------------

pub fn rule_years(conn: &mut DbConn) -> QueryResult<Vec<i32>> {
    evaluation_rule_years::table
        .select(evaluation_rule_years::year)
        .order(evaluation_rule_years::year)
        .load(conn)
}

pub fn rule_year(conn: &mut DbConn, year: i32) -> QueryResult<Option<RuleYearRow>> {
    evaluation_rule_years::table
        .find(year)
        .select(RuleYearRow::as_select())
        .first(conn)
        .optional()
}

/// A year's points per type, as stored (type names as text).
pub fn rule_points(conn: &mut DbConn, year: i32) -> QueryResult<Vec<(String, i32)>> {
    evaluation_rules::table
        .filter(evaluation_rules::year.eq(year))
        .select((evaluation_rules::activity_type, evaluation_rules::points))
        .load(conn)
}

/// A year's points by level, as stored: (type, level, points).
pub fn rule_level_points(conn: &mut DbConn, year: i32) -> QueryResult<Vec<(String, String, i32)>> {
    evaluation_rule_levels::table
        .filter(evaluation_rule_levels::year.eq(year))
        .select((
            evaluation_rule_levels::activity_type,
            evaluation_rule_levels::level,
            evaluation_rule_levels::points,
        ))
        .load(conn)
}

/// What an activity of `activity_type` (at `level`, for a type with levels) on `date` earns
/// from the rule table governing its year: `(rule_year, points)` — the level's points where
/// the table gives them, else the type's (a type the table omits earns none); `None` when
/// there is no table.
pub fn rule_points_on(
    conn: &mut DbConn,
    activity_type: &str,
    level: Option<&str>,
    date: NaiveDate,
) -> QueryResult<Option<(i32, i32)>> {
    let years = rule_years(conn)?;
    let year = chrono::Datelike::year(&date);
    let Some(rule_year) = crate::domain::evaluation::effective_rule_year(year, &years) else {
        return Ok(None);
    };
    if let Some(level) = level {
        let points: Option<i32> = evaluation_rule_levels::table
            .find((rule_year, activity_type, level))
            .select(evaluation_rule_levels::points)
            .first(conn)
            .optional()?;
        if let Some(p) = points {
            return Ok(Some((rule_year, p)));
        }
    }
    let points = evaluation_rules::table
        .find((rule_year, activity_type))
        .select(evaluation_rules::points)
        .first(conn)
        .optional()?;
    Ok(Some((rule_year, points.unwrap_or(0))))
}

pub fn insert_rule_year(conn: &mut DbConn, row: &RuleYearRow) -> QueryResult<()> {
    diesel::insert_into(evaluation_rule_years::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Change a year's thresholds if it is still at `expected`; returns rows changed.
pub fn update_rule_year(
    conn: &mut DbConn,
    year: i32,
    expected: i64,
    excellent_min: i32,
    competent_min: i32,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    use evaluation_rule_years as t;
    let changes = (
        t::excellent_min.eq(excellent_min),
        t::competent_min.eq(competent_min),
    );
    xs_kit::update_versioned!(conn, t, year = year, expected, changes, by, at)
}

pub fn replace_rule_points(
    conn: &mut DbConn,
    year: i32,
    points: &[(&str, i32)],
) -> QueryResult<()> {
    diesel::delete(evaluation_rules::table.filter(evaluation_rules::year.eq(year)))
        .execute(conn)?;
    // One statement per row: batch inserts do not compile for the multi-backend connection.
    for (kind, p) in points {
        diesel::insert_into(evaluation_rules::table)
            .values((
                evaluation_rules::year.eq(year),
                evaluation_rules::activity_type.eq(*kind),
                evaluation_rules::points.eq(*p),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Replace a year's points by level: (type, level, points).
pub fn replace_rule_level_points(
    conn: &mut DbConn,
    year: i32,
    points: &[(&str, &str, i32)],
) -> QueryResult<()> {
    diesel::delete(evaluation_rule_levels::table.filter(evaluation_rule_levels::year.eq(year)))
        .execute(conn)?;
    for (kind, level, p) in points {
        diesel::insert_into(evaluation_rule_levels::table)
            .values((
                evaluation_rule_levels::year.eq(year),
                evaluation_rule_levels::activity_type.eq(*kind),
                evaluation_rule_levels::level.eq(*level),
                evaluation_rule_levels::points.eq(*p),
            ))
            .execute(conn)?;
    }
    Ok(())
}

// ---- evaluation -----------------------------------------------------------------------

/// One member's records in a date range, by type: (type, records, points).
pub fn member_points_by_type(
    conn: &mut DbConn,
    member: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(String, i64, Option<i64>)>> {
    activities::table
        .filter(activities::member_id.eq(member))
        .filter(activities::activity_date.between(from, to))
        .group_by(activities::activity_type)
        .select((
            activities::activity_type,
            count_star(),
            sum(activities::points),
        ))
        .order(activities::activity_type)
        .load(conn)
}

/// How many members of the district scored more than `total` in the year.
pub fn members_ahead(conn: &mut DbConn, district: &str, year: i32, total: i64) -> QueryResult<i64> {
    member_year_points::table
        .filter(member_year_points::year.eq(year))
        .filter(member_year_points::district_code.eq(district))
        .filter(member_year_points::points.gt(total))
        .count()
        .get_result(conn)
}

pub fn members_in_district(conn: &mut DbConn, district: &str) -> QueryResult<i64> {
    members::table
        .filter(members::district_code.eq(district))
        .count()
        .get_result(conn)
}

/// A row of a district's ranking: member id, name, sector, the year's points and records.
pub type RankedRow = (String, String, Option<String>, i64, i64);

/// A page of a district's members by the year's points (highest first, then member id),
/// every member included (no records is 0 points), after the cursor's (points, member id).
///
/// Two ordered reads, so neither aggregates nor sorts the district: members who scored, in
/// rank order straight from the `member_year_points_rank` index; then, once those run out,
/// the rest (0 points) in id order from the members' district index.
pub fn ranked_members(
    conn: &mut DbConn,
    district: &str,
    year: i32,
    after: Option<(i64, String)>,
    limit: i64,
) -> QueryResult<Vec<RankedRow>> {
    use member_year_points as p;
    let mut rows: Vec<RankedRow> = Vec::new();
    let zero_after = match &after {
        Some((0, id)) => Some(id.clone()),
        _ => None,
    };
    match &after {
        // The cursor is among the zero scores: only they remain.
        Some((0, _)) => {}
        // Ties with the cursor's points after its member, then lower points: two index
        // ranges, where one `points < ? OR (points = ? AND id > ?)` filter would scan from
        // the top of the ranking on every page.
        Some((points, id)) => {
            rows = scored(conn, district, year, Scored::TiedAfter(*points, id), limit)?;
            if (rows.len() as i64) < limit {
                let left = limit - rows.len() as i64;
                rows.extend(scored(conn, district, year, Scored::Below(*points), left)?);
            }
        }
        None => rows = scored(conn, district, year, Scored::Below(i64::MAX), limit)?,
    }
    let rest = limit - rows.len() as i64;
    if rest > 0 {
        let count = coalesce(p::activity_count.nullable(), 0i64);
        let mut q = members::table
            .left_join(p::table.on(p::member_id.eq(members::id).and(p::year.eq(year))))
            .filter(members::district_code.eq(district.to_string()))
            .filter(
                p::points
                    .nullable()
                    .is_null()
                    .or(p::points.nullable().eq(0i64)),
            )
            .select((
                members::id,
                members::name,
                members::sector_code,
                coalesce(p::points.nullable(), 0i64),
                count,
            ))
            .order(members::id.asc())
            .limit(rest)
            .into_boxed::<DbBackend>();
        if let Some(id) = zero_after {
            q = q.filter(members::id.gt(id));
        }
        rows.extend(q.load(conn)?);
    }
    Ok(rows)
}

enum Scored<'a> {
    TiedAfter(i64, &'a str),
    Below(i64),
}

/// Members with points (more than 0) from the ranking index, in rank order.
fn scored(
    conn: &mut DbConn,
    district: &str,
    year: i32,
    range: Scored,
    limit: i64,
) -> QueryResult<Vec<RankedRow>> {
    use member_year_points as p;
    let mut q = p::table
        .inner_join(members::table)
        .filter(p::year.eq(year))
        .filter(p::district_code.eq(district.to_string()))
        .filter(p::points.gt(0i64))
        .select((
            members::id,
            members::name,
            members::sector_code,
            p::points,
            p::activity_count,
        ))
        .order((p::points.desc(), p::member_id.asc()))
        .limit(limit)
        .into_boxed::<DbBackend>();
    q = match range {
        Scored::TiedAfter(points, id) => q
            .filter(p::points.eq(points))
            .filter(p::member_id.gt(id.to_string())),
        Scored::Below(points) => q.filter(p::points.lt(points)),
    };
    q.load(conn)
}

// ---- statistics -----------------------------------------------------------------------

/// Active members by sector (no sector is `None`), optionally in one district.
pub fn members_by_sector(
    conn: &mut DbConn,
    district: Option<&str>,
) -> QueryResult<Vec<(Option<String>, i64)>> {
    let mut q = members::table
        .filter(members::status.eq(MemberStatus::Active.as_str()))
        .group_by(members::sector_code)
        .select((members::sector_code, count_star()))
        .order(members::sector_code)
        .into_boxed::<DbBackend>();
    if let Some(d) = district {
        q = q.filter(members::district_code.eq(d.to_string()));
    }
    q.load(conn)
}

/// Records by type in a date range: (type, records, people helped, problems solved).
pub type TypeStatsRow = (String, i64, Option<i64>, Option<i64>);

/// From the day totals (at most a row per day and type), not the records: the same answer
/// as aggregating `activities`, in time that does not grow with the records.
pub fn activities_by_type(
    conn: &mut DbConn,
    district: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> QueryResult<Vec<TypeStatsRow>> {
    use activity_day_totals as t;
    use diesel::dsl::sql;
    // PostgreSQL sums BIGINT into NUMERIC, which the multi-backend connection cannot read.
    let mut q = t::table
        .filter(t::activities.gt(0i64))
        .group_by(t::activity_type)
        .select((
            t::activity_type,
            sql::<BigInt>("CAST(SUM(activity_day_totals.activities) AS BIGINT)"),
            sql::<Nullable<BigInt>>("CAST(SUM(activity_day_totals.beneficiaries) AS BIGINT)"),
            sql::<Nullable<BigInt>>("CAST(SUM(activity_day_totals.problems_solved) AS BIGINT)"),
        ))
        .order(t::activity_type)
        .into_boxed::<DbBackend>();
    if let Some(d) = district {
        q = q.filter(t::district_code.eq(d.to_string()));
    }
    if let Some(v) = from {
        q = q.filter(t::activity_date.ge(v));
    }
    if let Some(v) = to {
        q = q.filter(t::activity_date.le(v));
    }
    q.load(conn)
}

/// Workrooms by kind and status (the register now, not limited to a period):
/// (kind, status, workrooms).
pub fn workrooms_by_kind_and_status(
    conn: &mut DbConn,
    district: Option<&str>,
) -> QueryResult<Vec<(String, String, i64)>> {
    let mut q = workrooms::table
        .group_by((workrooms::kind, workrooms::status))
        .select((workrooms::kind, workrooms::status, count_star()))
        .into_boxed::<DbBackend>();
    if let Some(d) = district {
        q = q.filter(workrooms::district_code.eq(d.to_string()));
    }
    q.load(conn)
}

/// Active members serving in at least one workroom that is not closed (the rest are not
/// placed), optionally in one district.
pub fn members_placed(conn: &mut DbConn, district: Option<&str>) -> QueryResult<i64> {
    let placed = workroom_assignments::table
        .inner_join(workrooms::table)
        .filter(workrooms::status.ne(WorkroomStatus::Closed.as_str()))
        .select(workroom_assignments::member_id);
    let mut q = members::table
        .filter(members::status.eq(MemberStatus::Active.as_str()))
        .filter(members::id.eq_any(placed))
        .count()
        .into_boxed::<DbBackend>();
    if let Some(d) = district {
        q = q.filter(members::district_code.eq(d.to_string()));
    }
    q.get_result(conn)
}
