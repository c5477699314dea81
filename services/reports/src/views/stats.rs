//! The report statistics on the wire.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

xs_kit::text_enum! {
    /// What `GET /stats/reports` groups by.
    pub enum GroupBy {
        District = "district",
        Category = "category",
        Channel = "channel",
        /// Each author; a joint report counts once for each of its authors.
        Member = "member",
        /// The authors' sectors (界别) when they were named; a joint report counts once for
        /// each distinct sector among its authors.
        Sector = "sector",
    }
}

/// Query of `GET /api/v1/stats/reports`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// A district code; office staff get their own, citywide callers every district if
    /// left out.
    #[param(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub district: Option<String>,
    /// Reports first submitted on or after this day (UTC).
    pub from: Option<NaiveDate>,
    /// Reports first submitted on or before this day (UTC).
    pub to: Option<NaiveDate>,
    pub group_by: Option<GroupBy>,
}

/// Adoptions or instructions at one level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LevelCount {
    pub level: String,
    pub count: i64,
}

/// The counts for a set of reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct ReportCounts {
    /// Reports submitted (收到).
    pub received: i64,
    /// Of those, accepted by the office (编发).
    pub accepted: i64,
    /// Of those, forwarded upward.
    pub forwarded: i64,
    /// Of those, adopted at least once.
    pub adopted: i64,
    /// Adoptions (a report adopted by two levels counts twice here).
    pub adoptions: i64,
    /// Adoptions per level (`municipal`, `provincial`, `national`, `department`), levels
    /// with none left out.
    pub adoptions_by_level: Vec<LevelCount>,
    /// Leader instructions (批示).
    pub instructions: i64,
    /// Instructions per leader level.
    pub instructions_by_level: Vec<LevelCount>,
    /// `adopted / received`, rounded to four places; `null` when nothing was received.
    pub adoption_rate: Option<f64>,
}

/// One group's counts.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GroupCounts {
    /// The district code, category, channel, member id or sector code (`""`: authors
    /// without a sector).
    pub key: String,
    #[serde(flatten)]
    pub counts: ReportCounts,
}

/// Report statistics for a district (or the city) and a period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReportStats {
    /// `null`: every district the caller reads.
    pub district: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub group_by: Option<GroupBy>,
    pub totals: ReportCounts,
    /// Per group, by key; empty without `group_by`.
    pub groups: Vec<GroupCounts>,
}
