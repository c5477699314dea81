//! Who may read, see personal fields of, and write reports: the service's policy table, one
//! [`Access`] per resource, answered by the kit's scope rules, and the one rule the kit's
//! scope does not know — before acceptance a report is its authors' and the office's only.

use crate::domain::report::ReportStatus;
use xs_kit::scope::{Access, READ_ONLY, STAFF, Scope};
use xs_kit::{ApiError, ApiResult, Caller, Role};

/// Reports. The district's office (admins, office staff) reads, reviews and writes them and
/// sees residents' contacts; coordinators and read-only integrations read the accepted ones
/// of their scope; a member reads the reports they are an author of. Residents never.
pub const REPORTS: Access = Access {
    what: "reports",
    district_readers: &[Role::OfficeStaff, Role::Coordinator],
    citywide_readers: READ_ONLY,
    owner_readers: &[Role::Member],
    personal_readers: STAFF,
    writers: STAFF,
};

/// Report statistics: office staff and coordinators of a district (aggregates only), admins
/// and read-only integrations.
pub const STATS: Access = Access {
    what: "report statistics",
    district_readers: &[Role::OfficeStaff, Role::Coordinator],
    citywide_readers: READ_ONLY,
    owner_readers: &[],
    personal_readers: &[],
    writers: &[],
};

/// Which reports a caller sees: the kit's scope, and whether reports not yet accepted are
/// among them (only for the office; authors always see their own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visibility {
    pub scope: Scope,
    /// The caller sees reports in every state within the scope (the office).
    pub all_states: bool,
    /// The caller's member id: their own reports are visible in every state.
    pub author: Option<String>,
}

impl Visibility {
    pub fn of(caller: &Caller) -> ApiResult<Visibility> {
        let scope = REPORTS.read_scope(caller)?;
        Ok(Visibility {
            all_states: caller.has_any(STAFF) || caller.has(Role::Service),
            author: caller.member_id.clone(),
            scope,
        })
    }

    /// May the caller read this report? The same answer a list gives (see
    /// `models::report::list`).
    pub fn covers(&self, district: &str, status: ReportStatus, authors: &[&str]) -> bool {
        let is_author = self
            .author
            .as_deref()
            .is_some_and(|me| authors.contains(&me));
        match &self.scope {
            Scope::Member(m) => authors.contains(&m.as_str()),
            scope => {
                scope.covers(district, None)
                    && (self.all_states || status.is_published() || is_author)
            }
        }
    }

    /// 403 unless the caller may read this report.
    pub fn require(&self, district: &str, status: ReportStatus, authors: &[&str]) -> ApiResult<()> {
        if self.covers(district, status, authors) {
            return Ok(());
        }
        Err(ApiError::Forbidden(match &self.scope {
            Scope::Member(_) => "members read only the reports they are an author of".into(),
            Scope::District(d) if d != district => {
                format!("your scope does not cover district {district}")
            }
            Scope::All | Scope::District(_) => {
                "before acceptance a report is read by its authors and the district's office only"
                    .into()
            }
        }))
    }
}

/// May the caller open a report of `district` by these authors? The office of the district
/// for any members; a member for a report of their own district that they are an author of.
pub fn may_create(caller: &Caller, district: &str, authors: &[String]) -> ApiResult<()> {
    if caller.has_any(STAFF) {
        return REPORTS.require_write(caller, district);
    }
    let Some(me) = caller
        .member_id
        .as_deref()
        .filter(|_| caller.has(Role::Member))
    else {
        return Err(ApiError::Forbidden(
            "reports are written by members and the district's office".into(),
        ));
    };
    if caller.district.as_deref() != Some(district) {
        return Err(ApiError::Forbidden(format!(
            "members write reports of their own district, not {district}"
        )));
    }
    if !authors.iter().any(|a| a.trim() == me) {
        return Err(ApiError::Forbidden(
            "a member writes reports they are an author of".into(),
        ));
    }
    Ok(())
}

/// Does the caller see a report's resident contact whole? The office of its district only
/// (not its authors, not integrations).
pub fn sees_resident_contact(caller: &Caller, district: &str) -> bool {
    REPORTS.may_read_personal(caller, district, None)
}

/// Is the caller the office of this district (reviews, forwards, records adoptions)?
pub fn is_office(caller: &Caller, district: &str) -> bool {
    REPORTS.may_write(caller, district)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn before_acceptance_only_authors_and_the_office() {
        let sees = |c: Caller, status: ReportStatus| {
            Visibility::of(&c).is_ok_and(|v| v.covers("siming", status, &["m1", "m2"]))
        };
        for status in [ReportStatus::Draft, ReportStatus::UnderReview] {
            assert!(sees(caller(&[Role::Admin], None, None), status));
            assert!(sees(
                caller(&[Role::OfficeStaff], Some("siming"), None),
                status
            ));
            assert!(!sees(
                caller(&[Role::OfficeStaff], Some("huli"), None),
                status
            ));
            assert!(sees(
                caller(&[Role::Member], Some("siming"), Some("m2")),
                status
            ));
            assert!(!sees(
                caller(&[Role::Member], Some("siming"), Some("m3")),
                status
            ));
            assert!(!sees(
                caller(&[Role::Coordinator], Some("siming"), None),
                status
            ));
            assert!(!sees(caller(&[Role::Dashboard], None, None), status));
            assert!(!sees(
                caller(&[Role::Resident], Some("siming"), None),
                status
            ));
        }
        let accepted = ReportStatus::Accepted;
        assert!(sees(caller(&[Role::Dashboard], None, None), accepted));
        assert!(sees(
            caller(&[Role::Coordinator], Some("siming"), None),
            accepted
        ));
        assert!(!sees(
            caller(&[Role::Member], Some("siming"), Some("m3")),
            accepted
        ));
        assert!(!sees(
            caller(&[Role::Resident], Some("siming"), None),
            accepted
        ));
        // A coordinator who is also an author sees their own draft.
        assert!(sees(
            caller(
                &[Role::Coordinator, Role::Member],
                Some("siming"),
                Some("m1")
            ),
            ReportStatus::Draft
        ));
    }

    #[test]
    fn who_writes_reports() {
        let ok = |c: Caller, d: &str, a: &[&str]| {
            let a: Vec<String> = a.iter().map(|s| s.to_string()).collect();
            may_create(&c, d, &a).is_ok()
        };
        assert!(ok(caller(&[Role::Admin], None, None), "huli", &["m9"]));
        assert!(ok(
            caller(&[Role::OfficeStaff], Some("siming"), None),
            "siming",
            &["m9"]
        ));
        assert!(!ok(
            caller(&[Role::OfficeStaff], Some("huli"), None),
            "siming",
            &["m9"]
        ));
        let me = || caller(&[Role::Member], Some("siming"), Some("m1"));
        assert!(ok(me(), "siming", &["m2", "m1"]));
        assert!(!ok(me(), "siming", &["m2"]));
        assert!(!ok(me(), "huli", &["m1"]));
        assert!(!ok(
            caller(&[Role::Coordinator], Some("siming"), None),
            "siming",
            &["m1"]
        ));
        assert!(!ok(
            caller(&[Role::Resident], Some("siming"), None),
            "siming",
            &["m1"]
        ));
    }

    #[test]
    fn resident_contacts_are_for_the_office_of_the_district() {
        assert!(sees_resident_contact(
            &caller(&[Role::OfficeStaff], Some("siming"), None),
            "siming"
        ));
        assert!(sees_resident_contact(
            &caller(&[Role::Admin], None, None),
            "huli"
        ));
        assert!(!sees_resident_contact(
            &caller(&[Role::OfficeStaff], Some("huli"), None),
            "siming"
        ));
        assert!(!sees_resident_contact(
            &caller(&[Role::Member], Some("siming"), Some("m1")),
            "siming"
        ));
        assert!(!sees_resident_contact(
            &caller(&[Role::Coordinator], Some("siming"), None),
            "siming"
        ));
        assert!(!sees_resident_contact(
            &caller(&[Role::Dashboard], None, None),
            "siming"
        ));
    }

    #[test]
    fn statistics_are_for_the_office_and_integrations() {
        let s = |c: Caller| STATS.read_scope(&c).ok();
        assert_eq!(s(caller(&[Role::Dashboard], None, None)), Some(Scope::All));
        assert_eq!(
            s(caller(&[Role::OfficeStaff], Some("siming"), None)),
            Some(Scope::District("siming".into()))
        );
        assert_eq!(s(caller(&[Role::Member], Some("siming"), Some("m1"))), None);
        assert_eq!(s(caller(&[Role::Resident], Some("siming"), None)), None);
    }
}
