pub use crate::domain::mediation::{DisputeType, MediationAction, MediationStatus, ReferredTo};

use super::{list_of, utc};
use crate::models::mediation::{Full, SessionRow};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use xs_kit::ApiResult;
use xs_kit::enums::stored;

/// A party to a dispute: personal data, never logged.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Party {
    #[schema(pattern = "\\S", max_length = 50)]
    pub name: String,
    /// A phone number.
    #[schema(pattern = r"^(?=(?:[^0-9]*[0-9]){7,15}[^0-9]*$)\+?[0-9 -]*$")]
    pub contact: Option<String>,
    /// Their side (`applicant`, `respondent`, an employer, …).
    #[schema(pattern = "\\S", max_length = 50)]
    pub role: Option<String>,
}

/// A mediation session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Session {
    pub id: String,
    pub date: NaiveDate,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

impl Session {
    pub fn from_row(r: SessionRow) -> Session {
        Session {
            id: r.id,
            date: r.session_on,
            note: r.note,
            created_at: utc(r.created_at),
            created_by: r.created_by,
        }
    }
}

/// A mediation case (政协+调解).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MediationCase {
    pub id: String,
    pub district: String,
    pub subdistrict: Option<String>,
    pub workroom: Option<String>,
    pub dispute_type: DisputeType,
    pub summary: String,
    /// Whole for the district's staff and the case's mediators; for everyone else names are
    /// masked (`张*`) and contacts too (`138****1234`).
    pub parties: Vec<Party>,
    pub parties_masked: bool,
    /// Mediator member ids (each credited when the case ends).
    pub mediators: Vec<String>,
    pub sessions: Vec<Session>,
    pub status: MediationStatus,
    pub received_on: NaiveDate,
    pub started_on: Option<NaiveDate>,
    /// When the outcome was reached.
    pub outcome_on: Option<NaiveDate>,
    /// For `agreement_signed`: what the parties agreed.
    pub agreement_summary: Option<String>,
    /// For `referred`.
    pub referred_to: Option<ReferredTo>,
    pub outcome_note: Option<String>,
    /// Days from receipt to the outcome.
    pub days_taken: Option<i32>,
    /// What the caller may do next (`POST /mediation-cases/{id}/transitions`).
    pub allowed_actions: Vec<MediationAction>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// Parties as someone outside the district's staff and the mediators sees them.
pub fn masked(parties: Vec<Party>) -> Vec<Party> {
    parties
        .into_iter()
        .map(|p| Party {
            name: xs_kit::mask::name(&p.name),
            contact: p.contact.as_deref().map(xs_kit::mask::phone),
            role: p.role,
        })
        .collect()
}

impl MediationCase {
    pub fn from_full(
        f: Full,
        show_parties: bool,
        allowed_actions: Vec<MediationAction>,
    ) -> ApiResult<MediationCase> {
        let r = f.row;
        let parties: Vec<Party> = list_of(&r.parties);
        Ok(MediationCase {
            dispute_type: stored("dispute type", &r.dispute_type)?,
            status: stored("mediation status", &r.status)?,
            referred_to: r
                .referred_to
                .as_deref()
                .map(|v| stored("referral", v))
                .transpose()?,
            parties_masked: !show_parties && !parties.is_empty(),
            parties: if show_parties {
                parties
            } else {
                masked(parties)
            },
            mediators: f.mediators,
            sessions: f.sessions.into_iter().map(Session::from_row).collect(),
            allowed_actions,
            id: r.id,
            district: r.district_code,
            subdistrict: r.subdistrict_code,
            workroom: r.workroom_id,
            summary: r.summary,
            received_on: r.received_on,
            started_on: r.started_on,
            outcome_on: r.outcome_on,
            agreement_summary: r.agreement_summary,
            outcome_note: r.outcome_note,
            days_taken: r.days_taken,
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
pub struct NewMediationCase {
    /// District code.
    #[schema(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub district: String,
    /// Workroom id (of the district; checked with membership).
    #[schema(pattern = "\\S", max_length = 64)]
    pub workroom: Option<String>,
    pub dispute_type: DisputeType,
    #[schema(pattern = "\\S", max_length = 2000)]
    pub summary: String,
    #[schema(min_items = 1, max_items = 20)]
    pub parties: Vec<Party>,
    /// Mediator member ids (1 to 10, active members of the district).
    #[schema(value_type = std::collections::BTreeSet<xs_kit::apidoc::Text64>, inline, min_items = 1, max_items = 10)]
    pub mediators: Vec<String>,
    /// The day the case was received, not in the future.
    pub received_on: NaiveDate,
}

/// A partial update while the case is open; send the version you read.
#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediationPatch {
    pub version: Option<i64>,
    pub dispute_type: Option<DisputeType>,
    #[schema(pattern = "\\S", max_length = 2000)]
    pub summary: Option<String>,
    /// Replaces the parties.
    #[schema(min_items = 1, max_items = 20)]
    pub parties: Option<Vec<Party>>,
    /// Replaces the mediators.
    #[schema(value_type = Option<std::collections::BTreeSet<xs_kit::apidoc::Text64>>, inline, min_items = 1, max_items = 10)]
    pub mediators: Option<Vec<String>>,
}

/// One move of a case.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediationTransition {
    pub action: MediationAction,
    pub version: Option<i64>,
    /// The day it happened (required), not before the case was received nor in the future.
    pub date: Option<NaiveDate>,
    /// `sign_agreement` (required): what the parties agreed.
    #[schema(pattern = "\\S", max_length = 2000)]
    pub summary: Option<String>,
    /// `refer` (required).
    pub referred_to: Option<ReferredTo>,
    /// `fail`, `refer`: a note.
    #[schema(pattern = "\\S", max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSession {
    pub date: NaiveDate,
    #[schema(pattern = "\\S", max_length = 2000)]
    pub note: String,
}

/// List filters for `GET /api/v1/mediation-cases`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MediationQuery {
    pub district: Option<String>,
    pub status: Option<MediationStatus>,
    pub dispute_type: Option<DisputeType>,
    pub workroom: Option<String>,
    /// Cases this member mediates.
    pub mediator: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
