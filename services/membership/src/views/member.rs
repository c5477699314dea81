pub use crate::domain::member::{Gender, MemberStatus};

use super::utc;
use crate::domain::member::display_phone;
use crate::models::member::MemberRow;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A committee member (委员).
#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    pub id: String,
    pub name: String,
    /// Withheld (`null`) unless the caller is staff of the member's district or the member,
    /// like `birth_year`, `residence_subdistrict` and `workplace_subdistrict` (minimum
    /// necessary: the register's other readers need none of them).
    pub gender: Option<String>,
    pub birth_year: Option<i32>,
    /// Sector code (界别).
    pub sector: Option<String>,
    /// Party or group affiliation (党派).
    pub affiliation: Option<String>,
    pub district: String,
    pub residence_subdistrict: Option<String>,
    pub workplace_subdistrict: Option<String>,
    pub specialties: Vec<String>,
    /// Masked (`138****1234`) unless the caller is staff of the member's district or the member.
    pub phone: Option<String>,
    pub phone_masked: bool,
    pub photo_url: Option<String>,
    pub taiwan_origin: bool,
    pub term: Option<String>,
    pub status: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl Member {
    /// The personal fields this view shows whole (for the personal-data audit).
    pub fn personal_fields_shown(&self) -> Vec<&'static str> {
        let mut shown = Vec::new();
        if self.phone.is_some() && !self.phone_masked {
            shown.push("phone");
        }
        for (field, present) in [
            ("gender", self.gender.is_some()),
            ("birth_year", self.birth_year.is_some()),
            (
                "residence_subdistrict",
                self.residence_subdistrict.is_some(),
            ),
            (
                "workplace_subdistrict",
                self.workplace_subdistrict.is_some(),
            ),
        ] {
            if present {
                shown.push(field);
            }
        }
        shown
    }

    /// Note for the audit the personal fields served whole to someone other than the member
    /// (`viewer` is the caller's own member id, if any).
    pub fn note_disclosure(&self, seen: &mut xs_kit::audit::Disclosures, viewer: Option<&str>) {
        let shown = self.personal_fields_shown();
        if !shown.is_empty() && viewer != Some(self.id.as_str()) {
            seen.note(crate::domain::member::AUDIT_SUBJECT, &self.id, &shown);
        }
    }

    /// The columns of a CSV export: the JSON fields, in order.
    pub const CSV_HEADER: &'static [&'static str] = &[
        "id",
        "name",
        "gender",
        "birth_year",
        "sector",
        "affiliation",
        "district",
        "residence_subdistrict",
        "workplace_subdistrict",
        "specialties",
        "phone",
        "phone_masked",
        "photo_url",
        "taiwan_origin",
        "term",
        "status",
        "version",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
    ];

    /// The member as a CSV row (specialties joined with `; `), masked as in JSON.
    pub fn csv_row(&self) -> Vec<String> {
        use xs_kit::csv::{instant, opt};
        vec![
            self.id.clone(),
            self.name.clone(),
            opt(&self.gender),
            opt(&self.birth_year),
            opt(&self.sector),
            opt(&self.affiliation),
            self.district.clone(),
            opt(&self.residence_subdistrict),
            opt(&self.workplace_subdistrict),
            self.specialties.join("; "),
            opt(&self.phone),
            self.phone_masked.to_string(),
            opt(&self.photo_url),
            self.taiwan_origin.to_string(),
            opt(&self.term),
            self.status.clone(),
            self.version.to_string(),
            instant(&self.created_at),
            self.created_by.clone(),
            instant(&self.updated_at),
            self.updated_by.clone(),
        ]
    }

    /// `show_personal`: the caller is staff of the member's district or the member, and sees
    /// the phone whole and the profile fields; others get the phone masked and those withheld.
    pub fn from_row(r: MemberRow, specialties: Vec<String>, show_personal: bool) -> Member {
        let (phone, phone_masked) = display_phone(r.phone, show_personal);
        Member {
            phone,
            phone_masked,
            id: r.id,
            name: r.name,
            gender: show_personal.then_some(r.gender),
            birth_year: show_personal.then_some(r.birth_year).flatten(),
            sector: r.sector_code,
            affiliation: r.affiliation,
            district: r.district_code,
            residence_subdistrict: show_personal.then_some(r.residence_subdistrict).flatten(),
            workplace_subdistrict: show_personal.then_some(r.workplace_subdistrict).flatten(),
            specialties,
            photo_url: r.photo_url,
            taiwan_origin: r.taiwan_origin,
            term: r.term,
            status: r.status,
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
pub struct NewMember {
    #[schema(pattern = "\\S", max_length = 50)]
    pub name: String,
    pub gender: Gender,
    #[schema(minimum = 1900, maximum = 2015)]
    pub birth_year: Option<i32>,
    pub sector: Option<String>,
    #[schema(pattern = "\\S", max_length = 50)]
    pub affiliation: Option<String>,
    pub district: String,
    pub residence_subdistrict: Option<String>,
    pub workplace_subdistrict: Option<String>,
    /// At most 20, each once.
    #[serde(default)]
    #[schema(value_type = std::collections::BTreeSet<xs_kit::apidoc::Text50>, inline, max_items = 20)]
    pub specialties: Vec<String>,
    /// 7 to 15 digits, with an optional leading `+`, spaces or dashes.
    #[schema(pattern = r"^(?=(?:[^0-9]*[0-9]){7,15}[^0-9]*$)\+?[0-9 -]*$")]
    pub phone: Option<String>,
    /// An http(s) URL.
    #[schema(pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\s]")]
    pub photo_url: Option<String>,
    #[serde(default)]
    pub taiwan_origin: bool,
    #[schema(pattern = "\\S", max_length = 20)]
    pub term: Option<String>,
    #[serde(default)]
    pub status: MemberStatus,
}

/// A partial update: absent fields stay, `null` clears. Send the version you read (here or
/// as `If-Match`).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    pub version: Option<i64>,
    #[schema(pattern = "\\S", max_length = 50)]
    pub name: Option<String>,
    pub gender: Option<Gender>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(value_type = Option<i32>, minimum = 1900, maximum = 2015)]
    pub birth_year: Option<Option<i32>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    pub sector: Option<Option<String>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    pub affiliation: Option<Option<String>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    pub residence_subdistrict: Option<Option<String>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    pub workplace_subdistrict: Option<Option<String>>,
    /// Replaces the specialties: at most 20, each once.
    #[schema(value_type = Option<std::collections::BTreeSet<xs_kit::apidoc::Text50>>, inline, max_items = 20)]
    pub specialties: Option<Vec<String>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(pattern = r"^(?=(?:[^0-9]*[0-9]){7,15}[^0-9]*$)\+?[0-9 -]*$")]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    #[schema(pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\s]")]
    pub photo_url: Option<Option<String>>,
    pub taiwan_origin: Option<bool>,
    #[serde(default, deserialize_with = "xs_kit::validate::present")]
    pub term: Option<Option<String>>,
    pub status: Option<MemberStatus>,
}

impl MemberPatch {
    /// Does the patch touch anything beyond a member's own contact fields?
    pub fn touches_more_than_contact(&self) -> bool {
        self.name.is_some()
            || self.gender.is_some()
            || self.birth_year.is_some()
            || self.sector.is_some()
            || self.affiliation.is_some()
            || self.residence_subdistrict.is_some()
            || self.workplace_subdistrict.is_some()
            || self.specialties.is_some()
            || self.taiwan_origin.is_some()
            || self.term.is_some()
            || self.status.is_some()
    }
}

/// List filters for `GET /api/v1/members`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    pub district: Option<String>,
    /// Residence or workplace subdistrict.
    pub subdistrict: Option<String>,
    pub sector: Option<String>,
    pub affiliation: Option<String>,
    pub specialty: Option<String>,
    pub taiwan_origin: Option<bool>,
    pub status: Option<MemberStatus>,
    /// Part of the name. Chinese characters match anywhere in the name, two or more side by
    /// side (张伟 finds 张伟华, not 王伟); other words match from their start (`li` finds
    /// `Lin`). Needs at least one letter, digit or Chinese character (else 422); at most 100
    /// characters.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
