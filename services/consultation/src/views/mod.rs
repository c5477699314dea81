//! What goes over the wire. Rows never leave the service by accident.

pub mod consultation;
pub mod mediation;
pub mod reception;
pub mod stats;
pub mod topic;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Stored instants are UTC; the API shows them as RFC 3339 with `Z`.
pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// A JSON list stored as text (empty if unreadable, which only a hand edit could cause).
pub fn list_of<T: serde::de::DeserializeOwned>(text: &str) -> Vec<T> {
    serde_json::from_str(text).unwrap_or_default()
}

/// One step of a resource's lifecycle history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = ConsultationHistoryEntry)]
pub struct HistoryEntry {
    pub id: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    /// What the step recorded (reasons, dates, the consultation that made it), without
    /// personal data.
    pub details: serde_json::Value,
    pub at: DateTime<Utc>,
    /// The account that took the step.
    pub by: String,
}

impl HistoryEntry {
    pub fn from_row(r: xs_kit::lifecycle::HistoryRow) -> HistoryEntry {
        HistoryEntry {
            id: r.id,
            action: r.action,
            from_status: r.from_state,
            to_status: r.to_state,
            details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
            at: utc(r.created_at),
            by: r.created_by,
        }
    }
}
