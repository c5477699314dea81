//! Consultations (微协商): planned → held (minutes and opinions) → submitted (to the main
//! recipients, each with a due date for a reply, and copies) → following_up → implemented /
//! closed_unresolved; planned → cancelled. What holding and closing do to the topics taken up
//! (consulted, resolved, unresolved) is decided here too, as pure rules.

use crate::domain::topic::TopicAction;
use chrono::NaiveDate;
use xs_kit::lifecycle::Lifecycle;

xs_kit::text_enum! {
    /// How a consultation meets.
    pub enum Format {
        OnSite = "on_site",
        Online = "online",
        Mixed = "mixed",
    }
}

xs_kit::text_enum! {
    /// Where a consultation is in its lifecycle.
    pub enum ConsultationStatus {
        Planned = "planned",
        /// Held: minutes and opinions recorded; participating members credited.
        Held = "held",
        /// Opinions sent to the main recipients (with due dates) and copied to departments.
        Submitted = "submitted",
        /// Replies and progress are being followed up.
        FollowingUp = "following_up",
        /// The opinions were implemented; its topics are resolved.
        Implemented = "implemented",
        /// Followed up to the end without a solution; its topics are unresolved.
        ClosedUnresolved = "closed_unresolved",
        Cancelled = "cancelled",
    }
}

xs_kit::text_enum! {
    /// What can be done to a consultation (`POST /consultations/{id}/transitions`).
    pub enum ConsultationAction {
        /// Record the meeting: date, minutes, opinions.
        Hold = "hold",
        /// Send the opinions: main recipients with due dates, copies.
        Submit = "submit",
        /// Start following up (also done by the first follow-up recorded).
        FollowUp = "follow_up",
        /// The opinions were implemented.
        Implement = "implement",
        /// Close without a solution.
        CloseUnresolved = "close_unresolved",
        Cancel = "cancel",
    }
}

xs_kit::text_enum! {
    /// The follow-up status of one opinion.
    pub enum OpinionStatus {
        Pending = "pending",
        InProgress = "in_progress",
        Adopted = "adopted",
        Implemented = "implemented",
        NotAdopted = "not_adopted",
    }
}

xs_kit::text_enum! {
    /// Who an opinion is submitted to.
    pub enum RecipientBody {
        /// 区政协
        DistrictCommittee = "district_committee",
        /// 区委
        PartyCommittee = "party_committee",
        /// 区政府
        Government = "government",
        /// A department (名称 in `name`); copies go to departments.
        Department = "department",
    }
}

xs_kit::text_enum! {
    /// A main recipient (报送, replies by a due date) or a copy (抄送).
    pub enum RecipientKind {
        Main = "main",
        Copy = "copy",
    }
}

impl Lifecycle for ConsultationStatus {
    type Action = ConsultationAction;
    type Guards = ();
    const SUBJECT: &'static str = "consultation";

    fn target(self, action: ConsultationAction, _: &()) -> Option<ConsultationStatus> {
        use ConsultationAction as A;
        use ConsultationStatus as S;
        match (self, action) {
            (S::Planned, A::Hold) => Some(S::Held),
            (S::Planned, A::Cancel) => Some(S::Cancelled),
            (S::Held, A::Submit) => Some(S::Submitted),
            (S::Submitted, A::FollowUp) => Some(S::FollowingUp),
            (S::FollowingUp, A::Implement) => Some(S::Implemented),
            (S::Submitted | S::FollowingUp, A::CloseUnresolved) => Some(S::ClosedUnresolved),
            _ => None,
        }
    }

    /// `consultation.planned` on creation, then named for the state reached.
    fn event_type(from: Option<Self>, _action: &str, to: Self) -> Option<String> {
        Some(match from {
            None => "consultation.planned".into(),
            Some(_) => format!("consultation.{}", to.as_str()),
        })
    }
}

impl ConsultationAction {
    /// What this move does to each topic the consultation takes up, if anything.
    pub fn topic_move(self) -> Option<TopicAction> {
        match self {
            ConsultationAction::Hold => Some(TopicAction::Consult),
            ConsultationAction::Implement => Some(TopicAction::Resolve),
            ConsultationAction::CloseUnresolved => Some(TopicAction::LeaveUnresolved),
            ConsultationAction::Cancel => Some(TopicAction::Unschedule),
            ConsultationAction::Submit | ConsultationAction::FollowUp => None,
        }
    }
}

impl ConsultationStatus {
    /// Follow-ups are recorded while submitted or following up.
    pub fn takes_follow_ups(self) -> bool {
        matches!(
            self,
            ConsultationStatus::Submitted | ConsultationStatus::FollowingUp
        )
    }

    /// Replies are still awaited (an unanswered main recipient past its date is overdue).
    pub fn awaits_replies(self) -> bool {
        self.takes_follow_ups()
    }
}

/// Days from one date to another (negative if `to` is before `from`), as statistics count.
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i32 {
    i32::try_from((to - from).num_days()).unwrap_or(i32::MAX)
}

/// The median of whole days (the mean of the middle two for an even count); `None` if empty.
pub fn median(mut days: Vec<i32>) -> Option<f64> {
    if days.is_empty() {
        return None;
    }
    days.sort_unstable();
    let n = days.len();
    Some(if n % 2 == 1 {
        f64::from(days[n / 2])
    } else {
        (f64::from(days[n / 2 - 1]) + f64::from(days[n / 2])) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use xs_kit::ApiError;
    use xs_kit::lifecycle::apply;

    use ConsultationAction as A;
    use ConsultationStatus as S;

    const LEGAL: &[(S, A, S)] = &[
        (S::Planned, A::Hold, S::Held),
        (S::Planned, A::Cancel, S::Cancelled),
        (S::Held, A::Submit, S::Submitted),
        (S::Submitted, A::FollowUp, S::FollowingUp),
        (S::FollowingUp, A::Implement, S::Implemented),
        (S::Submitted, A::CloseUnresolved, S::ClosedUnresolved),
        (S::FollowingUp, A::CloseUnresolved, S::ClosedUnresolved),
    ];

    #[test]
    fn every_pair_of_state_and_action() {
        for from in S::ALL.iter().copied() {
            for action in A::ALL.iter().copied() {
                let want = LEGAL
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, t)| *t);
                match (want, apply(from, action, &())) {
                    (Some(to), Ok(got)) => assert_eq!(got, to),
                    (None, Err(ApiError::IllegalTransition { .. })) => {}
                    (w, g) => panic!("{from:?} --{action:?}: want {w:?}, got {g:?}"),
                }
            }
        }
    }

    #[test]
    fn medians_of_days() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5, 1, 3]), Some(3.0));
        assert_eq!(median(vec![4, 1, 3, 10]), Some(3.5));
        let d = |s: &str| s.parse::<NaiveDate>().ok().unwrap_or_default();
        assert_eq!(days_between(d("2026-03-01"), d("2026-03-06")), 5);
    }
}
