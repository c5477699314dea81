//! Liaison events: their kinds, their lifecycle (planned → open for registration → held /
//! cancelled) and the rules of registration (capacity, the waiting list and its promotion).

use xs_kit::lifecycle::Lifecycle;

xs_kit::text_enum! {
    /// What kind of event.
    pub enum EventKind {
        /// 宣讲 (the lecture group's talks)
        Lecture = "lecture",
        /// 国情研习班
        StudyClass = "study_class",
        /// 座谈会: where suggestions are raised
        Symposium = "symposium",
        EnterpriseVisit = "enterprise_visit",
        YouthBaseVisit = "youth_base_visit",
        CulturalExchange = "cultural_exchange",
        VolunteerService = "volunteer_service",
        /// 联谊
        SocialEvent = "social_event",
        HeritageSurvey = "heritage_survey",
    }
}

xs_kit::text_enum! {
    /// Where an event is in its lifecycle.
    pub enum EventStatus {
        Planned = "planned",
        OpenForRegistration = "open_for_registration",
        /// Took place: people served, volunteers and a summary are recorded, and its
        /// organising members are credited.
        Held = "held",
        Cancelled = "cancelled",
    }
}

xs_kit::text_enum! {
    /// What can be done to an event's lifecycle (`POST /liaison-events/{id}/transitions`).
    pub enum EventAction {
        /// Start taking registrations.
        OpenRegistration = "open_registration",
        /// Record that it took place (from its start date on): people served, volunteers,
        /// summary. An event without registrations (a visit) may be held straight from planned.
        Hold = "hold",
        /// Call it off, with a reason.
        Cancel = "cancel",
    }
}

/// What a transition knows beyond the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guards {
    /// The event's start date has come (an event cannot be held before it happens).
    pub started: bool,
}

impl Lifecycle for EventStatus {
    type Action = EventAction;
    type Guards = Guards;
    const SUBJECT: &'static str = "liaison_event";

    fn target(self, action: EventAction, _: &Guards) -> Option<EventStatus> {
        use EventAction as A;
        use EventStatus as S;
        match (self, action) {
            (S::Planned, A::OpenRegistration) => Some(S::OpenForRegistration),
            (S::Planned | S::OpenForRegistration, A::Hold) => Some(S::Held),
            (S::Planned | S::OpenForRegistration, A::Cancel) => Some(S::Cancelled),
            _ => None,
        }
    }

    fn guard(self, action: EventAction, g: &Guards) -> Result<(), String> {
        match action {
            EventAction::Hold if !g.started => {
                Err("an event can be held only from its start date on".into())
            }
            _ => Ok(()),
        }
    }
}

impl EventStatus {
    /// Registrations are taken (and cancelled) only while registration is open.
    pub fn takes_registrations(self) -> bool {
        self == EventStatus::OpenForRegistration
    }

    /// Details may change until the event is held or cancelled.
    pub fn editable(self) -> bool {
        matches!(
            self,
            EventStatus::Planned | EventStatus::OpenForRegistration
        )
    }
}

xs_kit::text_enum! {
    /// A registration's place.
    pub enum RegistrationStatus {
        /// Has a seat.
        Confirmed = "confirmed",
        /// Over capacity: waits, in order of registration, for a seat.
        Waitlisted = "waitlisted",
        Cancelled = "cancelled",
    }
}

/// Where a new registration goes, with `confirmed` seats already taken.
pub fn place(capacity: Option<i32>, confirmed: i64) -> RegistrationStatus {
    match capacity {
        Some(c) if confirmed >= i64::from(c) => RegistrationStatus::Waitlisted,
        _ => RegistrationStatus::Confirmed,
    }
}

/// How many waiting registrations to promote now: the free seats, at most those waiting.
pub fn promotions(capacity: Option<i32>, confirmed: i64, waiting: i64) -> i64 {
    match capacity {
        None => waiting,
        Some(c) => (i64::from(c) - confirmed).clamp(0, waiting),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xs_kit::ApiError;
    use xs_kit::lifecycle::{allowed, apply};

    /// The legal moves, written out independently of `target`.
    const LEGAL: [(EventStatus, EventAction, EventStatus); 5] = [
        (
            EventStatus::Planned,
            EventAction::OpenRegistration,
            EventStatus::OpenForRegistration,
        ),
        (EventStatus::Planned, EventAction::Hold, EventStatus::Held),
        (
            EventStatus::Planned,
            EventAction::Cancel,
            EventStatus::Cancelled,
        ),
        (
            EventStatus::OpenForRegistration,
            EventAction::Hold,
            EventStatus::Held,
        ),
        (
            EventStatus::OpenForRegistration,
            EventAction::Cancel,
            EventStatus::Cancelled,
        ),
    ];

    #[test]
    fn every_pair_of_state_and_action() {
        let g = Guards { started: true };
        for from in EventStatus::ALL.iter().copied() {
            for action in EventAction::ALL.iter().copied() {
                let want = LEGAL
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, t)| *t);
                match (want, apply(from, action, &g)) {
                    (Some(to), Ok(got)) => assert_eq!(got, to),
                    (None, Err(ApiError::IllegalTransition { allowed: a, .. })) => {
                        let expected: Vec<&str> = LEGAL
                            .iter()
                            .filter(|(f, _, _)| *f == from)
                            .map(|(_, a, _)| a.as_str())
                            .collect();
                        assert_eq!(a, expected, "{from:?} {action:?}");
                    }
                    (w, got) => panic!("{from:?} --{action:?}: want {w:?}, got {got:?}"),
                }
            }
        }
    }

    #[test]
    fn holding_waits_for_the_start_date() {
        let g = Guards { started: false };
        assert_eq!(
            allowed(EventStatus::OpenForRegistration, &g),
            [EventAction::Cancel]
        );
        assert!(apply(EventStatus::Planned, EventAction::Hold, &g).is_err());
    }

    #[test]
    fn capacity_and_the_waiting_list() {
        assert_eq!(place(None, 1000), RegistrationStatus::Confirmed);
        assert_eq!(place(Some(2), 1), RegistrationStatus::Confirmed);
        assert_eq!(place(Some(2), 2), RegistrationStatus::Waitlisted);
        assert_eq!(promotions(Some(2), 1, 5), 1);
        assert_eq!(promotions(Some(5), 1, 2), 2);
        assert_eq!(promotions(Some(2), 3, 2), 0);
        assert_eq!(promotions(None, 3, 2), 2);
    }
}
