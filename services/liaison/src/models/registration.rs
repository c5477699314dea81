//! Rows and queries for event registrations: seats, the waiting list and attendance. Every
//! decision about seats is taken with the event's row locked (`xs_kit::rows::lock`).

use crate::domain::event::RegistrationStatus;
use crate::schema::event_registrations as r;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use xs_kit::DbConn;
use xs_kit::db::DbBackend;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = r)]
pub struct RegistrationRow {
    pub id: String,
    pub event_id: String,
    pub compatriot_id: Option<String>,
    pub member_id: Option<String>,
    pub person: String,
    pub status: String,
    pub queue_no: i32,
    pub attended: Option<bool>,
    pub promoted_at: Option<NaiveDateTime>,
    pub cancelled_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

/// `compatriot:<id>` or `member:<id>`: what "one registration per person" is unique on.
pub fn person_key(compatriot: Option<&str>, member: Option<&str>) -> String {
    match (compatriot, member) {
        (Some(c), _) => format!("compatriot:{c}"),
        (None, Some(m)) => format!("member:{m}"),
        (None, None) => String::new(),
    }
}

pub fn insert(conn: &mut DbConn, row: &RegistrationRow) -> QueryResult<()> {
    diesel::insert_into(r::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, event: &str, id: &str) -> QueryResult<Option<RegistrationRow>> {
    r::table
        .filter(r::id.eq(id))
        .filter(r::event_id.eq(event))
        .select(RegistrationRow::as_select())
        .first(conn)
        .optional()
}

/// The person's registration for the event that is not cancelled, if any.
pub fn active_for(
    conn: &mut DbConn,
    event: &str,
    person: &str,
) -> QueryResult<Option<RegistrationRow>> {
    r::table
        .filter(r::event_id.eq(event))
        .filter(r::person.eq(person))
        .filter(r::status.ne(RegistrationStatus::Cancelled.as_str()))
        .select(RegistrationRow::as_select())
        .first(conn)
        .optional()
}

pub fn count(conn: &mut DbConn, event: &str, status: RegistrationStatus) -> QueryResult<i64> {
    r::table
        .filter(r::event_id.eq(event))
        .filter(r::status.eq(status.as_str()))
        .count()
        .get_result(conn)
}

/// The next number in the event's queue (registration order).
pub fn next_queue_no(conn: &mut DbConn, event: &str) -> QueryResult<i32> {
    let max: Option<i32> = r::table
        .filter(r::event_id.eq(event))
        .select(diesel::dsl::max(r::queue_no))
        .first(conn)?;
    Ok(max.unwrap_or(0) + 1)
}

/// The first `n` waiting registrations, in queue order.
pub fn first_waiting(conn: &mut DbConn, event: &str, n: i64) -> QueryResult<Vec<String>> {
    r::table
        .filter(r::event_id.eq(event))
        .filter(r::status.eq(RegistrationStatus::Waitlisted.as_str()))
        .order(r::queue_no)
        .limit(n)
        .select(r::id)
        .load(conn)
}

/// Give the waiting registrations `ids` a seat.
pub fn promote(
    conn: &mut DbConn,
    ids: &[String],
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(r::table.filter(r::id.eq_any(ids)))
        .set((
            r::status.eq(RegistrationStatus::Confirmed.as_str()),
            r::promoted_at.eq(Some(at)),
            r::version.eq(r::version + 1),
            r::updated_at.eq(at),
            r::updated_by.eq(by),
        ))
        .execute(conn)
}

pub fn cancel(conn: &mut DbConn, id: &str, by: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(r::table.filter(r::id.eq(id)))
        .set((
            r::status.eq(RegistrationStatus::Cancelled.as_str()),
            r::cancelled_at.eq(Some(at)),
            r::version.eq(r::version + 1),
            r::updated_at.eq(at),
            r::updated_by.eq(by),
        ))
        .execute(conn)
}

pub fn set_attended(
    conn: &mut DbConn,
    id: &str,
    attended: bool,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(r::table.filter(r::id.eq(id)))
        .set((
            r::attended.eq(Some(attended)),
            r::version.eq(r::version + 1),
            r::updated_at.eq(at),
            r::updated_by.eq(by),
        ))
        .execute(conn)
}

/// A page of an event's registrations in queue order, after the cursor's queue number;
/// `persons` confines it to those people (their `person` keys).
pub fn list(
    conn: &mut DbConn,
    event: &str,
    status: Option<&str>,
    persons: Option<&[String]>,
    after: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<RegistrationRow>> {
    let mut q = r::table
        .filter(r::event_id.eq(event))
        .select(RegistrationRow::as_select())
        .order(r::queue_no)
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some(a) = after {
        q = q.filter(r::queue_no.gt(a));
    }
    if let Some(s) = status {
        q = q.filter(r::status.eq(s.to_string()));
    }
    if let Some(p) = persons {
        q = q.filter(r::person.eq_any(p.to_vec()));
    }
    q.load(conn)
}

/// Registrations per event and status, for a page of events: (event, status) → count.
pub fn counts_for(
    conn: &mut DbConn,
    events: &[&str],
) -> QueryResult<std::collections::HashMap<(String, String), i64>> {
    let rows: Vec<(String, String, i64)> = r::table
        .filter(r::event_id.eq_any(events))
        .group_by((r::event_id, r::status))
        .select((r::event_id, r::status, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().map(|(e, s, n)| ((e, s), n)).collect())
}
