//! Domain events: one envelope for every service (`id`, `type`, `occurred_at`, `district`,
//! `subject`, `data`), written to the service's `kit_events` table in the transaction of the
//! change it describes — so an event exists if and only if its change committed.
//!
//! State machines write theirs through [`crate::lifecycle::Move::record`]; other changes that
//! matter outside the service (a topic raised) call [`record`] themselves. `data` is the
//! resource after the change as the least privileged reader may see it: personal fields masked.

use crate::db::{DbBackend, DbConn};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

diesel::table! {
    kit_events (id) {
        id -> Text,
        event_type -> Text,
        occurred_at -> Timestamp,
        district -> Nullable<Text>,
        subject -> Text,
        data -> Text,
    }
}

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
    q.load(conn)?
        .into_iter()
        .map(|r| {
            Ok(Event {
                data: serde_json::from_str(&r.data)
                    .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?,
                id: r.id,
                event_type: r.event_type,
                occurred_at: r.occurred_at,
                district: r.district,
                subject: r.subject,
            })
        })
        .collect()
}
