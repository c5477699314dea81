//! Domain events: one envelope for every service (`id`, `type`, `occurred_at`, `district`,
//! `subject`, `data`), written to the service's `kit_events` table in the transaction of the
//! change it describes — so an event exists if and only if its change committed.
//!
//! State machines write theirs through [`crate::lifecycle::Move::record`]; other changes that
//! matter outside the service (a topic raised) call [`record`] themselves. `data` is the
//! resource after the change as the least privileged reader may see it: personal fields masked.
//!
//! ## The feed: positions given after commit
//!
//! Event ids (UUID v7) and `occurred_at` are taken *before* the transaction commits, so a
//! transaction that commits later can carry an earlier id than an event a reader has already
//! seen; "after this id" would then skip it for good. So readers page by **position** instead:
//! [`publish`] gives every committed event that has none the next positions of the service's
//! feed (`kit_events.seq`, 1, 2, 3, ...), holding the lock on the one counter row
//! (`kit_event_positions`) until it commits. An event that has not committed is invisible to
//! the publisher and gets a later position when it has; publishers take turns on the counter,
//! so a reader that sees position `n` also sees every position below it. Hence, within one
//! service: paging by `position > cursor` in position order yields every committed event
//! exactly once, each after every event that committed before its publisher ran.
//!
//! [`internal_feed`] (`GET /internal/v1/events`, service tokens only; the gateway's merged
//! `GET /api/v1/events` calls it) publishes what is pending, then reads; there is no timer.

use crate::auth::{Caller, Role};
use crate::db::{Db, DbBackend, DbConn};
use crate::error::{ApiResult, Problem};
use crate::extract::Query;
use crate::scope::{Access, READ_ONLY};
use crate::validate::Validator;
use actix_web::{HttpResponse, get, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

diesel::table! {
    kit_events (id) {
        id -> Text,
        event_type -> Text,
        occurred_at -> Timestamp,
        district -> Nullable<Text>,
        subject -> Text,
        data -> Text,
        /// The position in the service's feed, given after commit by [`publish`].
        seq -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// One row (`events`): the last position handed out.
    kit_event_positions (id) {
        id -> Text,
        last_seq -> BigInt,
    }
}

/// Who reads the events feed (`GET /api/v1/events`, the gateway's merged feed): admins and
/// integrators citywide, dashboards citywide or within the district their token names, office
/// staff within their district. Events carry no unmasked personal data, so there is no
/// personal-data reader; nobody writes events through the API.
pub const ACCESS: Access = Access {
    what: "events",
    district_readers: &[Role::OfficeStaff],
    citywide_readers: READ_ONLY,
    owner_readers: &[],
    personal_readers: &[],
    writers: &[],
};

/// The longest page of the feed.
pub const MAX_FEED_LIMIT: i64 = 1000;
/// The most event types one request may name.
pub const MAX_TYPES: usize = 50;

/// The envelope, as stored and as sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    /// Unique (UUID v7, time-ordered within a service).
    pub id: String,
    /// `<resource>.<what happened>`, e.g. `workroom.active`, `topic.created`.
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: NaiveDateTime,
    /// The district the resource belongs to, for scoping feeds and subscriptions.
    pub district: Option<String>,
    /// The resource's path, e.g. `/api/v1/workrooms/0193...`.
    pub subject: String,
    /// The resource after the change, personal fields masked.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// Instants are stored as naive UTC and sent as RFC 3339 with `Z`.
mod utc {
    use chrono::{DateTime, NaiveDateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(
            &t.and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        )
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
        DateTime::<Utc>::deserialize(d).map(|t| t.naive_utc())
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = kit_events)]
struct EventRow {
    id: String,
    event_type: String,
    occurred_at: NaiveDateTime,
    district: Option<String>,
    subject: String,
    data: String,
}

/// Write an event inside the caller's transaction.
pub fn record(conn: &mut DbConn, e: &Event) -> QueryResult<()> {
    diesel::insert_into(kit_events::table)
        .values((
            kit_events::id.eq(&e.id),
            kit_events::event_type.eq(&e.event_type),
            kit_events::occurred_at.eq(e.occurred_at),
            kit_events::district.eq(&e.district),
            kit_events::subject.eq(&e.subject),
            kit_events::data.eq(e.data.to_string()),
        ))
        .execute(conn)
        .map(drop)
}

/// Give positions to the committed events that have none, in id order, and return how many.
/// Runs in its own write transaction ([`Db::write`]); see the module's documentation for why
/// this makes paging by position complete.
pub fn publish(conn: &mut DbConn) -> QueryResult<usize> {
    use kit_event_positions::dsl as p;
    // Publishers take turns here until commit (a row lock on PostgreSQL; SQLite's write
    // transaction already serialises them). Read after the lock: in READ COMMITTED every later
    // statement sees what the previous publisher committed.
    crate::rows::lock(conn, "kit_event_positions", "events")?;
    let last: i64 = p::kit_event_positions
        .find("events")
        .select(p::last_seq)
        .first(conn)?;
    let pending: Vec<String> = kit_events::table
        .filter(kit_events::seq.is_null())
        .order(kit_events::id)
        .limit(PUBLISH_BATCH)
        .select(kit_events::id)
        .load(conn)?;
    for (i, id) in pending.iter().enumerate() {
        diesel::update(kit_events::table.find(id))
            .set(kit_events::seq.eq(last + 1 + i as i64))
            .execute(conn)?;
    }
    if !pending.is_empty() {
        diesel::update(p::kit_event_positions.find("events"))
            .set(p::last_seq.eq(last + pending.len() as i64))
            .execute(conn)?;
    }
    Ok(pending.len())
}

/// Events published per transaction; [`publish_all`] repeats until none is left.
const PUBLISH_BATCH: i64 = 500;

/// Are there committed events without a position? (A cheap read before taking the writer.)
pub fn unpublished(conn: &mut DbConn) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        kit_events::table.filter(kit_events::seq.is_null()),
    ))
    .get_result(conn)
}

/// Publish everything committed so far (several batches if need be).
pub async fn publish_all(db: &Db) -> ApiResult<()> {
    while db.read(|c| Ok(unpublished(c)?)).await? {
        if db.write(|c| Ok(publish(c)?)).await? == 0 {
            break;
        }
    }
    Ok(())
}

/// An event with its position in its service's feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Positioned {
    /// Strictly increasing in the order the events were found committed.
    pub position: i64,
    #[serde(flatten)]
    pub event: Event,
}

/// What a feed read keeps: which types (none: all) and which district (none: all).
#[derive(Debug, Clone, Default)]
pub struct FeedFilter {
    pub types: Vec<String>,
    pub district: Option<String>,
}

/// Published events after `after`, in position order.
pub fn feed(
    conn: &mut DbConn,
    after: i64,
    filter: &FeedFilter,
    limit: i64,
) -> QueryResult<Vec<Positioned>> {
    let mut q = kit_events::table
        .filter(kit_events::seq.gt(after))
        .order(kit_events::seq)
        .limit(limit)
        .select((kit_events::seq.assume_not_null(), EventRow::as_select()))
        .into_boxed::<DbBackend>();
    if !filter.types.is_empty() {
        q = q.filter(kit_events::event_type.eq_any(filter.types.clone()));
    }
    if let Some(d) = &filter.district {
        q = q.filter(kit_events::district.eq(d.clone()));
    }
    q.load::<(i64, EventRow)>(conn)?
        .into_iter()
        .map(|(position, r)| {
            Ok(Positioned {
                position,
                event: r.into_event()?,
            })
        })
        .collect()
}

/// Every event type the services raise, `<resource>.<what happened>` (docs/ARCHITECTURE.md
/// lists them by service). The documents state them as an enum (the feed's `types`, a
/// webhook's `event_types`), so a subscription to a misspelt type is refused, not silently
/// empty; a test of the whole stack checks that every type a lifecycle or handler raises is
/// here.
pub const TYPES: &[&str] = &[
    // membership
    "member.created",
    "member.updated",
    "workroom.applied",
    "workroom.inspected",
    "workroom.approved",
    "workroom.activated",
    "workroom.suspended",
    "workroom.resumed",
    "workroom.closed",
    // consultation
    "topic.created",
    "topic.status_changed",
    "consultation.planned",
    "consultation.held",
    "consultation.submitted",
    "consultation.following_up",
    "consultation.implemented",
    "consultation.closed_unresolved",
    "consultation.cancelled",
    "mediation_case.received",
    "mediation_case.in_mediation",
    "mediation_case.closed",
    "reception.recorded",
    // reports
    "report.created",
    "report.submitted",
    "report.under_review",
    "report.returned",
    "report.rejected",
    "report.accepted",
    "report.forwarded",
    "report.adopted",
    "report.instructed",
    // liaison
    "liaison_event.planned",
    "liaison_event.open_for_registration",
    "liaison_event.held",
    "liaison_event.cancelled",
    "compatriot_request.received",
    "compatriot_request.assigned",
    "compatriot_request.in_progress",
    "compatriot_request.resolved",
    "compatriot_request.unresolvable",
];

const TYPES_MESSAGE: &str = "each entry must be an event type the services raise (see the enum)";

/// A list of event types (a webhook's `event_types`): each one of [`TYPES`], at most
/// [`MAX_TYPES`]; both are the schema's ([`DomainEventType`], `maxItems`), so 400s.
pub fn check_types(v: &mut Validator, field: &str, types: &[String]) {
    v.check(
        types.len() <= MAX_TYPES,
        field,
        &format!("at most {MAX_TYPES} types"),
    );
    for (i, t) in types.iter().enumerate() {
        v.check(
            TYPES.contains(&t.as_str()),
            &format!("{field}[{i}]"),
            TYPES_MESSAGE,
        );
    }
}

/// A comma-separated list of event types (the feed's `types`): empty or absent for every
/// type, else one to [`MAX_TYPES`] of [`TYPES`] joined by commas, nothing else — exactly what
/// [`types_param_pattern`] states, so anything else is a 400 naming `field`.
pub fn parse_types(v: &mut Validator, field: &str, types: Option<&str>) -> Vec<String> {
    let Some(text) = types.filter(|t| !t.is_empty()) else {
        return Vec::new();
    };
    let types: Vec<String> = text.split(',').map(str::to_string).collect();
    let known = types.iter().all(|t| TYPES.contains(&t.as_str()));
    v.check(
        types.len() <= MAX_TYPES && known,
        field,
        &format!(
            "must be up to {MAX_TYPES} event types the services raise, separated by commas \
             (see the pattern)"
        ),
    );
    types
}

/// The pattern of a comma-separated `types` parameter: what [`parse_types`] takes.
pub fn types_param_pattern() -> String {
    let one = format!(
        "(?:{})",
        TYPES
            .iter()
            .map(|t| t.replace('.', "\\."))
            .collect::<Vec<_>>()
            .join("|")
    );
    format!("^(?:{one}(?:,{one}){{0,{}}})?$", MAX_TYPES - 1)
}

/// The schema of a `types` query parameter (`#[param(schema_with = ...)]`).
pub fn types_param_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(types_param_pattern()))
        .build()
}

/// Schema only: one of [`TYPES`], the component `DomainEventType` (its display names are in
/// the gateway's labels). A list states it as
/// `#[schema(value_type = Vec<xs_kit::events::DomainEventType>, max_items = 50)]`.
pub struct DomainEventType;

impl utoipa::PartialSchema for DomainEventType {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(TYPES.iter().copied()))
            .into()
    }
}

impl ToSchema for DomainEventType {}

/// The query of the internal feed.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InternalFeedQuery {
    /// The position to start after (0 or absent: from the first event).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Comma-separated event types to keep (absent: all).
    pub types: Option<String>,
    /// Only events of this district.
    pub district: Option<String>,
    /// Events per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// A page of one service's feed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InternalFeedPage {
    /// In position order.
    pub events: Vec<Positioned>,
    /// Whether more events follow the last one (a full page was read).
    pub has_more: bool,
}

/// This service's events after a position, for the gateway's merged feed
///
/// Service tokens only (the gateway's `GET /api/v1/events` checks the caller's role and
/// district and passes the district on). Publishes what has committed and has no position yet,
/// then answers the events after `after` in position order: an event that committed after a
/// page was read comes after it, never before, so paging by the last position seen misses and
/// repeats nothing. `data` is as the least privileged reader of the feed may see it (personal
/// data masked).
#[utoipa::path(tag = "internal", params(InternalFeedQuery), responses(
    (status = 200, description = "A page of the service's events", body = InternalFeedPage),
    (status = 400, description = "A parameter is malformed (named in the problem)", body = Problem, content_type = "application/problem+json"),
    (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not a service token", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/events")]
pub async fn internal_feed(
    db: web::Data<Db>,
    caller: Caller,
    q: Query<InternalFeedQuery>,
) -> ApiResult<HttpResponse> {
    caller.require_any(&[Role::Service])?;
    let q = q.0;
    let mut v = Validator::new();
    let after = q.after.unwrap_or(0);
    let limit = q.limit.unwrap_or(100);
    v.check(after >= 0, "after", "must not be negative")
        .check(
            (1..=MAX_FEED_LIMIT).contains(&limit),
            "limit",
            &format!("must be between 1 and {MAX_FEED_LIMIT}"),
        )
        .opt_text("district", q.district.as_deref(), 64);
    let types = parse_types(&mut v, "types", q.types.as_deref());
    v.finish()?;
    publish_all(&db).await?;
    let filter = FeedFilter {
        types,
        district: q.district,
    };
    let events = db
        .read(move |c| Ok(feed(c, after, &filter, limit)?))
        .await?;
    Ok(HttpResponse::Ok().json(InternalFeedPage {
        has_more: events.len() as i64 == limit,
        events,
    }))
}

/// Events after the cursor id, oldest first; optionally only those of one district.
pub fn list(
    conn: &mut DbConn,
    after: Option<&str>,
    district: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Event>> {
    let mut q = kit_events::table
        .select(EventRow::as_select())
        .order(kit_events::id)
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some(a) = after {
        q = q.filter(kit_events::id.gt(a.to_string()));
    }
    if let Some(d) = district {
        q = q.filter(kit_events::district.eq(d.to_string()));
    }
    q.load::<EventRow>(conn)?
        .into_iter()
        .map(EventRow::into_event)
        .collect()
}

impl EventRow {
    fn into_event(self) -> QueryResult<Event> {
        Ok(Event {
            data: serde_json::from_str(&self.data)
                .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?,
            id: self.id,
            event_type: self.event_type,
            occurred_at: self.occurred_at,
            district: self.district,
            subject: self.subject,
        })
    }
}

/// Record the event of a change that is not a state machine's move (a member registered, a
/// reception recorded), inside the caller's transaction: `data` must already be masked for the
/// least privileged reader of the feed. Returns the event's id.
pub fn emit(
    conn: &mut DbConn,
    event_type: &str,
    occurred_at: NaiveDateTime,
    district: &str,
    subject: String,
    data: &impl Serialize,
) -> ApiResult<String> {
    debug_assert!(
        TYPES.contains(&event_type),
        "{event_type} is not in xs_kit::events::TYPES"
    );
    let event = Event {
        id: crate::db::new_id(),
        event_type: event_type.to_string(),
        occurred_at,
        district: Some(district.to_string()),
        subject,
        data: serde_json::to_value(data).map_err(crate::error::ApiError::internal)?,
    };
    record(conn, &event)?;
    Ok(event.id)
}
