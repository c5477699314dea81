//! The statistics' queries: counts of reports received (submitted), accepted, forwarded and
//! adopted, adoptions by level and instructions, per group. The period selects reports by
//! the day they were first submitted; a report's later steps count with it.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use xs_kit::DbConn;

/// What the counts are grouped by; the SQL for each is fixed here, never taken from input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// No grouping: the totals.
    Total,
    District,
    Category,
    Channel,
    /// Each author: a joint report counts once for each of its authors.
    Member,
    /// The authors' sectors as recorded when the authors were named: a joint report counts
    /// once for each distinct sector among its authors ('' for authors without one).
    Sector,
}

impl Key {
    fn column(self) -> &'static str {
        match self {
            Key::Total => "''",
            Key::District => "r.district_code",
            Key::Category => "r.category",
            Key::Channel => "r.source_channel",
            Key::Member => "a.member_id",
            Key::Sector => "a.sector",
        }
    }

    fn join(self) -> &'static str {
        match self {
            Key::Member => " JOIN report_authors a ON a.report_id = r.id",
            // Distinct, so two authors of one sector count their report once there.
            Key::Sector => {
                " JOIN (SELECT DISTINCT report_id, COALESCE(member_sector, '') AS sector \
                 FROM report_authors) a ON a.report_id = r.id"
            }
            _ => "",
        }
    }

    fn group(self, extra: &str) -> String {
        match (self, extra) {
            (Key::Total, "") => String::new(),
            (Key::Total, e) => format!(" GROUP BY {e}"),
            (k, "") => format!(" GROUP BY {}", k.column()),
            (k, e) => format!(" GROUP BY {}, {e}", k.column()),
        }
    }
}

/// The reports counted: first submitted within the period, in the district if one is given.
#[derive(Debug, Clone, Default)]
pub struct Cohort {
    pub district: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Cohort {
    /// The bounds as bound values: every bound is always bound (unused ones select
    /// everything), so the statement's shape is fixed.
    fn binds(&self) -> (i64, String, NaiveDateTime, NaiveDateTime) {
        let lowest = NaiveDate::from_ymd_opt(1970, 1, 1)
            .unwrap_or(NaiveDate::MIN)
            .and_time(NaiveTime::MIN);
        let highest = NaiveDate::from_ymd_opt(9999, 12, 31)
            .unwrap_or(NaiveDate::MAX)
            .and_time(NaiveTime::MIN);
        let start = self.from.map_or(lowest, |d| d.and_time(NaiveTime::MIN));
        let end = self
            .to
            .and_then(|d| d.succ_opt())
            .map_or(highest, |d| d.and_time(NaiveTime::MIN));
        match &self.district {
            Some(d) => (0, d.clone(), start, end),
            None => (1, String::new(), start, end),
        }
    }
}

/// `<literal query> WHERE <the cohort>`, with its binds.
macro_rules! in_cohort {
    ($q:expr, $cohort:expr) => {{
        let (any_district, district, start, end) = $cohort.binds();
        $q.sql(" WHERE r.submitted_at IS NOT NULL AND (")
            .bind::<BigInt, _>(any_district)
            .sql(" = 1 OR r.district_code = ")
            .bind::<Text, _>(district)
            .sql(") AND r.submitted_at >= ")
            .bind::<Timestamp, _>(start)
            .sql(" AND r.submitted_at < ")
            .bind::<Timestamp, _>(end)
    }};
}

/// One group's reports: key, received, accepted, forwarded, adopted (at least once).
pub type ReportCountRow = (String, i64, i64, i64, i64);

/// Per group: received, accepted, forwarded, adopted (reports adopted at least once).
pub fn reports(conn: &mut DbConn, key: Key, cohort: &Cohort) -> QueryResult<Vec<ReportCountRow>> {
    let head = format!(
        "SELECT {} AS k, COUNT(*), COUNT(r.accepted_at), COUNT(r.forwarded_at), \
         COUNT(r.adopted_at) FROM reports r{}",
        key.column(),
        key.join()
    );
    let q = sql::<(Text, BigInt, BigInt, BigInt, BigInt)>(&head);
    in_cohort!(q, cohort).sql(&key.group("")).load(conn)
}

/// Per group and level: adoptions.
pub fn adoptions(
    conn: &mut DbConn,
    key: Key,
    cohort: &Cohort,
) -> QueryResult<Vec<(String, String, i64)>> {
    let head = format!(
        "SELECT {} AS k, ad.level, COUNT(*) FROM reports r{} \
         JOIN report_adoptions ad ON ad.report_id = r.id",
        key.column(),
        key.join()
    );
    let q = sql::<(Text, Text, BigInt)>(&head);
    in_cohort!(q, cohort).sql(&key.group("ad.level")).load(conn)
}

/// Per group and leader level: instructions.
pub fn instructions(
    conn: &mut DbConn,
    key: Key,
    cohort: &Cohort,
) -> QueryResult<Vec<(String, String, i64)>> {
    let head = format!(
        "SELECT {} AS k, i.level, COUNT(*) FROM reports r{} \
         JOIN report_instructions i ON i.report_id = r.id",
        key.column(),
        key.join()
    );
    let q = sql::<(Text, Text, BigInt)>(&head);
    in_cohort!(q, cohort).sql(&key.group("i.level")).load(conn)
}
