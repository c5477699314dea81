//! The queries behind the liaison statistics: aggregates computed by the database (one query
//! per figure group), and the day pairs the median needs.

use crate::domain::event::EventStatus;
use crate::domain::request::RequestStatus;
use crate::schema::{compatriot_requests, event_registrations, event_suggestions, liaison_events};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{count, count_star, sum};
use diesel::prelude::*;
use xs_kit::DbConn;
use xs_kit::db::DbBackend;

/// Held events of one kind: kind, events, people served, volunteers.
pub type KindTotals = (String, i64, Option<i64>, Option<i64>);

/// The period as instants: `from` at midnight, up to the midnight after `to`.
fn bounds(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
    (
        from.and_then(|d| d.and_hms_opt(0, 0, 0)),
        to.and_then(|d| d.succ_opt())
            .and_then(|d| d.and_hms_opt(0, 0, 0)),
    )
}

/// `$query` (on `liaison_events` or a join to it, grouped and selected already) confined to
/// the held events of the district and period (by start), boxed.
macro_rules! held_events {
    ($query:expr, $district:expr, $from:expr, $to:expr) => {{
        use liaison_events as e;
        let (start, end) = bounds($from, $to);
        let mut q = $query
            .filter(e::status.eq(EventStatus::Held.as_str()))
            .into_boxed::<DbBackend>();
        if let Some(d) = $district {
            q = q.filter(e::district_code.eq(d.to_string()));
        }
        if let Some(s) = start {
            q = q.filter(e::starts_at.ge(s));
        }
        if let Some(t) = end {
            q = q.filter(e::starts_at.lt(t));
        }
        q
    }};
}

/// Per kind of held event: how many, people served, volunteers.
pub fn held_by_kind(
    conn: &mut DbConn,
    district: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> QueryResult<Vec<KindTotals>> {
    use liaison_events as e;
    let grouped = e::table.group_by(e::kind).select((
        e::kind,
        count_star(),
        sum(e::people_served),
        sum(e::volunteers),
    ));
    held_events!(grouped, district, from, to).load(conn)
}

/// Compatriots' attendances at those events: (attendances, distinct compatriots).
pub fn compatriot_attendances(
    conn: &mut DbConn,
    district: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> QueryResult<(i64, i64)> {
    use event_registrations as r;
    let attended = r::table
        .inner_join(liaison_events::table)
        .filter(r::attended.eq(Some(true)))
        .filter(r::compatriot_id.is_not_null())
        .select((
            count(r::compatriot_id),
            count(r::compatriot_id).aggregate_distinct(),
        ));
    held_events!(attended, district, from, to).first(conn)
}

/// Suggestions raised at those events: (all, turned into reports).
pub fn suggestions(
    conn: &mut DbConn,
    district: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> QueryResult<(i64, i64)> {
    use event_suggestions as s;
    let raised = s::table
        .inner_join(liaison_events::table)
        .select((count_star(), count(s::report_id)));
    held_events!(raised, district, from, to).first(conn)
}

/// Requests received in the district and period, per kind and status.
pub fn requests(
    conn: &mut DbConn,
    district: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> QueryResult<Vec<(String, String, i64)>> {
    use compatriot_requests as q_;
    let mut q = q_::table
        .group_by((q_::kind, q_::status))
        .select((q_::kind, q_::status, count_star()))
        .into_boxed::<DbBackend>();
    if let Some(d) = district {
        q = q.filter(q_::district_code.eq(d.to_string()));
    }
    if let Some(f) = from {
        q = q.filter(q_::received_on.ge(f));
    }
    if let Some(t) = to {
        q = q.filter(q_::received_on.le(t));
    }
    q.load(conn)
}

/// Requests resolved in the district and period (by the day resolved): received, resolved.
pub fn resolved(
    conn: &mut DbConn,
    district: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> QueryResult<Vec<(NaiveDate, Option<NaiveDate>)>> {
    use compatriot_requests as q_;
    let mut q = q_::table
        .filter(q_::status.eq(RequestStatus::Resolved.as_str()))
        .select((q_::received_on, q_::closed_on))
        .into_boxed::<DbBackend>();
    if let Some(d) = district {
        q = q.filter(q_::district_code.eq(d.to_string()));
    }
    if let Some(f) = from {
        q = q.filter(q_::closed_on.ge(f));
    }
    if let Some(t) = to {
        q = q.filter(q_::closed_on.le(t));
    }
    q.load(conn)
}
