pub use crate::domain::enterprise::EnterpriseKind;

use super::utc;
use crate::models::enterprise::EnterpriseRow;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A Taiwan-funded enterprise, youth base (台青基地) or association.
#[derive(Debug, Serialize, ToSchema)]
pub struct Enterprise {
    pub id: String,
    pub kind: EnterpriseKind,
    pub name: String,
    pub district: String,
    pub address: String,
    pub sector: Option<String>,
    pub contact_person: Option<String>,
    /// The members who visit it (member ids, membership service).
    pub members: Vec<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl Enterprise {
    pub fn from_row(r: EnterpriseRow, kind: EnterpriseKind, members: Vec<String>) -> Enterprise {
        Enterprise {
            id: r.id,
            kind,
            name: r.name,
            district: r.district_code,
            address: r.address,
            sector: r.sector,
            contact_person: r.contact_person,
            members,
            version: r.version,
            created_at: utc(r.created_at),
            created_by: r.created_by,
            updated_at: utc(r.updated_at),
            updated_by: r.updated_by,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEnterprise {
    pub kind: EnterpriseKind,
    #[schema(pattern = "\\S", max_length = 100)]
    pub name: String,
    #[schema(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub district: String,
    #[schema(pattern = "\\S", max_length = 200)]
    pub address: String,
    #[schema(pattern = "\\S", max_length = 50)]
    pub sector: Option<String>,
    #[schema(pattern = "\\S", max_length = 50)]
    pub contact_person: Option<String>,
    /// Member ids of the district's members who visit it; at most 20, no repeats.
    #[serde(default)]
    #[schema(value_type = std::collections::BTreeSet<xs_kit::apidoc::Text64>, inline, max_items = 20)]
    pub members: Vec<String>,
}

/// A partial update: absent fields stay, `null` clears. Send the version you read.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnterprisePatch {
    pub version: Option<i64>,
    pub kind: Option<EnterpriseKind>,
    #[schema(pattern = "\\S", max_length = 100)]
    pub name: Option<String>,
    #[schema(pattern = "\\S", max_length = 200)]
    pub address: Option<String>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(pattern = "\\S", max_length = 50)]
    pub sector: Option<Option<String>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(pattern = "\\S", max_length = 50)]
    pub contact_person: Option<Option<String>>,
    /// Replaces the linked members.
    #[schema(value_type = Option<std::collections::BTreeSet<xs_kit::apidoc::Text64>>, inline, max_items = 20)]
    pub members: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EnterpriseQuery {
    pub district: Option<String>,
    pub kind: Option<EnterpriseKind>,
    /// Those this member visits.
    pub member: Option<String>,
    /// Part of the name. Chinese characters match anywhere in the name, two or more side by
    /// side; other words match from their start. Needs at least one letter, digit or Chinese
    /// character (else 422); at most 100 characters.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
