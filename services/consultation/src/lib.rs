//! The consultation service: the core loop of every story — residents and communities raise
//! topics (议题: assigned, public, member-chosen), members take them up and hold
//! micro-consultations (微协商) with the people and departments concerned, submit the opinions
//! and follow them up until implemented; mediation cases (政协+调解); visitor receptions
//! (来访接待); and the statistics that reproduce the districts' figures from records.
//!
//! Layout (the same in every service): `routes` lists the API in one place; `handlers/` turn
//! HTTP into calls; `views/` are the wire types; `models/` hold rows and queries; `domain/`
//! holds pure rules with their unit tests. Members, workrooms and places are membership's:
//! they are checked through the kit's service client, and activity credits go to membership
//! through the outbox.

pub mod domain;
pub mod handlers;
pub mod models;
pub mod routes;
pub mod schema;
pub mod views;

use xs_kit::apidoc::ByAction;
use xs_kit::db::Migrations;
use xs_kit::service::ServiceSpec;

pub static MIGRATIONS: Migrations =
    Migrations(include!(concat!(env!("OUT_DIR"), "/migrations.rs")));

pub static SPEC: ServiceSpec = ServiceSpec {
    name: "consultation",
    description: "Topics from three origins (assigned, public, member-chosen) with their \
        lifecycle, history and similar-topic search; micro-consultations (planned, held, \
        submitted, following up, implemented) with opinions, recipients with due dates, \
        follow-ups and overdue replies; mediation cases (parties masked outside the district's \
        staff and mediators); visitor receptions (visitors masked likewise); statistics. \
        Residents see their own topics and the public face of public topics of active \
        workrooms, never another resident's identity. Participation is credited to members in \
        membership through the outbox.",
    migrations: &MIGRATIONS,
    routes: routes::routes,
    by_action: &[
        ByAction {
            schema: "ConsultationTransition",
            rules: handlers::consultations::transition_rules,
        },
        ByAction {
            schema: "MediationTransition",
            rules: handlers::mediation::transition_rules,
        },
        ByAction {
            schema: "TopicTransition",
            rules: handlers::topics::transition_rules,
        },
    ],
};
