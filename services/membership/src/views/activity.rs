use super::utc;
pub use crate::domain::evaluation::{ActivityType, Thresholds};
use crate::domain::evaluation::{Grade, LevelPointsTable, PointsTable};
use crate::domain::workroom::{WorkroomKind, WorkroomStatus};
use crate::models::activity::{ActivityRow, RuleYearRow};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An activity record (履职记录): what a member did, and the points it earned when recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct Activity {
    pub id: String,
    /// Member id.
    pub member: String,
    /// The member's district when the activity was recorded.
    pub district: String,
    #[serde(rename = "type")]
    #[schema(value_type = ActivityType)]
    pub activity_type: String,
    pub date: NaiveDate,
    /// Workroom id, when it happened at one.
    pub workroom: Option<String>,
    /// People helped.
    pub beneficiaries: i32,
    /// Problems solved for residents.
    pub problems_solved: i32,
    pub note: Option<String>,
    /// Points earned, fixed when recorded.
    pub points: i32,
    /// The year whose rule table gave the points.
    pub rule_year: i32,
    /// True when an admin set the points instead of the rule table.
    pub points_overridden: bool,
    /// `manual`, or the service that reported the activity.
    pub source: String,
    /// The reporting service's event id (absent for manual records).
    pub source_event_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

impl Activity {
    /// The columns of a CSV export: the JSON fields, in order.
    pub const CSV_HEADER: &'static [&'static str] = &[
        "id",
        "member",
        "district",
        "type",
        "date",
        "workroom",
        "beneficiaries",
        "problems_solved",
        "note",
        "points",
        "rule_year",
        "points_overridden",
        "source",
        "source_event_id",
        "created_at",
        "created_by",
    ];

    /// The record as a CSV row.
    pub fn csv_row(&self) -> Vec<String> {
        use xs_kit::csv::{instant, opt};
        vec![
            self.id.clone(),
            self.member.clone(),
            self.district.clone(),
            self.activity_type.clone(),
            self.date.to_string(),
            opt(&self.workroom),
            self.beneficiaries.to_string(),
            self.problems_solved.to_string(),
            opt(&self.note),
            self.points.to_string(),
            self.rule_year.to_string(),
            self.points_overridden.to_string(),
            self.source.clone(),
            opt(&self.source_event_id),
            instant(&self.created_at),
            self.created_by.clone(),
        ]
    }
}

impl From<ActivityRow> for Activity {
    fn from(r: ActivityRow) -> Activity {
        Activity {
            id: r.id,
            member: r.member_id,
            district: r.district_code,
            activity_type: r.activity_type,
            date: r.activity_date,
            workroom: r.workroom_id,
            beneficiaries: r.beneficiaries,
            problems_solved: r.problems_solved,
            note: r.note,
            points: r.points,
            rule_year: r.rule_year,
            points_overridden: r.points_overridden,
            source: r.source_service,
            source_event_id: r.source_event_id,
            created_at: utc(r.created_at),
            created_by: r.created_by,
        }
    }
}

/// A record made by hand (office staff, coordinators, admins). Points come from the rule
/// table; only an admin may set them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewActivity {
    #[schema(pattern = "\\S", max_length = 64)]
    pub member: String,
    #[serde(rename = "type")]
    pub activity_type: ActivityType,
    pub date: NaiveDate,
    #[schema(pattern = "\\S", max_length = 64)]
    pub workroom: Option<String>,
    /// People served, 0 to 1000000.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000)]
    pub beneficiaries: i32,
    /// 0 to 10000.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10000)]
    pub problems_solved: i32,
    #[schema(pattern = "\\S", max_length = 2000)]
    pub note: Option<String>,
    /// Admins only: points instead of the rule table's, 0 to 1000.
    #[schema(minimum = 0, maximum = 1000)]
    pub points: Option<i32>,
}

/// What another service reports (a consultation held, a report adopted): a contract between
/// services, so it lives in the kit.
pub use xs_kit::contracts::ActivityEvent;

/// List filters for `GET /api/v1/activities`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    pub member: Option<String>,
    pub district: Option<String>,
    #[serde(rename = "type")]
    pub activity_type: Option<ActivityType>,
    /// First date, inclusive.
    pub from: Option<NaiveDate>,
    /// Last date, inclusive.
    pub to: Option<NaiveDate>,
    pub workroom: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A year's rule table: points per activity type and the grade thresholds.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationRules {
    /// The year asked about.
    pub year: i32,
    /// The year whose table applies (the latest one not after `year`).
    pub rule_year: i32,
    pub excellent_min: i32,
    pub competent_min: i32,
    /// Points per activity type.
    #[schema(value_type = std::collections::BTreeMap<String, i32>)]
    pub points: PointsTable,
    /// Points by level for the types given them (`report_adopted`: by who adopted the report);
    /// a level left out earns the type's points.
    #[schema(value_type = std::collections::BTreeMap<String, std::collections::BTreeMap<String, i32>>)]
    pub level_points: LevelPointsTable,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl EvaluationRules {
    pub fn from_row(
        year: i32,
        row: RuleYearRow,
        points: PointsTable,
        level_points: LevelPointsTable,
    ) -> EvaluationRules {
        EvaluationRules {
            year,
            rule_year: row.year,
            excellent_min: row.excellent_min,
            competent_min: row.competent_min,
            points,
            level_points,
            version: row.version,
            updated_at: utc(row.updated_at),
            updated_by: row.updated_by,
        }
    }
}

/// A year's whole rule table: every activity type must be given.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesInput {
    #[schema(minimum = 0)]
    pub excellent_min: i32,
    #[schema(minimum = 0)]
    pub competent_min: i32,
    /// Points per activity type (every type, by its name).
    #[schema(schema_with = points_schema)]
    pub points: std::collections::BTreeMap<String, i32>,
    /// Optional points by level: `{"report_adopted": {"national": 20, ...}}` (levels
    /// `municipal`, `provincial`, `national`, `department`); a level left out earns the type's
    /// points. Left out: none.
    #[serde(default)]
    #[schema(schema_with = level_points_schema)]
    pub level_points: std::collections::BTreeMap<String, std::collections::BTreeMap<String, i32>>,
    /// The version you read, when replacing an existing year (or send `If-Match`).
    pub version: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// Calendar year (default: the current one).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
}

/// Points from one type of activity.
#[derive(Debug, Serialize, ToSchema)]
pub struct TypePoints {
    #[serde(rename = "type")]
    #[schema(value_type = ActivityType)]
    pub activity_type: String,
    pub activities: i64,
    pub points: i64,
}

/// A member's yearly evaluation (履职考评).
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberEvaluation {
    pub member: String,
    pub name: String,
    pub district: String,
    pub year: i32,
    /// The year whose thresholds grade it.
    pub rule_year: i32,
    pub by_type: Vec<TypePoints>,
    pub activities: i64,
    pub total_points: i64,
    /// Rank among the district's members (ties share a rank).
    pub rank: i64,
    /// How many members the district ranks.
    pub ranked_members: i64,
    pub grade: Grade,
    pub thresholds: Thresholds,
}

/// One line of a district's ranked evaluation.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationEntry {
    pub rank: i64,
    pub member: String,
    pub name: String,
    pub sector: Option<String>,
    pub activities: i64,
    pub total_points: i64,
    pub grade: Grade,
}

/// A district's ranked evaluation, one page at a time.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationList {
    pub year: i32,
    pub district: String,
    pub rule_year: i32,
    pub thresholds: Thresholds,
    /// How many members the district ranks.
    pub ranked_members: i64,
    pub items: Vec<EvaluationEntry>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EvaluationQuery {
    /// Calendar year (default: the current one).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// Required for citywide callers; others get their own district.
    pub district: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Office staff get their own district; others may leave it out for all districts.
    pub district: Option<String>,
    /// First date of activities counted, inclusive.
    pub from: Option<NaiveDate>,
    /// Last date of activities counted, inclusive.
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SectorCount {
    /// Sector code; absent for members without one.
    pub sector: Option<String>,
    pub members: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TypeStats {
    #[serde(rename = "type")]
    #[schema(value_type = ActivityType)]
    pub activity_type: String,
    /// Records of this type (events held, participations).
    pub activities: i64,
    /// Sum of beneficiaries.
    pub people_helped: i64,
    pub problems_solved: i64,
}

/// Membership statistics, all computed from the register and the activity records.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipStats {
    pub district: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Active members.
    pub members: i64,
    pub members_by_sector: Vec<SectorCount>,
    pub activities: i64,
    pub people_helped: i64,
    pub problems_solved: i64,
    pub activities_by_type: Vec<TypeStats>,
    /// Workrooms in the register now (not limited by `from`/`to`), in any state.
    pub workrooms: i64,
    pub workrooms_by_kind: Vec<KindCount>,
    pub workrooms_by_status: Vec<StatusCount>,
    pub workrooms_by_kind_and_status: Vec<KindStatusCount>,
    /// Active members serving in at least one workroom that is not closed.
    pub members_placed: i64,
    /// Active members serving in no workroom (or only in closed ones).
    pub members_not_placed: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WorkroomKindCount)]
pub struct KindCount {
    #[schema(value_type = WorkroomKind)]
    pub kind: String,
    pub workrooms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WorkroomStatusCount)]
pub struct StatusCount {
    #[schema(value_type = WorkroomStatus)]
    pub status: String,
    pub workrooms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KindStatusCount {
    #[schema(value_type = WorkroomKind)]
    pub kind: String,
    #[schema(value_type = WorkroomStatus)]
    pub status: String,
    pub workrooms: i64,
}

/// 0 to [`MAX_POINTS`] points.
fn points_value() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
        .minimum(Some(0))
        .maximum(Some(crate::domain::evaluation::MAX_POINTS))
        .build()
}

/// `points`: every activity type by name, each 0 to 1000, nothing else (what `put_rules`
/// checks).
fn points_schema() -> utoipa::openapi::schema::Object {
    use crate::domain::evaluation::ActivityType;
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Type};
    let mut b = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "Points per activity type: every type, each 0 to 1000.",
        ))
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    for kind in ActivityType::ALL {
        b = b
            .property(kind.as_str(), points_value())
            .required(kind.as_str());
    }
    b.build()
}

/// `level_points`: only types with levels, each level 0 to 1000, nothing else.
fn level_points_schema() -> utoipa::openapi::schema::Object {
    use crate::domain::evaluation::{ActivityLevel, ActivityType, has_levels};
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Type};
    let mut b = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "Optional points by level for the types that have levels (`report_adopted`).",
        ))
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    for kind in ActivityType::ALL.iter().filter(|k| has_levels(**k)) {
        let mut levels = ObjectBuilder::new()
            .schema_type(Type::Object)
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        for level in ActivityLevel::ALL {
            levels = levels.property(level.as_str(), points_value());
        }
        b = b.property(kind.as_str(), levels.build());
    }
    b.build()
}
