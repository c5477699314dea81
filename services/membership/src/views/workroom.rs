use super::utc;
use crate::domain::access::WORKROOMS;
use crate::domain::workroom::{
    Essentials, Guards, SuggestionMatch, Weekday, WorkroomAction, WorkroomKind, WorkroomStatus,
};
use crate::models::workroom::{AssignmentRow, WorkroomRow};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use xs_kit::enums::stored;
use xs_kit::lifecycle::HistoryRow;
use xs_kit::{ApiError, ApiResult, Caller};

/// The on-site inspection (实地考察) last recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct Inspection {
    pub date: NaiveDate,
    /// Who inspected (e.g. the special-committee office).
    pub inspector: String,
    pub findings: Option<String>,
    pub passed: bool,
}

/// The party group's approval (党组批准).
#[derive(Debug, Serialize, ToSchema)]
pub struct Approval {
    /// Who approved (e.g. 区政协党组).
    pub approved_by: String,
    pub date: NaiveDate,
}

/// A workroom (工作室, 活动室, 联络组, 联系点).
#[derive(Debug, Serialize, ToSchema)]
pub struct Workroom {
    pub id: String,
    pub name: String,
    pub kind: WorkroomKind,
    pub district: String,
    pub subdistrict: String,
    pub community: Option<String>,
    /// The organisation hosting it (a judicial office, a chamber of commerce, ...).
    pub host_organisation: Option<String>,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    pub opening_hours: Option<String>,
    /// Fixed reception days (接待日).
    pub reception_days: Vec<Weekday>,
    /// The convener's member id (召集人).
    pub convener: Option<String>,
    pub essentials: Essentials,
    /// All six essentials met.
    pub essentials_met: bool,
    pub status: WorkroomStatus,
    /// What `POST /workrooms/{id}/transitions` accepts now.
    pub allowed_actions: Vec<WorkroomAction>,
    pub inspection: Option<Inspection>,
    pub approval: Option<Approval>,
    pub plaque_awarded_on: Option<NaiveDate>,
    /// Only in `near` searches: kilometres from the given point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    /// Staff account ids: withheld (`null`) from callers who see the public face.
    pub created_by: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<String>,
}

pub fn parse_essentials(text: &str) -> ApiResult<Essentials> {
    serde_json::from_str(text).map_err(ApiError::internal)
}

impl Workroom {
    pub fn from_row(r: WorkroomRow, distance_km: Option<f64>) -> ApiResult<Workroom> {
        let bad = |what: &str| ApiError::internal(corrupt(format!("stored {what} unreadable")));
        let kind = WorkroomKind::parse(&r.kind).ok_or_else(|| bad("kind"))?;
        let status = WorkroomStatus::parse(&r.status).ok_or_else(|| bad("status"))?;
        let essentials = parse_essentials(&r.essentials)?;
        let reception_days: Vec<Weekday> =
            serde_json::from_str(&r.reception_days).map_err(ApiError::internal)?;
        let inspection = match (r.inspected_on, r.inspector, r.inspection_passed) {
            (Some(date), Some(inspector), Some(passed)) => Some(Inspection {
                date,
                inspector,
                findings: r.inspection_findings,
                passed,
            }),
            _ => None,
        };
        let approval = match (r.approved_by, r.approved_on) {
            (Some(approved_by), Some(date)) => Some(Approval { approved_by, date }),
            _ => None,
        };
        let essentials_met = essentials.all_met();
        // What the buttons can do now. An inspection is always possible (a failing one needs no essentials, a passing one
        // may bring them), so the offered actions are computed as for a failing one.
        let guards = Guards {
            inspection_passed: false,
            missing_essentials: essentials.missing(),
        };
        Ok(Workroom {
            allowed_actions: xs_kit::lifecycle::allowed(status, &guards),
            id: r.id,
            name: r.name,
            kind,
            district: r.district_code,
            subdistrict: r.subdistrict_code,
            community: r.community_code,
            host_organisation: r.host_organisation,
            address: r.address,
            latitude: r.latitude,
            longitude: r.longitude,
            opening_hours: r.opening_hours,
            reception_days,
            convener: r.convener_id,
            essentials,
            essentials_met,
            status,
            inspection,
            approval,
            plaque_awarded_on: r.plaque_awarded_on,
            // Metres are plenty for "the nearest studio".
            distance_km: distance_km.map(|d| (d * 1000.0).round() / 1000.0),
            version: r.version,
            created_at: utc(r.created_at),
            created_by: Some(r.created_by),
            updated_at: utc(r.updated_at),
            updated_by: Some(r.updated_by),
        })
    }

    /// Minimum necessary: who may not read the workroom's office record (residents, members,
    /// other districts' staff; see `WORKROOMS`) sees its public face — no inspection record,
    /// no staff account ids, no actions.
    pub fn for_caller(mut self, caller: &Caller) -> Workroom {
        if !WORKROOMS.may_read(caller, &self.district, None) {
            self.inspection = None;
            self.allowed_actions.clear();
            self.created_by = None;
            self.updated_by = None;
        }
        self
    }
}

/// A stored value this code cannot read: a bug or a hand-edited row, never the caller's fault.
fn corrupt(msg: String) -> std::io::Error {
    std::io::Error::other(msg)
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWorkroom {
    #[schema(pattern = "\\S", max_length = 100)]
    pub name: String,
    pub kind: WorkroomKind,
    pub district: String,
    /// A subdistrict or town of `district`.
    pub subdistrict: String,
    /// A community of `subdistrict`.
    pub community: Option<String>,
    #[schema(pattern = "\\S", max_length = 100)]
    pub host_organisation: Option<String>,
    #[schema(pattern = "\\S", max_length = 200)]
    pub address: String,
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: f64,
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: f64,
    #[schema(pattern = "\\S", max_length = 100)]
    pub opening_hours: Option<String>,
    /// Each day once.
    #[serde(default)]
    #[schema(value_type = std::collections::BTreeSet<Weekday>)]
    pub reception_days: Vec<Weekday>,
    /// A member of `district`.
    pub convener: Option<String>,
    /// As declared in the application; the inspection may correct them.
    #[serde(default)]
    pub essentials: Essentials,
}

/// A partial update: absent fields stay, `null` clears. The district and the status do not
/// change here (status: `POST /workrooms/{id}/transitions`).
#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkroomPatch {
    pub version: Option<i64>,
    #[schema(pattern = "\\S", max_length = 100)]
    pub name: Option<String>,
    pub kind: Option<WorkroomKind>,
    pub subdistrict: Option<String>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    pub community: Option<Option<String>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    pub host_organisation: Option<Option<String>>,
    #[schema(pattern = "\\S", max_length = 200)]
    pub address: Option<String>,
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    pub opening_hours: Option<Option<String>>,
    /// Each day once.
    #[schema(value_type = Option<std::collections::BTreeSet<Weekday>>)]
    pub reception_days: Option<Vec<Weekday>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    pub convener: Option<Option<String>>,
    pub essentials: Option<Essentials>,
}

/// List filters for `GET /api/v1/workrooms`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WorkroomQuery {
    pub kind: Option<WorkroomKind>,
    pub status: Option<WorkroomStatus>,
    pub district: Option<String>,
    pub subdistrict: Option<String>,
    /// `latitude,longitude` in decimal degrees, e.g. `24.45,118.08`: nearest first, each with
    /// `distance_km`.
    #[param(
        pattern = r"^ *-?(90(\.0+)?|[1-8]?[0-9](\.[0-9]+)?) *, *-?(180(\.0+)?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]+)?) *$"
    )]
    pub near: Option<String>,
    /// With `near`: how far to look, 0 to 50 km (default 5).
    #[param(exclusive_minimum = 0, maximum = 50)]
    pub radius_km: Option<f64>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page (of the same kind of search).
    pub cursor: Option<String>,
}

/// A state change: `action` plus what that action records. Fields that do not belong to the
/// action are refused.
///
/// - `inspect`: `date`, `inspector`, `passed`, optional `findings` and `essentials` (as found)
/// - `approve`: `approved_by`, `date`
/// - `award_plaque`: `date`
/// - `suspend`, `close`: `reason`
/// - `resume`: optional `note`
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WorkroomTransitionRequest)]
pub struct TransitionRequest {
    pub action: WorkroomAction,
    /// Optional: the version you read; a stale one is a 412.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "\\S", max_length = 100)]
    pub inspector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "\\S", max_length = 2000)]
    pub findings: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub essentials: Option<Essentials>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "\\S", max_length = 100)]
    pub approved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "\\S", max_length = 500)]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "\\S", max_length = 500)]
    pub note: Option<String>,
}

/// One entry of a workroom's history: the application, then every transition.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WorkroomHistoryEntry)]
pub struct HistoryEntry {
    pub id: String,
    /// `apply` for the application itself, else the transition's action.
    pub action: String,
    pub from_status: Option<WorkroomStatus>,
    pub to_status: WorkroomStatus,
    /// What the request recorded (inspection date and findings, reason, ...).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub at: DateTime<Utc>,
    pub by: String,
}

impl HistoryEntry {
    pub fn from_row(r: HistoryRow) -> ApiResult<HistoryEntry> {
        Ok(HistoryEntry {
            from_status: r
                .from_state
                .as_deref()
                .map(|s| stored("workroom status", s))
                .transpose()?,
            to_status: stored("workroom status", &r.to_state)?,
            details: serde_json::from_str(&r.details).map_err(ApiError::internal)?,
            id: r.id,
            action: r.action,
            at: utc(r.created_at),
            by: r.created_by,
        })
    }
}

xs_kit::text_enum! {
    /// A member's role in a workroom.
    pub enum AssignmentRole {
        /// 召集人
        Convener = "convener",
        /// 联络组组长
        GroupLeader = "group_leader",
        Member = "member",
        /// 专职政协工作者
        FullTimeStaff = "full_time_staff",
    }
}

/// A member serving in a workroom.
#[derive(Debug, Serialize, ToSchema)]
pub struct Assignment {
    pub workroom_id: String,
    pub member_id: String,
    pub member_name: String,
    pub role: String,
    pub assigned_at: DateTime<Utc>,
    /// The staff account that assigned them: withheld (`null`) from callers who see the
    /// workroom's public face.
    pub assigned_by: Option<String>,
}

impl Assignment {
    pub fn from_row(r: AssignmentRow, member_name: String) -> Assignment {
        Assignment {
            workroom_id: r.workroom_id,
            member_id: r.member_id,
            member_name,
            role: r.role,
            assigned_at: utc(r.created_at),
            assigned_by: Some(r.created_by),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssignment {
    pub member_id: String,
    pub role: AssignmentRole,
}

/// An active member not yet serving in any workroom who lives or works in its subdistrict.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentSuggestion {
    pub member_id: String,
    pub name: String,
    pub sector: Option<String>,
    pub specialties: Vec<String>,
    pub residence_subdistrict: Option<String>,
    pub workplace_subdistrict: Option<String>,
    /// Why: they live there (first) or work there.
    pub matched_by: SuggestionMatch,
}

/// A workroom on a member's card, with the member's role there.
#[derive(Debug, Serialize, ToSchema)]
pub struct CardWorkroom {
    pub id: String,
    pub name: String,
    pub kind: WorkroomKind,
    pub role: String,
}

/// The public card a workroom shows for a member (photo, name, sector, specialties, phone).
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberCard {
    pub id: String,
    pub name: String,
    pub photo_url: Option<String>,
    /// Sector code (界别).
    pub sector: Option<String>,
    pub sector_name: Option<String>,
    pub specialties: Vec<String>,
    /// Masked (`138****1234`) unless the caller is staff of the member's district or the member.
    pub phone: Option<String>,
    pub phone_masked: bool,
    /// The workrooms the member serves (closed ones left out).
    pub workrooms: Vec<CardWorkroom>,
}
