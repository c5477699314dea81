//! Rows and queries for mediation cases, their mediators and sessions.

use crate::schema::{mediation_cases, mediation_mediators, mediation_sessions};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::HashMap;
use xs_kit::DbConn;
use xs_kit::db::DbBackend;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mediation_cases)]
pub struct CaseRow {
    pub id: String,
    pub district_code: String,
    pub subdistrict_code: Option<String>,
    pub workroom_id: Option<String>,
    pub dispute_type: String,
    pub summary: String,
    pub parties: String,
    pub status: String,
    pub received_on: NaiveDate,
    pub started_on: Option<NaiveDate>,
    pub outcome_on: Option<NaiveDate>,
    pub agreement_summary: Option<String>,
    pub referred_to: Option<String>,
    pub outcome_note: Option<String>,
    pub days_taken: Option<i32>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mediation_sessions)]
pub struct SessionRow {
    pub id: String,
    pub case_id: String,
    pub session_on: NaiveDate,
    pub note: String,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = mediation_cases)]
pub struct CaseChanges {
    pub dispute_type: Option<String>,
    pub summary: Option<String>,
    pub parties: Option<String>,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = mediation_cases)]
pub struct LifecycleChanges {
    pub status: String,
    pub started_on: Option<Option<NaiveDate>>,
    pub outcome_on: Option<Option<NaiveDate>>,
    pub agreement_summary: Option<Option<String>>,
    pub referred_to: Option<Option<String>>,
    pub outcome_note: Option<Option<String>>,
    pub days_taken: Option<Option<i32>>,
}

/// A case with its mediators and sessions.
#[derive(Debug, Clone)]
pub struct Full {
    pub row: CaseRow,
    pub mediators: Vec<String>,
    pub sessions: Vec<SessionRow>,
}

#[derive(Debug, Default, Clone)]
pub struct CaseFilter {
    pub district: Option<String>,
    pub status: Option<String>,
    pub dispute_type: Option<String>,
    pub workroom: Option<String>,
    pub mediator: Option<String>,
}

pub fn insert(conn: &mut DbConn, row: &CaseRow, mediators: &[String]) -> QueryResult<()> {
    diesel::insert_into(mediation_cases::table)
        .values(row)
        .execute(conn)?;
    replace_mediators(conn, &row.id, mediators)
}

pub fn replace_mediators(conn: &mut DbConn, id: &str, mediators: &[String]) -> QueryResult<()> {
    diesel::delete(mediation_mediators::table.filter(mediation_mediators::case_id.eq(id)))
        .execute(conn)?;
    for m in mediators {
        diesel::insert_into(mediation_mediators::table)
            .values((
                mediation_mediators::case_id.eq(id),
                mediation_mediators::member_id.eq(m),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<CaseRow>> {
    mediation_cases::table
        .find(id)
        .select(CaseRow::as_select())
        .first(conn)
        .optional()
}

pub fn exists(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(mediation_cases::table.find(id))).get_result(conn)
}

pub fn full(conn: &mut DbConn, rows: Vec<CaseRow>) -> QueryResult<Vec<Full>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut mediators: HashMap<String, Vec<String>> = HashMap::new();
    for (c, m) in mediation_mediators::table
        .filter(mediation_mediators::case_id.eq_any(&ids))
        .select((mediation_mediators::case_id, mediation_mediators::member_id))
        .order((mediation_mediators::case_id, mediation_mediators::member_id))
        .load::<(String, String)>(conn)?
    {
        mediators.entry(c).or_default().push(m);
    }
    let mut sessions: HashMap<String, Vec<SessionRow>> = HashMap::new();
    for s in mediation_sessions::table
        .filter(mediation_sessions::case_id.eq_any(&ids))
        .select(SessionRow::as_select())
        .order((
            mediation_sessions::case_id,
            mediation_sessions::session_on,
            mediation_sessions::id,
        ))
        .load(conn)?
    {
        sessions.entry(s.case_id.clone()).or_default().push(s);
    }
    Ok(rows
        .into_iter()
        .map(|row| Full {
            mediators: mediators.remove(&row.id).unwrap_or_default(),
            sessions: sessions.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

pub fn find_full(conn: &mut DbConn, id: &str) -> QueryResult<Option<Full>> {
    Ok(match find(conn, id)? {
        Some(row) => full(conn, vec![row])?.pop(),
        None => None,
    })
}

pub fn list(
    conn: &mut DbConn,
    f: &CaseFilter,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<CaseRow>> {
    let mut q = mediation_cases::table
        .select(CaseRow::as_select())
        .order(mediation_cases::id)
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some(a) = after {
        q = q.filter(mediation_cases::id.gt(a.to_string()));
    }
    if let Some(v) = &f.district {
        q = q.filter(mediation_cases::district_code.eq(v.clone()));
    }
    if let Some(v) = &f.status {
        q = q.filter(mediation_cases::status.eq(v.clone()));
    }
    if let Some(v) = &f.dispute_type {
        q = q.filter(mediation_cases::dispute_type.eq(v.clone()));
    }
    if let Some(v) = &f.workroom {
        q = q.filter(mediation_cases::workroom_id.eq(v.clone()));
    }
    if let Some(v) = &f.mediator {
        q = q.filter(
            mediation_cases::id.eq_any(
                mediation_mediators::table
                    .filter(mediation_mediators::member_id.eq(v.clone()))
                    .select(mediation_mediators::case_id),
            ),
        );
    }
    q.load(conn)
}

pub fn update(
    conn: &mut DbConn,
    id: &str,
    expected: i64,
    changes: &CaseChanges,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    xs_kit::update_versioned!(conn, mediation_cases, id = id, expected, changes, by, at)
}

pub fn set_lifecycle(
    conn: &mut DbConn,
    id: &str,
    expected: i64,
    changes: &LifecycleChanges,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    xs_kit::update_versioned!(conn, mediation_cases, id = id, expected, changes, by, at)
}

pub fn insert_session(conn: &mut DbConn, row: &SessionRow) -> QueryResult<()> {
    diesel::insert_into(mediation_sessions::table)
        .values(row)
        .execute(conn)
        .map(drop)
}
