//! The reports service: Social-situation reports: draft, submit, review, forward upward, adoption and feedback.
//!
//! It has the same shape as the membership service (`routes`, `handlers/`, `views/`,
//! `models/`, `domain/`); its domain arrives with its own issue. Until then it runs with the
//! kit's health, readiness, metrics and OpenAPI endpoints, so the stack, the gateway's routing
//! and deployment are whole from the start.

pub mod routes;

use xs_kit::db::Migrations;
use xs_kit::service::ServiceSpec;

pub static MIGRATIONS: Migrations =
    Migrations(include!(concat!(env!("OUT_DIR"), "/migrations.rs")));

pub static SPEC: ServiceSpec = ServiceSpec {
    name: "reports",
    description: "Social-situation reports: draft, submit, review, forward upward, adoption and feedback.",
    migrations: &MIGRATIONS,
    routes: routes::routes,
};
