//! Rows and queries for duty shifts and check-ins.

use crate::domain::member::MemberStatus;
use crate::models::member::MemberRow;
use crate::schema::{activities, check_ins, duty_shifts, members, workroom_assignments};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::HashMap;
use xs_kit::DbConn;
use xs_kit::db::DbBackend;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = duty_shifts)]
pub struct ShiftRow {
    pub id: String,
    pub workroom_id: String,
    pub member_id: String,
    pub shift_date: NaiveDate,
    /// Minutes since local midnight.
    pub start_minute: i32,
    pub end_minute: i32,
    /// `manual` or `rota`.
    pub origin: String,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = check_ins)]
pub struct CheckInRow {
    pub id: String,
    pub workroom_id: String,
    pub member_id: String,
    pub district_code: String,
    pub check_in_date: NaiveDate,
    pub checked_in_at: NaiveDateTime,
    pub shift_id: Option<String>,
    pub activity_id: String,
    pub created_by: String,
}

pub fn insert_shift(conn: &mut DbConn, row: &ShiftRow) -> QueryResult<()> {
    diesel::insert_into(duty_shifts::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn find_shift(conn: &mut DbConn, id: &str) -> QueryResult<Option<ShiftRow>> {
    duty_shifts::table
        .find(id)
        .select(ShiftRow::as_select())
        .first(conn)
        .optional()
}

/// A member's shifts on a day, in every workroom, by start time.
pub fn member_shifts_on(
    conn: &mut DbConn,
    member_id: &str,
    date: NaiveDate,
) -> QueryResult<Vec<ShiftRow>> {
    duty_shifts::table
        .filter(duty_shifts::member_id.eq(member_id))
        .filter(duty_shifts::shift_date.eq(date))
        .select(ShiftRow::as_select())
        .order((duty_shifts::start_minute, duty_shifts::id))
        .load(conn)
}

/// A workroom's shifts in a date range, with the shifts its `members` have elsewhere then:
/// what the rota must work around.
pub fn shifts_around(
    conn: &mut DbConn,
    workroom_id: &str,
    member_ids: &[String],
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<ShiftRow>> {
    duty_shifts::table
        .filter(duty_shifts::shift_date.between(from, to))
        .filter(
            duty_shifts::workroom_id
                .eq(workroom_id)
                .or(duty_shifts::member_id.eq_any(member_ids)),
        )
        .select(ShiftRow::as_select())
        .order((
            duty_shifts::shift_date,
            duty_shifts::start_minute,
            duty_shifts::id,
        ))
        .load(conn)
}

#[derive(Debug, Default, Clone)]
pub struct ShiftFilter {
    pub member: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// The sort key of shift lists: date, start, id.
pub type ShiftKey = (NaiveDate, i32, String);

/// A page of a workroom's shifts with each member's name, in (date, start, id) order.
pub fn list_shifts(
    conn: &mut DbConn,
    workroom_id: &str,
    f: &ShiftFilter,
    after: Option<ShiftKey>,
    limit: i64,
) -> QueryResult<Vec<(ShiftRow, String)>> {
    use duty_shifts as s;
    let mut q = s::table
        .inner_join(members::table)
        .filter(s::workroom_id.eq(workroom_id.to_string()))
        .select((ShiftRow::as_select(), members::name))
        .order((s::shift_date, s::start_minute, s::id))
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some((date, start, id)) = after {
        q = q.filter(
            s::shift_date.gt(date).or(s::shift_date.eq(date).and(
                s::start_minute
                    .gt(start)
                    .or(s::start_minute.eq(start).and(s::id.gt(id))),
            )),
        );
    }
    if let Some(m) = &f.member {
        q = q.filter(s::member_id.eq(m.clone()));
    }
    if let Some(v) = f.from {
        q = q.filter(s::shift_date.ge(v));
    }
    if let Some(v) = f.to {
        q = q.filter(s::shift_date.le(v));
    }
    q.load(conn)
}

/// A workroom's shifts on a day with their members, by start time.
pub fn on_duty(
    conn: &mut DbConn,
    workroom_id: &str,
    date: NaiveDate,
) -> QueryResult<Vec<(ShiftRow, MemberRow)>> {
    duty_shifts::table
        .inner_join(members::table)
        .filter(duty_shifts::workroom_id.eq(workroom_id))
        .filter(duty_shifts::shift_date.eq(date))
        .select((ShiftRow::as_select(), MemberRow::as_select()))
        .order((duty_shifts::start_minute, duty_shifts::id))
        .load(conn)
}

/// Members' names by id.
pub fn names_of(conn: &mut DbConn, ids: &[String]) -> QueryResult<HashMap<String, String>> {
    members::table
        .filter(members::id.eq_any(ids))
        .select((members::id, members::name))
        .load::<(String, String)>(conn)
        .map(|rows| rows.into_iter().collect())
}

/// The workroom's assigned members who are active: who takes turns on its rota, in id order.
pub fn rota_members(conn: &mut DbConn, workroom_id: &str) -> QueryResult<Vec<String>> {
    workroom_assignments::table
        .inner_join(members::table)
        .filter(workroom_assignments::workroom_id.eq(workroom_id))
        .filter(members::status.eq(MemberStatus::Active.as_str()))
        .select(members::id)
        .order(members::id)
        .load(conn)
}

// ---- check-ins ------------------------------------------------------------------------

pub fn insert_check_in(conn: &mut DbConn, row: &CheckInRow) -> QueryResult<()> {
    diesel::insert_into(check_ins::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// The member's check-in at the workroom on a day, if any.
pub fn check_in_on(
    conn: &mut DbConn,
    member_id: &str,
    workroom_id: &str,
    date: NaiveDate,
) -> QueryResult<Option<CheckInRow>> {
    check_ins::table
        .filter(check_ins::member_id.eq(member_id))
        .filter(check_ins::workroom_id.eq(workroom_id))
        .filter(check_ins::check_in_date.eq(date))
        .select(CheckInRow::as_select())
        .first(conn)
        .optional()
}

/// Who checked in at the workroom on a day.
pub fn checked_in_on(
    conn: &mut DbConn,
    workroom_id: &str,
    date: NaiveDate,
) -> QueryResult<Vec<String>> {
    check_ins::table
        .filter(check_ins::workroom_id.eq(workroom_id))
        .filter(check_ins::check_in_date.eq(date))
        .select(check_ins::member_id)
        .load(conn)
}

#[derive(Debug, Default, Clone)]
pub struct CheckInFilter {
    pub workroom: Option<String>,
    pub member: Option<String>,
    pub district: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// A check-in with its member's name and the activity it earned (type, points).
pub type CheckInListRow = (CheckInRow, String, String, i32);

/// One check-in, as lists show it.
pub fn find_check_in(conn: &mut DbConn, id: &str) -> QueryResult<Option<CheckInListRow>> {
    check_ins::table
        .inner_join(members::table)
        .inner_join(activities::table)
        .filter(check_ins::id.eq(id))
        .select((
            CheckInRow::as_select(),
            members::name,
            activities::activity_type,
            activities::points,
        ))
        .first(conn)
        .optional()
}

/// A page of check-ins, newest day first (then newest id), after the cursor key.
pub fn list_check_ins(
    conn: &mut DbConn,
    f: &CheckInFilter,
    after: Option<(NaiveDate, String)>,
    limit: i64,
) -> QueryResult<Vec<CheckInListRow>> {
    use check_ins as k;
    let mut q = k::table
        .inner_join(members::table)
        .inner_join(activities::table)
        .select((
            CheckInRow::as_select(),
            members::name,
            activities::activity_type,
            activities::points,
        ))
        .order((k::check_in_date.desc(), k::id.desc()))
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some((date, id)) = after {
        q = q.filter(
            k::check_in_date
                .lt(date)
                .or(k::check_in_date.eq(date).and(k::id.lt(id))),
        );
    }
    if let Some(v) = &f.workroom {
        q = q.filter(k::workroom_id.eq(v.clone()));
    }
    if let Some(v) = &f.member {
        q = q.filter(k::member_id.eq(v.clone()));
    }
    if let Some(v) = &f.district {
        q = q.filter(k::district_code.eq(v.clone()));
    }
    if let Some(v) = f.from {
        q = q.filter(k::check_in_date.ge(v));
    }
    if let Some(v) = f.to {
        q = q.filter(k::check_in_date.le(v));
    }
    q.load(conn)
}
