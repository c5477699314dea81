//! Rows and queries for compatriots' requests and their follow-up notes.

use crate::domain::request::RequestStatus;
use crate::schema::{compatriot_requests, compatriot_requests as q_, request_notes as n};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use xs_kit::DbConn;
use xs_kit::db::DbBackend;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = q_)]
pub struct RequestRow {
    pub id: String,
    pub district_code: String,
    pub compatriot_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub kind: String,
    pub description: String,
    pub assigned_member: Option<String>,
    pub status: String,
    pub received_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub resolution: Option<String>,
    pub unresolvable_reason: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = q_)]
pub struct RequestChanges {
    pub kind: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = q_)]
pub struct LifecycleChanges {
    pub status: String,
    pub assigned_member: Option<Option<String>>,
    pub closed_on: Option<Option<NaiveDate>>,
    pub resolution: Option<Option<String>>,
    pub unresolvable_reason: Option<Option<String>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = n)]
pub struct NoteRow {
    pub id: String,
    pub request_id: String,
    pub note: String,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

#[derive(Debug, Default)]
pub struct RequestFilter {
    pub district: Option<String>,
    pub member: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub compatriot: Option<String>,
    pub enterprise: Option<String>,
    /// Open (received, assigned, in progress) and received on or before this day.
    pub open_received_by: Option<NaiveDate>,
}

pub fn insert(conn: &mut DbConn, row: &RequestRow) -> QueryResult<()> {
    diesel::insert_into(q_::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<RequestRow>> {
    q_::table
        .find(id)
        .select(RequestRow::as_select())
        .first(conn)
        .optional()
}

pub fn exists(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(q_::table.find(id))).get_result(conn)
}

/// A page in id (creation) order; the overdue list is in receipt order (oldest first).
pub fn list(
    conn: &mut DbConn,
    f: &RequestFilter,
    after: Option<(NaiveDate, String)>,
    limit: i64,
) -> QueryResult<Vec<RequestRow>> {
    let mut q = q_::table
        .select(RequestRow::as_select())
        .order((q_::received_on, q_::id))
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some((day, id)) = after {
        q = q.filter(
            q_::received_on
                .gt(day)
                .or(q_::received_on.eq(day).and(q_::id.gt(id))),
        );
    }
    if let Some(v) = &f.district {
        q = q.filter(q_::district_code.eq(v.clone()));
    }
    if let Some(v) = &f.member {
        q = q.filter(q_::assigned_member.eq(v.clone()));
    }
    if let Some(v) = &f.kind {
        q = q.filter(q_::kind.eq(v.clone()));
    }
    if let Some(v) = &f.status {
        q = q.filter(q_::status.eq(v.clone()));
    }
    if let Some(v) = &f.compatriot {
        q = q.filter(q_::compatriot_id.eq(v.clone()));
    }
    if let Some(v) = &f.enterprise {
        q = q.filter(q_::enterprise_id.eq(v.clone()));
    }
    if let Some(day) = f.open_received_by {
        let open: Vec<&str> = RequestStatus::OPEN.iter().map(|s| s.as_str()).collect();
        q = q
            .filter(q_::status.eq_any(open))
            .filter(q_::received_on.le(day));
    }
    q.load(conn)
}

pub fn update(
    conn: &mut DbConn,
    id: &str,
    expected: i64,
    changes: &RequestChanges,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    xs_kit::update_versioned!(
        conn,
        compatriot_requests,
        id = id,
        expected,
        changes,
        by,
        at
    )
}

pub fn set_lifecycle(
    conn: &mut DbConn,
    id: &str,
    expected: i64,
    changes: &LifecycleChanges,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    xs_kit::update_versioned!(
        conn,
        compatriot_requests,
        id = id,
        expected,
        changes,
        by,
        at
    )
}

pub fn insert_note(conn: &mut DbConn, row: &NoteRow) -> QueryResult<()> {
    diesel::insert_into(n::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn notes(
    conn: &mut DbConn,
    request: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<NoteRow>> {
    let mut q = n::table
        .filter(n::request_id.eq(request))
        .select(NoteRow::as_select())
        .order(n::id)
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some(a) = after {
        q = q.filter(n::id.gt(a.to_string()));
    }
    q.load(conn)
}
