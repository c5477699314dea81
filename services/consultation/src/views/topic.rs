pub use crate::domain::topic::{TopicAction, TopicCategory, TopicOrigin, TopicStatus};

use super::utc;
use crate::domain::topic::Face;
use crate::models::topic::TopicRow;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use xs_kit::ApiResult;
use xs_kit::enums::stored;

/// A topic (议题).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Topic {
    pub id: String,
    pub title: String,
    pub description: String,
    pub district: String,
    pub subdistrict: String,
    pub community: Option<String>,
    /// The workroom it was raised at, if any.
    pub workroom: Option<String>,
    pub category: TopicCategory,
    pub origin: TopicOrigin,
    pub status: TopicStatus,
    /// The account that raised it: `null` on the public face (residents never see another
    /// resident's identity).
    pub raised_by: Option<String>,
    /// The role it was raised with (`resident`, `member`, `coordinator`, …).
    pub raised_by_role: String,
    /// The member who proposed a member-chosen topic.
    pub proposer_member: Option<String>,
    /// A resident's contact name: whole for the district's staff and the resident, masked
    /// (`张*`) for members and integrations, `null` on the public face.
    pub contact_name: Option<String>,
    /// Likewise the contact phone (`138****1234` masked).
    pub contact_phone: Option<String>,
    pub contact_masked: bool,
    /// Members who claimed it.
    pub claimed_members: Vec<String>,
    /// The workroom that claimed it.
    pub claimed_workroom: Option<String>,
    /// Why it was declined (shown to whoever raised it).
    pub declined_reason: Option<String>,
    /// The topic it was merged into; whoever raised this one follows that one.
    pub merged_into: Option<String>,
    pub raised_on: NaiveDate,
    pub resolved_on: Option<NaiveDate>,
    /// Days from raising to resolution.
    pub resolution_days: Option<i32>,
    /// The consultations that took it up.
    pub consultations: Vec<String>,
    /// What the caller may do next (`POST /topics/{id}/transitions`).
    pub allowed_actions: Vec<TopicAction>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    /// `null` outside the office's view.
    pub created_by: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<String>,
}

impl Topic {
    pub fn from_row(
        r: TopicRow,
        face: Face,
        consultations: Vec<String>,
        allowed_actions: Vec<TopicAction>,
    ) -> ApiResult<Topic> {
        let claimed_members = r.claimants();
        let office = matches!(face, Face::Office | Face::Register);
        let (contact_name, contact_phone, contact_masked) = match face {
            Face::Office | Face::Raiser => (r.contact_name, r.contact_phone, false),
            Face::Register => {
                let masked = r.contact_name.is_some() || r.contact_phone.is_some();
                (
                    r.contact_name.as_deref().map(xs_kit::mask::name),
                    r.contact_phone.as_deref().map(xs_kit::mask::phone),
                    masked,
                )
            }
            Face::Public => (None, None, false),
        };
        Ok(Topic {
            status: stored("topic status", &r.status)?,
            origin: stored("topic origin", &r.origin)?,
            category: stored("topic category", &r.category)?,
            raised_by: (face != Face::Public).then_some(r.raised_by),
            raised_by_role: r.raised_by_role,
            proposer_member: r.proposer_member_id,
            contact_name,
            contact_phone,
            contact_masked,
            claimed_members,
            claimed_workroom: r.claimed_workroom_id,
            declined_reason: (face != Face::Public)
                .then_some(r.declined_reason)
                .flatten(),
            merged_into: r.merged_into,
            id: r.id,
            title: r.title,
            description: r.description,
            district: r.district_code,
            subdistrict: r.subdistrict_code,
            community: r.community_code,
            workroom: r.workroom_id,
            raised_on: r.raised_on,
            resolved_on: r.resolved_on,
            resolution_days: r.resolution_days,
            consultations,
            allowed_actions,
            version: r.version,
            created_at: utc(r.created_at),
            created_by: office.then_some(r.created_by),
            updated_at: utc(r.updated_at),
            updated_by: office.then_some(r.updated_by),
        })
    }
}

/// A resident's contact details for a public topic.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[schema(pattern = "\\S", max_length = 50)]
    pub name: Option<String>,
    #[schema(pattern = r"^(?=(?:[^0-9]*[0-9]){7,15}[^0-9]*$)\+?[0-9 -]*$")]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTopic {
    #[schema(pattern = "\\S", max_length = 100)]
    pub title: String,
    #[schema(pattern = "\\S", max_length = 4000)]
    pub description: String,
    /// District code.
    #[schema(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub district: String,
    /// Subdistrict code (of the district; checked with membership).
    #[schema(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub subdistrict: String,
    /// Community code (of the subdistrict).
    #[schema(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub community: Option<String>,
    /// Workroom id (of the district; for a resident's public topic, an active one).
    #[schema(pattern = "\\S", max_length = 64)]
    pub workroom: Option<String>,
    pub category: TopicCategory,
    pub origin: TopicOrigin,
    /// For member-chosen topics raised by staff: the proposing member (a member raising one
    /// is the proposer).
    #[schema(pattern = "\\S", max_length = 64)]
    pub proposer_member: Option<String>,
    /// A resident's contact details (public topics only).
    pub contact: Option<Contact>,
}

/// A partial update of a topic's description; send the version you read.
#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicPatch {
    pub version: Option<i64>,
    #[schema(pattern = "\\S", max_length = 100)]
    pub title: Option<String>,
    #[schema(pattern = "\\S", max_length = 4000)]
    pub description: Option<String>,
    pub category: Option<TopicCategory>,
    /// Community code (of the topic's subdistrict); `null` clears it.
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub community: Option<Option<String>>,
}

/// One move of a topic's lifecycle.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicTransition {
    /// `claim`, `decline`, `merge`, `resolve` or `leave_unresolved` (the others are made by
    /// consultations).
    pub action: TopicAction,
    pub version: Option<i64>,
    /// `claim`: members who take it up, at most 50 (a member claiming alone may leave it out).
    #[schema(value_type = Option<std::collections::BTreeSet<xs_kit::apidoc::Text64>>, inline, max_items = 50)]
    pub members: Option<Vec<String>>,
    /// `claim`: a workroom that takes it up.
    #[schema(pattern = "\\S", max_length = 64)]
    pub workroom: Option<String>,
    /// `decline` (required): why, shown to whoever raised it.
    #[schema(pattern = "\\S", max_length = 500)]
    pub reason: Option<String>,
    /// `merge` (required): the topic that survives (open or claimed, same district).
    #[schema(pattern = "\\S", max_length = 64)]
    pub into: Option<String>,
    /// `resolve`: the day it was resolved (default today).
    pub date: Option<NaiveDate>,
    #[schema(pattern = "\\S", max_length = 500)]
    pub note: Option<String>,
}

/// List filters for `GET /api/v1/topics`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TopicQuery {
    pub district: Option<String>,
    pub subdistrict: Option<String>,
    pub community: Option<String>,
    pub workroom: Option<String>,
    pub status: Option<TopicStatus>,
    pub origin: Option<TopicOrigin>,
    pub category: Option<TopicCategory>,
    /// Part of the title or description. Chinese characters match anywhere, two or more side
    /// by side (停车 finds 小区停车难); other words match from their start. Needs at least one
    /// letter, digit or Chinese character (else 422); at most 100 characters.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Residents: only the topics they raised (and those theirs were merged into).
    pub mine: Option<bool>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A topic like another, for merging duplicates.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarTopic {
    /// How many of the topic's title words (character pairs) it shares.
    pub shared_terms: i64,
    pub topic: Topic,
}
