//! Reports on the wire: the report (with its authors, forwards, adoptions and instructions),
//! what creates and changes one, list filters, revisions, history and the authors' feedback.

use super::utc;
use crate::domain::report::{
    Category, Channel, Guards, InstructionLevel, Level, ReportAction, ReportStatus, RevisionKind,
    chars,
};
use crate::models::report::{
    AdoptionRow, AuthorRow, Details, ForwardRow, InstructionRow, ReportRow, RevisionRow,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use xs_kit::enums::stored;
use xs_kit::lifecycle::HistoryRow;
use xs_kit::{ApiError, ApiResult};

/// An author of a report (a committee member).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Author {
    pub member_id: String,
    /// The member's name when they were named an author.
    pub name: String,
}

/// The resident who raised what a report says (reports from a resident channel only).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResidentContact {
    /// Masked (`张*`) unless the caller is the office of the report's district.
    pub name: Option<String>,
    /// Masked (`138****1234`) unless the caller is the office of the report's district.
    pub phone: Option<String>,
    pub masked: bool,
}

/// A title and body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportText {
    pub title: String,
    pub body: String,
}

/// One level or department a report was forwarded to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Forward {
    pub level: Level,
    /// The department's name, when `level` is `department`.
    pub department: Option<String>,
    pub date: NaiveDate,
}

/// One adoption (采用).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Adoption {
    pub id: String,
    pub level: Level,
    pub department: Option<String>,
    pub date: NaiveDate,
    /// The adopting body's document number (e.g. 闽政协信〔2026〕12号).
    pub document_number: Option<String>,
}

/// A leader's instruction (批示).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Instruction {
    pub id: String,
    /// Who gave it.
    pub leader: String,
    /// Their office (e.g. 副省长).
    pub leader_title: String,
    pub level: InstructionLevel,
    pub date: NaiveDate,
    pub text: String,
}

/// A social-situation report (社情民意信息).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub id: String,
    /// The current title: once accepted, the office's version.
    pub title: String,
    /// The current body (plain text): once accepted, the office's version.
    pub body: String,
    pub category: Category,
    pub district: String,
    pub source_channel: Channel,
    /// One or more members; a joint report has several.
    pub authors: Vec<Author>,
    /// Only for reports from a resident channel (reception, mailbox, hotline, wechat).
    pub resident_contact: Option<ResidentContact>,
    /// The consultation topic it came from (consultation service).
    pub topic: Option<String>,
    /// The visitor reception it came from (consultation service).
    pub reception: Option<String>,
    /// The liaison event it came from, and the suggestion raised there (liaison service).
    pub liaison_event: Option<String>,
    pub liaison_suggestion: Option<String>,
    pub status: ReportStatus,
    /// What `POST /reports/{id}/transitions` accepts now from this caller.
    pub allowed_actions: Vec<ReportAction>,
    /// Once accepted: the authors' text as they submitted it (the office may have edited the
    /// current text).
    pub original: Option<ReportText>,
    /// The comments of the latest return, for the authors' revision.
    pub review_comments: Option<String>,
    /// Why it was rejected.
    pub rejection_reason: Option<String>,
    pub forwards: Vec<Forward>,
    pub adoptions: Vec<Adoption>,
    pub instructions: Vec<Instruction>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub forwarded_at: Option<DateTime<Utc>>,
    pub adopted_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// How the caller stands to one report: what the view shows them.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    /// The resident's contact whole.
    pub sees_contact: bool,
    /// The district's office: the office's actions.
    pub is_office: bool,
    /// One of the authors: `submit`.
    pub is_author: bool,
}

fn author(a: AuthorRow) -> Author {
    Author {
        member_id: a.member_id,
        name: a.member_name,
    }
}

fn forward(r: ForwardRow) -> ApiResult<Forward> {
    Ok(Forward {
        level: stored("forward level", &r.level)?,
        department: r.department,
        date: r.forwarded_on,
    })
}

fn adoption(r: AdoptionRow) -> ApiResult<Adoption> {
    Ok(Adoption {
        level: stored("adoption level", &r.level)?,
        id: r.id,
        department: r.department,
        date: r.adopted_on,
        document_number: r.document_number,
    })
}

fn instruction(r: InstructionRow) -> ApiResult<Instruction> {
    Ok(Instruction {
        level: stored("instruction level", &r.level)?,
        id: r.id,
        leader: r.leader,
        leader_title: r.leader_title,
        date: r.instructed_on,
        text: r.text,
    })
}

impl Report {
    /// The report as `viewer` sees it, from its row and its details (taken out of `d`).
    pub fn build(r: ReportRow, d: &mut Details, viewer: Viewer) -> ApiResult<Report> {
        let status: ReportStatus = stored("report status", &r.status)?;
        let guards = Guards {
            body_chars: chars(&r.body),
        };
        let allowed_actions = xs_kit::lifecycle::allowed(status, &guards)
            .into_iter()
            .filter(|a| viewer.is_office || (a.by_authors() && viewer.is_author))
            .collect();
        let resident_contact =
            (r.resident_name.is_some() || r.resident_phone.is_some()).then(|| {
                if viewer.sees_contact {
                    ResidentContact {
                        name: r.resident_name.clone(),
                        phone: r.resident_phone.clone(),
                        masked: false,
                    }
                } else {
                    ResidentContact {
                        name: r.resident_name.as_deref().map(xs_kit::mask::name),
                        phone: r.resident_phone.as_deref().map(xs_kit::mask::phone),
                        masked: true,
                    }
                }
            });
        let original = match (status.is_published(), r.submitted_title, r.submitted_body) {
            (true, Some(title), Some(body)) => Some(ReportText { title, body }),
            _ => None,
        };
        let take = |id: &str| id.to_string();
        let id = take(&r.id);
        Ok(Report {
            authors: d
                .authors
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(author)
                .collect(),
            forwards: d
                .forwards
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(forward)
                .collect::<ApiResult<_>>()?,
            adoptions: d
                .adoptions
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(adoption)
                .collect::<ApiResult<_>>()?,
            instructions: d
                .instructions
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(instruction)
                .collect::<ApiResult<_>>()?,
            id,
            title: r.title,
            body: r.body,
            category: stored("report category", &r.category)?,
            district: r.district_code,
            source_channel: stored("report channel", &r.source_channel)?,
            resident_contact,
            topic: r.topic_id,
            reception: r.reception_id,
            liaison_event: r.liaison_event_id,
            liaison_suggestion: r.liaison_suggestion_id,
            status,
            allowed_actions,
            original,
            review_comments: r.review_comments,
            rejection_reason: r.rejection_reason,
            submitted_at: r.submitted_at.map(utc),
            accepted_at: r.accepted_at.map(utc),
            forwarded_at: r.forwarded_at.map(utc),
            adopted_at: r.adopted_at.map(utc),
            version: r.version,
            created_at: utc(r.created_at),
            created_by: r.created_by,
            updated_at: utc(r.updated_at),
            updated_by: r.updated_by,
        })
    }

    pub const CSV_HEADER: &'static [&'static str] = &[
        "id",
        "title",
        "body",
        "category",
        "district",
        "source_channel",
        "status",
        "authors",
        "resident_name",
        "resident_phone",
        "topic",
        "reception",
        "liaison_suggestion",
        "adopted_by",
        "instructions",
        "submitted_at",
        "accepted_at",
        "created_at",
    ];

    /// One CSV row: the JSON fields as columns (authors by name, adoptions by level or
    /// department, separated by `;`), masked the same way.
    pub fn csv_row(&self) -> Vec<String> {
        use xs_kit::csv::{instant, opt};
        let contact = self.resident_contact.as_ref();
        vec![
            self.id.clone(),
            self.title.clone(),
            self.body.clone(),
            self.category.as_str().into(),
            self.district.clone(),
            self.source_channel.as_str().into(),
            self.status.as_str().into(),
            self.authors
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(";"),
            contact.and_then(|c| c.name.clone()).unwrap_or_default(),
            contact.and_then(|c| c.phone.clone()).unwrap_or_default(),
            opt(&self.topic),
            opt(&self.reception),
            opt(&self.liaison_suggestion),
            self.adoptions
                .iter()
                .map(|a| {
                    a.department
                        .clone()
                        .unwrap_or_else(|| a.level.as_str().into())
                })
                .collect::<Vec<_>>()
                .join(";"),
            self.instructions.len().to_string(),
            self.submitted_at.as_ref().map(instant).unwrap_or_default(),
            self.accepted_at.as_ref().map(instant).unwrap_or_default(),
            instant(&self.created_at),
        ]
    }
}

/// A new report. Members write their own (they must be among the authors, in their own
/// district); the office writes for any members of its district.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    /// 1 to 200 characters.
    #[schema(pattern = "\\S", max_length = 200)]
    pub title: String,
    /// Plain text; up to 20,000 characters in a draft, at most 1,500 to be submitted.
    #[schema(pattern = "\\S", max_length = 20000)]
    pub body: String,
    pub category: Category,
    /// District code; the authors must be members of it.
    #[schema(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub district: String,
    pub source_channel: Channel,
    /// Member ids, at least one and at most 20, each once; members of `district`.
    #[schema(value_type = std::collections::BTreeSet<xs_kit::apidoc::Text64>, inline, min_items = 1, max_items = 20)]
    pub authors: Vec<String>,
    /// The resident's name, for a resident channel only (reception, mailbox, hotline, wechat).
    #[schema(pattern = "\\S", max_length = 50)]
    pub resident_name: Option<String>,
    /// The resident's phone (7 to 15 digits, with an optional leading `+`, spaces or
    /// dashes), for a resident channel only.
    #[schema(pattern = r"^(?=(?:[^0-9]*[0-9]){7,15}[^0-9]*$)\+?[0-9 -]*$")]
    pub resident_phone: Option<String>,
    /// A consultation topic (consultation service) it came from, in `district`.
    #[schema(pattern = "\\S", max_length = 64)]
    pub topic: Option<String>,
    /// A visitor reception of the consultation service, in `district`.
    #[schema(pattern = "\\S", max_length = 64)]
    pub reception: Option<String>,
    /// A suggestion raised at a liaison event (liaison service), in `district`.
    #[schema(pattern = "\\S", max_length = 64)]
    pub liaison_suggestion: Option<String>,
    /// The liaison event; if given with `liaison_suggestion` it must be the suggestion's.
    #[schema(pattern = "\\S", max_length = 64)]
    pub liaison_event: Option<String>,
}

/// A partial update: absent fields stay, `null` clears. A draft or returned report is edited
/// by its authors or the office; a submitted one or one under review by the office only
/// (an `office_edited` revision); an accepted, rejected, forwarded or adopted one not at all.
/// Every change of the text keeps a revision.
#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportPatch {
    pub version: Option<i64>,
    #[schema(pattern = "\\S", max_length = 200)]
    pub title: Option<String>,
    #[schema(pattern = "\\S", max_length = 20000)]
    pub body: Option<String>,
    pub category: Option<Category>,
    pub source_channel: Option<Channel>,
    #[schema(value_type = Option<std::collections::BTreeSet<xs_kit::apidoc::Text64>>, inline, min_items = 1, max_items = 20)]
    pub authors: Option<Vec<String>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(pattern = "\\S", max_length = 50)]
    pub resident_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(pattern = r"^(?=(?:[^0-9]*[0-9]){7,15}[^0-9]*$)\+?[0-9 -]*$")]
    pub resident_phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(pattern = "\\S", max_length = 64)]
    pub reception: Option<Option<String>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(pattern = "\\S", max_length = 64)]
    pub liaison_suggestion: Option<Option<String>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(pattern = "\\S", max_length = 64)]
    pub liaison_event: Option<Option<String>>,
    /// The consultation topic it came from (`null` clears).
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(pattern = "\\S", max_length = 64)]
    pub topic: Option<Option<String>>,
}

impl ReportPatch {
    /// Does the patch change more than the text (what the office may edit under review)?
    pub fn touches_more_than_text(&self) -> bool {
        self.category.is_some()
            || self.source_channel.is_some()
            || self.authors.is_some()
            || self.resident_name.is_some()
            || self.resident_phone.is_some()
            || self.reception.is_some()
            || self.liaison_suggestion.is_some()
            || self.liaison_event.is_some()
            || self.topic.is_some()
    }
}

/// List filters for `GET /api/v1/reports`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    pub status: Option<ReportStatus>,
    pub category: Option<Category>,
    pub district: Option<String>,
    /// A member id: reports they are an author of.
    pub author: Option<String>,
    pub channel: Option<Channel>,
    /// Reports adopted at least once at this level.
    pub adopted_level: Option<Level>,
    /// Created on or after this day (UTC).
    pub from: Option<NaiveDate>,
    /// Created on or before this day (UTC).
    pub to: Option<NaiveDate>,
    /// Words or Chinese text in the title or body (the kit's Chinese search: every pair of
    /// neighbouring characters, words as prefixes), at most 100 characters. Needs at least one
    /// letter, digit or Chinese character (else 422).
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Page size, 1 to 200 (default 50). Not with `Accept: text/csv`.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A level or department to forward to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardTarget {
    pub level: Level,
    /// Required with `level` = `department` (its name, up to 100 characters), else refused
    /// (422).
    #[schema(pattern = "\\S", max_length = 100)]
    pub department: Option<String>,
}

/// An adoption to record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdoptionInput {
    pub level: Level,
    /// Required with `level` = `department`, else refused (422).
    #[schema(pattern = "\\S", max_length = 100)]
    pub department: Option<String>,
    /// Not before the report was accepted, not in the future.
    pub date: NaiveDate,
    #[schema(pattern = "\\S", max_length = 100)]
    pub document_number: Option<String>,
}

/// A leader instruction to record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstructionInput {
    #[schema(pattern = "\\S", max_length = 50)]
    pub leader: String,
    #[schema(pattern = "\\S", max_length = 100)]
    pub leader_title: String,
    pub level: InstructionLevel,
    /// Not before the report was accepted, not in the future.
    pub date: NaiveDate,
    #[schema(pattern = "\\S", max_length = 2000)]
    pub text: String,
}

/// A state change: `action` plus what that action records. Fields that do not belong to the
/// action are refused.
///
/// - `submit`, `start_review`: nothing
/// - `return`: `comments` (what to revise)
/// - `reject`: `reason`
/// - `accept`: optional `title` and `body`, the office's edited version (body at most 1,500)
/// - `forward`: `targets` (one or more levels or departments), optional `date` (default today)
/// - `adopt`: `adoption`
/// - `instruct`: `instruction`
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ReportTransitionRequest)]
pub struct TransitionRequest {
    pub action: ReportAction,
    /// Optional: the version you read; a stale one is a 412.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "\\S", max_length = 2000)]
    pub comments: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "\\S", max_length = 2000)]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "\\S", max_length = 200)]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "\\S", max_length = 1500)]
    pub body: Option<String>,
    /// `forward`: 1 to 10, each level or department once (a repeat is a 422).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 1, max_items = 10)]
    pub targets: Option<Vec<ForwardTarget>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adoption: Option<AdoptionInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction: Option<InstructionInput>,
}

/// One revision of a report's text.
#[derive(Debug, Serialize, ToSchema)]
pub struct Revision {
    /// 1 for the first text, then one more for each change.
    pub number: i32,
    pub kind: RevisionKind,
    /// The report's state when the text was written.
    pub status: ReportStatus,
    pub title: String,
    pub body: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

impl Revision {
    pub fn from_row(r: RevisionRow) -> ApiResult<Revision> {
        Ok(Revision {
            number: r.number,
            kind: stored("revision kind", &r.kind)?,
            status: stored("report status", &r.status)?,
            title: r.title,
            body: r.body,
            at: utc(r.created_at),
            by: r.created_by,
        })
    }
}

/// One entry of a report's history: its creation, then every transition.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ReportHistoryEntry)]
pub struct HistoryEntry {
    pub id: String,
    /// `create` for the report's creation, else the transition's action.
    pub action: String,
    pub from_status: Option<ReportStatus>,
    pub to_status: ReportStatus,
    /// What the request recorded (comments, reason, levels, adoption, instruction).
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
                .map(|s| stored("report status", s))
                .transpose()?,
            to_status: stored("report status", &r.to_state)?,
            details: serde_json::from_str(&r.details).map_err(ApiError::internal)?,
            id: r.id,
            action: r.action,
            at: utc(r.created_at),
            by: r.created_by,
        })
    }
}

/// One step of what happened to a report, as its authors follow it: no office account ids.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackEntry {
    pub at: DateTime<Utc>,
    /// `create`, `submit`, `start_review`, `return`, `reject`, `accept`, `forward`, `adopt`
    /// or `instruct`.
    pub action: String,
    /// The report's state after the step.
    pub status: ReportStatus,
    /// What the step says to the authors: the return's comments, the rejection's reason,
    /// whether the office edited the text, the levels forwarded to, the adoption, the
    /// instruction.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl FeedbackEntry {
    pub fn from_row(r: HistoryRow) -> ApiResult<FeedbackEntry> {
        Ok(FeedbackEntry {
            status: stored("report status", &r.to_state)?,
            details: serde_json::from_str(&r.details).map_err(ApiError::internal)?,
            action: r.action,
            at: utc(r.created_at),
        })
    }
}
