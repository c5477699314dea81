//! State machines: one transition table per resource, guards, the actions allowed now (what a
//! 409 lists), and the history row and domain event written in the transaction of the move.
//!
//! A new state machine is a state enum and an action enum (both [`crate::text_enum!`]), one
//! [`Lifecycle::target`] table and, where a move has a condition beyond the state, a
//! [`Lifecycle::guard`]. The handler then:
//!
//! 1. locks the row ([`crate::rows::lock`]) and reads it;
//! 2. calls [`apply`] — the next state, or a 409 `IllegalTransition` naming the allowed actions;
//! 3. writes the new state with a versioned update ([`crate::update_versioned!`]);
//! 4. calls [`Move::record`], which writes the history row and the domain event.
//!
//! All four run in one `Db::write`, so the state, its history and its event land together or
//! not at all.

use crate::db::{DbBackend, DbConn};
use crate::enums::TextEnum;
use crate::error::ApiError;
use crate::events::{self, Event};
use chrono::NaiveDateTime;
use diesel::prelude::*;

diesel::table! {
    kit_transitions (id) {
        id -> Text,
        subject_kind -> Text,
        subject_id -> Text,
        action -> Text,
        from_state -> Nullable<Text>,
        to_state -> Text,
        details -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

/// A resource's states and how they move.
pub trait Lifecycle: TextEnum {
    type Action: TextEnum;
    /// What the guards need to know beyond the state (a passed inspection, met essentials).
    type Guards;
    /// The resource, as history and events name it (`workroom`, `topic`).
    const SUBJECT: &'static str;

    /// The transition table, every legal move in one place: where `action` leads from `self`,
    /// or `None` when it is no move from this state. Guards' inputs may pick the target (a
    /// failed inspection leads back to `applied`).
    fn target(self, action: Self::Action, guards: &Self::Guards) -> Option<Self>;

    /// A move the table allows may still wait on a condition: `Err(why)` refuses it for now
    /// (and leaves it out of the allowed actions).
    fn guard(self, _action: Self::Action, _guards: &Self::Guards) -> Result<(), String> {
        Ok(())
    }

    /// The domain event a move raises, as `<subject>.<what happened>`; `None` for none.
    /// By default the event is named for the state reached (`workroom.suspended`).
    fn event_type(_from: Option<Self>, _action: &str, to: Self) -> Option<String> {
        Some(format!("{}.{}", Self::SUBJECT, to.as_str()))
    }
}

/// The actions possible from `from` now, in the action enum's order: exactly the buttons that
/// will work.
pub fn allowed<S: Lifecycle>(from: S, guards: &S::Guards) -> Vec<S::Action> {
    S::Action::ALL
        .iter()
        .copied()
        .filter(|a| from.target(*a, guards).is_some() && from.guard(*a, guards).is_ok())
        .collect()
}

/// Every event type a lifecycle can raise, to check against [`crate::events::TYPES`]: its
/// creation (the word `create` names, into each state) and every move its table allows from
/// each state under each of `guards`.
pub fn event_types<S: Lifecycle>(
    create: &str,
    guards: &[S::Guards],
) -> std::collections::BTreeSet<String> {
    let mut types: std::collections::BTreeSet<String> = S::ALL
        .iter()
        .filter_map(|to| S::event_type(None, create, *to))
        .collect();
    for g in guards {
        for from in S::ALL {
            for action in S::Action::ALL {
                if let Some(to) = from.target(*action, g) {
                    types.extend(S::event_type(Some(*from), action.as_str(), to));
                }
            }
        }
    }
    types
}

/// Apply `action`: the next state, or a 409 naming the actions allowed now.
pub fn apply<S: Lifecycle>(from: S, action: S::Action, guards: &S::Guards) -> Result<S, ApiError> {
    let refuse = |detail: String| ApiError::IllegalTransition {
        detail,
        allowed: allowed(from, guards)
            .into_iter()
            .map(|a| a.as_str().to_string())
            .collect(),
    };
    let Some(to) = from.target(action, guards) else {
        return Err(refuse(format!(
            "a {} that is {} cannot {}",
            S::SUBJECT,
            from.as_str(),
            action.as_str().replace('_', " ")
        )));
    };
    from.guard(action, guards).map_err(refuse)?;
    Ok(to)
}

/// One move of one resource, as history keeps it.
#[derive(Debug, Clone)]
pub struct Move<S: Lifecycle> {
    pub subject_id: String,
    /// `None` for the move that creates the resource.
    pub from: Option<S>,
    /// The action's text; creation moves use their own word (`apply`, `raise`).
    pub action: String,
    pub to: S,
    /// What the request recorded (findings, reason, ...), personal data left out.
    pub details: serde_json::Value,
    pub by: String,
    pub at: NaiveDateTime,
}

/// What the domain event of a move says beyond its type: the district it belongs to, the
/// resource's path and the resource after the move with personal fields masked.
#[derive(Debug, Clone)]
pub struct Publish {
    pub district: Option<String>,
    pub subject: String,
    pub data: serde_json::Value,
}

impl<S: Lifecycle> Move<S> {
    /// Write the history row and, when the move raises one, the domain event; inside the
    /// caller's transaction. Returns the event's id when one was written.
    pub fn record(&self, conn: &mut DbConn, publish: Publish) -> QueryResult<Option<String>> {
        diesel::insert_into(kit_transitions::table)
            .values((
                kit_transitions::id.eq(crate::db::new_id()),
                kit_transitions::subject_kind.eq(S::SUBJECT),
                kit_transitions::subject_id.eq(&self.subject_id),
                kit_transitions::action.eq(&self.action),
                kit_transitions::from_state.eq(self.from.map(|s| s.as_str())),
                kit_transitions::to_state.eq(self.to.as_str()),
                kit_transitions::details.eq(self.details.to_string()),
                kit_transitions::created_at.eq(self.at),
                kit_transitions::created_by.eq(&self.by),
            ))
            .execute(conn)?;
        let Some(event_type) = S::event_type(self.from, &self.action, self.to) else {
            return Ok(None);
        };
        let event = Event {
            id: crate::db::new_id(),
            event_type,
            occurred_at: self.at,
            district: publish.district,
            subject: publish.subject,
            data: publish.data,
        };
        events::record(conn, &event)?;
        Ok(Some(event.id))
    }
}

/// One history row as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = kit_transitions)]
pub struct HistoryRow {
    pub id: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub details: String,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

/// A page of a resource's history, oldest first (ids are time-ordered), after the cursor id.
pub fn history<S: Lifecycle>(
    conn: &mut DbConn,
    subject_id: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<HistoryRow>> {
    let mut q = kit_transitions::table
        .filter(kit_transitions::subject_kind.eq(S::SUBJECT))
        .filter(kit_transitions::subject_id.eq(subject_id.to_string()))
        .select(HistoryRow::as_select())
        .order(kit_transitions::id)
        .limit(limit)
        .into_boxed::<DbBackend>();
    if let Some(a) = after {
        q = q.filter(kit_transitions::id.gt(a.to_string()));
    }
    q.load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::text_enum! {
        pub enum Light {
            Red = "red",
            Green = "green",
            Broken = "broken",
        }
    }

    crate::text_enum! {
        pub enum Switch {
            Go = "go",
            Stop = "stop",
            Break = "break",
        }
    }

    /// Whether the crossing is clear: a guard on `go`.
    pub struct Clear(bool);

    impl Lifecycle for Light {
        type Action = Switch;
        type Guards = Clear;
        const SUBJECT: &'static str = "light";

        fn target(self, action: Switch, _: &Clear) -> Option<Light> {
            match (self, action) {
                (Light::Red, Switch::Go) => Some(Light::Green),
                (Light::Green, Switch::Stop) => Some(Light::Red),
                (Light::Red | Light::Green, Switch::Break) => Some(Light::Broken),
                _ => None,
            }
        }

        fn guard(self, action: Switch, g: &Clear) -> Result<(), String> {
            match action {
                Switch::Go if !g.0 => Err("the crossing is not clear".into()),
                _ => Ok(()),
            }
        }
    }

    /// The table written out independently of `target`.
    const LEGAL: [(Light, Switch, Light); 4] = [
        (Light::Red, Switch::Go, Light::Green),
        (Light::Red, Switch::Break, Light::Broken),
        (Light::Green, Switch::Stop, Light::Red),
        (Light::Green, Switch::Break, Light::Broken),
    ];

    fn legal(from: Light, action: Switch) -> Option<Light> {
        LEGAL
            .iter()
            .find(|(f, a, _)| *f == from && *a == action)
            .map(|(_, _, t)| *t)
    }

    #[test]
    fn every_pair_of_state_and_action() {
        let clear = Clear(true);
        for from in Light::ALL.iter().copied() {
            let expected_allowed: Vec<&str> = Switch::ALL
                .iter()
                .filter(|a| legal(from, **a).is_some())
                .map(|a| a.as_str())
                .collect();
            for action in Switch::ALL.iter().copied() {
                match (legal(from, action), apply(from, action, &clear)) {
                    (Some(to), Ok(got)) => assert_eq!(got, to, "{from:?} --{action:?}"),
                    (None, Err(ApiError::IllegalTransition { detail, allowed })) => {
                        assert_eq!(allowed, expected_allowed, "{from:?} --{action:?}");
                        assert!(detail.contains(from.as_str()), "{detail}");
                        assert!(detail.contains(action.as_str()), "{detail}");
                    }
                    (want, got) => panic!("{from:?} --{action:?}: want {want:?}, got {got:?}"),
                }
            }
        }
        assert!(allowed(Light::Broken, &clear).is_empty());
    }

    #[test]
    fn a_guard_refuses_with_its_reason_and_hides_the_action() {
        let blocked = Clear(false);
        assert_eq!(allowed(Light::Red, &blocked), [Switch::Break]);
        match apply(Light::Red, Switch::Go, &blocked) {
            Err(ApiError::IllegalTransition { detail, allowed }) => {
                assert_eq!(detail, "the crossing is not clear");
                assert_eq!(allowed, ["break"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn events_are_named_for_the_state_reached() {
        assert_eq!(
            Light::event_type(Some(Light::Red), "go", Light::Green).as_deref(),
            Some("light.green")
        );
    }
}
