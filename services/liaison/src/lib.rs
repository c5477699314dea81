//! The liaison service: cross-strait work — the register of Taiwan compatriots (personal data
//! masked for all but the district's office), Taiwan-funded enterprises, youth bases and
//! associations with the members who visit them, liaison events (lectures, study classes,
//! symposiums, visits, exchanges, volunteer services, socials, heritage surveys) with their
//! lifecycle, registrations, waiting list, attendance and suggestions (turned into draft
//! social-situation reports in the reports service), compatriots' requests followed to
//! resolution, and the liaison statistics. Liaison points are membership workrooms of kind
//! `taiwan_liaison_point`, referenced by id.
//!
//! Layout (the same in every service): `routes` lists the API in one place; `handlers/` turn
//! HTTP into calls; `views/` are the wire types; `models/` hold rows and queries; `domain/`
//! holds pure rules with their unit tests.

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
    name: "liaison",
    description: "Cross-strait liaison work: the register of Taiwan compatriots (contact and \
        document number masked for all but admins and the office staff of their district, and \
        every unmasked read audited); Taiwan-funded enterprises, youth bases and associations; \
        liaison events with their lifecycle (planned, open for registration, held, cancelled), \
        registrations with capacity and a waiting list, attendance, and suggestions that become \
        draft reports; compatriots' requests from receipt to resolution with follow-up notes \
        and an overdue list; statistics. Liaison points are membership workrooms of kind \
        taiwan_liaison_point.",
    migrations: &MIGRATIONS,
    routes: routes::routes,
    by_action: &[
        ByAction {
            schema: "RequestTransition",
            rules: handlers::requests::transition_rules,
        },
        ByAction {
            schema: "EventTransition",
            rules: handlers::events::transition_rules,
        },
    ],
};
