use super::utc;
use crate::domain::evaluation::ActivityType;
use crate::domain::plan::{COMPLETION_RULE, as_percent};
use crate::domain::workroom::{WorkroomKind, WorkroomStatus};
use crate::models::plan::PlanRow;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// One target of an annual plan with what has been done towards it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TargetProgress {
    #[serde(rename = "type")]
    pub activity_type: ActivityType,
    /// The annual target.
    pub target: i32,
    /// Activities of this type recorded at the workroom in the year so far.
    pub actual: i64,
    /// `actual` ÷ `target` × 100, one decimal (may pass 100); absent for a target of 0.
    pub percent: Option<f64>,
}

/// A workroom's annual plan (年度计划) with its quantified targets (量化指标) and progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct Plan {
    /// Workroom id.
    pub workroom: String,
    pub workroom_name: String,
    pub district: String,
    pub year: i32,
    pub targets: Vec<TargetProgress>,
    /// Overall completion in percent (two decimals): see `completion_rule`.
    pub completion_percent: Option<f64>,
    pub completion_rule: String,
    pub note: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    /// The staff account that wrote it; `null` for residents (the public face).
    pub created_by: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// `null` for residents, like `created_by`.
    pub updated_by: Option<String>,
}

impl Plan {
    pub fn from_row(
        row: PlanRow,
        workroom_name: String,
        district: String,
        targets: Vec<TargetProgress>,
        completion: Option<i64>,
    ) -> Plan {
        Plan {
            workroom: row.workroom_id,
            workroom_name,
            district,
            year: row.year,
            targets,
            completion_percent: completion.map(as_percent),
            completion_rule: COMPLETION_RULE.into(),
            note: row.note,
            version: row.version,
            created_at: utc(row.created_at),
            created_by: Some(row.created_by),
            updated_at: utc(row.updated_at),
            updated_by: Some(row.updated_by),
        }
    }

    /// The public face: who wrote it withheld.
    pub fn public(mut self) -> Plan {
        self.created_by = None;
        self.updated_by = None;
        self
    }
}

/// A whole annual plan: `PUT` creates it, or replaces it (targets left out are dropped).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// Target per activity type, by its name (e.g. `{"consultation": 12, "reception": 48,
    /// "report_submitted": 6}`); each 0 to 100000, at least one above 0 (all 0 is a 422).
    #[schema(schema_with = targets_schema)]
    pub targets: BTreeMap<String, i64>,
    #[schema(pattern = "\\S", max_length = 2000)]
    pub note: Option<String>,
    /// When replacing: the version you read (or send `If-Match`).
    pub version: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BulletinQuery {
    /// Calendar year (default: the current one).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// 1 to 4: the bulletin counts from 1 January to the end of this quarter.
    #[param(minimum = 1, maximum = 4)]
    pub quarter: i32,
    /// Required for citywide callers; others get their own district.
    pub district: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One target on the bulletin, prorated to the end of the quarter.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulletinTarget {
    #[serde(rename = "type")]
    pub activity_type: ActivityType,
    pub annual_target: i32,
    /// The part of the annual target due by the end of the quarter (see `proration_rule`).
    pub target_to_date: f64,
    /// Activities recorded at the workroom from 1 January to the end of the quarter.
    pub actual: i64,
    /// `actual` ÷ `target_to_date` × 100, one decimal (may pass 100); absent for a target of 0.
    pub percent: Option<f64>,
}

/// One workroom's line on the bulletin.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulletinEntry {
    /// By overall completion; equal completion shares a rank.
    pub rank: i64,
    pub workroom: String,
    pub name: String,
    pub kind: WorkroomKind,
    pub subdistrict: String,
    pub status: WorkroomStatus,
    /// Overall completion in percent (two decimals): see `completion_rule`.
    pub completion_percent: Option<f64>,
    pub targets: Vec<BulletinTarget>,
}

/// The progress bulletin (通报): a district's planned workrooms against their targets to the
/// end of a quarter, ranked for the office to publish.
#[derive(Debug, Serialize, ToSchema)]
pub struct Bulletin {
    pub year: i32,
    pub quarter: i32,
    pub district: String,
    /// First day counted (1 January).
    pub from: NaiveDate,
    /// Last day counted (the quarter's last day).
    pub to: NaiveDate,
    pub proration_rule: String,
    pub completion_rule: String,
    /// Workrooms with a plan for the year (all pages).
    pub ranked_workrooms: i64,
    /// Workrooms of the district, not closed, with no plan for the year.
    pub unplanned_workrooms: i64,
    pub items: Vec<BulletinEntry>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// `targets`: at least one activity type by name, each 0 to [`MAX_TARGET`], nothing else (what
/// `check_targets` checks; that all of them are 0 is a 422 the schema does not state).
fn targets_schema() -> utoipa::openapi::schema::Object {
    use crate::domain::plan::MAX_TARGET;
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Type};
    let mut b = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "Target per activity type, by its name (e.g. `{\"consultation\": 12, \"reception\": 48}`); \
             each 0 to 100000, at least one above 0 (all 0 is a 422).",
        ))
        .min_properties(Some(1))
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    for kind in ActivityType::ALL {
        b = b.property(
            kind.as_str(),
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(MAX_TARGET)),
        );
    }
    b.build()
}
