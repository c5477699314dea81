//! The membership service: the register everything else points at — districts, subdistricts,
//! communities and sectors; members; workrooms (studios, activity rooms, liaison groups and
//! Taiwan liaison points) with their lifecycle, six essentials, assignments and members' cards;
//! duty shifts, rotas and check-ins; annual plans and progress bulletins; activity records,
//! yearly evaluation and the membership statistics.
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
    name: "membership",
    description: "The register of the district CPPCC committee: districts, subdistricts, \
        communities and sectors; members (phones masked for all but the member and their \
        district's staff); workrooms with their lifecycle (applied, inspected, approved, active, \
        suspended, closed), six essentials, assignments and members' public cards; duty shifts, \
        rotas, on-duty and check-ins; annual plans and quarterly progress bulletins; activity \
        records, yearly evaluation and statistics. Residents see active workrooms only.",
    migrations: &MIGRATIONS,
    routes: routes::routes,
    by_action: &[ByAction {
        schema: "WorkroomTransitionRequest",
        rules: handlers::workrooms::transition_rules,
    }],
};
