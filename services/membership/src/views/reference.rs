use super::utc;
use crate::models::reference::{CommunityRow, DistrictRow, SectorRow, SubdistrictRow};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A district (区), e.g. `siming`.
#[derive(Debug, Serialize, ToSchema)]
pub struct District {
    pub code: String,
    pub name: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<DistrictRow> for District {
    fn from(r: DistrictRow) -> Self {
        District {
            code: r.code,
            name: r.name,
            version: r.version,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDistrict {
    /// Stable lowercase code, e.g. `siming`.
    #[schema(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub code: String,
    /// Chinese name, e.g. 思明区.
    #[schema(pattern = "\\S", max_length = 100)]
    pub name: String,
}

xs_kit::text_enum! {
    pub enum SubdistrictKind {
        /// 街道
        Subdistrict = "subdistrict",
        /// 镇
        Town = "town",
    }
}

/// A subdistrict or town (街道/镇) of a district.
#[derive(Debug, Serialize, ToSchema)]
pub struct Subdistrict {
    pub code: String,
    pub district: String,
    pub name: String,
    pub kind: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<SubdistrictRow> for Subdistrict {
    fn from(r: SubdistrictRow) -> Self {
        Subdistrict {
            code: r.code,
            district: r.district_code,
            name: r.name,
            kind: r.kind,
            version: r.version,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubdistrict {
    #[schema(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub code: String,
    pub district: String,
    #[schema(pattern = "\\S", max_length = 100)]
    pub name: String,
    pub kind: SubdistrictKind,
}

/// A sector (界别) of the committee.
#[derive(Debug, Serialize, ToSchema)]
pub struct Sector {
    pub code: String,
    pub name: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<SectorRow> for Sector {
    fn from(r: SectorRow) -> Self {
        Sector {
            code: r.code,
            name: r.name,
            version: r.version,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSector {
    #[schema(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub code: String,
    #[schema(pattern = "\\S", max_length = 100)]
    pub name: String,
}

/// A community or village (社区/村) of a subdistrict.
#[derive(Debug, Serialize, ToSchema)]
pub struct Community {
    pub code: String,
    pub subdistrict: String,
    pub name: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<CommunityRow> for Community {
    fn from(r: CommunityRow) -> Self {
        Community {
            code: r.code,
            subdistrict: r.subdistrict_code,
            name: r.name,
            version: r.version,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCommunity {
    #[schema(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub code: String,
    pub subdistrict: String,
    #[schema(pattern = "\\S", max_length = 100)]
    pub name: String,
}

/// A rename: codes and parents never change. Send the version you read (here or as If-Match).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    pub version: Option<i64>,
    #[schema(pattern = "\\S", max_length = 100)]
    pub name: String,
}
