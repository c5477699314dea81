//! The reports service: social-situation reports (社情民意信息) from draft to adoption —
//! written by members (jointly too) or the office, submitted, reviewed (returned for
//! revision, rejected or accepted in the office's edited version), forwarded to municipal,
//! provincial or national committees or to departments, adopted (several times), with leader
//! instructions; every edit kept as a revision, every step in the history, the authors'
//! feedback timeline, credits to membership through the outbox, Chinese text search, CSV
//! export and adoption statistics.
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
    name: "reports",
    description: "Social-situation reports (社情民意信息): members (jointly too) or the office \
        write them; they are submitted (bodies of at most 1,500 characters), reviewed (returned \
        for revision, rejected, or accepted in the office's edited version, the authors' original \
        kept), forwarded to municipal, provincial or national committees or to departments, \
        adopted (several times) and instructed by leaders. Before acceptance a report is read \
        by its authors and the district's office only; residents never read reports; a \
        resident's contact is masked for all but the office. Every edit keeps a revision; \
        authors follow the outcome in their feedback timeline; acceptance and adoptions credit \
        the authors in membership. Lists filter, search Chinese text and export CSV; \
        statistics count received, accepted, forwarded and adopted reports by level.",
    migrations: &MIGRATIONS,
    routes: routes::routes,
    by_action: &[ByAction {
        schema: "ReportTransitionRequest",
        rules: handlers::reports::transition_rules,
    }],
};
