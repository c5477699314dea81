use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /api/v1/stats/consultation`: the consultation work of a district (or the city) in a
/// period, from the records.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsultationStats {
    /// `null`: every district.
    pub district: Option<String>,
    pub subdistrict: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Topics raised in the period.
    pub topics: i64,
    /// Every origin, zero included.
    pub topics_by_origin: Vec<Count>,
    /// Every status, zero included (where the topics raised in the period are now).
    pub topics_by_status: Vec<Count>,
    /// The pairs that occur.
    pub topics_by_origin_and_status: Vec<OriginStatusCount>,
    /// Consultations held in the period.
    pub consultations_held: i64,
    /// Problems solved: topics resolved in the period.
    pub problems_solved: i64,
    /// Median days from raising a topic to its resolution, over those resolved in the period.
    pub median_days_to_resolution: Option<f64>,
    /// Opinions of the consultations held in the period, by status (every status).
    pub opinions_by_status: Vec<Count>,
    /// Main recipients whose reply is past due now (whatever the period).
    pub overdue_replies: i64,
    pub mediation: MediationStats,
    /// Receptions in the period.
    pub receptions: i64,
    /// Every channel, zero included.
    pub receptions_by_channel: Vec<Count>,
    /// Every category, zero included.
    pub receptions_by_category: Vec<Count>,
    /// Receptions of the category `legal_consultation` (法律咨询).
    pub legal_consultations: i64,
}

/// Mediation in the period.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MediationStats {
    /// Cases received in the period.
    pub cases_received: i64,
    /// Disputes mediated: cases that reached an outcome in the period.
    pub disputes_mediated: i64,
    /// By outcome (`agreement_signed`, `failed`, `referred`), zero included.
    pub by_outcome: Vec<Count>,
    /// Agreements signed out of all outcomes; `null` without outcomes.
    pub success_rate: Option<f64>,
    /// Median days taken, over the outcomes.
    pub median_days: Option<f64>,
}

/// How many records have this value.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Count {
    pub value: String,
    pub count: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OriginStatusCount {
    pub origin: String,
    pub status: String,
    pub topics: i64,
}

/// Query of `GET /api/v1/stats/consultation`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// A district code; office staff and coordinators get their own.
    #[param(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub district: Option<String>,
    /// A subdistrict code (records without one, such as consultations without a workroom or
    /// topic in it, are counted only without this filter).
    #[param(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub subdistrict: Option<String>,
    /// First day of the period (inclusive).
    pub from: Option<NaiveDate>,
    /// Last day of the period (inclusive).
    pub to: Option<NaiveDate>,
}
