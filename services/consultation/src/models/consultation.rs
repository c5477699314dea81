//! Rows and queries for consultations, their topics and members, opinions, recipients and
//! follow-ups.

use crate::schema::{
    consultation_members, consultation_topics, consultations, follow_ups, opinions, recipients,
};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::HashMap;
use xs_kit::DbConn;
use xs_kit::db::DbBackend;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = consultations)]
pub struct ConsultationRow {
    pub id: String,
    pub title: String,
    pub district_code: String,
    pub subdistrict_code: Option<String>,
    pub workroom_id: Option<String>,
    pub scheduled_on: NaiveDate,
    pub place: String,
    pub format: String,
    pub host: String,
    pub residents_count: i32,
    pub resident_names: String,
    pub grassroots_units: String,
    pub departments: String,
    pub status: String,
    pub minutes: Option<String>,
    pub held_on: Option<NaiveDate>,
    pub submitted_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub closing_note: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

/// The descriptive columns a PATCH may set (while planned).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = consultations)]
pub struct ConsultationChanges {
    pub title: Option<String>,
    pub scheduled_on: Option<NaiveDate>,
    pub place: Option<String>,
    pub format: Option<String>,
    pub host: Option<String>,
    pub residents_count: Option<i32>,
    pub resident_names: Option<String>,
    pub grassroots_units: Option<String>,
    pub departments: Option<String>,
}

/// What a lifecycle move sets beside the state.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = consultations)]
pub struct LifecycleChanges {
    pub status: String,
    pub minutes: Option<Option<String>>,
    pub held_on: Option<Option<NaiveDate>>,
    pub submitted_on: Option<Option<NaiveDate>>,
    pub closed_on: Option<Option<NaiveDate>>,
    pub closing_note: Option<Option<String>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = opinions)]
pub struct OpinionRow {
    pub id: String,
    pub consultation_id: String,
    pub district_code: String,
    pub subdistrict_code: Option<String>,
    pub held_on: NaiveDate,
    pub position: i32,
    pub text: String,
    pub responsible_body: String,
    pub status: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = recipients)]
pub struct RecipientRow {
    pub id: String,
    pub consultation_id: String,
    pub district_code: String,
    pub kind: String,
    pub body: String,
    pub name: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub replied_on: Option<NaiveDate>,
    pub reply: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = follow_ups)]
pub struct FollowUpRow {
    pub id: String,
    pub consultation_id: String,
    pub follow_up_on: NaiveDate,
    pub by_whom: String,
    pub note: String,
    pub recipient_id: Option<String>,
    pub reply: Option<String>,
    pub opinion_statuses: String,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

/// A consultation with what hangs off it.
#[derive(Debug, Clone)]
pub struct Full {
    pub row: ConsultationRow,
    pub topics: Vec<String>,
    pub members: Vec<String>,
    pub opinions: Vec<OpinionRow>,
    pub recipients: Vec<RecipientRow>,
}

#[derive(Debug, Default, Clone)]
pub struct ConsultationFilter {
    pub district: Option<String>,
    pub status: Option<String>,
    pub workroom: Option<String>,
    pub topic: Option<String>,
    pub member: Option<String>,
}

pub fn insert(
    conn: &mut DbConn,
    row: &ConsultationRow,
    topics: &[String],
    members: &[String],
) -> QueryResult<()> {
    diesel::insert_into(consultations::table)
        .values(row)
        .execute(conn)?;
    for t in topics {
        diesel::insert_into(consultation_topics::table)
            .values((
                consultation_topics::consultation_id.eq(&row.id),
                consultation_topics::topic_id.eq(t),
            ))
            .execute(conn)?;
    }
    replace_members(conn, &row.id, members)
}

pub fn replace_members(conn: &mut DbConn, id: &str, members: &[String]) -> QueryResult<()> {
    diesel::delete(
        consultation_members::table.filter(consultation_members::consultation_id.eq(id)),
    )
    .execute(conn)?;
    for m in members {
        diesel::insert_into(consultation_members::table)
            .values((
                consultation_members::consultation_id.eq(id),
                consultation_members::member_id.eq(m),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<ConsultationRow>> {
    consultations::table
        .find(id)
        .select(ConsultationRow::as_select())
        .first(conn)
        .optional()
}

pub fn exists(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(consultations::table.find(id))).get_result(conn)
}

/// Each consultation with its topics, members, opinions and recipients.
pub fn full(conn: &mut DbConn, rows: Vec<ConsultationRow>) -> QueryResult<Vec<Full>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut topics: HashMap<String, Vec<String>> = HashMap::new();
    for (c, t) in consultation_topics::table
        .filter(consultation_topics::consultation_id.eq_any(&ids))
        .select((
            consultation_topics::consultation_id,
            consultation_topics::topic_id,
        ))
        .order((
            consultation_topics::consultation_id,
            consultation_topics::topic_id,
        ))
        .load::<(String, String)>(conn)?
    {
        topics.entry(c).or_default().push(t);
    }
    let mut members: HashMap<String, Vec<String>> = HashMap::new();
    for (c, m) in consultation_members::table
        .filter(consultation_members::consultation_id.eq_any(&ids))
        .select((
            consultation_members::consultation_id,
            consultation_members::member_id,
        ))
        .order((
            consultation_members::consultation_id,
            consultation_members::member_id,
        ))
        .load::<(String, String)>(conn)?
    {
        members.entry(c).or_default().push(m);
    }
    let mut opinions: HashMap<String, Vec<OpinionRow>> = HashMap::new();
    for o in opinions::table
        .filter(opinions::consultation_id.eq_any(&ids))
        .select(OpinionRow::as_select())
        .order((opinions::consultation_id, opinions::position))
        .load(conn)?
    {
        opinions
            .entry(o.consultation_id.clone())
            .or_default()
            .push(o);
    }
    let mut recipients: HashMap<String, Vec<RecipientRow>> = HashMap::new();
    for r in recipients::table
        .filter(recipients::consultation_id.eq_any(&ids))
        .select(RecipientRow::as_select())
        .order((recipients::consultation_id, recipients::id))
        .load(conn)?
    {
        recipients
            .entry(r.consultation_id.clone())
            .or_default()
            .push(r);
    }
    Ok(rows
        .into_iter()
        .map(|row| Full {
            topics: topics.remove(&row.id).unwrap_or_default(),
            members: members.remove(&row.id).unwrap_or_default(),
            opinions: opinions.remove(&row.id).unwrap_or_default(),
            recipients: recipients.remove(&row.id).unwrap_or_default(),
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

/// A page of consultations in id (creation) order, after the cursor id.
pub fn list(
    conn: &mut DbConn,
    f: &ConsultationFilter,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ConsultationRow>> {
    let mut q = consultations::table
        .select(ConsultationRow::as_select())
        .order(consultations::id)
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some(a) = after {
        q = q.filter(consultations::id.gt(a.to_string()));
    }
    if let Some(v) = &f.district {
        q = q.filter(consultations::district_code.eq(v.clone()));
    }
    if let Some(v) = &f.status {
        q = q.filter(consultations::status.eq(v.clone()));
    }
    if let Some(v) = &f.workroom {
        q = q.filter(consultations::workroom_id.eq(v.clone()));
    }
    if let Some(v) = &f.topic {
        q = q.filter(
            consultations::id.eq_any(
                consultation_topics::table
                    .filter(consultation_topics::topic_id.eq(v.clone()))
                    .select(consultation_topics::consultation_id),
            ),
        );
    }
    if let Some(v) = &f.member {
        q = q.filter(
            consultations::id.eq_any(
                consultation_members::table
                    .filter(consultation_members::member_id.eq(v.clone()))
                    .select(consultation_members::consultation_id),
            ),
        );
    }
    q.load(conn)
}

pub fn update(
    conn: &mut DbConn,
    id: &str,
    expected: i64,
    changes: &ConsultationChanges,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    xs_kit::update_versioned!(conn, consultations, id = id, expected, changes, by, at)
}

pub fn set_lifecycle(
    conn: &mut DbConn,
    id: &str,
    expected: i64,
    changes: &LifecycleChanges,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    xs_kit::update_versioned!(conn, consultations, id = id, expected, changes, by, at)
}

pub fn insert_opinion(conn: &mut DbConn, row: &OpinionRow) -> QueryResult<()> {
    diesel::insert_into(opinions::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn set_opinion_status(
    conn: &mut DbConn,
    id: &str,
    status: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(opinions::table.find(id))
        .set((
            opinions::status.eq(status),
            opinions::updated_at.eq(at),
            opinions::updated_by.eq(by),
        ))
        .execute(conn)
}

pub fn insert_recipient(conn: &mut DbConn, row: &RecipientRow) -> QueryResult<()> {
    diesel::insert_into(recipients::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn record_reply(conn: &mut DbConn, id: &str, on: NaiveDate, reply: &str) -> QueryResult<usize> {
    diesel::update(recipients::table.find(id))
        .set((recipients::replied_on.eq(on), recipients::reply.eq(reply)))
        .execute(conn)
}

pub fn insert_follow_up(conn: &mut DbConn, row: &FollowUpRow) -> QueryResult<()> {
    diesel::insert_into(follow_ups::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// A page of a consultation's follow-ups, oldest first.
pub fn follow_ups_of(
    conn: &mut DbConn,
    id: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<FollowUpRow>> {
    let mut q = follow_ups::table
        .filter(follow_ups::consultation_id.eq(id.to_string()))
        .select(FollowUpRow::as_select())
        .order(follow_ups::id)
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some(a) = after {
        q = q.filter(follow_ups::id.gt(a.to_string()));
    }
    q.load(conn)
}

/// Main recipients whose reply is past due (`due_on < today`, no reply) on consultations
/// still awaiting replies, oldest due first, after the cursor `(due_on, id)`.
pub fn overdue(
    conn: &mut DbConn,
    district: Option<&str>,
    today: NaiveDate,
    awaiting: &[&str],
    after: Option<&(NaiveDate, String)>,
    limit: i64,
) -> QueryResult<Vec<(RecipientRow, String)>> {
    use crate::domain::consultation::RecipientKind;
    let mut q = recipients::table
        .inner_join(consultations::table)
        .filter(recipients::kind.eq(RecipientKind::Main.as_str()))
        .filter(recipients::replied_on.is_null())
        .filter(recipients::due_on.lt(today))
        .filter(consultations::status.eq_any(awaiting.to_vec()))
        .select((RecipientRow::as_select(), consultations::title))
        .order((recipients::due_on, recipients::id))
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some(d) = district {
        q = q.filter(recipients::district_code.eq(d.to_string()));
    }
    if let Some((due, id)) = after {
        q = q.filter(
            recipients::due_on.gt(*due).or(recipients::due_on
                .eq(*due)
                .and(recipients::id.gt(id.clone()))),
        );
    }
    q.load(conn)
}
