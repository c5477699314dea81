pub use crate::domain::consultation::{
    ConsultationAction, ConsultationStatus, Format, OpinionStatus, RecipientBody, RecipientKind,
};

use super::{list_of, utc};
use crate::models::consultation::{FollowUpRow, Full, OpinionRow, RecipientRow};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use xs_kit::ApiResult;
use xs_kit::enums::stored;

/// A micro-consultation (微协商).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Consultation {
    pub id: String,
    pub title: String,
    pub district: String,
    pub subdistrict: Option<String>,
    pub workroom: Option<String>,
    /// The topics it takes up.
    pub topics: Vec<String>,
    pub scheduled_on: NaiveDate,
    pub place: String,
    pub format: Format,
    /// Who hosts it (a workroom, a community, a member's name).
    pub host: String,
    /// Participating members (credited when it is held).
    pub members: Vec<String>,
    pub residents_count: i32,
    /// Residents' names: whole for the district's staff, masked (`张*`) for everyone else.
    pub resident_names: Vec<String>,
    pub resident_names_masked: bool,
    pub grassroots_units: Vec<String>,
    pub departments: Vec<String>,
    pub status: ConsultationStatus,
    pub minutes: Option<String>,
    pub held_on: Option<NaiveDate>,
    pub submitted_on: Option<NaiveDate>,
    /// When it was implemented, closed unresolved or cancelled.
    pub closed_on: Option<NaiveDate>,
    pub closing_note: Option<String>,
    pub opinions: Vec<Opinion>,
    pub recipients: Vec<Recipient>,
    /// What the caller may do next (`POST /consultations/{id}/transitions`).
    pub allowed_actions: Vec<ConsultationAction>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// One opinion (协商意见) with the body responsible for it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Opinion {
    pub id: String,
    pub position: i32,
    pub text: String,
    pub responsible_body: String,
    pub status: OpinionStatus,
}

/// A main recipient (报送, with a due date for its reply) or a copy (抄送).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Recipient {
    pub id: String,
    pub kind: RecipientKind,
    pub body: RecipientBody,
    /// The department's name (for `department`), or a more precise name.
    pub name: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub replied_on: Option<NaiveDate>,
    pub reply: Option<String>,
}

impl Opinion {
    pub fn from_row(r: OpinionRow) -> ApiResult<Opinion> {
        Ok(Opinion {
            status: stored("opinion status", &r.status)?,
            id: r.id,
            position: r.position,
            text: r.text,
            responsible_body: r.responsible_body,
        })
    }
}

impl Recipient {
    pub fn from_row(r: RecipientRow) -> ApiResult<Recipient> {
        Ok(Recipient {
            kind: stored("recipient kind", &r.kind)?,
            body: stored("recipient body", &r.body)?,
            id: r.id,
            name: r.name,
            due_on: r.due_on,
            replied_on: r.replied_on,
            reply: r.reply,
        })
    }
}

impl Consultation {
    /// `show_names`: the caller is staff of its district and sees residents' names whole.
    pub fn from_full(
        f: Full,
        show_names: bool,
        allowed_actions: Vec<ConsultationAction>,
    ) -> ApiResult<Consultation> {
        let r = f.row;
        let names: Vec<String> = list_of(&r.resident_names);
        let masked = !show_names && !names.is_empty();
        let resident_names = if show_names {
            names
        } else {
            names.iter().map(|n| xs_kit::mask::name(n)).collect()
        };
        Ok(Consultation {
            format: stored("consultation format", &r.format)?,
            status: stored("consultation status", &r.status)?,
            opinions: f
                .opinions
                .into_iter()
                .map(Opinion::from_row)
                .collect::<ApiResult<_>>()?,
            recipients: f
                .recipients
                .into_iter()
                .map(Recipient::from_row)
                .collect::<ApiResult<_>>()?,
            topics: f.topics,
            members: f.members,
            resident_names,
            resident_names_masked: masked,
            grassroots_units: list_of(&r.grassroots_units),
            departments: list_of(&r.departments),
            allowed_actions,
            id: r.id,
            title: r.title,
            district: r.district_code,
            subdistrict: r.subdistrict_code,
            workroom: r.workroom_id,
            scheduled_on: r.scheduled_on,
            place: r.place,
            host: r.host,
            residents_count: r.residents_count,
            minutes: r.minutes,
            held_on: r.held_on,
            submitted_on: r.submitted_on,
            closed_on: r.closed_on,
            closing_note: r.closing_note,
            version: r.version,
            created_at: utc(r.created_at),
            created_by: r.created_by,
            updated_at: utc(r.updated_at),
            updated_by: r.updated_by,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConsultation {
    #[schema(pattern = "\\S", max_length = 100)]
    pub title: String,
    /// District code.
    #[schema(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub district: String,
    /// Workroom id (of the district; checked with membership).
    #[schema(pattern = "\\S", max_length = 64)]
    pub workroom: Option<String>,
    /// Topic ids (1 to 20, open or claimed, of the district); they become `scheduled`.
    #[schema(value_type = std::collections::BTreeSet<xs_kit::apidoc::Text64>, inline, min_items = 1, max_items = 20)]
    pub topics: Vec<String>,
    pub scheduled_on: NaiveDate,
    #[schema(pattern = "\\S", max_length = 200)]
    pub place: String,
    pub format: Format,
    #[schema(pattern = "\\S", max_length = 100)]
    pub host: String,
    /// Participating member ids (active members of the district; up to 50).
    #[serde(default)]
    #[schema(value_type = std::collections::BTreeSet<xs_kit::apidoc::Text64>, inline, max_items = 50)]
    pub members: Vec<String>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100000)]
    pub residents_count: i32,
    /// Residents' names (optional; personal data, masked outside the district's staff).
    #[serde(default)]
    #[schema(value_type = Vec<xs_kit::apidoc::Text50>, inline, max_items = 200)]
    pub resident_names: Vec<String>,
    /// Grassroots units taking part (communities, property companies, …).
    #[serde(default)]
    #[schema(value_type = Vec<xs_kit::apidoc::Text100>, inline, max_items = 50)]
    pub grassroots_units: Vec<String>,
    /// Government departments taking part.
    #[serde(default)]
    #[schema(value_type = Vec<xs_kit::apidoc::Text100>, inline, max_items = 50)]
    pub departments: Vec<String>,
}

/// A partial update while the consultation is planned; send the version you read.
#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsultationPatch {
    pub version: Option<i64>,
    #[schema(pattern = "\\S", max_length = 100)]
    pub title: Option<String>,
    pub scheduled_on: Option<NaiveDate>,
    #[schema(pattern = "\\S", max_length = 200)]
    pub place: Option<String>,
    pub format: Option<Format>,
    #[schema(pattern = "\\S", max_length = 100)]
    pub host: Option<String>,
    /// Replaces the participating members.
    #[schema(value_type = Option<std::collections::BTreeSet<xs_kit::apidoc::Text64>>, inline, max_items = 50)]
    pub members: Option<Vec<String>>,
    #[schema(minimum = 0, maximum = 100000)]
    pub residents_count: Option<i32>,
    #[schema(value_type = Option<Vec<xs_kit::apidoc::Text50>>, inline, max_items = 200)]
    pub resident_names: Option<Vec<String>>,
    #[schema(value_type = Option<Vec<xs_kit::apidoc::Text100>>, inline, max_items = 50)]
    pub grassroots_units: Option<Vec<String>>,
    #[schema(value_type = Option<Vec<xs_kit::apidoc::Text100>>, inline, max_items = 50)]
    pub departments: Option<Vec<String>>,
}

/// An opinion recorded when the consultation is held.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOpinion {
    #[schema(pattern = "\\S", max_length = 2000)]
    pub text: String,
    /// The body responsible for carrying it out.
    #[schema(pattern = "\\S", max_length = 100)]
    pub responsible_body: String,
}

/// A main recipient of a submission, with the date its reply is due.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRecipient {
    pub body: RecipientBody,
    /// Required for `department`.
    #[schema(pattern = "\\S", max_length = 100)]
    pub name: Option<String>,
    pub due_on: NaiveDate,
}

/// A department a submission is copied to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCopy {
    #[schema(pattern = "\\S", max_length = 100)]
    pub name: String,
}

/// One move of a consultation's lifecycle.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsultationTransition {
    pub action: ConsultationAction,
    pub version: Option<i64>,
    /// `hold`, `submit`, `implement`, `close_unresolved`, `cancel` (required for the first
    /// four): the day it happened, not in the future.
    pub date: Option<NaiveDate>,
    /// `hold` (required): the minutes.
    #[schema(pattern = "\\S", max_length = 10000)]
    pub minutes: Option<String>,
    /// `hold` (required, 1 to 50): the opinions, each with a responsible body.
    #[schema(min_items = 1, max_items = 50)]
    pub opinions: Option<Vec<NewOpinion>>,
    /// `submit` (required, 1 to 10): the main recipients, each with a due date.
    #[schema(min_items = 1, max_items = 10)]
    pub recipients: Option<Vec<NewRecipient>>,
    /// `submit`: departments copied.
    #[schema(max_items = 50)]
    pub copies: Option<Vec<NewCopy>>,
    /// `cancel` (required), `implement`, `close_unresolved`, `follow_up`: a note.
    #[schema(pattern = "\\S", max_length = 2000)]
    pub note: Option<String>,
}

/// A follow-up (跟踪反馈) of a submitted consultation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FollowUp {
    pub id: String,
    pub consultation: String,
    pub date: NaiveDate,
    /// Who followed up.
    pub by_whom: String,
    pub note: String,
    /// A main recipient whose reply this records.
    pub recipient: Option<String>,
    pub reply: Option<String>,
    pub opinions: Vec<OpinionUpdate>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// A new status for one opinion.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpinionUpdate {
    /// Opinion id (of this consultation).
    pub opinion: String,
    pub status: OpinionStatus,
}

impl FollowUp {
    pub fn from_row(r: FollowUpRow) -> FollowUp {
        FollowUp {
            opinions: list_of(&r.opinion_statuses),
            id: r.id,
            consultation: r.consultation_id,
            date: r.follow_up_on,
            by_whom: r.by_whom,
            note: r.note,
            recipient: r.recipient_id,
            reply: r.reply,
            created_at: utc(r.created_at),
            created_by: r.created_by,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFollowUp {
    /// The day of the follow-up, not in the future.
    pub date: NaiveDate,
    #[schema(pattern = "\\S", max_length = 100)]
    pub by_whom: String,
    #[schema(pattern = "\\S", max_length = 2000)]
    pub note: String,
    /// New statuses of the consultation's opinions.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub opinions: Vec<OpinionUpdate>,
    /// A main recipient whose reply came in (with `reply`).
    #[schema(pattern = "\\S", max_length = 64)]
    pub recipient: Option<String>,
    #[schema(pattern = "\\S", max_length = 4000)]
    pub reply: Option<String>,
}

/// A main recipient whose reply is past due.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OverdueReply {
    pub consultation: String,
    pub consultation_title: String,
    pub district: String,
    pub recipient: Recipient,
    pub days_overdue: i32,
}

/// List filters for `GET /api/v1/consultations`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsultationQuery {
    pub district: Option<String>,
    pub status: Option<ConsultationStatus>,
    pub workroom: Option<String>,
    /// Consultations taking up this topic.
    pub topic: Option<String>,
    /// Consultations this member took part in.
    pub member: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Filters for `GET /api/v1/consultations/overdue`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    pub district: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
