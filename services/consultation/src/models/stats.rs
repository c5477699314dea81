//! The statistics' queries: counts grouped in the database, over the indexes that lead with
//! the district and the date each figure is counted by.

use crate::schema::{consultations, mediation_cases, opinions, receptions, recipients, topics};
use chrono::NaiveDate;
use diesel::dsl::count_star;
use diesel::prelude::*;
use xs_kit::DbConn;
use xs_kit::db::DbBackend;

/// Which records a figure counts: a district and subdistrict (either may be open) and a
/// period of days (either end may be open).
#[derive(Debug, Clone, Default)]
pub struct Slice {
    pub district: Option<String>,
    pub subdistrict: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

macro_rules! slice {
    ($q:expr, $s:expr, $district:expr, $subdistrict:expr, $date:expr) => {{
        let mut q = $q;
        if let Some(d) = &$s.district {
            q = q.filter($district.eq(d.clone()));
        }
        if let Some(d) = &$s.subdistrict {
            q = q.filter($subdistrict.eq(d.clone()));
        }
        if let Some(f) = $s.from {
            q = q.filter($date.ge(f));
        }
        if let Some(t) = $s.to {
            q = q.filter($date.le(t));
        }
        q
    }};
}

/// Topics raised in the period, by origin and status.
pub fn topics_by_origin_and_status(
    conn: &mut DbConn,
    s: &Slice,
) -> QueryResult<Vec<(String, String, i64)>> {
    let q = topics::table
        .group_by((topics::origin, topics::status))
        .select((topics::origin, topics::status, count_star()))
        .into_boxed::<DbBackend>();
    slice!(
        q,
        s,
        topics::district_code,
        topics::subdistrict_code,
        topics::raised_on
    )
    .load(conn)
}

/// Days from raising to resolution of each topic resolved in the period.
pub fn resolution_days(conn: &mut DbConn, s: &Slice) -> QueryResult<Vec<i32>> {
    let q = topics::table
        .filter(topics::resolved_on.is_not_null())
        .select(topics::resolution_days)
        .into_boxed::<DbBackend>();
    let days: Vec<Option<i32>> = slice!(
        q,
        s,
        topics::district_code,
        topics::subdistrict_code,
        topics::resolved_on
    )
    .load(conn)?;
    Ok(days.into_iter().flatten().collect())
}

/// Consultations held in the period.
pub fn consultations_held(conn: &mut DbConn, s: &Slice) -> QueryResult<i64> {
    let q = consultations::table
        .filter(consultations::held_on.is_not_null())
        .select(count_star())
        .into_boxed::<DbBackend>();
    slice!(
        q,
        s,
        consultations::district_code,
        consultations::subdistrict_code,
        consultations::held_on
    )
    .first(conn)
}

/// Opinions of the consultations held in the period, by status.
pub fn opinions_by_status(conn: &mut DbConn, s: &Slice) -> QueryResult<Vec<(String, i64)>> {
    let q = opinions::table
        .group_by(opinions::status)
        .select((opinions::status, count_star()))
        .into_boxed::<DbBackend>();
    slice!(
        q,
        s,
        opinions::district_code,
        opinions::subdistrict_code,
        opinions::held_on
    )
    .load(conn)
}

/// Main recipients whose reply is past due today, on consultations still awaiting replies
/// (whatever the period: what is overdue now).
pub fn overdue_replies(
    conn: &mut DbConn,
    s: &Slice,
    today: NaiveDate,
    awaiting: &[&str],
) -> QueryResult<i64> {
    use crate::domain::consultation::RecipientKind;
    let mut q = recipients::table
        .inner_join(consultations::table)
        .filter(recipients::kind.eq(RecipientKind::Main.as_str()))
        .filter(recipients::replied_on.is_null())
        .filter(recipients::due_on.lt(today))
        .filter(consultations::status.eq_any(awaiting.to_vec()))
        .select(count_star())
        .into_boxed::<DbBackend>();
    if let Some(d) = &s.district {
        q = q.filter(recipients::district_code.eq(d.clone()));
    }
    if let Some(d) = &s.subdistrict {
        q = q.filter(consultations::subdistrict_code.eq(d.clone()));
    }
    q.first(conn)
}

/// Mediation cases that reached an outcome in the period: (status, days taken) of each.
pub fn mediation_outcomes(conn: &mut DbConn, s: &Slice) -> QueryResult<Vec<(String, Option<i32>)>> {
    let q = mediation_cases::table
        .filter(mediation_cases::outcome_on.is_not_null())
        .select((mediation_cases::status, mediation_cases::days_taken))
        .into_boxed::<DbBackend>();
    slice!(
        q,
        s,
        mediation_cases::district_code,
        mediation_cases::subdistrict_code,
        mediation_cases::outcome_on
    )
    .load(conn)
}

/// Mediation cases received in the period.
pub fn mediation_received(conn: &mut DbConn, s: &Slice) -> QueryResult<i64> {
    let q = mediation_cases::table
        .select(count_star())
        .into_boxed::<DbBackend>();
    slice!(
        q,
        s,
        mediation_cases::district_code,
        mediation_cases::subdistrict_code,
        mediation_cases::received_on
    )
    .first(conn)
}

/// Receptions in the period, by channel and category.
pub fn receptions_by_channel_and_category(
    conn: &mut DbConn,
    s: &Slice,
) -> QueryResult<Vec<(String, String, i64)>> {
    let q = receptions::table
        .group_by((receptions::channel, receptions::category))
        .select((receptions::channel, receptions::category, count_star()))
        .into_boxed::<DbBackend>();
    slice!(
        q,
        s,
        receptions::district_code,
        receptions::subdistrict_code,
        receptions::received_on
    )
    .load(conn)
}
