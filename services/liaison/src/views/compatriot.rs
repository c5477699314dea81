pub use crate::domain::compatriot::Origin;

use super::utc;
use crate::models::compatriot::CompatriotRow;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A Taiwan compatriot (台胞) in the district's register.
#[derive(Debug, Serialize, ToSchema)]
pub struct Compatriot {
    pub id: String,
    pub name: String,
    pub origin: Origin,
    pub occupation: Option<String>,
    pub employer: Option<String>,
    /// District code of residence.
    pub district: String,
    /// Masked (`138****1234`) unless the caller is an admin, office staff of the compatriot's
    /// district, or the compatriot.
    pub contact: Option<String>,
    /// Masked (`A*******89`) under the same rule as `contact`.
    pub id_number: Option<String>,
    /// Whether `contact` and `id_number` are masked in this answer.
    pub personal_masked: bool,
    /// Registered by the compatriot themself through the app.
    pub self_registered: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl Compatriot {
    /// `show`: the caller may see the personal fields whole.
    pub fn from_row(r: CompatriotRow, origin: Origin, show: bool) -> Compatriot {
        let masked = !show && (r.contact.is_some() || r.id_number.is_some());
        let (contact, id_number) = if show {
            (r.contact, r.id_number)
        } else {
            (
                r.contact.map(|c| xs_kit::mask::phone(&c)),
                r.id_number.map(|n| xs_kit::mask::id_number(&n)),
            )
        };
        Compatriot {
            id: r.id,
            name: r.name,
            origin,
            occupation: r.occupation,
            employer: r.employer,
            district: r.district_code,
            contact,
            id_number,
            personal_masked: masked,
            self_registered: r.account_sub.is_some(),
            version: r.version,
            created_at: utc(r.created_at),
            created_by: r.created_by,
            updated_at: utc(r.updated_at),
            updated_by: r.updated_by,
        }
    }
}

/// A new compatriot. Office staff register anyone of their district; a resident registers
/// themself once (their own record).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCompatriot {
    #[schema(pattern = "\\S", max_length = 50)]
    pub name: String,
    pub origin: Origin,
    #[schema(pattern = "\\S", max_length = 100)]
    pub occupation: Option<String>,
    #[schema(pattern = "\\S", max_length = 100)]
    pub employer: Option<String>,
    /// District code of residence.
    #[schema(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub district: String,
    /// A phone number (7 to 15 digits).
    #[schema(pattern = r"^(?=(?:[^0-9]*[0-9]){7,15}[^0-9]*$)\+?[0-9 -]*$")]
    pub contact: Option<String>,
    /// Identity document number (Taiwan ID, mainland travel permit, passport).
    #[schema(pattern = "^[A-Za-z0-9]{4,30}$")]
    pub id_number: Option<String>,
}

/// A partial update: absent fields stay, `null` clears. Send the version you read (here or
/// as `If-Match`).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompatriotPatch {
    pub version: Option<i64>,
    #[schema(pattern = "\\S", max_length = 50)]
    pub name: Option<String>,
    pub origin: Option<Origin>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(pattern = "\\S", max_length = 100)]
    pub occupation: Option<Option<String>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(pattern = "\\S", max_length = 100)]
    pub employer: Option<Option<String>>,
    /// Office staff and admins only.
    #[schema(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub district: Option<String>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(pattern = r"^(?=(?:[^0-9]*[0-9]){7,15}[^0-9]*$)\+?[0-9 -]*$")]
    pub contact: Option<Option<String>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(pattern = "^[A-Za-z0-9]{4,30}$")]
    pub id_number: Option<Option<String>>,
}

/// List filters for `GET /api/v1/compatriots`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompatriotQuery {
    pub district: Option<String>,
    pub origin: Option<Origin>,
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
