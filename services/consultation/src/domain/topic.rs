//! Topics (议题): their three origins, the lifecycle (open → claimed → scheduled → consulted →
//! resolved / unresolved; open → declined or merged), who may raise which, and what a
//! resident sees.
//!
//! `schedule`, `unschedule`, `consult` and the resolution a consultation brings are moves the
//! consultation makes in its own transaction (a consultation is planned, cancelled, held,
//! implemented or closed); the transitions endpoint refuses them ([`Guards::by_consultation`]),
//! so its `allowed_actions` lists exactly what a person may do.

use crate::domain::access::{DISTRICT_STAFF, TOPICS};
use xs_kit::lifecycle::Lifecycle;
use xs_kit::{ApiError, ApiResult, Caller, Role};

xs_kit::text_enum! {
    /// How a topic came about.
    pub enum TopicOrigin {
        /// 点题: set by a subdistrict or community (a coordinator or the office).
        Assigned = "assigned",
        /// 出题: posed by a resident (through the app, or recorded by staff).
        Public = "public",
        /// 选答题: proposed or claimed by a member.
        MemberChosen = "member_chosen",
    }
}

xs_kit::text_enum! {
    /// What a topic is about.
    pub enum TopicCategory {
        Livelihood = "livelihood",
        Environment = "environment",
        Traffic = "traffic",
        PropertyManagement = "property_management",
        ElderlyCare = "elderly_care",
        Education = "education",
        Health = "health",
        PublicSafety = "public_safety",
        Legal = "legal",
        Economy = "economy",
        Culture = "culture",
        CrossStrait = "cross_strait",
        Other = "other",
    }
}

xs_kit::text_enum! {
    /// Where a topic is in its lifecycle.
    pub enum TopicStatus {
        /// Raised, waiting for a member or workroom to take it up.
        Open = "open",
        /// Taken up by one or more members or a workroom.
        Claimed = "claimed",
        /// A consultation on it is planned.
        Scheduled = "scheduled",
        /// The consultation was held.
        Consulted = "consulted",
        /// Solved: the consultation's opinions were implemented.
        Resolved = "resolved",
        /// Consulted, but not solved.
        Unresolved = "unresolved",
        /// Not taken up; the reason is shown to whoever raised it.
        Declined = "declined",
        /// A duplicate, merged into another topic (`merged_into`).
        Merged = "merged",
    }
}

xs_kit::text_enum! {
    /// What can be done to a topic (`POST /topics/{id}/transitions`; the last four are the
    /// consultation's moves and are refused there).
    pub enum TopicAction {
        /// Members (or a workroom) take it up; claiming a claimed topic adds claimants.
        Claim = "claim",
        /// Not taken up, with a reason.
        Decline = "decline",
        /// A duplicate: merged into another open or claimed topic.
        Merge = "merge",
        /// Consulted and solved.
        Resolve = "resolve",
        /// Consulted and not solved.
        LeaveUnresolved = "leave_unresolved",
        /// A consultation taking it up is planned.
        Schedule = "schedule",
        /// That consultation was cancelled.
        Unschedule = "unschedule",
        /// That consultation was held.
        Consult = "consult",
    }
}

/// What a transition knows beyond the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Guards {
    /// The move is made by a consultation (planned, cancelled, held, implemented, closed).
    pub by_consultation: bool,
    /// Someone has claimed the topic (where `unschedule` leads back to).
    pub has_claimants: bool,
}

impl Lifecycle for TopicStatus {
    type Action = TopicAction;
    type Guards = Guards;
    const SUBJECT: &'static str = "topic";

    fn target(self, action: TopicAction, g: &Guards) -> Option<TopicStatus> {
        use TopicAction as A;
        use TopicStatus as S;
        match (self, action) {
            (S::Open | S::Claimed, A::Claim) => Some(S::Claimed),
            (S::Open, A::Decline) => Some(S::Declined),
            (S::Open, A::Merge) => Some(S::Merged),
            (S::Open | S::Claimed, A::Schedule) => Some(S::Scheduled),
            (S::Scheduled, A::Unschedule) => {
                Some(if g.has_claimants { S::Claimed } else { S::Open })
            }
            (S::Scheduled, A::Consult) => Some(S::Consulted),
            (S::Consulted, A::Resolve) => Some(S::Resolved),
            (S::Consulted, A::LeaveUnresolved) => Some(S::Unresolved),
            _ => None,
        }
    }

    fn guard(self, action: TopicAction, g: &Guards) -> Result<(), String> {
        if action.is_consultations() && !g.by_consultation {
            return Err(format!(
                "a topic is {}d by a consultation, not by hand",
                action.as_str()
            ));
        }
        Ok(())
    }

    /// `topic.raised` on creation, then named for the state reached (`topic.claimed`, …).
    /// `topic.created` when raised; every later move is `topic.status_changed` (the event's
    /// `data.status` is the new status), so a subscriber follows a topic with one type.
    fn event_type(from: Option<Self>, _action: &str, _to: Self) -> Option<String> {
        Some(match from {
            None => "topic.created".into(),
            Some(_) => "topic.status_changed".into(),
        })
    }
}

impl TopicAction {
    /// The moves only a consultation makes.
    pub fn is_consultations(self) -> bool {
        matches!(
            self,
            TopicAction::Schedule | TopicAction::Unschedule | TopicAction::Consult
        )
    }
}

impl TopicStatus {
    /// Still waiting to be taken up by a consultation: what `/similar` offers for merging.
    pub fn is_open(self) -> bool {
        matches!(self, TopicStatus::Open | TopicStatus::Claimed)
    }
}

/// Who may raise a topic of `origin` in `district`: assigned topics by the district's staff
/// and coordinators; public ones by residents (or staff recording one on a resident's behalf);
/// member-chosen ones by members of the district (or staff naming the member).
pub fn require_raiser(caller: &Caller, origin: TopicOrigin, district: &str) -> ApiResult<()> {
    let staff = caller.has_any(DISTRICT_STAFF) && caller.covers_district(district);
    let allowed = staff
        || match origin {
            TopicOrigin::Assigned => false,
            TopicOrigin::Public => caller.has(Role::Resident),
            TopicOrigin::MemberChosen => {
                caller.has(Role::Member)
                    && caller.member_id.is_some()
                    && caller.covers_district(district)
            }
        };
    if allowed {
        return Ok(());
    }
    Err(ApiError::Forbidden(
        match origin {
            TopicOrigin::Assigned => {
                "assigned topics are set by the district's staff and coordinators"
            }
            TopicOrigin::Public => {
                "public topics are posed by residents (or recorded by the district's staff)"
            }
            TopicOrigin::MemberChosen => {
                "member-chosen topics are proposed by the district's members or staff"
            }
        }
        .into(),
    ))
}

/// The role a topic's raiser is recorded with (the widest they hold).
pub fn raiser_role(caller: &Caller) -> Role {
    [
        Role::Admin,
        Role::OfficeStaff,
        Role::Coordinator,
        Role::Member,
        Role::Resident,
    ]
    .into_iter()
    .find(|r| caller.has(*r))
    .unwrap_or(Role::Resident)
}

/// How a caller sees topics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// Through the policy: staff, members, integrations.
    Scoped(xs_kit::scope::Scope),
    /// A resident: their own topics (and those theirs were merged into) whole, and the public
    /// face of public topics of active workrooms.
    Resident(String),
}

/// The caller's view of topics, or 403.
pub fn viewer(caller: &Caller) -> ApiResult<Viewer> {
    match TOPICS.read_scope(caller) {
        Ok(scope) => Ok(Viewer::Scoped(scope)),
        Err(_) if caller.has(Role::Resident) => Ok(Viewer::Resident(caller.sub.clone())),
        Err(e) => Err(e),
    }
}

/// How much of one topic a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// Everything, contact details whole (the district's staff; audited).
    Office,
    /// Everything but the contact details, which are masked (members, integrations).
    Register,
    /// The resident who raised it (or whose topic was merged into it): whole, their own contact.
    Raiser,
    /// Another resident's view of a public topic: no one's identity.
    Public,
}

/// The face a scoped caller sees of a topic of `district`.
pub fn scoped_face(caller: &Caller, district: &str) -> Face {
    if TOPICS.may_read_personal(caller, district, None) {
        Face::Office
    } else {
        Face::Register
    }
}

/// Can a topic be shown to other residents at all (before its workroom's status is asked)?
/// Public topics at a workroom, not declined or merged.
pub fn publicly_listed(origin: TopicOrigin, status: TopicStatus, workroom: Option<&str>) -> bool {
    origin == TopicOrigin::Public
        && workroom.is_some()
        && !matches!(status, TopicStatus::Declined | TopicStatus::Merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use xs_kit::lifecycle::{allowed, apply};

    use TopicAction as A;
    use TopicStatus as S;

    #[test]
    fn events_are_created_then_status_changed() {
        use xs_kit::lifecycle::Lifecycle;
        assert_eq!(
            S::event_type(None, "raise", S::Open).as_deref(),
            Some("topic.created")
        );
        for to in [S::Claimed, S::Resolved, S::Merged] {
            assert_eq!(
                S::event_type(Some(S::Open), "claim", to).as_deref(),
                Some("topic.status_changed")
            );
        }
    }

    /// Every legal move, written out independently of `target` (consultation moves included).
    const LEGAL: &[(S, A, S)] = &[
        (S::Open, A::Claim, S::Claimed),
        (S::Claimed, A::Claim, S::Claimed),
        (S::Open, A::Decline, S::Declined),
        (S::Open, A::Merge, S::Merged),
        (S::Open, A::Schedule, S::Scheduled),
        (S::Claimed, A::Schedule, S::Scheduled),
        (S::Scheduled, A::Unschedule, S::Claimed),
        (S::Scheduled, A::Consult, S::Consulted),
        (S::Consulted, A::Resolve, S::Resolved),
        (S::Consulted, A::LeaveUnresolved, S::Unresolved),
    ];

    fn legal(from: S, action: A) -> Option<S> {
        LEGAL
            .iter()
            .find(|(f, a, _)| *f == from && *a == action)
            .map(|(_, _, t)| *t)
    }

    #[test]
    fn every_pair_of_state_and_action() {
        let g = Guards {
            by_consultation: true,
            has_claimants: true,
        };
        for from in S::ALL.iter().copied() {
            for action in A::ALL.iter().copied() {
                match (legal(from, action), apply(from, action, &g)) {
                    (Some(to), Ok(got)) => assert_eq!(got, to, "{from:?} --{action:?}"),
                    (None, Err(ApiError::IllegalTransition { .. })) => {}
                    (want, got) => panic!("{from:?} --{action:?}: want {want:?}, got {got:?}"),
                }
            }
        }
    }

    #[test]
    fn consultation_moves_are_not_offered_by_hand() {
        let g = Guards::default();
        assert_eq!(allowed(S::Open, &g), [A::Claim, A::Decline, A::Merge]);
        assert_eq!(allowed(S::Claimed, &g), [A::Claim]);
        assert!(allowed(S::Scheduled, &g).is_empty());
        assert_eq!(allowed(S::Consulted, &g), [A::Resolve, A::LeaveUnresolved]);
        assert!(apply(S::Claimed, A::Schedule, &g).is_err());
        // Unscheduling leads back to open when no one had claimed the topic.
        let by = Guards {
            by_consultation: true,
            has_claimants: false,
        };
        assert_eq!(apply(S::Scheduled, A::Unschedule, &by).ok(), Some(S::Open));
    }

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
    fn who_raises_which_origin() {
        let resident = caller(&[Role::Resident], None, None);
        let member = caller(&[Role::Member], Some("siming"), Some("m1"));
        let coordinator = caller(&[Role::Coordinator], Some("siming"), None);
        assert!(require_raiser(&resident, TopicOrigin::Public, "siming").is_ok());
        assert!(require_raiser(&resident, TopicOrigin::Assigned, "siming").is_err());
        assert!(require_raiser(&member, TopicOrigin::MemberChosen, "siming").is_ok());
        assert!(require_raiser(&member, TopicOrigin::MemberChosen, "huli").is_err());
        assert!(require_raiser(&member, TopicOrigin::Assigned, "siming").is_err());
        assert!(require_raiser(&coordinator, TopicOrigin::Assigned, "siming").is_ok());
        assert!(require_raiser(&coordinator, TopicOrigin::Assigned, "huli").is_err());
        assert_eq!(viewer(&resident).ok(), Some(Viewer::Resident("u".into())));
        assert!(viewer(&caller(&[], None, None)).is_err());
    }
}
