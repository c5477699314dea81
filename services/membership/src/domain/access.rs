//! Who may read, see personal fields of, and write each kind of membership resource: the
//! service's policy table, one [`Access`] per resource, answered by the kit's scope rules.

use xs_kit::Role;
use xs_kit::scope::{Access, READ_ONLY, STAFF};

/// The district's staff: they read and see personal fields within their district.
const DISTRICT_STAFF: &[Role] = &[Role::Admin, Role::OfficeStaff, Role::Coordinator];

/// Members (the register). Phones are personal: the member themself and their district's
/// staff see them whole.
pub const MEMBERS: Access = Access {
    what: "members",
    district_readers: &[Role::OfficeStaff, Role::Coordinator, Role::Member],
    citywide_readers: READ_ONLY,
    owner_readers: &[],
    personal_readers: DISTRICT_STAFF,
    writers: STAFF,
};

/// Activity records and yearly evaluations: the district's staff and coordinators, read-only
/// integrations, and each member their own. Coordinators record activities too.
pub const RECORDS: Access = Access {
    what: "activity records",
    district_readers: &[Role::OfficeStaff, Role::Coordinator],
    citywide_readers: READ_ONLY,
    owner_readers: &[Role::Member],
    personal_readers: DISTRICT_STAFF,
    writers: DISTRICT_STAFF,
};

/// Aggregate statistics: office staff and coordinators of a district (counts only, no
/// personal data: a coordinator reads their district), and read-only integrations.
pub const STATS: Access = Access {
    what: "statistics",
    district_readers: &[Role::OfficeStaff, Role::Coordinator],
    citywide_readers: READ_ONLY,
    owner_readers: &[],
    personal_readers: &[],
    writers: &[],
};

/// Duty shifts: like records, but a member's own are those of the workrooms they serve in
/// (the handler checks the assignment).
pub const SHIFTS: Access = Access {
    what: "duty shifts",
    writers: STAFF,
    ..RECORDS
};

/// Workrooms: staff write within their district; reads are open (residents see active ones).
pub const WORKROOMS: Access = Access {
    what: "workrooms",
    district_readers: &[Role::OfficeStaff, Role::Coordinator],
    citywide_readers: READ_ONLY,
    owner_readers: &[],
    personal_readers: DISTRICT_STAFF,
    writers: STAFF,
};

/// Assignment suggestions reveal where members live and work: the district's staff only.
pub const PLACEMENT: Access = Access {
    what: "assignment suggestions",
    district_readers: &[Role::OfficeStaff, Role::Coordinator],
    citywide_readers: &[],
    owner_readers: &[],
    personal_readers: DISTRICT_STAFF,
    writers: STAFF,
};

/// Annual plans and bulletins: anyone signed in within the district (residents follow their
/// workrooms too), read-only integrations (citywide when their token names no district).
pub const PLANS: Access = Access {
    what: "plans and bulletins",
    district_readers: &Role::ALL,
    citywide_readers: READ_ONLY,
    owner_readers: &[],
    personal_readers: &[],
    writers: STAFF,
};

#[cfg(test)]
mod tests {
    use super::*;
    use xs_kit::scope::Scope;
    use xs_kit::{ApiError, Caller};

    fn caller(roles: &[Role], district: Option<&str>, member: Option<&str>) -> Caller {
        Caller {
            sub: "u".into(),
            roles: roles.to_vec(),
            district: district.map(Into::into),
            member_id: member.map(Into::into),
            token_id: "t".into(),
        }
    }

    fn district(d: &str) -> Option<Scope> {
        Some(Scope::District(d.into()))
    }

    #[test]
    fn records_by_role() {
        let s = |c: Caller| RECORDS.read_scope(&c).ok();
        assert_eq!(s(caller(&[Role::Admin], None, None)), Some(Scope::All));
        assert_eq!(s(caller(&[Role::Service], None, None)), Some(Scope::All));
        assert_eq!(s(caller(&[Role::Dashboard], None, None)), Some(Scope::All));
        assert_eq!(
            s(caller(&[Role::OfficeStaff], Some("siming"), None)),
            district("siming")
        );
        assert_eq!(
            s(caller(&[Role::Coordinator], Some("siming"), None)),
            district("siming")
        );
        assert_eq!(
            s(caller(&[Role::Integrator], Some("huli"), None)),
            district("huli")
        );
        assert_eq!(
            s(caller(&[Role::Member], Some("siming"), Some("m1"))),
            Some(Scope::Member("m1".into()))
        );
        assert_eq!(s(caller(&[Role::Resident], Some("siming"), None)), None);
        assert_eq!(s(caller(&[Role::OfficeStaff], None, None)), None);
    }

    #[test]
    fn recorders_are_district_staff_and_admins() {
        let write = |c: Caller, d: &str| RECORDS.require_write(&c, d).is_ok();
        assert!(write(caller(&[Role::Admin], None, None), "huli"));
        assert!(write(
            caller(&[Role::Coordinator], Some("siming"), None),
            "siming"
        ));
        assert!(!write(
            caller(&[Role::Coordinator], Some("siming"), None),
            "huli"
        ));
        assert!(!write(
            caller(&[Role::Member], Some("siming"), Some("m1")),
            "siming"
        ));
        assert!(!write(caller(&[Role::Dashboard], None, None), "siming"));
    }

    #[test]
    fn statistics_are_for_the_districts_staff_and_integrations() {
        let s = |c: Caller| STATS.read_scope(&c).ok();
        assert_eq!(s(caller(&[Role::Dashboard], None, None)), Some(Scope::All));
        assert_eq!(
            s(caller(&[Role::OfficeStaff], Some("siming"), None)),
            district("siming")
        );
        assert_eq!(
            s(caller(&[Role::Coordinator], Some("siming"), None)),
            district("siming")
        );
        assert_eq!(s(caller(&[Role::Member], Some("siming"), Some("m1"))), None);
    }

    #[test]
    fn phones_are_for_the_member_and_their_districts_staff() {
        let sees = |c: Caller| MEMBERS.may_read_personal(&c, "siming", Some("m1"));
        assert!(sees(caller(&[Role::OfficeStaff], Some("siming"), None)));
        assert!(sees(caller(&[Role::Coordinator], Some("siming"), None)));
        assert!(!sees(caller(&[Role::OfficeStaff], Some("huli"), None)));
        assert!(sees(caller(&[Role::Member], Some("huli"), Some("m1"))));
        assert!(!sees(caller(&[Role::Resident], Some("siming"), None)));
        assert!(!sees(caller(&[Role::Dashboard], None, None)));
        assert!(sees(caller(&[Role::Admin], None, None)));
    }

    #[test]
    fn plans_are_read_within_the_district() {
        let s = |c: Caller| PLANS.read_scope(&c).ok();
        assert_eq!(s(caller(&[Role::Admin], None, None)), Some(Scope::All));
        assert_eq!(s(caller(&[Role::Dashboard], None, None)), Some(Scope::All));
        assert_eq!(
            s(caller(&[Role::Dashboard], Some("huli"), None)),
            district("huli")
        );
        assert_eq!(
            s(caller(&[Role::Resident], Some("siming"), None)),
            district("siming")
        );
        assert_eq!(s(caller(&[Role::Resident], None, None)), None);
        let siming = Scope::District("siming".into());
        assert!(siming.require("huli", None, PLANS.what).is_err());
        assert!(matches!(
            Scope::All.one_district(None, "x"),
            Err(ApiError::UnprocessableFields(_))
        ));
        assert_eq!(siming.one_district(None, "x").ok(), Some("siming".into()));
        assert!(siming.one_district(Some("huli".into()), "x").is_err());
    }

    #[test]
    fn suggestions_are_for_the_districts_staff() {
        let s = |c: Caller| PLACEMENT.read_scope(&c).ok();
        assert_eq!(s(caller(&[Role::Admin], None, None)), Some(Scope::All));
        assert_eq!(
            s(caller(&[Role::Coordinator], Some("siming"), None)),
            district("siming")
        );
        assert_eq!(s(caller(&[Role::Dashboard], None, None)), None);
        assert_eq!(s(caller(&[Role::Member], Some("siming"), Some("m1"))), None);
    }
}
