//! Rows and queries for members and their specialties.

use crate::schema::{member_specialties, members};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;
use xs_kit::DbConn;
use xs_kit::db::DbBackend;
use xs_kit::search;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = members)]
pub struct MemberRow {
    pub id: String,
    pub name: String,
    pub gender: String,
    pub birth_year: Option<i32>,
    pub sector_code: Option<String>,
    pub affiliation: Option<String>,
    pub district_code: String,
    pub residence_subdistrict: Option<String>,
    pub workplace_subdistrict: Option<String>,
    pub phone: Option<String>,
    pub photo_url: Option<String>,
    pub taiwan_origin: bool,
    pub term: Option<String>,
    pub status: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

/// The columns an update may set; `None` leaves a column as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = members)]
pub struct MemberChanges {
    pub name: Option<String>,
    pub gender: Option<String>,
    pub birth_year: Option<Option<i32>>,
    pub sector_code: Option<Option<String>>,
    pub affiliation: Option<Option<String>>,
    pub residence_subdistrict: Option<Option<String>>,
    pub workplace_subdistrict: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub photo_url: Option<Option<String>>,
    pub taiwan_origin: Option<bool>,
    pub term: Option<Option<String>>,
    pub status: Option<String>,
}

#[derive(Debug, Default)]
pub struct MemberFilter {
    pub district: Option<String>,
    pub subdistrict: Option<String>,
    pub sector: Option<String>,
    pub affiliation: Option<String>,
    pub specialty: Option<String>,
    pub taiwan_origin: Option<bool>,
    pub status: Option<String>,
    /// Words of the name, through the kit's text search.
    pub name: Option<String>,
}

/// Members' names are found through the kit's text search under this kind.
pub const SEARCH_KIND: &str = "member";

pub fn insert(conn: &mut DbConn, row: &MemberRow, specialties: &[String]) -> QueryResult<()> {
    diesel::insert_into(members::table)
        .values(row)
        .execute(conn)?;
    search::index(conn, SEARCH_KIND, &row.id, &[&row.name])?;
    replace_specialties(conn, &row.id, specialties)
}

pub fn replace_specialties(
    conn: &mut DbConn,
    member_id: &str,
    specialties: &[String],
) -> QueryResult<()> {
    diesel::delete(member_specialties::table.filter(member_specialties::member_id.eq(member_id)))
        .execute(conn)?;
    // One statement per row: batch inserts do not compile for the multi-backend connection,
    // and a member has at most a handful of specialties.
    for (i, s) in specialties.iter().enumerate() {
        diesel::insert_into(member_specialties::table)
            .values((
                member_specialties::member_id.eq(member_id),
                member_specialties::specialty.eq(s),
                member_specialties::position.eq(i as i32),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<MemberRow>> {
    members::table
        .find(id)
        .select(MemberRow::as_select())
        .first(conn)
        .optional()
}

pub fn exists(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(members::table.find(id))).get_result(conn)
}

/// Each member's specialties, in the order they were given.
pub fn specialties_of(
    conn: &mut DbConn,
    ids: &[&str],
) -> QueryResult<HashMap<String, Vec<String>>> {
    let rows: Vec<(String, String)> = member_specialties::table
        .filter(member_specialties::member_id.eq_any(ids))
        .order((member_specialties::member_id, member_specialties::position))
        .select((member_specialties::member_id, member_specialties::specialty))
        .load(conn)?;
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (id, s) in rows {
        map.entry(id).or_default().push(s);
    }
    Ok(map)
}

/// A page of members in id (creation) order, after the cursor id.
pub fn list(
    conn: &mut DbConn,
    f: &MemberFilter,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<MemberRow>> {
    let mut q = members::table
        .select(MemberRow::as_select())
        .order(members::id)
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some(a) = after {
        q = q.filter(members::id.gt(a.to_string()));
    }
    if let Some(v) = &f.district {
        q = q.filter(members::district_code.eq(v.clone()));
    }
    if let Some(v) = &f.subdistrict {
        q = q.filter(
            members::residence_subdistrict
                .eq(v.clone())
                .or(members::workplace_subdistrict.eq(v.clone())),
        );
    }
    if let Some(v) = &f.sector {
        q = q.filter(members::sector_code.eq(v.clone()));
    }
    if let Some(v) = &f.affiliation {
        q = q.filter(members::affiliation.eq(v.clone()));
    }
    if let Some(v) = f.taiwan_origin {
        q = q.filter(members::taiwan_origin.eq(v));
    }
    if let Some(v) = &f.status {
        q = q.filter(members::status.eq(v.clone()));
    }
    if let Some(v) = &f.name {
        q = q.filter(search::matching(conn, SEARCH_KIND, "members.id", v)?);
    }
    if let Some(v) = &f.specialty {
        q = q.filter(
            members::id.eq_any(
                member_specialties::table
                    .filter(member_specialties::specialty.eq(v.clone()))
                    .select(member_specialties::member_id),
            ),
        );
    }
    q.load(conn)
}

/// Apply changes if the member is still at `expected` version (re-indexing a changed name for
/// search); returns rows changed.
pub fn update(
    conn: &mut DbConn,
    id: &str,
    expected: i64,
    changes: &MemberChanges,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let rows = xs_kit::update_versioned!(conn, members, id = id, expected, changes, by, at)?;
    if rows > 0
        && let Some(name) = &changes.name
    {
        search::index(conn, SEARCH_KIND, id, &[name])?;
    }
    Ok(rows)
}
