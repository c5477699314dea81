pub use crate::domain::request::{RequestAction, RequestKind, RequestStatus};

use super::utc;
use crate::models::request::{NoteRow, RequestRow};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A compatriot's (or an enterprise's) request for help (诉求), followed to resolution.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompatriotRequest {
    pub id: String,
    pub district: String,
    /// Raised by this compatriot, or
    pub compatriot: Option<String>,
    /// by this enterprise, youth base or association.
    pub enterprise: Option<String>,
    pub kind: RequestKind,
    pub description: String,
    /// The member following it up.
    pub assigned_member: Option<String>,
    pub status: RequestStatus,
    /// What can be done now (`POST .../transitions`).
    pub allowed_actions: Vec<RequestAction>,
    pub received_on: NaiveDate,
    /// The day it was resolved or closed as unresolvable.
    pub closed_on: Option<NaiveDate>,
    /// Days from receipt to closing, or to today while open.
    pub days_open: i64,
    /// How it was resolved.
    pub resolution: Option<String>,
    /// Why it could not be resolved.
    pub unresolvable_reason: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl CompatriotRequest {
    pub fn from_row(
        r: RequestRow,
        kind: RequestKind,
        status: RequestStatus,
        allowed_actions: Vec<RequestAction>,
        today: NaiveDate,
    ) -> CompatriotRequest {
        CompatriotRequest {
            days_open: crate::domain::request::days_open(r.received_on, r.closed_on, today),
            id: r.id,
            district: r.district_code,
            compatriot: r.compatriot_id,
            enterprise: r.enterprise_id,
            kind,
            description: r.description,
            assigned_member: r.assigned_member,
            status,
            allowed_actions,
            received_on: r.received_on,
            closed_on: r.closed_on,
            resolution: r.resolution,
            unresolvable_reason: r.unresolvable_reason,
            version: r.version,
            created_at: utc(r.created_at),
            created_by: r.created_by,
            updated_at: utc(r.updated_at),
            updated_by: r.updated_by,
        }
    }
}

/// A new request: exactly one of `compatriot` and `enterprise` raised it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    #[schema(pattern = "\\S", max_length = 64)]
    pub compatriot: Option<String>,
    #[schema(pattern = "\\S", max_length = 64)]
    pub enterprise: Option<String>,
    pub kind: RequestKind,
    #[schema(pattern = "\\S", max_length = 4000)]
    pub description: String,
    /// The day it was received, not in the future; today by default.
    pub received_on: Option<NaiveDate>,
}

/// A partial update of an open request's kind or description.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestPatch {
    pub version: Option<i64>,
    pub kind: Option<RequestKind>,
    #[schema(pattern = "\\S", max_length = 4000)]
    pub description: Option<String>,
}

/// A move of a request: `assign` takes `member`; `resolve` takes `resolution` (and `date`,
/// today by default); `mark_unresolvable` takes `reason` (and `date`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestTransition {
    pub action: RequestAction,
    /// Optional: the version you read; stale is a 412.
    pub version: Option<i64>,
    /// For `assign`: a member of the request's district.
    #[schema(pattern = "\\S", max_length = 64)]
    pub member: Option<String>,
    #[schema(pattern = "\\S", max_length = 2000)]
    pub resolution: Option<String>,
    #[schema(pattern = "\\S", max_length = 2000)]
    pub reason: Option<String>,
    /// For `resolve` and `mark_unresolvable`: the day, not before receipt nor in the future.
    pub date: Option<NaiveDate>,
}

/// A follow-up note on a request.
#[derive(Debug, Serialize, ToSchema)]
pub struct Note {
    pub id: String,
    pub request: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

impl From<NoteRow> for Note {
    fn from(r: NoteRow) -> Note {
        Note {
            id: r.id,
            request: r.request_id,
            note: r.note,
            created_at: utc(r.created_at),
            created_by: r.created_by,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    #[schema(pattern = "\\S", max_length = 2000)]
    pub note: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    pub district: Option<String>,
    /// Assigned to this member.
    pub member: Option<String>,
    pub kind: Option<RequestKind>,
    pub status: Option<RequestStatus>,
    pub compatriot: Option<String>,
    pub enterprise: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    /// Open longer than this many days, 1 to 3650 (default 30).
    #[param(minimum = 1, maximum = 3650)]
    pub days: Option<i64>,
    pub district: Option<String>,
    /// Assigned to this member.
    pub member: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
