//! The audit of reads of personal data (PIPL): who read which person's unmasked fields, when.
//!
//! A handler that serves a person's personal data unmasked to someone other than that person
//! notes each person in [`Disclosures`] and calls [`record`] before it answers. Every service
//! keeps its own rows (`kit_personal_data_reads`, a kit table in its own database) and mounts
//! [`routes`], so admins can ask each service `GET /api/v1/audit/<service>/personal-data-reads`.
//!
//! Why a transaction of its own: reads run on `Db::read`, outside any transaction and (on
//! SQLite) outside the one-writer lock, so the audit rows are written by [`record`] in a small
//! `Db::write` of their own, after the read and before the response. If that write fails the
//! request fails (503) and nothing unmasked leaves: a disclosure is never unrecorded, at the
//! price of a row for an answer the client may not have received. A write that also serves
//! unmasked data calls [`record_in`] inside its own transaction instead.

use crate::auth::{Caller, Role};
use crate::db::{self, Db, DbBackend, DbConn};
use crate::error::{ApiResult, Problem};
use crate::extract::Query;
use crate::pagination::{Page, PageRequest};
use crate::telemetry::RequestId;
use crate::validate::Validator;
use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

diesel::table! {
    kit_personal_data_reads (id) {
        id -> Text,
        read_at -> Timestamp,
        reader_sub -> Text,
        reader_roles -> Text,
        reader_district -> Nullable<Text>,
        subject_kind -> Text,
        subject_id -> Text,
        fields -> Text,
        request_id -> Text,
    }
}

use kit_personal_data_reads as t;

/// Rows per INSERT statement: well under both backends' limits on bound parameters.
const INSERT_CHUNK: usize = 500;

/// Who is reading: the caller and the request, as the audit records them.
#[derive(Debug, Clone)]
pub struct Reader {
    pub sub: String,
    pub roles: Vec<Role>,
    pub district: Option<String>,
    pub request_id: String,
}

impl Reader {
    pub fn new(caller: &Caller, request_id: &RequestId) -> Reader {
        Reader {
            sub: caller.sub.clone(),
            roles: caller.roles.clone(),
            district: caller.district.clone(),
            request_id: request_id.0.clone(),
        }
    }
}

/// The people whose personal fields one answer serves unmasked.
#[derive(Debug, Default, Clone)]
pub struct Disclosures(Vec<Disclosure>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    /// What kind of person: `member`, `compatriot`, ...
    pub subject_kind: String,
    pub subject_id: String,
    /// The fields served unmasked, e.g. `phone`.
    pub fields: Vec<String>,
}

impl Disclosures {
    pub fn new() -> Disclosures {
        Disclosures::default()
    }

    /// Note that `fields` of person `subject_kind`/`subject_id` are served unmasked.
    pub fn note(&mut self, subject_kind: &str, subject_id: &str, fields: &[&str]) -> &mut Self {
        self.0.push(Disclosure {
            subject_kind: subject_kind.to_string(),
            subject_id: subject_id.to_string(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
        });
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Disclosure> {
        self.0.iter()
    }

    pub fn append(&mut self, other: &mut Disclosures) {
        self.0.append(&mut other.0);
    }
}

type NewRead = (
    diesel::dsl::Eq<t::id, String>,
    diesel::dsl::Eq<t::read_at, NaiveDateTime>,
    diesel::dsl::Eq<t::reader_sub, String>,
    diesel::dsl::Eq<t::reader_roles, String>,
    diesel::dsl::Eq<t::reader_district, Option<String>>,
    diesel::dsl::Eq<t::subject_kind, String>,
    diesel::dsl::Eq<t::subject_id, String>,
    diesel::dsl::Eq<t::fields, String>,
    diesel::dsl::Eq<t::request_id, String>,
);

/// Record `disclosures` on `conn`, inside the caller's transaction (a write that also serves
/// unmasked data). Reads use [`record`].
pub fn record_in(conn: &mut DbConn, reader: &Reader, disclosures: &Disclosures) -> ApiResult<()> {
    if disclosures.is_empty() {
        return Ok(());
    }
    let now = db::now();
    let roles = reader
        .roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let rows: Vec<NewRead> = disclosures
        .iter()
        .map(|d| {
            (
                t::id.eq(db::new_id()),
                t::read_at.eq(now),
                t::reader_sub.eq(reader.sub.clone()),
                t::reader_roles.eq(roles.clone()),
                t::reader_district.eq(reader.district.clone()),
                t::subject_kind.eq(d.subject_kind.clone()),
                t::subject_id.eq(d.subject_id.clone()),
                t::fields.eq(d.fields.join(",")),
                t::request_id.eq(reader.request_id.clone()),
            )
        })
        .collect();
    // Multi-row inserts do not compile through the multi-backend connection; each backend's
    // own connection takes them, which keeps a page of a list to one statement.
    for chunk in rows.chunks(INSERT_CHUNK) {
        let insert = diesel::insert_into(t::table).values(chunk.to_vec());
        match conn {
            DbConn::Pg(c) => insert.execute(c)?,
            DbConn::Sqlite(c) => insert.execute(c)?,
        };
    }
    Ok(())
}

/// Record `disclosures` in a small transaction of its own; call it after the read and before
/// answering, and answer with its error if it fails (see the module notes).
pub async fn record(db: &Db, reader: &Reader, disclosures: Disclosures) -> ApiResult<()> {
    if disclosures.is_empty() {
        return Ok(());
    }
    let reader = reader.clone();
    db.write(move |c| record_in(c, &reader, &disclosures)).await
}

// ---- the admins' view -------------------------------------------------------------------------

/// One read of a person's unmasked personal data.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonalDataRead {
    pub id: String,
    pub read_at: DateTime<Utc>,
    /// The reader's token subject.
    pub reader: String,
    /// The reader's roles at the time.
    pub reader_roles: Vec<String>,
    /// The reader's district at the time (absent for citywide roles).
    pub reader_district: Option<String>,
    /// The kind of person read, e.g. `member`.
    pub subject_kind: String,
    pub subject_id: String,
    /// The fields served unmasked, e.g. `phone`.
    pub fields: Vec<String>,
    /// The request that served them (the `X-Request-Id` of its response and log lines).
    pub request_id: String,
}

/// Filters for the audit of personal-data reads.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PersonalDataReadQuery {
    /// The kind of person read, e.g. `member`.
    #[param(pattern = "\\S")]
    pub subject_kind: Option<String>,
    /// The person read (use with `subject_kind`).
    #[param(pattern = "\\S")]
    pub subject_id: Option<String>,
    /// The reader's token subject.
    #[param(pattern = "\\S")]
    pub reader: Option<String>,
    /// Reads at or after this instant (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Reads before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

type ReadRow = (
    String,
    NaiveDateTime,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
);

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

fn view(r: ReadRow) -> PersonalDataRead {
    PersonalDataRead {
        id: r.0,
        read_at: r.1.and_utc(),
        reader: r.2,
        reader_roles: split_list(&r.3),
        reader_district: r.4,
        subject_kind: r.5,
        subject_id: r.6,
        fields: split_list(&r.7),
        request_id: r.8,
    }
}

/// Reads, newest first, after the cursor id.
fn list(
    conn: &mut DbConn,
    q: &PersonalDataReadQuery,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ReadRow>> {
    let mut query = t::table
        .select((
            t::id,
            t::read_at,
            t::reader_sub,
            t::reader_roles,
            t::reader_district,
            t::subject_kind,
            t::subject_id,
            t::fields,
            t::request_id,
        ))
        .order(t::id.desc())
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some(a) = after {
        query = query.filter(t::id.lt(a.to_string()));
    }
    if let Some(v) = &q.subject_kind {
        query = query.filter(t::subject_kind.eq(v.clone()));
    }
    if let Some(v) = &q.subject_id {
        query = query.filter(t::subject_id.eq(v.clone()));
    }
    if let Some(v) = &q.reader {
        query = query.filter(t::reader_sub.eq(v.clone()));
    }
    if let Some(v) = q.from {
        query = query.filter(t::read_at.ge(v.naive_utc()));
    }
    if let Some(v) = q.to {
        query = query.filter(t::read_at.lt(v.naive_utc()));
    }
    query.load(conn)
}

/// Who read personal data unmasked
///
/// Admins only: one row per person per request that served that person's personal fields
/// unmasked to someone other than the person (e.g. office staff reading a member's phone),
/// newest first. Filter by the person (`subject_kind`, `subject_id`), the reader (token
/// subject) and time (`from` inclusive, `to` exclusive). The rows themselves hold no personal
/// data, only ids and field names.
#[utoipa::path(tag = "audit", params(PersonalDataReadQuery), responses(
    (status = 200, description = "A page of reads, newest first", body = Page<PersonalDataRead>),
    (status = 400, description = "A filter or the cursor is malformed", body = Problem, content_type = "application/problem+json"),
    (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/personal-data-reads")]
pub async fn list_personal_data_reads(
    db: web::Data<Db>,
    caller: Caller,
    q: Query<PersonalDataReadQuery>,
) -> ApiResult<HttpResponse> {
    caller.require_any(&[Role::Admin])?;
    let q = q.0;
    let mut v = Validator::new();
    v.opt_text("subject_kind", q.subject_kind.as_deref(), 64)
        .opt_text("subject_id", q.subject_id.as_deref(), 128)
        .opt_text("reader", q.reader.as_deref(), 255);
    if let (Some(from), Some(to)) = (q.from, q.to) {
        v.require(from <= to, "to", "must not be before from");
    }
    v.finish()?;
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (fetch, after) = (page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| Ok(list(c, &q, after.as_deref(), fetch)?))
        .await?;
    Ok(HttpResponse::Ok().json(page.page(rows, |r| r.0.clone(), view)))
}

/// The audit endpoint for `service`, to mount inside its `/api/v1` scope:
/// `scope("/api/v1").configure(xs_kit::audit::routes("membership"))` serves
/// `GET /api/v1/audit/membership/personal-data-reads`.
pub fn routes(service: &str) -> impl FnOnce(&mut utoipa_actix_web::service_config::ServiceConfig) {
    let prefix = format!("/audit/{service}");
    move |cfg| {
        cfg.service(utoipa_actix_web::scope(prefix.as_str()).service(list_personal_data_reads));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disclosures_collect_people_and_fields() {
        let mut d = Disclosures::new();
        assert!(d.is_empty());
        d.note("member", "m1", &["phone"])
            .note("member", "m2", &["phone", "address"]);
        let mut more = Disclosures::new();
        more.note("compatriot", "c1", &["id_number"]);
        d.append(&mut more);
        assert_eq!(d.len(), 3);
        assert!(more.is_empty());
        let fields: Vec<String> = d.iter().map(|x| x.fields.join(",")).collect();
        assert_eq!(fields, ["phone", "phone,address", "id_number"]);
    }

    #[test]
    fn stored_lists_split_back() {
        assert_eq!(split_list("admin,office_staff"), ["admin", "office_staff"]);
        assert!(split_list("").is_empty());
    }
}
