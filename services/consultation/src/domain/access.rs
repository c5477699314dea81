//! Who may read, see personal fields of, and write each kind of consultation resource: the
//! service's policy table, one [`Access`] per resource, answered by the kit's scope rules.
//! Residents are not in these tables: what they see of topics is decided in
//! [`crate::domain::topic`] (their own topics, and the public face of public topics).

use xs_kit::Role;
use xs_kit::scope::{Access, READ_ONLY};

/// The district's staff: they read, see personal fields and write within their district.
pub const DISTRICT_STAFF: &[Role] = &[Role::Admin, Role::OfficeStaff, Role::Coordinator];

/// Topics: the district's staff, coordinators and members (who claim them), read-only
/// integrations. A resident's contact details are for the district's staff.
pub const TOPICS: Access = Access {
    what: "topics",
    district_readers: &[Role::OfficeStaff, Role::Coordinator, Role::Member],
    citywide_readers: READ_ONLY,
    owner_readers: &[],
    personal_readers: DISTRICT_STAFF,
    writers: DISTRICT_STAFF,
};

/// Consultations, their opinions, recipients and follow-ups: read like topics; residents'
/// names among the participants are for the district's staff.
pub const CONSULTATIONS: Access = Access {
    what: "consultations",
    ..TOPICS
};

/// Mediation cases: parties are seen whole by the district's staff (and the case's mediators,
/// which the domain adds); members and integrations see them masked.
pub const MEDIATION: Access = Access {
    what: "mediation cases",
    ..TOPICS
};

/// Visitor receptions: the district's staff, read-only integrations, and each member the
/// receptions they took part in. Visitors are seen whole by the staff and the receiving members.
pub const RECEPTIONS: Access = Access {
    what: "receptions",
    district_readers: &[Role::OfficeStaff, Role::Coordinator],
    citywide_readers: READ_ONLY,
    owner_readers: &[Role::Member],
    personal_readers: DISTRICT_STAFF,
    writers: DISTRICT_STAFF,
};

/// Aggregate statistics: office staff and coordinators of a district, read-only integrations.
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
    fn topics_by_role() {
        let s = |c: Caller| TOPICS.read_scope(&c).ok();
        assert_eq!(s(caller(&[Role::Admin], None, None)), Some(Scope::All));
        assert_eq!(s(caller(&[Role::Dashboard], None, None)), Some(Scope::All));
        assert_eq!(
            s(caller(&[Role::Member], Some("siming"), Some("m1"))),
            Some(Scope::District("siming".into()))
        );
        assert_eq!(
            s(caller(&[Role::Coordinator], Some("siming"), None)),
            Some(Scope::District("siming".into()))
        );
        assert_eq!(s(caller(&[Role::Resident], Some("siming"), None)), None);
    }

    #[test]
    fn receptions_are_the_members_own() {
        let s = |c: Caller| RECEPTIONS.read_scope(&c).ok();
        assert_eq!(
            s(caller(&[Role::Member], Some("siming"), Some("m1"))),
            Some(Scope::Member("m1".into()))
        );
        assert_eq!(
            s(caller(&[Role::OfficeStaff], Some("siming"), None)),
            Some(Scope::District("siming".into()))
        );
    }

    #[test]
    fn personal_fields_are_for_the_districts_staff() {
        let sees = |c: Caller| MEDIATION.may_read_personal(&c, "siming", None);
        assert!(sees(caller(&[Role::Coordinator], Some("siming"), None)));
        assert!(!sees(caller(&[Role::Coordinator], Some("huli"), None)));
        assert!(!sees(caller(&[Role::Member], Some("siming"), Some("m1"))));
        assert!(!sees(caller(&[Role::Dashboard], None, None)));
        assert!(sees(caller(&[Role::Admin], None, None)));
    }

    #[test]
    fn statistics_have_no_writers() {
        assert!(!STATS.may_write(&caller(&[Role::Admin], None, None), "siming"));
        assert_eq!(
            STATS
                .read_scope(&caller(&[Role::Member], Some("siming"), Some("m1")))
                .ok(),
            None
        );
    }
}
