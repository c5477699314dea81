pub use crate::domain::event::{EventAction, EventKind, EventStatus, RegistrationStatus};

use super::utc;
use crate::models::event::EventRow;
use crate::models::registration::RegistrationRow;
use crate::models::suggestion::SuggestionRow;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A liaison event: a lecture, study class, symposium, visit, exchange, volunteer service,
/// social event or heritage survey.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = LiaisonEvent)]
pub struct Event {
    pub id: String,
    pub kind: EventKind,
    pub title: String,
    pub district: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub place: String,
    /// The liaison point it is held at: a membership workroom of kind `taiwan_liaison_point`.
    pub liaison_point: Option<String>,
    /// The enterprise, youth base or association it visits or is held with.
    pub enterprise: Option<String>,
    /// Member ids of its organisers (credited when it is held).
    pub organisers: Vec<String>,
    /// Seats; `null` for no limit. Registrations beyond it wait.
    pub capacity: Option<i32>,
    pub status: EventStatus,
    /// What can be done now (`POST .../transitions`); empty for read-only callers.
    pub allowed_actions: Vec<EventAction>,
    pub confirmed: i64,
    pub waitlisted: i64,
    /// Recorded when held.
    pub people_served: Option<i32>,
    pub volunteers: Option<i32>,
    pub summary: Option<String>,
    pub cancel_reason: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// What an event view needs beyond its row.
pub struct EventExtras {
    pub kind: EventKind,
    pub status: EventStatus,
    pub organisers: Vec<String>,
    pub allowed_actions: Vec<EventAction>,
    pub confirmed: i64,
    pub waitlisted: i64,
}

impl Event {
    pub fn from_row(r: EventRow, x: EventExtras) -> Event {
        Event {
            id: r.id,
            kind: x.kind,
            title: r.title,
            district: r.district_code,
            starts_at: utc(r.starts_at),
            ends_at: r.ends_at.map(utc),
            place: r.place,
            liaison_point: r.liaison_point,
            enterprise: r.enterprise_id,
            organisers: x.organisers,
            capacity: r.capacity,
            status: x.status,
            allowed_actions: x.allowed_actions,
            confirmed: x.confirmed,
            waitlisted: x.waitlisted,
            people_served: r.people_served,
            volunteers: r.volunteers,
            summary: r.summary,
            cancel_reason: r.cancel_reason,
            version: r.version,
            created_at: utc(r.created_at),
            created_by: r.created_by,
            updated_at: utc(r.updated_at),
            updated_by: r.updated_by,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    pub kind: EventKind,
    #[schema(pattern = "\\S", max_length = 200)]
    pub title: String,
    #[schema(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub district: String,
    pub starts_at: DateTime<Utc>,
    /// After `starts_at`.
    pub ends_at: Option<DateTime<Utc>>,
    #[schema(pattern = "\\S", max_length = 200)]
    pub place: String,
    /// A workroom of kind `taiwan_liaison_point` in the event's district.
    #[schema(pattern = "\\S", max_length = 64)]
    pub liaison_point: Option<String>,
    /// An enterprise, youth base or association of the event's district.
    #[schema(pattern = "\\S", max_length = 64)]
    pub enterprise: Option<String>,
    /// Member ids of the district's members who organise it; at most 20, no repeats.
    #[serde(default)]
    #[schema(value_type = std::collections::BTreeSet<xs_kit::apidoc::Text64>, inline, max_items = 20)]
    pub organisers: Vec<String>,
    /// Seats, 1 to 100000; absent for no limit.
    #[schema(minimum = 1, maximum = 100000)]
    pub capacity: Option<i32>,
}

/// A partial update of a planned or open event: absent fields stay, `null` clears.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventPatch {
    pub version: Option<i64>,
    pub kind: Option<EventKind>,
    #[schema(pattern = "\\S", max_length = 200)]
    pub title: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    pub ends_at: Option<Option<DateTime<Utc>>>,
    #[schema(pattern = "\\S", max_length = 200)]
    pub place: Option<String>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    pub liaison_point: Option<Option<String>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    pub enterprise: Option<Option<String>>,
    /// Replaces the organisers.
    #[schema(value_type = Option<std::collections::BTreeSet<xs_kit::apidoc::Text64>>, inline, max_items = 20)]
    pub organisers: Option<Vec<String>>,
    /// Not below the seats already confirmed; raising it promotes waiting registrations in
    /// order.
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(minimum = 1, maximum = 100000)]
    pub capacity: Option<Option<i32>>,
}

/// A move in an event's lifecycle. `hold` takes `people_served`, `volunteers` and `summary`;
/// `cancel` takes `reason`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventTransition {
    pub action: EventAction,
    /// Optional: the version you read; stale is a 412.
    pub version: Option<i64>,
    #[schema(minimum = 0, maximum = 1000000)]
    pub people_served: Option<i32>,
    #[schema(minimum = 0, maximum = 100000)]
    pub volunteers: Option<i32>,
    #[schema(pattern = "\\S", max_length = 4000)]
    pub summary: Option<String>,
    #[schema(pattern = "\\S", max_length = 500)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    pub district: Option<String>,
    pub kind: Option<EventKind>,
    pub status: Option<EventStatus>,
    /// Starting at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Starting before this instant.
    pub to: Option<DateTime<Utc>>,
    pub liaison_point: Option<String>,
    pub enterprise: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One person's registration for an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct Registration {
    pub id: String,
    pub event: String,
    /// The compatriot registered, or
    pub compatriot: Option<String>,
    /// the member registered.
    pub member: Option<String>,
    pub status: RegistrationStatus,
    /// Place in registration order (the waiting list is promoted in this order).
    pub queue_no: i32,
    /// Set when attendance is marked.
    pub attended: Option<bool>,
    /// When a waiting registration got its seat.
    pub promoted_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl Registration {
    pub fn from_row(r: RegistrationRow, status: RegistrationStatus) -> Registration {
        Registration {
            id: r.id,
            event: r.event_id,
            compatriot: r.compatriot_id,
            member: r.member_id,
            status,
            queue_no: r.queue_no,
            attended: r.attended,
            promoted_at: r.promoted_at.map(utc),
            cancelled_at: r.cancelled_at.map(utc),
            version: r.version,
            created_at: utc(r.created_at),
            created_by: r.created_by,
            updated_at: utc(r.updated_at),
            updated_by: r.updated_by,
        }
    }
}

/// Register one person: exactly one of `compatriot` and `member`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRegistration {
    #[schema(pattern = "\\S", max_length = 64)]
    pub compatriot: Option<String>,
    #[schema(pattern = "\\S", max_length = 64)]
    pub member: Option<String>,
}

/// A cancelled registration and the waiting one that got its seat, if any.
#[derive(Debug, Serialize, ToSchema)]
pub struct Cancellation {
    pub cancelled: Registration,
    pub promoted: Option<Registration>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attendance {
    pub attended: bool,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegistrationQuery {
    pub status: Option<RegistrationStatus>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A suggestion raised at an event (a symposium's 建议).
#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestion {
    pub id: String,
    pub event: String,
    pub district: String,
    pub title: String,
    pub body: String,
    /// Who raised it, as recorded (a name or a group, no contact data).
    pub raised_by: Option<String>,
    /// The draft social-situation report it became in the reports service.
    pub report: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl From<SuggestionRow> for Suggestion {
    fn from(r: SuggestionRow) -> Suggestion {
        Suggestion {
            id: r.id,
            event: r.event_id,
            district: r.district_code,
            title: r.title,
            body: r.body,
            raised_by: r.raised_by,
            report: r.report_id,
            version: r.version,
            created_at: utc(r.created_at),
            created_by: r.created_by,
            updated_at: utc(r.updated_at),
            updated_by: r.updated_by,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSuggestion {
    #[schema(pattern = "\\S", max_length = 200)]
    pub title: String,
    #[schema(pattern = "\\S", max_length = 4000)]
    pub body: String,
    #[schema(pattern = "\\S", max_length = 100)]
    pub raised_by: Option<String>,
}

/// How to open the draft report; every field optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ToReport {
    /// The report's title; the suggestion's by default.
    #[schema(pattern = "\\S", max_length = 200)]
    pub title: Option<String>,
    /// A report category; `cross_strait` by default.
    #[schema(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub category: Option<String>,
}
