//! The reports service: Social-situation reports: draft, submit, review, forward upward, adoption and feedback.
//!
//! It has the same shape as the membership service (`routes`, `handlers/`, `views/`,
//! `models/`, `domain/`); its domain arrives with its own issue. Until then it runs with the
//! kit's health, readiness, metrics and OpenAPI endpoints, so the stack, the gateway's routing
//! and deployment are whole from the start.

pub mod routes;

use xs_kit::db::Migrations;
use xs_kit::service::ServiceSpec;

pub static MIGRATIONS: Migrations = Migrations {
    sqlite: diesel_migrations::embed_migrations!("migrations/sqlite"),
    postgres: diesel_migrations::embed_migrations!("migrations/postgres"),
};

pub static SPEC: ServiceSpec = ServiceSpec {
    name: "reports",
    description: "Social-situation reports: draft, submit, review, forward upward, adoption and feedback.",
    migrations: &MIGRATIONS,
    routes: routes::routes,
};

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_differ_only_where_declared() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let problems = xs_kit::db::migration_twin_problems(&dir, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
