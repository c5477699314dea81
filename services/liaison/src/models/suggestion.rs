//! Rows and queries for suggestions raised at events.

use crate::schema::event_suggestions as s;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use xs_kit::DbConn;
use xs_kit::db::DbBackend;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = s)]
pub struct SuggestionRow {
    pub id: String,
    pub event_id: String,
    pub district_code: String,
    pub title: String,
    pub body: String,
    pub raised_by: Option<String>,
    pub report_id: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

pub fn insert(conn: &mut DbConn, row: &SuggestionRow) -> QueryResult<()> {
    diesel::insert_into(s::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<SuggestionRow>> {
    s::table
        .find(id)
        .select(SuggestionRow::as_select())
        .first(conn)
        .optional()
}

/// Keep the report a suggestion became; only if it has none yet (returns rows changed).
pub fn link_report(
    conn: &mut DbConn,
    id: &str,
    report: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(s::table.filter(s::id.eq(id)).filter(s::report_id.is_null()))
        .set((
            s::report_id.eq(Some(report)),
            s::version.eq(s::version + 1),
            s::updated_at.eq(at),
            s::updated_by.eq(by),
        ))
        .execute(conn)
}

pub fn list(
    conn: &mut DbConn,
    event: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<SuggestionRow>> {
    let mut q = s::table
        .filter(s::event_id.eq(event))
        .select(SuggestionRow::as_select())
        .order(s::id)
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some(a) = after {
        q = q.filter(s::id.gt(a.to_string()));
    }
    q.load(conn)
}
