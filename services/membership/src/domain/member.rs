//! Who may see and change what about a member.

use crate::domain::access::MEMBERS;
use xs_kit::audit::Disclosures;
use xs_kit::{ApiError, ApiResult, Caller};

xs_kit::text_enum! {
    pub enum Gender {
        Male = "male",
        Female = "female",
    }
}

xs_kit::text_enum! {
    #[derive(Default)]
    pub enum MemberStatus {
        #[default]
        Active = "active",
        Retired = "retired",
    }
}

/// The audit's name for a member as the subject of a personal-data read.
pub const AUDIT_SUBJECT: &str = "member";

/// Staff of the member's own district (and the member themself) see the real number.
pub fn may_see_phone(caller: &Caller, member_id: &str, member_district: &str) -> bool {
    MEMBERS.may_read_personal(caller, member_district, Some(member_id))
}

/// A phone as shown: whole when `show`, else masked (the kit's mask); and whether it was masked.
pub fn display_phone(phone: Option<String>, show: bool) -> (Option<String>, bool) {
    match phone {
        Some(p) if !show => (Some(xs_kit::mask::phone(&p)), true),
        other => (other, false),
    }
}

/// Note a member's phone as served for the audit when it went out whole to someone other than
/// the member (`viewer` is the caller's own member id, if any).
pub fn note_phone(
    seen: &mut Disclosures,
    viewer: Option<&str>,
    member_id: &str,
    phone: Option<&str>,
    masked: bool,
) {
    if phone.is_some() && !masked && viewer != Some(member_id) {
        seen.note(AUDIT_SUBJECT, member_id, &["phone"]);
    }
}

/// A member's phone as this caller may see it, and whether it was masked.
pub fn shown_phone(
    caller: &Caller,
    member_id: &str,
    district: &str,
    phone: Option<String>,
) -> (Option<String>, bool) {
    display_phone(phone, may_see_phone(caller, member_id, district))
}

/// Admins and the district's office staff manage members.
pub fn require_manager(caller: &Caller, district: &str) -> ApiResult<()> {
    MEMBERS.require_write(caller, district)
}

/// What a caller may change on a member: everything (managers) or contact fields (self).
#[derive(Debug, PartialEq, Eq)]
pub enum EditRights {
    All,
    ContactOnly,
}

pub fn edit_rights(caller: &Caller, member_id: &str, district: &str) -> ApiResult<EditRights> {
    if require_manager(caller, district).is_ok() {
        Ok(EditRights::All)
    } else if caller.member_id.as_deref() == Some(member_id) {
        Ok(EditRights::ContactOnly)
    } else if caller.has_any(MEMBERS.writers) {
        Err(ApiError::Forbidden(format!(
            "your scope does not cover district {district}"
        )))
    } else {
        Err(ApiError::Forbidden(
            "only office staff may change members".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xs_kit::Role;

    fn caller(roles: &[Role], district: Option<&str>, member: Option<&str>) -> Caller {
        Caller {
            sub: "u".into(),
            roles: roles.to_vec(),
            district: district.map(Into::into),
            member_id: member.map(Into::into),
            token_id: "t".into(),
        }
    }

    #[test]
    fn phones_display_with_the_kits_mask() {
        assert_eq!(
            display_phone(Some("13812341234".into()), false),
            (Some("138****1234".into()), true)
        );
        assert_eq!(
            display_phone(Some("13812341234".into()), true),
            (Some("13812341234".into()), false)
        );
        assert_eq!(display_phone(None, false), (None, false));
    }

    #[test]
    fn only_whole_phones_shown_to_others_are_audited() {
        let mut seen = Disclosures::new();
        note_phone(&mut seen, None, "m1", Some("13812341234"), false);
        note_phone(&mut seen, Some("m2"), "m2", Some("13812341234"), false);
        note_phone(&mut seen, None, "m3", Some("138****1234"), true);
        note_phone(&mut seen, None, "m4", None, false);
        let ids: Vec<&str> = seen.iter().map(|d| d.subject_id.as_str()).collect();
        assert_eq!(ids, ["m1"]);
        assert!(seen.iter().all(|d| d.subject_kind == AUDIT_SUBJECT));
    }

    #[test]
    fn phone_visibility() {
        let staff_siming = caller(&[Role::OfficeStaff], Some("siming"), None);
        let staff_huli = caller(&[Role::OfficeStaff], Some("huli"), None);
        let me = caller(&[Role::Member], Some("huli"), Some("m1"));
        let resident = caller(&[Role::Resident], Some("siming"), None);
        let admin = caller(&[Role::Admin], None, None);
        assert!(may_see_phone(&staff_siming, "m1", "siming"));
        assert!(!may_see_phone(&staff_huli, "m1", "siming"));
        assert!(may_see_phone(&me, "m1", "siming"));
        assert!(!may_see_phone(&resident, "m1", "siming"));
        assert!(may_see_phone(&admin, "m1", "siming"));
    }

    #[test]
    fn edit_rights_by_role_and_district() {
        let staff = caller(&[Role::OfficeStaff], Some("siming"), None);
        assert_eq!(
            edit_rights(&staff, "m1", "siming").ok(),
            Some(EditRights::All)
        );
        assert!(matches!(
            edit_rights(&staff, "m1", "huli"),
            Err(ApiError::Forbidden(_))
        ));
        let me = caller(&[Role::Member], Some("siming"), Some("m1"));
        assert_eq!(
            edit_rights(&me, "m1", "siming").ok(),
            Some(EditRights::ContactOnly)
        );
        assert!(edit_rights(&me, "m2", "siming").is_err());
    }
}
