//! Rows and queries for workrooms, their lifecycle history and their assignments.

use crate::domain::member::MemberStatus;
use crate::domain::workroom::{BoundingBox, WorkroomStatus};
use crate::models::member::MemberRow;
use crate::schema::{communities, members, sectors, workroom_assignments, workrooms};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use xs_kit::DbConn;
use xs_kit::db::DbBackend;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = workrooms)]
pub struct WorkroomRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub district_code: String,
    pub subdistrict_code: String,
    pub community_code: Option<String>,
    pub host_organisation: Option<String>,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    pub opening_hours: Option<String>,
    /// JSON array of weekdays.
    pub reception_days: String,
    pub convener_id: Option<String>,
    /// JSON object of the six essentials.
    pub essentials: String,
    pub status: String,
    pub inspected_on: Option<NaiveDate>,
    pub inspector: Option<String>,
    pub inspection_findings: Option<String>,
    pub inspection_passed: Option<bool>,
    pub approved_by: Option<String>,
    pub approved_on: Option<NaiveDate>,
    pub plaque_awarded_on: Option<NaiveDate>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

/// The descriptive columns a PATCH may set; `None` leaves a column as it is. The lifecycle
/// columns change only through [`LifecycleChanges`].
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = workrooms)]
pub struct WorkroomChanges {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub subdistrict_code: Option<String>,
    pub community_code: Option<Option<String>>,
    pub host_organisation: Option<Option<String>>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub opening_hours: Option<Option<String>>,
    pub reception_days: Option<String>,
    pub convener_id: Option<Option<String>>,
    pub essentials: Option<String>,
}

/// What a transition changes on the workroom row.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = workrooms)]
pub struct LifecycleChanges {
    pub status: String,
    pub essentials: Option<String>,
    pub inspected_on: Option<Option<NaiveDate>>,
    pub inspector: Option<Option<String>>,
    pub inspection_findings: Option<Option<String>>,
    pub inspection_passed: Option<Option<bool>>,
    pub approved_by: Option<Option<String>>,
    pub approved_on: Option<Option<NaiveDate>>,
    pub plaque_awarded_on: Option<Option<NaiveDate>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = workroom_assignments)]
pub struct AssignmentRow {
    pub workroom_id: String,
    pub member_id: String,
    pub role: String,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

#[derive(Debug, Default, Clone)]
pub struct WorkroomFilter {
    pub kind: Option<String>,
    pub status: Option<String>,
    pub district: Option<String>,
    pub subdistrict: Option<String>,
}

pub fn insert(conn: &mut DbConn, row: &WorkroomRow) -> QueryResult<()> {
    diesel::insert_into(workrooms::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<WorkroomRow>> {
    workrooms::table
        .find(id)
        .select(WorkroomRow::as_select())
        .first(conn)
        .optional()
}

/// The workroom, unless `active_only` and it is not active (what the public may see).
pub fn find_visible(
    conn: &mut DbConn,
    id: &str,
    active_only: bool,
) -> QueryResult<Option<WorkroomRow>> {
    let mut q = workrooms::table
        .filter(workrooms::id.eq(id))
        .select(WorkroomRow::as_select())
        .into_boxed::<DbBackend>();
    if active_only {
        q = q.filter(workrooms::status.eq(WorkroomStatus::Active.as_str()));
    }
    q.first(conn).optional()
}

pub fn exists(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(workrooms::table.find(id))).get_result(conn)
}

fn filtered<'a>(f: &WorkroomFilter) -> workrooms::BoxedQuery<'a, DbBackend> {
    let mut q = workrooms::table.into_boxed::<DbBackend>();
    if let Some(v) = &f.kind {
        q = q.filter(workrooms::kind.eq(v.clone()));
    }
    if let Some(v) = &f.status {
        q = q.filter(workrooms::status.eq(v.clone()));
    }
    if let Some(v) = &f.district {
        q = q.filter(workrooms::district_code.eq(v.clone()));
    }
    if let Some(v) = &f.subdistrict {
        q = q.filter(workrooms::subdistrict_code.eq(v.clone()));
    }
    q
}

/// A page of workrooms in id (creation) order, after the cursor id.
pub fn list(
    conn: &mut DbConn,
    f: &WorkroomFilter,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<WorkroomRow>> {
    let mut q = filtered(f)
        .select(WorkroomRow::as_select())
        .order(workrooms::id)
        .limit(limit);
    if let Some(a) = after {
        q = q.filter(workrooms::id.gt(a.to_string()));
    }
    q.load(conn)
}

/// Every workroom matching the filter inside the box: the candidates of a `near` search.
pub fn in_box(
    conn: &mut DbConn,
    f: &WorkroomFilter,
    b: &BoundingBox,
) -> QueryResult<Vec<WorkroomRow>> {
    filtered(f)
        .select(WorkroomRow::as_select())
        .filter(workrooms::latitude.between(b.lat_min, b.lat_max))
        .filter(workrooms::longitude.between(b.lng_min, b.lng_max))
        .load(conn)
}

/// Apply descriptive changes if the workroom is still at `expected`; returns rows changed.
pub fn update(
    conn: &mut DbConn,
    id: &str,
    expected: i64,
    changes: &WorkroomChanges,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    xs_kit::update_versioned!(conn, workrooms, id = id, expected, changes, by, at)
}

/// Move the lifecycle if the workroom is still at `expected`; returns rows changed.
pub fn set_lifecycle(
    conn: &mut DbConn,
    id: &str,
    expected: i64,
    changes: &LifecycleChanges,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    xs_kit::update_versioned!(conn, workrooms, id = id, expected, changes, by, at)
}

/// The subdistrict a community belongs to, if the community exists.
pub fn community_subdistrict(conn: &mut DbConn, code: &str) -> QueryResult<Option<String>> {
    communities::table
        .find(code)
        .select(communities::subdistrict_code)
        .first(conn)
        .optional()
}

pub fn assignment(
    conn: &mut DbConn,
    workroom_id: &str,
    member_id: &str,
) -> QueryResult<Option<AssignmentRow>> {
    workroom_assignments::table
        .find((workroom_id, member_id))
        .select(AssignmentRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_assignment(conn: &mut DbConn, row: &AssignmentRow) -> QueryResult<()> {
    diesel::insert_into(workroom_assignments::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn delete_assignment(
    conn: &mut DbConn,
    workroom_id: &str,
    member_id: &str,
) -> QueryResult<usize> {
    diesel::delete(workroom_assignments::table.find((workroom_id, member_id))).execute(conn)
}

/// A page of a workroom's assignments with each member's name, in member id order.
pub fn assignments(
    conn: &mut DbConn,
    workroom_id: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<(AssignmentRow, String)>> {
    let mut q = workroom_assignments::table
        .inner_join(members::table)
        .filter(workroom_assignments::workroom_id.eq(workroom_id.to_string()))
        .select((AssignmentRow::as_select(), members::name))
        .order(workroom_assignments::member_id)
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some(a) = after {
        q = q.filter(workroom_assignments::member_id.gt(a.to_string()));
    }
    q.load(conn)
}

/// The workrooms a member serves (closed ones left out), with the member's role in each.
pub fn served_by(conn: &mut DbConn, member_id: &str) -> QueryResult<Vec<(WorkroomRow, String)>> {
    workroom_assignments::table
        .inner_join(workrooms::table)
        .filter(workroom_assignments::member_id.eq(member_id))
        .filter(workrooms::status.ne(WorkroomStatus::Closed.as_str()))
        .select((WorkroomRow::as_select(), workroom_assignments::role))
        .order(workrooms::id)
        .load(conn)
}

/// Active members of `district` who live or work in `subdistrict` and serve in no workroom
/// yet (a closed workroom no longer counts as a placement).
pub fn unplaced_members_of(
    conn: &mut DbConn,
    district: &str,
    subdistrict: &str,
) -> QueryResult<Vec<MemberRow>> {
    let placed = workroom_assignments::table
        .inner_join(workrooms::table)
        .filter(workrooms::status.ne(WorkroomStatus::Closed.as_str()))
        .select(workroom_assignments::member_id);
    members::table
        .filter(members::district_code.eq(district))
        .filter(members::status.eq(MemberStatus::Active.as_str()))
        .filter(
            members::residence_subdistrict
                .eq(subdistrict)
                .or(members::workplace_subdistrict.eq(subdistrict)),
        )
        .filter(diesel::dsl::not(members::id.eq_any(placed)))
        .select(MemberRow::as_select())
        .order(members::id)
        .load(conn)
}

/// A sector's display name (界别 name), for members' cards.
pub fn sector_name(conn: &mut DbConn, code: &str) -> QueryResult<Option<String>> {
    sectors::table
        .find(code)
        .select(sectors::name)
        .first(conn)
        .optional()
}
