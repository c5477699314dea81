//! Rows and queries for topics.

use crate::schema::topics;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use xs_kit::DbConn;
use xs_kit::db::DbBackend;
use xs_kit::search;

/// Topics' titles and descriptions are found through the kit's text search under this kind.
pub const SEARCH_KIND: &str = "topic";

/// A topic search matching at most this many topics is collected first; one matching more is
/// checked row by row as the list walks its district's index, which stops after a page. Topic
/// lists are always narrowed (a district, usually a status), so a common word fills a page
/// within a few hundred rows; measured in bench/consultation.sh (100,000 topics on
/// PostgreSQL: a word in 10,000 topics took 190 ms collected, 6 ms checked row by row).
pub const SEARCH_COLLECT_AT_MOST: i64 = 1_000;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = topics)]
pub struct TopicRow {
    pub id: String,
    pub title: String,
    pub description: String,
    pub district_code: String,
    pub subdistrict_code: String,
    pub community_code: Option<String>,
    pub workroom_id: Option<String>,
    pub category: String,
    pub origin: String,
    pub status: String,
    pub raised_by: String,
    pub raised_by_role: String,
    pub proposer_member_id: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub claimed_members: String,
    pub claimed_workroom_id: Option<String>,
    pub declined_reason: Option<String>,
    pub merged_into: Option<String>,
    pub raised_on: NaiveDate,
    pub resolved_on: Option<NaiveDate>,
    pub resolution_days: Option<i32>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

impl TopicRow {
    /// The members who claimed it (stored as a JSON list).
    pub fn claimants(&self) -> Vec<String> {
        serde_json::from_str(&self.claimed_members).unwrap_or_default()
    }
}

/// The descriptive columns an update may set; `None` leaves a column as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = topics)]
pub struct TopicChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub community_code: Option<Option<String>>,
}

/// What a lifecycle move sets beside the state.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = topics)]
pub struct LifecycleChanges {
    pub status: String,
    pub claimed_members: Option<String>,
    pub claimed_workroom_id: Option<Option<String>>,
    pub declined_reason: Option<Option<String>>,
    pub merged_into: Option<Option<String>>,
    pub resolved_on: Option<Option<NaiveDate>>,
    pub resolution_days: Option<Option<i32>>,
}

#[derive(Debug, Default, Clone)]
pub struct TopicFilter {
    pub district: Option<String>,
    pub subdistrict: Option<String>,
    pub community: Option<String>,
    pub workroom: Option<String>,
    pub status: Option<String>,
    pub origin: Option<String>,
    pub category: Option<String>,
    /// Substring of the title or description, through the kit's text search.
    pub q: Option<String>,
    /// A resident's list: their own topics, the ones theirs were merged into (both listed
    /// below as ids) and public topics at a workroom that are not declined or merged.
    pub resident: Option<ResidentFilter>,
}

#[derive(Debug, Clone)]
pub struct ResidentFilter {
    pub sub: String,
    /// Only their own topics (and those theirs were merged into).
    pub mine_only: bool,
}

pub fn insert(conn: &mut DbConn, row: &TopicRow) -> QueryResult<()> {
    diesel::insert_into(topics::table)
        .values(row)
        .execute(conn)?;
    search::index(conn, SEARCH_KIND, &row.id, &[&row.title, &row.description])
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<TopicRow>> {
    topics::table
        .find(id)
        .select(TopicRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_all(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<TopicRow>> {
    topics::table
        .filter(topics::id.eq_any(ids))
        .select(TopicRow::as_select())
        .order(topics::id)
        .load(conn)
}

pub fn exists(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(topics::table.find(id))).get_result(conn)
}

/// The topics a resident's topics were merged into (they follow the surviving one).
pub fn merged_into_of(conn: &mut DbConn, raised_by: &str) -> QueryResult<Vec<String>> {
    let ids: Vec<Option<String>> = topics::table
        .filter(topics::raised_by.eq(raised_by))
        .filter(topics::merged_into.is_not_null())
        .select(topics::merged_into)
        .load(conn)?;
    Ok(ids.into_iter().flatten().collect())
}

/// A page of topics in id (creation) order, after the cursor id.
pub fn list(
    conn: &mut DbConn,
    f: &TopicFilter,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<TopicRow>> {
    let mut q = topics::table
        .select(TopicRow::as_select())
        .order(topics::id)
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some(a) = after {
        q = q.filter(topics::id.gt(a.to_string()));
    }
    if let Some(v) = &f.district {
        q = q.filter(topics::district_code.eq(v.clone()));
    }
    if let Some(v) = &f.subdistrict {
        q = q.filter(topics::subdistrict_code.eq(v.clone()));
    }
    if let Some(v) = &f.community {
        q = q.filter(topics::community_code.eq(v.clone()));
    }
    if let Some(v) = &f.workroom {
        q = q.filter(topics::workroom_id.eq(v.clone()));
    }
    if let Some(v) = &f.status {
        q = q.filter(topics::status.eq(v.clone()));
    }
    if let Some(v) = &f.origin {
        q = q.filter(topics::origin.eq(v.clone()));
    }
    if let Some(v) = &f.category {
        q = q.filter(topics::category.eq(v.clone()));
    }
    if let Some(r) = &f.resident {
        use crate::domain::topic::{TopicOrigin, TopicStatus};
        let followed = merged_into_of(conn, &r.sub)?;
        let own = || {
            topics::raised_by
                .eq(r.sub.clone())
                .or(topics::id.eq_any(followed.clone()))
        };
        if r.mine_only {
            q = q.filter(own());
        } else {
            q = q.filter(
                own().or(topics::origin
                    .eq(TopicOrigin::Public.as_str())
                    .and(topics::workroom_id.is_not_null())
                    .and(
                        topics::status
                            .ne_all([TopicStatus::Declined.as_str(), TopicStatus::Merged.as_str()]),
                    )),
            );
        }
    }
    if let Some(v) = &f.q {
        q = q.filter(search::matching_with(
            conn,
            SEARCH_KIND,
            "topics.id",
            v,
            search::Plan::AutoUpTo(SEARCH_COLLECT_AT_MOST),
        )?);
    }
    q.load(conn)
}

/// Open and claimed topics of `subdistrict` among `ids` (the search's candidates), except
/// `not`.
pub fn open_among(
    conn: &mut DbConn,
    ids: &[String],
    subdistrict: &str,
    not: &str,
) -> QueryResult<Vec<TopicRow>> {
    use crate::domain::topic::TopicStatus;
    topics::table
        .filter(topics::id.eq_any(ids))
        .filter(topics::id.ne(not))
        .filter(topics::subdistrict_code.eq(subdistrict))
        .filter(topics::status.eq_any([TopicStatus::Open.as_str(), TopicStatus::Claimed.as_str()]))
        .select(TopicRow::as_select())
        .load(conn)
}

/// Apply descriptive changes if the topic is still at `expected` (re-indexing its text).
pub fn update(
    conn: &mut DbConn,
    id: &str,
    expected: i64,
    changes: &TopicChanges,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let rows = xs_kit::update_versioned!(conn, topics, id = id, expected, changes, by, at)?;
    if rows > 0 && (changes.title.is_some() || changes.description.is_some()) {
        let (title, description): (String, String) = topics::table
            .find(id)
            .select((topics::title, topics::description))
            .first(conn)?;
        search::index(conn, SEARCH_KIND, id, &[&title, &description])?;
    }
    Ok(rows)
}

pub fn set_lifecycle(
    conn: &mut DbConn,
    id: &str,
    expected: i64,
    changes: &LifecycleChanges,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    xs_kit::update_versioned!(conn, topics, id = id, expected, changes, by, at)
}

/// The consultations that took the topic up, oldest first.
pub fn consultations_of(conn: &mut DbConn, id: &str) -> QueryResult<Vec<String>> {
    use crate::schema::consultation_topics as ct;
    ct::table
        .filter(ct::topic_id.eq(id))
        .select(ct::consultation_id)
        .order(ct::consultation_id)
        .load(conn)
}

/// The consultations of each of these topics.
pub fn consultations_of_all(
    conn: &mut DbConn,
    ids: &[&str],
) -> QueryResult<std::collections::HashMap<String, Vec<String>>> {
    use crate::schema::consultation_topics as ct;
    let rows: Vec<(String, String)> = ct::table
        .filter(ct::topic_id.eq_any(ids))
        .select((ct::topic_id, ct::consultation_id))
        .order((ct::topic_id, ct::consultation_id))
        .load(conn)?;
    let mut map: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (t, c) in rows {
        map.entry(t).or_default().push(c);
    }
    Ok(map)
}
