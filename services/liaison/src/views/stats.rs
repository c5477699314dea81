use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The cross-strait work in figures, for a district (or citywide) and a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiaisonStats {
    /// `null`: every district.
    pub district: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Events held (by start date in the period).
    pub events_held: i64,
    pub events_by_kind: Vec<KindCount>,
    /// Attendances of compatriots at those events (marked attended), and how many different
    /// compatriots they were.
    pub compatriot_participations: i64,
    pub distinct_compatriots: i64,
    /// Summed over the events held.
    pub volunteers: i64,
    pub people_served: i64,
    /// Suggestions raised at events in the period, and how many became reports.
    pub suggestions: i64,
    pub suggestions_reported: i64,
    /// Requests received in the period, by kind and by state.
    pub requests: i64,
    pub requests_by_kind: Vec<KindCount>,
    pub requests_by_status: Vec<StatusCount>,
    /// Requests resolved in the period, and the median of their days from receipt to
    /// resolution (`null` for none).
    pub requests_resolved: i64,
    pub median_days_to_resolve: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KindCount {
    pub kind: String,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusCount {
    pub status: String,
    pub count: i64,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// District code; citywide readers may leave it out for every district.
    pub district: Option<String>,
    /// First day of the period (inclusive).
    pub from: Option<NaiveDate>,
    /// Last day of the period (inclusive).
    pub to: Option<NaiveDate>,
}
