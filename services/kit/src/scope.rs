//! Who may read, see personal fields of, and write a kind of resource — declared once per
//! resource as an [`Access`] policy, answered the same way by every service.
//!
//! A read is answered through a [`Scope`]: the widest set of resources the caller's roles
//! reach (all, one district, or what the caller owns as a member). Single reads ask
//! [`Scope::covers`]; lists turn the same scope into their query filter with
//! [`Scope::narrow`], so a list can never show what a single read would refuse, nor the
//! other way round.
//!
//! Admins and services act across districts. Everyone else acts within the district their
//! token names, except the read-only integrations (dashboards, integrators) whose token names
//! no district: they read citywide, and never see personal fields.

use crate::auth::{Caller, Role};
use crate::error::{ApiError, ApiResult};

/// The policy of one kind of resource.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    /// What the resource is called in refusals ("activity records", "duty shifts").
    pub what: &'static str,
    /// Roles that read the resources of their own district.
    pub district_readers: &'static [Role],
    /// Read-only roles that read citywide when their token names no district (and within their
    /// district when it names one).
    pub citywide_readers: &'static [Role],
    /// Roles that read what they own: a member their own records.
    pub owner_readers: &'static [Role],
    /// Roles that see personal fields (phones, addresses, document numbers) of their own
    /// district's resources. The owner always sees their own.
    pub personal_readers: &'static [Role],
    /// Roles that create and change the resources of their own district.
    pub writers: &'static [Role],
}

/// The roles that work in the office: they read, see personal fields and write.
pub const STAFF: &[Role] = &[Role::Admin, Role::OfficeStaff];
/// Read-only integrations.
pub const READ_ONLY: &[Role] = &[Role::Dashboard, Role::Integrator];

/// The widest set of resources a caller reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every district.
    All,
    /// One district.
    District(String),
    /// What this member owns.
    Member(String),
}

/// What a list must be confined to: `None` means unconstrained. Built by [`Scope::narrow`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeFilter {
    pub district: Option<String>,
    pub member: Option<String>,
}

impl Access {
    /// The caller's read scope, or a 403 naming who may read.
    pub fn read_scope(&self, caller: &Caller) -> ApiResult<Scope> {
        if caller.is_citywide() {
            return Ok(Scope::All);
        }
        let reads_district = caller.has_any(self.district_readers);
        let reads_citywide = caller.has_any(self.citywide_readers);
        match (&caller.district, reads_district, reads_citywide) {
            (Some(d), true, _) | (Some(d), _, true) => return Ok(Scope::District(d.clone())),
            (None, _, true) => return Ok(Scope::All),
            _ => {}
        }
        match &caller.member_id {
            Some(m) if caller.has_any(self.owner_readers) => Ok(Scope::Member(m.clone())),
            _ => Err(ApiError::Forbidden(format!(
                "{} are not readable with your roles",
                self.what
            ))),
        }
    }

    /// May the caller read this resource (of `district`, owned by `owner`)?
    pub fn may_read(&self, caller: &Caller, district: &str, owner: Option<&str>) -> bool {
        self.read_scope(caller)
            .is_ok_and(|s| s.covers(district, owner))
    }

    /// 403 unless the caller may read this resource.
    pub fn require_read(
        &self,
        caller: &Caller,
        district: &str,
        owner: Option<&str>,
    ) -> ApiResult<()> {
        self.read_scope(caller)?.require(district, owner, self.what)
    }

    /// May the caller see this resource's personal fields unmasked? Its owner, and the
    /// personal-data roles of its district; never a read-only integration.
    pub fn may_read_personal(&self, caller: &Caller, district: &str, owner: Option<&str>) -> bool {
        let is_owner = owner.is_some() && caller.member_id.as_deref() == owner;
        is_owner || (caller.has_any(self.personal_readers) && caller.covers_district(district))
    }

    /// May the caller create or change resources of `district`?
    pub fn may_write(&self, caller: &Caller, district: &str) -> bool {
        caller.has_any(self.writers) && caller.covers_district(district)
    }

    /// 403 unless the caller may write in `district`, saying whether the role or the district
    /// is what is missing.
    pub fn require_write(&self, caller: &Caller, district: &str) -> ApiResult<()> {
        caller.require_any(self.writers)?;
        caller.require_district(district)
    }
}

impl Scope {
    /// Does this scope reach a resource of `district` owned by `owner`?
    pub fn covers(&self, district: &str, owner: Option<&str>) -> bool {
        match self {
            Scope::All => true,
            Scope::District(d) => d == district,
            Scope::Member(m) => owner == Some(m.as_str()),
        }
    }

    /// 403 unless the scope reaches the resource.
    pub fn require(&self, district: &str, owner: Option<&str>, what: &str) -> ApiResult<()> {
        if self.covers(district, owner) {
            return Ok(());
        }
        Err(ApiError::Forbidden(match self {
            Scope::Member(_) => format!("members read only their own {what}"),
            _ => format!("your scope does not cover district {district}"),
        }))
    }

    /// Narrow a list's requested filters to the scope: asking beyond it is a 403, leaving a
    /// filter out confines the list to what the scope reaches.
    pub fn narrow(
        &self,
        district: Option<String>,
        member: Option<String>,
    ) -> ApiResult<ScopeFilter> {
        match self {
            Scope::All => Ok(ScopeFilter { district, member }),
            Scope::District(own) => match district {
                Some(d) if &d != own => Err(ApiError::Forbidden(format!(
                    "your scope does not cover district {d}"
                ))),
                _ => Ok(ScopeFilter {
                    district: Some(own.clone()),
                    member,
                }),
            },
            Scope::Member(own) => match member {
                Some(m) if &m != own => Err(ApiError::Forbidden(
                    "members see only their own records".into(),
                )),
                _ => Ok(ScopeFilter {
                    district,
                    member: Some(own.clone()),
                }),
            },
        }
    }

    /// The one district a district-level answer (a bulletin, a district's statistics) is
    /// about: citywide callers must name it; others get their own and may name no other.
    pub fn one_district(&self, requested: Option<String>, why: &str) -> ApiResult<String> {
        match (self, requested) {
            (Scope::All, Some(d)) => Ok(d),
            // `district` is optional in the schema (staff get their own): 422 for the rest.
            (Scope::All, None) => Err(ApiError::unprocessable(
                "district",
                format!("is required: {why}"),
            )),
            (Scope::District(own), Some(d)) if &d != own => Err(ApiError::Forbidden(format!(
                "your scope does not cover district {d}"
            ))),
            (Scope::District(own), _) => Ok(own.clone()),
            (Scope::Member(_), _) => Err(ApiError::Forbidden(
                "district-level answers are for staff and integrations".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORDS: Access = Access {
        what: "activity records",
        district_readers: &[Role::OfficeStaff, Role::Coordinator],
        citywide_readers: READ_ONLY,
        owner_readers: &[Role::Member],
        personal_readers: &[Role::Admin, Role::OfficeStaff, Role::Coordinator],
        writers: STAFF,
    };

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
    fn each_role_gets_its_scope() {
        let s = |c: &Caller| RECORDS.read_scope(c).ok();
        assert_eq!(s(&caller(&[Role::Admin], None, None)), Some(Scope::All));
        assert_eq!(s(&caller(&[Role::Service], None, None)), Some(Scope::All));
        assert_eq!(
            s(&caller(&[Role::OfficeStaff], Some("siming"), None)),
            Some(Scope::District("siming".into()))
        );
        // Staff without a district read nothing: their scope is a district.
        assert_eq!(s(&caller(&[Role::OfficeStaff], None, None)), None);
        assert_eq!(s(&caller(&[Role::Dashboard], None, None)), Some(Scope::All));
        assert_eq!(
            s(&caller(&[Role::Integrator], Some("huli"), None)),
            Some(Scope::District("huli".into()))
        );
        assert_eq!(
            s(&caller(&[Role::Member], Some("huli"), Some("m1"))),
            Some(Scope::Member("m1".into()))
        );
        // A member token without a member id owns nothing.
        assert_eq!(s(&caller(&[Role::Member], Some("huli"), None)), None);
        assert_eq!(s(&caller(&[Role::Resident], Some("huli"), None)), None);
        // The widest role wins.
        assert_eq!(
            s(&caller(
                &[Role::Member, Role::Coordinator],
                Some("huli"),
                Some("m1")
            )),
            Some(Scope::District("huli".into()))
        );
    }

    #[test]
    fn single_reads_and_lists_agree() {
        let callers = [
            caller(&[Role::Admin], None, None),
            caller(&[Role::OfficeStaff], Some("siming"), None),
            caller(&[Role::Dashboard], None, None),
            caller(&[Role::Member], Some("siming"), Some("m1")),
        ];
        let resources = [("siming", "m1"), ("siming", "m2"), ("huli", "m3")];
        for c in &callers {
            let scope = RECORDS.read_scope(c).expect("has a scope");
            let filter = scope.narrow(None, None).expect("unfiltered list");
            for (district, owner) in resources {
                let listed = filter.district.as_deref().is_none_or(|d| d == district)
                    && filter.member.as_deref().is_none_or(|m| m == owner);
                assert_eq!(
                    listed,
                    RECORDS.may_read(c, district, Some(owner)),
                    "{:?} on {district}/{owner}",
                    c.roles
                );
            }
        }
    }

    #[test]
    fn asking_beyond_the_scope_is_refused() {
        let staff = Scope::District("siming".into());
        assert!(matches!(
            staff.narrow(Some("huli".into()), None),
            Err(ApiError::Forbidden(_))
        ));
        assert_eq!(
            staff.narrow(None, Some("m9".into())).ok(),
            Some(ScopeFilter {
                district: Some("siming".into()),
                member: Some("m9".into())
            })
        );
        let member = Scope::Member("m1".into());
        assert!(member.narrow(None, Some("m2".into())).is_err());
        assert!(member.require("siming", Some("m2"), "records").is_err());
        assert!(member.require("siming", Some("m1"), "records").is_ok());
        assert!(staff.require("huli", None, "records").is_err());
    }

    #[test]
    fn personal_fields_are_for_the_owner_and_the_districts_staff() {
        let staff = caller(&[Role::OfficeStaff], Some("siming"), None);
        let other_staff = caller(&[Role::OfficeStaff], Some("huli"), None);
        let me = caller(&[Role::Member], Some("huli"), Some("m1"));
        let dashboard = caller(&[Role::Dashboard], None, None);
        let admin = caller(&[Role::Admin], None, None);
        assert!(RECORDS.may_read_personal(&staff, "siming", Some("m1")));
        assert!(!RECORDS.may_read_personal(&other_staff, "siming", Some("m1")));
        assert!(RECORDS.may_read_personal(&me, "siming", Some("m1")));
        assert!(!RECORDS.may_read_personal(&me, "siming", Some("m2")));
        assert!(!RECORDS.may_read_personal(&me, "siming", None));
        assert!(!RECORDS.may_read_personal(&dashboard, "siming", Some("m1")));
        assert!(RECORDS.may_read_personal(&admin, "siming", None));
    }

    #[test]
    fn writers_act_in_their_district() {
        let staff = caller(&[Role::OfficeStaff], Some("siming"), None);
        assert!(RECORDS.may_write(&staff, "siming"));
        assert!(!RECORDS.may_write(&staff, "huli"));
        assert!(RECORDS.require_write(&staff, "huli").is_err());
        let coordinator = caller(&[Role::Coordinator], Some("siming"), None);
        assert!(RECORDS.require_write(&coordinator, "siming").is_err());
        assert!(RECORDS.may_write(&caller(&[Role::Admin], None, None), "huli"));
    }

    #[test]
    fn one_district_answers() {
        let all = Scope::All;
        assert_eq!(
            all.one_district(Some("huli".into()), "x").ok(),
            Some("huli".into())
        );
        // `district` is optional in the schema (staff get their own): a citywide caller who
        // leaves it out gets a 422, not the schema's 400.
        assert!(matches!(
            all.one_district(None, "x"),
            Err(ApiError::UnprocessableFields(_))
        ));
        let own = Scope::District("siming".into());
        assert_eq!(own.one_district(None, "x").ok(), Some("siming".into()));
        assert!(own.one_district(Some("huli".into()), "x").is_err());
        assert!(Scope::Member("m".into()).one_district(None, "x").is_err());
    }
}
