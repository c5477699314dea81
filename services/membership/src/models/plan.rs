//! Rows and queries for annual plans and their targets, and the counts of activity records that
//! measure them.

use crate::domain::workroom::WorkroomStatus;
use crate::schema::{activities, workroom_plan_targets, workroom_plans, workrooms};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::count_star;
use diesel::prelude::*;
use xs_kit::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = workroom_plans)]
pub struct PlanRow {
    pub id: String,
    pub workroom_id: String,
    pub year: i32,
    pub note: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

pub fn find(conn: &mut DbConn, workroom_id: &str, year: i32) -> QueryResult<Option<PlanRow>> {
    workroom_plans::table
        .filter(workroom_plans::workroom_id.eq(workroom_id))
        .filter(workroom_plans::year.eq(year))
        .select(PlanRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConn, row: &PlanRow) -> QueryResult<()> {
    diesel::insert_into(workroom_plans::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Replace the plan's note if it is still at `expected`; returns rows changed.
pub fn update(
    conn: &mut DbConn,
    id: &str,
    expected: i64,
    note: Option<&str>,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    use workroom_plans as p;
    xs_kit::update_versioned!(conn, p, id = id, expected, p::note.eq(note), by, at)
}

/// The plan's targets become exactly `targets`.
pub fn replace_targets(
    conn: &mut DbConn,
    plan_id: &str,
    targets: &[(&str, i32)],
) -> QueryResult<()> {
    use workroom_plan_targets as t;
    diesel::delete(t::table.filter(t::plan_id.eq(plan_id))).execute(conn)?;
    // One statement per row: batch inserts do not compile for the multi-backend connection.
    for (kind, target) in targets {
        diesel::insert_into(t::table)
            .values((
                t::plan_id.eq(plan_id),
                t::activity_type.eq(*kind),
                t::target.eq(*target),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A plan's targets: (type, target).
pub fn targets(conn: &mut DbConn, plan_id: &str) -> QueryResult<Vec<(String, i32)>> {
    use workroom_plan_targets as t;
    t::table
        .filter(t::plan_id.eq(plan_id))
        .select((t::activity_type, t::target))
        .order(t::activity_type)
        .load(conn)
}

/// Records at one workroom in a date range, by type: (type, records).
pub fn actuals(
    conn: &mut DbConn,
    workroom_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(String, i64)>> {
    activities::table
        .filter(activities::workroom_id.eq(workroom_id))
        .filter(activities::activity_date.between(from, to))
        .group_by(activities::activity_type)
        .select((activities::activity_type, count_star()))
        .load(conn)
}

/// A planned workroom as a bulletin shows it: (workroom id, name, kind, subdistrict, status).
pub type PlannedWorkroom = (String, String, String, String, String);

/// The district's workrooms that have a plan for `year`.
pub fn planned_workrooms(
    conn: &mut DbConn,
    district: &str,
    year: i32,
) -> QueryResult<Vec<PlannedWorkroom>> {
    workroom_plans::table
        .inner_join(workrooms::table)
        .filter(workroom_plans::year.eq(year))
        .filter(workrooms::district_code.eq(district))
        .select((
            workrooms::id,
            workrooms::name,
            workrooms::kind,
            workrooms::subdistrict_code,
            workrooms::status,
        ))
        .load(conn)
}

/// Every target of the district's plans for `year`: (workroom id, type, target).
pub fn targets_in_district(
    conn: &mut DbConn,
    district: &str,
    year: i32,
) -> QueryResult<Vec<(String, String, i32)>> {
    use workroom_plan_targets as t;
    t::table
        .inner_join(workroom_plans::table.inner_join(workrooms::table))
        .filter(workroom_plans::year.eq(year))
        .filter(workrooms::district_code.eq(district))
        .select((workroom_plans::workroom_id, t::activity_type, t::target))
        .load(conn)
}

/// Records at the district's planned workrooms in a date range, by workroom and type:
/// (workroom id, type, records). Read through the workroom index of the records.
pub fn actuals_in_district(
    conn: &mut DbConn,
    district: &str,
    year: i32,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(Option<String>, String, i64)>> {
    let planned = workroom_plans::table
        .inner_join(workrooms::table)
        .filter(workroom_plans::year.eq(year))
        .filter(workrooms::district_code.eq(district.to_string()))
        .select(workroom_plans::workroom_id.nullable());
    activities::table
        .filter(activities::workroom_id.eq_any(planned))
        .filter(activities::activity_date.between(from, to))
        .group_by((activities::workroom_id, activities::activity_type))
        .select((
            activities::workroom_id,
            activities::activity_type,
            count_star(),
        ))
        .load(conn)
}

/// Open workrooms of the district (any state but closed) with no plan for `year`.
pub fn unplanned_workrooms(conn: &mut DbConn, district: &str, year: i32) -> QueryResult<i64> {
    let planned = workroom_plans::table
        .filter(workroom_plans::year.eq(year))
        .select(workroom_plans::workroom_id);
    workrooms::table
        .filter(workrooms::district_code.eq(district))
        .filter(workrooms::status.ne(WorkroomStatus::Closed.as_str()))
        .filter(diesel::dsl::not(workrooms::id.eq_any(planned)))
        .count()
        .get_result(conn)
}
