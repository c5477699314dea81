//! The queries behind the liaison statistics: small projections, summed in the handler.

use crate::domain::event::EventStatus;
use crate::domain::request::RequestStatus;
use crate::schema::{compatriot_requests, event_registrations, event_suggestions, liaison_events};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use xs_kit::DbConn;
use xs_kit::db::DbBackend;

/// A held event: id, kind, people served, volunteers.
pub type HeldEvent = (String, String, Option<i32>, Option<i32>);
/// A request: kind, status, received on, closed on.
pub type ReceivedRequest = (String, String, NaiveDate, Option<NaiveDate>);

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

/// Held events in the district and period (by start): id, kind, people served, volunteers.
pub fn held_events(
    conn: &mut DbConn,
    district: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> QueryResult<Vec<HeldEvent>> {
    use liaison_events as e;
    let (start, end) = bounds(from, to);
    let mut q = e::table
        .filter(e::status.eq(EventStatus::Held.as_str()))
        .select((e::id, e::kind, e::people_served, e::volunteers))
        .into_boxed::<DbBackend>();
    if let Some(d) = district {
        q = q.filter(e::district_code.eq(d.to_string()));
    }
    if let Some(s) = start {
        q = q.filter(e::starts_at.ge(s));
    }
    if let Some(t) = end {
        q = q.filter(e::starts_at.lt(t));
    }
    q.load(conn)
}

/// The compatriots who attended those events, once per attendance.
pub fn compatriot_attendances(conn: &mut DbConn, events: &[String]) -> QueryResult<Vec<String>> {
    use event_registrations as r;
    let mut out = Vec::new();
    // Chunked: both backends limit the parameters of one statement.
    for chunk in events.chunks(500) {
        let ids: Vec<Option<String>> = r::table
            .filter(r::event_id.eq_any(chunk))
            .filter(r::attended.eq(Some(true)))
            .filter(r::compatriot_id.is_not_null())
            .select(r::compatriot_id)
            .load(conn)?;
        out.extend(ids.into_iter().flatten());
    }
    Ok(out)
}

/// Suggestions raised at those events: (all, turned into reports).
pub fn suggestions(conn: &mut DbConn, events: &[String]) -> QueryResult<(i64, i64)> {
    use event_suggestions as s;
    let (mut all, mut reported) = (0, 0);
    for chunk in events.chunks(500) {
        let links: Vec<Option<String>> = s::table
            .filter(s::event_id.eq_any(chunk))
            .select(s::report_id)
            .load(conn)?;
        all += links.len() as i64;
        reported += links.iter().filter(|l| l.is_some()).count() as i64;
    }
    Ok((all, reported))
}

/// Requests received in the district and period: kind, status, received on, closed on.
pub fn requests(
    conn: &mut DbConn,
    district: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> QueryResult<Vec<ReceivedRequest>> {
    use compatriot_requests as q_;
    let mut q = q_::table
        .select((q_::kind, q_::status, q_::received_on, q_::closed_on))
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
