//! Rows and queries for liaison events and their organising members.

use crate::schema::{event_organisers, liaison_events};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;
use xs_kit::DbConn;
use xs_kit::db::DbBackend;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = liaison_events)]
pub struct EventRow {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub district_code: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: Option<NaiveDateTime>,
    pub place: String,
    pub liaison_point: Option<String>,
    pub enterprise_id: Option<String>,
    pub capacity: Option<i32>,
    pub status: String,
    pub people_served: Option<i32>,
    pub volunteers: Option<i32>,
    pub summary: Option<String>,
    pub cancel_reason: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = liaison_events)]
pub struct EventChanges {
    pub kind: Option<String>,
    pub title: Option<String>,
    pub starts_at: Option<NaiveDateTime>,
    pub ends_at: Option<Option<NaiveDateTime>>,
    pub place: Option<String>,
    pub liaison_point: Option<Option<String>>,
    pub enterprise_id: Option<Option<String>>,
    pub capacity: Option<Option<i32>>,
}

/// What a transition writes.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = liaison_events)]
pub struct LifecycleChanges {
    pub status: String,
    pub people_served: Option<Option<i32>>,
    pub volunteers: Option<Option<i32>>,
    pub summary: Option<Option<String>>,
    pub cancel_reason: Option<Option<String>>,
}

#[derive(Debug, Default)]
pub struct EventFilter {
    pub district: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub liaison_point: Option<String>,
    pub enterprise: Option<String>,
}

pub fn insert(conn: &mut DbConn, row: &EventRow, organisers: &[String]) -> QueryResult<()> {
    diesel::insert_into(liaison_events::table)
        .values(row)
        .execute(conn)?;
    replace_organisers(conn, &row.id, organisers)
}

pub fn replace_organisers(conn: &mut DbConn, id: &str, members: &[String]) -> QueryResult<()> {
    diesel::delete(event_organisers::table.filter(event_organisers::event_id.eq(id)))
        .execute(conn)?;
    for (i, m) in members.iter().enumerate() {
        diesel::insert_into(event_organisers::table)
            .values((
                event_organisers::event_id.eq(id),
                event_organisers::member_id.eq(m),
                event_organisers::position.eq(i as i32),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<EventRow>> {
    liaison_events::table
        .find(id)
        .select(EventRow::as_select())
        .first(conn)
        .optional()
}

pub fn exists(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(liaison_events::table.find(id))).get_result(conn)
}

/// Each event's organising members, in the order given.
pub fn organisers_of(conn: &mut DbConn, ids: &[&str]) -> QueryResult<HashMap<String, Vec<String>>> {
    let rows: Vec<(String, String)> = event_organisers::table
        .filter(event_organisers::event_id.eq_any(ids))
        .order((event_organisers::event_id, event_organisers::position))
        .select((event_organisers::event_id, event_organisers::member_id))
        .load(conn)?;
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (e, m) in rows {
        map.entry(e).or_default().push(m);
    }
    Ok(map)
}

/// A page in start order (then id), after the cursor key.
pub fn list(
    conn: &mut DbConn,
    f: &EventFilter,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    use liaison_events as e;
    let mut q = e::table
        .select(EventRow::as_select())
        .order((e::starts_at, e::id))
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some((at, id)) = after {
        q = q.filter(
            e::starts_at
                .gt(at)
                .or(e::starts_at.eq(at).and(e::id.gt(id))),
        );
    }
    if let Some(v) = &f.district {
        q = q.filter(e::district_code.eq(v.clone()));
    }
    if let Some(v) = &f.kind {
        q = q.filter(e::kind.eq(v.clone()));
    }
    if let Some(v) = &f.status {
        q = q.filter(e::status.eq(v.clone()));
    }
    if let Some(v) = f.from {
        q = q.filter(e::starts_at.ge(v));
    }
    if let Some(v) = f.to {
        q = q.filter(e::starts_at.lt(v));
    }
    if let Some(v) = &f.liaison_point {
        q = q.filter(e::liaison_point.eq(v.clone()));
    }
    if let Some(v) = &f.enterprise {
        q = q.filter(e::enterprise_id.eq(v.clone()));
    }
    q.load(conn)
}

pub fn update(
    conn: &mut DbConn,
    id: &str,
    expected: i64,
    changes: &EventChanges,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    xs_kit::update_versioned!(conn, liaison_events, id = id, expected, changes, by, at)
}

pub fn set_lifecycle(
    conn: &mut DbConn,
    id: &str,
    expected: i64,
    changes: &LifecycleChanges,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    xs_kit::update_versioned!(conn, liaison_events, id = id, expected, changes, by, at)
}
