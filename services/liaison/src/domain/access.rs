//! Who may read, see personal fields of, and write each kind of liaison resource: the
//! service's policy table, one [`Access`] per resource, answered by the kit's scope rules.
//! Residents who registered themselves as compatriots read and edit their own record; that
//! rule is [`crate::domain::compatriot::is_self`].

use xs_kit::Role;
use xs_kit::scope::{Access, READ_ONLY, STAFF};

/// Compatriots (台胞). Contact and identity-document number are personal: admins and the
/// office staff of the compatriot's district see them whole, everyone else masked.
pub const COMPATRIOTS: Access = Access {
    what: "compatriots",
    district_readers: &[Role::OfficeStaff, Role::Coordinator, Role::Member],
    citywide_readers: READ_ONLY,
    owner_readers: &[],
    personal_readers: STAFF,
    writers: STAFF,
};

/// Taiwan-funded enterprises, youth bases and associations.
pub const ENTERPRISES: Access = Access {
    what: "Taiwan enterprises",
    district_readers: &[Role::OfficeStaff, Role::Coordinator, Role::Member],
    citywide_readers: READ_ONLY,
    owner_readers: &[],
    personal_readers: &[],
    writers: STAFF,
};

/// Liaison events: everyone signed in within the district (residents find events to join),
/// read-only integrations; the office writes.
pub const EVENTS: Access = Access {
    what: "liaison events",
    district_readers: &[
        Role::OfficeStaff,
        Role::Coordinator,
        Role::Member,
        Role::Resident,
    ],
    citywide_readers: READ_ONLY,
    owner_readers: &[],
    personal_readers: &[],
    writers: STAFF,
};

/// Who registered for an event: the district's office and coordinators, read-only
/// integrations. Members and residents register themselves (the handler checks who).
pub const REGISTRATIONS: Access = Access {
    what: "registrations",
    district_readers: &[Role::OfficeStaff, Role::Coordinator],
    citywide_readers: READ_ONLY,
    owner_readers: &[],
    personal_readers: &[],
    writers: STAFF,
};

/// Roles that register themselves for events and see their own registrations (a member
/// themself; a resident the compatriot record they registered).
pub const SELF_REGISTRANTS: &[Role] = &[Role::Member, Role::Resident];

/// Suggestions raised at events.
pub const SUGGESTIONS: Access = Access {
    what: "suggestions",
    district_readers: &[Role::OfficeStaff, Role::Coordinator, Role::Member],
    citywide_readers: READ_ONLY,
    owner_readers: &[],
    personal_readers: &[],
    writers: STAFF,
};

/// Compatriots' requests: the district's office and coordinators, read-only integrations, and
/// each member the requests assigned to them (who also move them on and add notes).
pub const REQUESTS: Access = Access {
    what: "compatriot requests",
    district_readers: &[Role::OfficeStaff, Role::Coordinator],
    citywide_readers: READ_ONLY,
    owner_readers: &[Role::Member],
    personal_readers: &[],
    writers: STAFF,
};

/// Aggregate statistics: office staff and coordinators of a district (aggregates only), and
/// read-only integrations.
pub const STATS: Access = Access {
    what: "statistics",
    district_readers: &[Role::OfficeStaff, Role::Coordinator],
    citywide_readers: READ_ONLY,
    owner_readers: &[],
    personal_readers: &[],
    writers: &[],
};

#[cfg(test)]
mod tests {
    use super::*;
    use xs_kit::Caller;
    use xs_kit::scope::Scope;

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
    fn personal_fields_are_for_the_districts_office_and_admins() {
        let sees = |c: Caller| COMPATRIOTS.may_read_personal(&c, "huli", None);
        assert!(sees(caller(&[Role::Admin], None, None)));
        assert!(sees(caller(&[Role::OfficeStaff], Some("huli"), None)));
        assert!(!sees(caller(&[Role::OfficeStaff], Some("siming"), None)));
        assert!(!sees(caller(&[Role::Coordinator], Some("huli"), None)));
        assert!(!sees(caller(&[Role::Member], Some("huli"), Some("m1"))));
        assert!(!sees(caller(&[Role::Dashboard], None, None)));
    }

    #[test]
    fn requests_are_read_by_the_office_and_the_assigned_member() {
        let s = |c: Caller| REQUESTS.read_scope(&c).ok();
        assert_eq!(
            s(caller(&[Role::Coordinator], Some("huli"), None)),
            Some(Scope::District("huli".into()))
        );
        assert_eq!(
            s(caller(&[Role::Member], Some("huli"), Some("m1"))),
            Some(Scope::Member("m1".into()))
        );
        assert_eq!(s(caller(&[Role::Resident], Some("huli"), None)), None);
        assert_eq!(
            STATS
                .read_scope(&caller(&[Role::Dashboard], None, None))
                .ok(),
            Some(Scope::All)
        );
        assert!(
            STATS
                .read_scope(&caller(&[Role::Member], Some("huli"), Some("m1")))
                .is_err()
        );
    }
}
