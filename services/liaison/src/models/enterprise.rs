//! Rows and queries for Taiwan enterprises, youth bases and associations, and the members
//! linked to them.

use crate::schema::{enterprise_members, taiwan_enterprises};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;
use xs_kit::DbConn;
use xs_kit::db::DbBackend;
use xs_kit::search;

/// Names are found through the kit's text search under this kind.
pub const SEARCH_KIND: &str = "taiwan_enterprise";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = taiwan_enterprises)]
pub struct EnterpriseRow {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub district_code: String,
    pub address: String,
    pub sector: Option<String>,
    pub contact_person: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = taiwan_enterprises)]
pub struct EnterpriseChanges {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub address: Option<String>,
    pub sector: Option<Option<String>>,
    pub contact_person: Option<Option<String>>,
}

#[derive(Debug, Default)]
pub struct EnterpriseFilter {
    /// Words of the name, through the kit's text search.
    pub name: Option<String>,
    pub district: Option<String>,
    pub kind: Option<String>,
    pub member: Option<String>,
}

pub fn insert(conn: &mut DbConn, row: &EnterpriseRow, members: &[String]) -> QueryResult<()> {
    diesel::insert_into(taiwan_enterprises::table)
        .values(row)
        .execute(conn)?;
    search::index(conn, SEARCH_KIND, &row.id, &[&row.name])?;
    replace_members(conn, &row.id, members)
}

pub fn replace_members(conn: &mut DbConn, id: &str, members: &[String]) -> QueryResult<()> {
    diesel::delete(enterprise_members::table.filter(enterprise_members::enterprise_id.eq(id)))
        .execute(conn)?;
    for (i, m) in members.iter().enumerate() {
        diesel::insert_into(enterprise_members::table)
            .values((
                enterprise_members::enterprise_id.eq(id),
                enterprise_members::member_id.eq(m),
                enterprise_members::position.eq(i as i32),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<EnterpriseRow>> {
    taiwan_enterprises::table
        .find(id)
        .select(EnterpriseRow::as_select())
        .first(conn)
        .optional()
}

pub fn exists(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(taiwan_enterprises::table.find(id))).get_result(conn)
}

/// Each enterprise's linked members, in the order given.
pub fn members_of(conn: &mut DbConn, ids: &[&str]) -> QueryResult<HashMap<String, Vec<String>>> {
    let rows: Vec<(String, String)> = enterprise_members::table
        .filter(enterprise_members::enterprise_id.eq_any(ids))
        .order((
            enterprise_members::enterprise_id,
            enterprise_members::position,
        ))
        .select((
            enterprise_members::enterprise_id,
            enterprise_members::member_id,
        ))
        .load(conn)?;
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (e, m) in rows {
        map.entry(e).or_default().push(m);
    }
    Ok(map)
}

pub fn list(
    conn: &mut DbConn,
    f: &EnterpriseFilter,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<EnterpriseRow>> {
    let mut q = taiwan_enterprises::table
        .select(EnterpriseRow::as_select())
        .order(taiwan_enterprises::id)
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some(a) = after {
        q = q.filter(taiwan_enterprises::id.gt(a.to_string()));
    }
    if let Some(v) = &f.district {
        q = q.filter(taiwan_enterprises::district_code.eq(v.clone()));
    }
    if let Some(v) = &f.kind {
        q = q.filter(taiwan_enterprises::kind.eq(v.clone()));
    }
    if let Some(v) = &f.member {
        q = q.filter(
            taiwan_enterprises::id.eq_any(
                enterprise_members::table
                    .filter(enterprise_members::member_id.eq(v.clone()))
                    .select(enterprise_members::enterprise_id),
            ),
        );
    }
    if let Some(v) = &f.name {
        q = q.filter(search::matching(
            conn,
            SEARCH_KIND,
            "taiwan_enterprises.id",
            v,
        )?);
    }
    q.load(conn)
}

pub fn update(
    conn: &mut DbConn,
    id: &str,
    expected: i64,
    changes: &EnterpriseChanges,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let rows =
        xs_kit::update_versioned!(conn, taiwan_enterprises, id = id, expected, changes, by, at)?;
    if rows > 0
        && let Some(name) = &changes.name
    {
        search::index(conn, SEARCH_KIND, id, &[name])?;
    }
    Ok(rows)
}
