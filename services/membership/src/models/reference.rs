//! Rows and queries for the reference data: districts, subdistricts, sectors.

use crate::schema::{communities, districts, sectors, subdistricts};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use xs_kit::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = districts)]
pub struct DistrictRow {
    pub code: String,
    pub name: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = subdistricts)]
pub struct SubdistrictRow {
    pub code: String,
    pub district_code: String,
    pub name: String,
    pub kind: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sectors)]
pub struct SectorRow {
    pub code: String,
    pub name: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

pub fn district(conn: &mut DbConn, code: &str) -> QueryResult<Option<DistrictRow>> {
    districts::table
        .find(code)
        .select(DistrictRow::as_select())
        .first(conn)
        .optional()
}

pub fn list_districts(
    conn: &mut DbConn,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<DistrictRow>> {
    let mut q = districts::table
        .select(DistrictRow::as_select())
        .order(districts::code)
        .limit(limit)
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(districts::code.gt(a.to_string()));
    }
    q.load(conn)
}

pub fn subdistrict(conn: &mut DbConn, code: &str) -> QueryResult<Option<SubdistrictRow>> {
    subdistricts::table
        .find(code)
        .select(SubdistrictRow::as_select())
        .first(conn)
        .optional()
}

pub fn list_subdistricts(
    conn: &mut DbConn,
    district: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<SubdistrictRow>> {
    let mut q = subdistricts::table
        .select(SubdistrictRow::as_select())
        .order(subdistricts::code)
        .limit(limit)
        .into_boxed();
    if let Some(d) = district {
        q = q.filter(subdistricts::district_code.eq(d.to_string()));
    }
    if let Some(a) = after {
        q = q.filter(subdistricts::code.gt(a.to_string()));
    }
    q.load(conn)
}

pub fn sector_exists(conn: &mut DbConn, code: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(sectors::table.find(code))).get_result(conn)
}

pub fn list_sectors(
    conn: &mut DbConn,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<SectorRow>> {
    let mut q = sectors::table
        .select(SectorRow::as_select())
        .order(sectors::code)
        .limit(limit)
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(sectors::code.gt(a.to_string()));
    }
    q.load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = communities)]
pub struct CommunityRow {
    pub code: String,
    pub subdistrict_code: String,
    pub name: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

pub fn community_exists(conn: &mut DbConn, code: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(communities::table.find(code))).get_result(conn)
}

/// Communities, optionally of one subdistrict or of every subdistrict of one district.
pub fn list_communities(
    conn: &mut DbConn,
    subdistrict: Option<&str>,
    district: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<CommunityRow>> {
    let mut q = communities::table
        .select(CommunityRow::as_select())
        .order(communities::code)
        .limit(limit)
        .into_boxed();
    if let Some(s) = subdistrict {
        q = q.filter(communities::subdistrict_code.eq(s.to_string()));
    }
    if let Some(d) = district {
        q = q.filter(
            communities::subdistrict_code.eq_any(
                subdistricts::table
                    .filter(subdistricts::district_code.eq(d.to_string()))
                    .select(subdistricts::code),
            ),
        );
    }
    if let Some(a) = after {
        q = q.filter(communities::code.gt(a.to_string()));
    }
    q.load(conn)
}

pub fn community(conn: &mut DbConn, code: &str) -> QueryResult<Option<CommunityRow>> {
    communities::table
        .find(code)
        .select(CommunityRow::as_select())
        .first(conn)
        .optional()
}

pub fn sector(conn: &mut DbConn, code: &str) -> QueryResult<Option<SectorRow>> {
    sectors::table
        .find(code)
        .select(SectorRow::as_select())
        .first(conn)
        .optional()
}

/// The four reference tables: the same columns, renamed the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceTable {
    District,
    Subdistrict,
    Community,
    Sector,
}

/// Rename an entry if it is still at `expected` version; returns rows changed. Codes never
/// change (other records and other systems refer to them), and neither do parents.
pub fn rename(
    conn: &mut DbConn,
    table: ReferenceTable,
    code: &str,
    expected: i64,
    name: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    macro_rules! rename_in {
        ($t:ident) => {
            xs_kit::update_versioned!(conn, $t, code = code, expected, $t::name.eq(name), by, at)
        };
    }
    match table {
        ReferenceTable::District => rename_in!(districts),
        ReferenceTable::Subdistrict => rename_in!(subdistricts),
        ReferenceTable::Community => rename_in!(communities),
        ReferenceTable::Sector => rename_in!(sectors),
    }
}
