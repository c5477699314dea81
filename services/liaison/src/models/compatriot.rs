//! Rows and queries for compatriots.

use crate::schema::compatriots;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use xs_kit::DbConn;
use xs_kit::db::DbBackend;
use xs_kit::search;

/// Names are found through the kit's text search under this kind.
pub const SEARCH_KIND: &str = "compatriot";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = compatriots)]
pub struct CompatriotRow {
    pub id: String,
    pub name: String,
    pub origin: String,
    pub occupation: Option<String>,
    pub employer: Option<String>,
    pub district_code: String,
    pub contact: Option<String>,
    pub id_number: Option<String>,
    pub account_sub: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

/// The columns an update may set; `None` leaves a column as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = compatriots)]
pub struct CompatriotChanges {
    pub name: Option<String>,
    pub origin: Option<String>,
    pub occupation: Option<Option<String>>,
    pub employer: Option<Option<String>>,
    pub district_code: Option<String>,
    pub contact: Option<Option<String>>,
    pub id_number: Option<Option<String>>,
}

#[derive(Debug, Default)]
pub struct CompatriotFilter {
    /// Words of the name, through the kit's text search.
    pub name: Option<String>,
    pub district: Option<String>,
    pub origin: Option<String>,
    /// Only the record this resident account registered.
    pub account_sub: Option<String>,
}

pub fn insert(conn: &mut DbConn, row: &CompatriotRow) -> QueryResult<()> {
    diesel::insert_into(compatriots::table)
        .values(row)
        .execute(conn)?;
    search::index(conn, SEARCH_KIND, &row.id, &[&row.name])
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<CompatriotRow>> {
    compatriots::table
        .find(id)
        .select(CompatriotRow::as_select())
        .first(conn)
        .optional()
}

pub fn exists(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(compatriots::table.find(id))).get_result(conn)
}

pub fn find_by_account(conn: &mut DbConn, sub: &str) -> QueryResult<Option<CompatriotRow>> {
    compatriots::table
        .filter(compatriots::account_sub.eq(sub))
        .select(CompatriotRow::as_select())
        .first(conn)
        .optional()
}

/// A page in id (creation) order, after the cursor id.
pub fn list(
    conn: &mut DbConn,
    f: &CompatriotFilter,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<CompatriotRow>> {
    let mut q = compatriots::table
        .select(CompatriotRow::as_select())
        .order(compatriots::id)
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some(a) = after {
        q = q.filter(compatriots::id.gt(a.to_string()));
    }
    if let Some(v) = &f.district {
        q = q.filter(compatriots::district_code.eq(v.clone()));
    }
    if let Some(v) = &f.origin {
        q = q.filter(compatriots::origin.eq(v.clone()));
    }
    if let Some(v) = &f.account_sub {
        q = q.filter(compatriots::account_sub.eq(v.clone()));
    }
    if let Some(v) = &f.name {
        q = q.filter(search::matching(conn, SEARCH_KIND, "compatriots.id", v)?);
    }
    q.load(conn)
}

pub fn update(
    conn: &mut DbConn,
    id: &str,
    expected: i64,
    changes: &CompatriotChanges,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let rows = xs_kit::update_versioned!(conn, compatriots, id = id, expected, changes, by, at)?;
    if rows > 0
        && let Some(name) = &changes.name
    {
        search::index(conn, SEARCH_KIND, id, &[name])?;
    }
    Ok(rows)
}
