pub use crate::domain::reception::{Handling, ReceptionCategory, ReceptionChannel};

use super::utc;
use crate::models::reception::ReceptionRow;
use crate::views::topic::TopicCategory;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use xs_kit::ApiResult;
use xs_kit::enums::stored;

/// A visitor reception (来访接待).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Reception {
    pub id: String,
    pub district: String,
    pub subdistrict: String,
    pub workroom: String,
    pub date: NaiveDate,
    /// Receiving members (each credited).
    pub members: Vec<String>,
    /// The visitor's name: whole for the district's staff and the receiving members, masked
    /// (`张*`) for everyone else.
    pub visitor_name: Option<String>,
    /// The visitor's phone, likewise (`138****1234`).
    pub visitor_contact: Option<String>,
    pub visitor_masked: bool,
    pub channel: ReceptionChannel,
    pub category: ReceptionCategory,
    pub concern: String,
    pub handling: Handling,
    /// The department it was referred to.
    pub referred_to: Option<String>,
    /// The topic it became (created with it).
    pub topic: Option<String>,
    /// The social-situation report it became.
    pub report: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl Reception {
    pub fn from_row(
        r: ReceptionRow,
        members: Vec<String>,
        show_visitor: bool,
    ) -> ApiResult<Reception> {
        let masked = !show_visitor && (r.visitor_name.is_some() || r.visitor_contact.is_some());
        let (name, contact) = if show_visitor {
            (r.visitor_name, r.visitor_contact)
        } else {
            (
                r.visitor_name.as_deref().map(xs_kit::mask::name),
                r.visitor_contact.as_deref().map(xs_kit::mask::phone),
            )
        };
        Ok(Reception {
            channel: stored("reception channel", &r.channel)?,
            category: stored("reception category", &r.category)?,
            handling: stored("reception handling", &r.handling)?,
            visitor_name: name,
            visitor_contact: contact,
            visitor_masked: masked,
            members,
            id: r.id,
            district: r.district_code,
            subdistrict: r.subdistrict_code,
            workroom: r.workroom_id,
            date: r.received_on,
            concern: r.concern,
            referred_to: r.referred_to,
            topic: r.topic_id,
            report: r.report_id,
            version: r.version,
            created_at: utc(r.created_at),
            created_by: r.created_by,
            updated_at: utc(r.updated_at),
            updated_by: r.updated_by,
        })
    }
}

/// The visitor, if they gave their details.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Visitor {
    #[schema(pattern = "\\S", max_length = 50)]
    pub name: Option<String>,
    /// A phone number.
    #[schema(pattern = r"^(?=(?:[^0-9]*[0-9]){7,15}[^0-9]*$)\+?[0-9 -]*$")]
    pub contact: Option<String>,
}

/// The topic a reception becomes (`handling = became_topic`): a public topic at the
/// reception's workroom, raised by whoever records the reception, with the visitor's details
/// as its contact.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceptionTopic {
    #[schema(pattern = "\\S", max_length = 100)]
    pub title: String,
    /// Defaults to the concern.
    #[schema(pattern = "\\S", max_length = 4000)]
    pub description: Option<String>,
    pub category: TopicCategory,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReception {
    /// Workroom id (checked with membership; its district is the reception's).
    #[schema(pattern = "\\S", max_length = 64)]
    pub workroom: String,
    /// The day of the reception, not in the future.
    pub date: NaiveDate,
    /// Receiving member ids (1 to 20, active members of the workroom's district).
    #[schema(value_type = std::collections::BTreeSet<xs_kit::apidoc::Text64>, inline, min_items = 1, max_items = 20)]
    pub members: Vec<String>,
    pub visitor: Option<Visitor>,
    pub channel: ReceptionChannel,
    pub category: ReceptionCategory,
    #[schema(pattern = "\\S", max_length = 4000)]
    pub concern: String,
    pub handling: Handling,
    /// For `referred` (required): the department.
    #[schema(pattern = "\\S", max_length = 100)]
    pub referred_to: Option<String>,
    /// For `became_topic` (required): the topic to create.
    pub topic: Option<ReceptionTopic>,
    /// For `became_report` (required): the report id, checked with the reports service.
    #[schema(pattern = "\\S", max_length = 64)]
    pub report: Option<String>,
}

/// List filters for `GET /api/v1/receptions`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReceptionQuery {
    pub district: Option<String>,
    pub workroom: Option<String>,
    /// Receptions this member took part in.
    pub member: Option<String>,
    pub channel: Option<ReceptionChannel>,
    pub category: Option<ReceptionCategory>,
    pub handling: Option<Handling>,
    /// From this day (inclusive).
    pub from: Option<NaiveDate>,
    /// To this day (inclusive).
    pub to: Option<NaiveDate>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
