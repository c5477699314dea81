//! What goes over the wire. Rows never leave the service by accident.

pub mod internal;
pub mod report;
pub mod stats;

use chrono::{DateTime, NaiveDateTime, Utc};

/// Stored instants are UTC; the API shows them as RFC 3339 with `Z`.
pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}
