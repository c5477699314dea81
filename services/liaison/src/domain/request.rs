//! Compatriots' requests (诉求): kinds, the lifecycle from receipt to resolution, days open.

use chrono::NaiveDate;
use xs_kit::lifecycle::Lifecycle;

xs_kit::text_enum! {
    /// What a request is about.
    pub enum RequestKind {
        Entrepreneurship = "entrepreneurship",
        Employment = "employment",
        Medical = "medical",
        Housing = "housing",
        Education = "education",
        Legal = "legal",
        Travel = "travel",
        Other = "other",
    }
}

xs_kit::text_enum! {
    /// Where a request is.
    pub enum RequestStatus {
        Received = "received",
        /// A member has been assigned to follow it.
        Assigned = "assigned",
        InProgress = "in_progress",
        /// Resolved (with how).
        Resolved = "resolved",
        /// Closed without a solution (with why).
        Unresolvable = "unresolvable",
    }
}

xs_kit::text_enum! {
    /// What can be done to a request (`POST /compatriot-requests/{id}/transitions`).
    pub enum RequestAction {
        /// Assign (or reassign) a member to follow it up.
        Assign = "assign",
        /// The assigned member starts work on it.
        Start = "start",
        /// Record how it was resolved.
        Resolve = "resolve",
        /// Close it as unresolvable, with why.
        MarkUnresolvable = "mark_unresolvable",
    }
}

impl Lifecycle for RequestStatus {
    type Action = RequestAction;
    type Guards = ();
    const SUBJECT: &'static str = "compatriot_request";

    fn target(self, action: RequestAction, _: &()) -> Option<RequestStatus> {
        use RequestAction as A;
        use RequestStatus as S;
        match (self, action) {
            (S::Received | S::Assigned | S::InProgress, A::Assign) => Some(S::Assigned),
            (S::Assigned, A::Start) => Some(S::InProgress),
            (S::Assigned | S::InProgress, A::Resolve) => Some(S::Resolved),
            (S::Received | S::Assigned | S::InProgress, A::MarkUnresolvable) => {
                Some(S::Unresolvable)
            }
            _ => None,
        }
    }
}

impl RequestStatus {
    pub fn is_open(self) -> bool {
        !matches!(self, RequestStatus::Resolved | RequestStatus::Unresolvable)
    }

    /// The states a request is open in.
    pub const OPEN: [RequestStatus; 3] = [
        RequestStatus::Received,
        RequestStatus::Assigned,
        RequestStatus::InProgress,
    ];
}

/// Days from receipt to closing, or to `today` while open.
pub fn days_open(received: NaiveDate, closed: Option<NaiveDate>, today: NaiveDate) -> i64 {
    (closed.unwrap_or(today) - received).num_days().max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use xs_kit::ApiError;
    use xs_kit::lifecycle::apply;

    const LEGAL: [(RequestStatus, RequestAction, RequestStatus); 9] = {
        use RequestAction as A;
        use RequestStatus as S;
        [
            (S::Received, A::Assign, S::Assigned),
            (S::Received, A::MarkUnresolvable, S::Unresolvable),
            (S::Assigned, A::Assign, S::Assigned),
            (S::Assigned, A::Start, S::InProgress),
            (S::Assigned, A::Resolve, S::Resolved),
            (S::Assigned, A::MarkUnresolvable, S::Unresolvable),
            (S::InProgress, A::Assign, S::Assigned),
            (S::InProgress, A::Resolve, S::Resolved),
            (S::InProgress, A::MarkUnresolvable, S::Unresolvable),
        ]
    };

    #[test]
    fn every_pair_of_state_and_action() {
        for from in RequestStatus::ALL.iter().copied() {
            for action in RequestAction::ALL.iter().copied() {
                let want = LEGAL
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, t)| *t);
                match (want, apply(from, action, &())) {
                    (Some(to), Ok(got)) => assert_eq!(got, to),
                    (None, Err(ApiError::IllegalTransition { allowed, .. })) => {
                        let expected: Vec<&str> = RequestAction::ALL
                            .iter()
                            .filter(|a| LEGAL.iter().any(|(f, x, _)| *f == from && x == *a))
                            .map(|a| a.as_str())
                            .collect();
                        assert_eq!(allowed, expected);
                    }
                    (w, got) => panic!("{from:?} --{action:?}: want {w:?}, got {got:?}"),
                }
            }
            assert_eq!(
                from.is_open(),
                RequestStatus::OPEN.contains(&from),
                "{from:?}"
            );
        }
    }

    #[test]
    fn days_open_count_to_closing_or_today() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        assert_eq!(days_open(d("2026-01-01"), None, d("2026-01-31")), 30);
        assert_eq!(
            days_open(d("2026-01-01"), Some(d("2026-01-05")), d("2026-01-31")),
            4
        );
    }
}
