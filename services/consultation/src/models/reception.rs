//! Rows and queries for visitor receptions and their receiving members.

use crate::schema::{reception_members, receptions};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::HashMap;
use xs_kit::DbConn;
use xs_kit::db::DbBackend;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = receptions)]
pub struct ReceptionRow {
    pub id: String,
    pub district_code: String,
    pub subdistrict_code: String,
    pub workroom_id: String,
    pub received_on: NaiveDate,
    pub visitor_name: Option<String>,
    pub visitor_contact: Option<String>,
    pub channel: String,
    pub category: String,
    pub concern: String,
    pub handling: String,
    pub referred_to: Option<String>,
    pub topic_id: Option<String>,
    pub report_id: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

#[derive(Debug, Default, Clone)]
pub struct ReceptionFilter {
    pub district: Option<String>,
    /// Receptions this member took part in.
    pub member: Option<String>,
    pub workroom: Option<String>,
    pub channel: Option<String>,
    pub category: Option<String>,
    pub handling: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

pub fn insert(conn: &mut DbConn, row: &ReceptionRow, members: &[String]) -> QueryResult<()> {
    diesel::insert_into(receptions::table)
        .values(row)
        .execute(conn)?;
    for m in members {
        diesel::insert_into(reception_members::table)
            .values((
                reception_members::reception_id.eq(&row.id),
                reception_members::member_id.eq(m),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<ReceptionRow>> {
    receptions::table
        .find(id)
        .select(ReceptionRow::as_select())
        .first(conn)
        .optional()
}

/// Each reception's receiving members.
pub fn members_of(conn: &mut DbConn, ids: &[&str]) -> QueryResult<HashMap<String, Vec<String>>> {
    let rows: Vec<(String, String)> = reception_members::table
        .filter(reception_members::reception_id.eq_any(ids))
        .select((
            reception_members::reception_id,
            reception_members::member_id,
        ))
        .order((
            reception_members::reception_id,
            reception_members::member_id,
        ))
        .load(conn)?;
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (r, m) in rows {
        map.entry(r).or_default().push(m);
    }
    Ok(map)
}

/// A page of receptions in id (creation) order, after the cursor id.
pub fn list(
    conn: &mut DbConn,
    f: &ReceptionFilter,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ReceptionRow>> {
    let mut q = receptions::table
        .select(ReceptionRow::as_select())
        .order(receptions::id)
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some(a) = after {
        q = q.filter(receptions::id.gt(a.to_string()));
    }
    if let Some(v) = &f.district {
        q = q.filter(receptions::district_code.eq(v.clone()));
    }
    if let Some(v) = &f.member {
        q = q.filter(
            receptions::id.eq_any(
                reception_members::table
                    .filter(reception_members::member_id.eq(v.clone()))
                    .select(reception_members::reception_id),
            ),
        );
    }
    if let Some(v) = &f.workroom {
        q = q.filter(receptions::workroom_id.eq(v.clone()));
    }
    if let Some(v) = &f.channel {
        q = q.filter(receptions::channel.eq(v.clone()));
    }
    if let Some(v) = &f.category {
        q = q.filter(receptions::category.eq(v.clone()));
    }
    if let Some(v) = &f.handling {
        q = q.filter(receptions::handling.eq(v.clone()));
    }
    if let Some(v) = f.from {
        q = q.filter(receptions::received_on.ge(v));
    }
    if let Some(v) = f.to {
        q = q.filter(receptions::received_on.le(v));
    }
    q.load(conn)
}
