//! What goes over the wire. Rows never leave the service by accident.

pub mod compatriot;
pub mod enterprise;
pub mod event;
pub mod request;
pub mod stats;

use chrono::{DateTime, NaiveDateTime, Utc};

/// Stored instants are UTC; the API shows them as RFC 3339 with `Z`.
pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// One step of a lifecycle's history (events, requests), oldest first.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = LiaisonHistoryEntry)]
pub struct HistoryEntry {
    pub id: String,
    /// The creating step (`plan`, `receive`) or the transition's action.
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    /// What the request recorded (figures, reason, resolution, member assigned).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub at: DateTime<Utc>,
    /// The account that took the step.
    pub by: String,
}

impl HistoryEntry {
    pub fn from_row(r: xs_kit::lifecycle::HistoryRow) -> xs_kit::ApiResult<HistoryEntry> {
        Ok(HistoryEntry {
            details: serde_json::from_str(&r.details).map_err(xs_kit::ApiError::internal)?,
            id: r.id,
            action: r.action,
            from_status: r.from_state,
            to_status: r.to_state,
            at: utc(r.created_at),
            by: r.created_by,
        })
    }
}
