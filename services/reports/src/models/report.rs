//! Rows and queries for reports, their authors, revisions, forwards, adoptions and leader
//! instructions.

use crate::domain::report::ReportStatus;
use crate::schema::{
    report_adoptions, report_authors, report_forwards, report_instructions, report_revisions,
    reports,
};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::HashMap;
use xs_kit::DbConn;
use xs_kit::db::DbBackend;
use xs_kit::search;

/// Reports' titles and bodies are found through the kit's text search under this kind.
pub const SEARCH_KIND: &str = "report";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reports)]
pub struct ReportRow {
    pub id: String,
    pub title: String,
    pub body: String,
    pub category: String,
    pub district_code: String,
    pub source_channel: String,
    pub resident_name: Option<String>,
    pub resident_phone: Option<String>,
    pub reception_id: Option<String>,
    pub liaison_event_id: Option<String>,
    pub liaison_suggestion_id: Option<String>,
    pub status: String,
    pub submitted_title: Option<String>,
    pub submitted_body: Option<String>,
    pub review_comments: Option<String>,
    pub rejection_reason: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub accepted_at: Option<NaiveDateTime>,
    pub forwarded_at: Option<NaiveDateTime>,
    pub adopted_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
    /// The consultation topic it came from.
    pub topic_id: Option<String>,
}

/// What a PATCH may set; `None` leaves a column as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = reports)]
pub struct ReportChanges {
    pub title: Option<String>,
    pub body: Option<String>,
    pub category: Option<String>,
    pub source_channel: Option<String>,
    pub resident_name: Option<Option<String>>,
    pub resident_phone: Option<Option<String>>,
    pub reception_id: Option<Option<String>>,
    pub liaison_event_id: Option<Option<String>>,
    pub liaison_suggestion_id: Option<Option<String>>,
    pub topic_id: Option<Option<String>>,
}

/// What a transition changes on the report row.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = reports)]
pub struct LifecycleChanges {
    pub status: String,
    pub title: Option<String>,
    pub body: Option<String>,
    pub submitted_title: Option<Option<String>>,
    pub submitted_body: Option<Option<String>>,
    pub review_comments: Option<Option<String>>,
    pub rejection_reason: Option<Option<String>>,
    pub submitted_at: Option<Option<NaiveDateTime>>,
    pub accepted_at: Option<Option<NaiveDateTime>>,
    pub forwarded_at: Option<Option<NaiveDateTime>>,
    pub adopted_at: Option<Option<NaiveDateTime>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = report_authors)]
pub struct AuthorRow {
    pub report_id: String,
    pub member_id: String,
    pub member_name: String,
    pub position: i32,
    /// The member's sector when they were named (a snapshot for the statistics).
    pub member_sector: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = report_revisions)]
pub struct RevisionRow {
    pub id: String,
    pub report_id: String,
    pub number: i32,
    pub kind: String,
    pub status: String,
    pub title: String,
    pub body: String,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = report_forwards)]
pub struct ForwardRow {
    pub id: String,
    pub report_id: String,
    pub level: String,
    pub department: Option<String>,
    pub forwarded_on: NaiveDate,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = report_adoptions)]
pub struct AdoptionRow {
    pub id: String,
    pub report_id: String,
    pub level: String,
    pub department: Option<String>,
    pub adopted_on: NaiveDate,
    pub document_number: Option<String>,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = report_instructions)]
pub struct InstructionRow {
    pub id: String,
    pub report_id: String,
    pub leader: String,
    pub leader_title: String,
    pub level: String,
    pub instructed_on: NaiveDate,
    pub text: String,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

/// Which reports a list may show beyond its filters: the caller's visibility, as a query
/// condition (see `domain::access::Visibility`, which answers single reads the same way).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Visible {
    /// Every state (the office; the scope's district is a filter of its own).
    #[default]
    All,
    /// Accepted and after, and any the member is an author of.
    PublishedOr(Option<String>),
}

#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub district: Option<String>,
    pub status: Option<String>,
    pub category: Option<String>,
    pub author: Option<String>,
    pub channel: Option<String>,
    /// Adopted at least once by this level.
    pub adopted_level: Option<String>,
    /// Created on or after / on or before (whole days, UTC).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Words of the title and body, through the kit's text search.
    pub q: Option<String>,
    pub visible: Visible,
}

pub fn insert(conn: &mut DbConn, row: &ReportRow, authors: &[AuthorRow]) -> QueryResult<()> {
    diesel::insert_into(reports::table)
        .values(row)
        .execute(conn)?;
    index(conn, &row.id, &row.title, &row.body)?;
    replace_authors(conn, &row.id, authors)
}

/// (Re)index a report's text for `q=`.
pub fn index(conn: &mut DbConn, id: &str, title: &str, body: &str) -> QueryResult<()> {
    search::index(conn, SEARCH_KIND, id, &[title, body])
}

pub fn replace_authors(conn: &mut DbConn, id: &str, authors: &[AuthorRow]) -> QueryResult<()> {
    diesel::delete(report_authors::table.filter(report_authors::report_id.eq(id))).execute(conn)?;
    // One statement per row: batch inserts do not compile for the multi-backend connection.
    for a in authors {
        diesel::insert_into(report_authors::table)
            .values(a)
            .execute(conn)?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<ReportRow>> {
    reports::table
        .find(id)
        .select(ReportRow::as_select())
        .first(conn)
        .optional()
}

pub fn exists(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(reports::table.find(id))).get_result(conn)
}

/// Each report's authors, in the order they were named.
pub fn authors_of(conn: &mut DbConn, ids: &[&str]) -> QueryResult<HashMap<String, Vec<AuthorRow>>> {
    let rows: Vec<AuthorRow> = report_authors::table
        .filter(report_authors::report_id.eq_any(ids))
        .order((report_authors::report_id, report_authors::position))
        .select(AuthorRow::as_select())
        .load(conn)?;
    Ok(by_report(rows, |r| &r.report_id))
}

/// Each report's forwards, oldest first.
pub fn forwards_of(
    conn: &mut DbConn,
    ids: &[&str],
) -> QueryResult<HashMap<String, Vec<ForwardRow>>> {
    let rows: Vec<ForwardRow> = report_forwards::table
        .filter(report_forwards::report_id.eq_any(ids))
        .order((report_forwards::report_id, report_forwards::id))
        .select(ForwardRow::as_select())
        .load(conn)?;
    Ok(by_report(rows, |r| &r.report_id))
}

/// Each report's adoptions, oldest first.
pub fn adoptions_of(
    conn: &mut DbConn,
    ids: &[&str],
) -> QueryResult<HashMap<String, Vec<AdoptionRow>>> {
    let rows: Vec<AdoptionRow> = report_adoptions::table
        .filter(report_adoptions::report_id.eq_any(ids))
        .order((report_adoptions::report_id, report_adoptions::id))
        .select(AdoptionRow::as_select())
        .load(conn)?;
    Ok(by_report(rows, |r| &r.report_id))
}

/// Each report's leader instructions, oldest first.
pub fn instructions_of(
    conn: &mut DbConn,
    ids: &[&str],
) -> QueryResult<HashMap<String, Vec<InstructionRow>>> {
    let rows: Vec<InstructionRow> = report_instructions::table
        .filter(report_instructions::report_id.eq_any(ids))
        .order((report_instructions::report_id, report_instructions::id))
        .select(InstructionRow::as_select())
        .load(conn)?;
    Ok(by_report(rows, |r| &r.report_id))
}

fn by_report<R>(rows: Vec<R>, key: impl Fn(&R) -> &String) -> HashMap<String, Vec<R>> {
    let mut map: HashMap<String, Vec<R>> = HashMap::new();
    for r in rows {
        map.entry(key(&r).clone()).or_default().push(r);
    }
    map
}

/// Everything a report's view shows beyond its row, for a page of reports at once.
#[derive(Debug, Default)]
pub struct Details {
    pub authors: HashMap<String, Vec<AuthorRow>>,
    pub forwards: HashMap<String, Vec<ForwardRow>>,
    pub adoptions: HashMap<String, Vec<AdoptionRow>>,
    pub instructions: HashMap<String, Vec<InstructionRow>>,
}

pub fn details_of(conn: &mut DbConn, ids: &[&str]) -> QueryResult<Details> {
    Ok(Details {
        authors: authors_of(conn, ids)?,
        forwards: forwards_of(conn, ids)?,
        adoptions: adoptions_of(conn, ids)?,
        instructions: instructions_of(conn, ids)?,
    })
}

pub fn insert_forward(conn: &mut DbConn, row: &ForwardRow) -> QueryResult<()> {
    diesel::insert_into(report_forwards::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn insert_adoption(conn: &mut DbConn, row: &AdoptionRow) -> QueryResult<()> {
    diesel::insert_into(report_adoptions::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn insert_instruction(conn: &mut DbConn, row: &InstructionRow) -> QueryResult<()> {
    diesel::insert_into(report_instructions::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Keep a revision of the text as it now stands; numbered from 1.
pub fn add_revision(
    conn: &mut DbConn,
    report: &ReportRow,
    kind: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let last: Option<i32> = report_revisions::table
        .filter(report_revisions::report_id.eq(&report.id))
        .select(diesel::dsl::max(report_revisions::number))
        .first(conn)?;
    diesel::insert_into(report_revisions::table)
        .values(&RevisionRow {
            id: xs_kit::db::new_id(),
            report_id: report.id.clone(),
            number: last.unwrap_or(0) + 1,
            kind: kind.to_string(),
            status: report.status.clone(),
            title: report.title.clone(),
            body: report.body.clone(),
            created_at: at,
            created_by: by.to_string(),
        })
        .execute(conn)
        .map(drop)
}

/// A page of a report's revisions, oldest first, after the cursor's number.
pub fn revisions(
    conn: &mut DbConn,
    id: &str,
    after: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<RevisionRow>> {
    let mut q = report_revisions::table
        .filter(report_revisions::report_id.eq(id.to_string()))
        .select(RevisionRow::as_select())
        .order(report_revisions::number)
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some(n) = after {
        q = q.filter(report_revisions::number.gt(n));
    }
    q.load(conn)
}

pub fn update(
    conn: &mut DbConn,
    id: &str,
    expected: i64,
    changes: &ReportChanges,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    xs_kit::update_versioned!(conn, reports, id = id, expected, changes, by, at)
}

pub fn set_lifecycle(
    conn: &mut DbConn,
    id: &str,
    expected: i64,
    changes: &LifecycleChanges,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    xs_kit::update_versioned!(conn, reports, id = id, expected, changes, by, at)
}

fn published() -> Vec<&'static str> {
    ReportStatus::PUBLISHED.iter().map(|s| s.as_str()).collect()
}

/// A page of reports, newest first (ids are time-ordered), before the cursor id.
pub fn list(
    conn: &mut DbConn,
    f: &ReportFilter,
    before: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ReportRow>> {
    let mut q = reports::table
        .select(ReportRow::as_select())
        .order(reports::id.desc())
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some(b) = before {
        q = q.filter(reports::id.lt(b.to_string()));
    }
    if let Some(v) = &f.district {
        q = q.filter(reports::district_code.eq(v.clone()));
    }
    if let Some(v) = &f.status {
        q = q.filter(reports::status.eq(v.clone()));
    }
    if let Some(v) = &f.category {
        q = q.filter(reports::category.eq(v.clone()));
    }
    if let Some(v) = &f.channel {
        q = q.filter(reports::source_channel.eq(v.clone()));
    }
    if let Some(v) = &f.author {
        q = q.filter(diesel::dsl::exists(
            report_authors::table
                .filter(report_authors::report_id.eq(reports::id))
                .filter(report_authors::member_id.eq(v.clone())),
        ));
    }
    if let Some(v) = &f.adopted_level {
        q = q.filter(diesel::dsl::exists(
            report_adoptions::table
                .filter(report_adoptions::report_id.eq(reports::id))
                .filter(report_adoptions::level.eq(v.clone())),
        ));
    }
    if let Some(d) = f.from {
        q = q.filter(reports::created_at.ge(d.and_time(chrono::NaiveTime::MIN)));
    }
    if let Some(d) = f.to.and_then(|d| d.succ_opt()) {
        q = q.filter(reports::created_at.lt(d.and_time(chrono::NaiveTime::MIN)));
    }
    match &f.visible {
        Visible::All => {}
        Visible::PublishedOr(None) => q = q.filter(reports::status.eq_any(published())),
        Visible::PublishedOr(Some(me)) => {
            q = q.filter(
                reports::status.eq_any(published()).or(diesel::dsl::exists(
                    report_authors::table
                        .filter(report_authors::report_id.eq(reports::id))
                        .filter(report_authors::member_id.eq(me.clone())),
                )),
            )
        }
    }
    if let Some(text) = &f.q {
        q = q.filter(search::matching::<reports::table>(
            conn,
            SEARCH_KIND,
            "reports.id",
            text,
        )?);
    }
    q.load(conn)
}
