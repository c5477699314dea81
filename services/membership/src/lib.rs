//! The membership service: the register everything else points at — districts and their
//! subdistricts, sectors, members (and, as the service grows, workrooms, duty, activity
//! records and yearly evaluation).
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

use xs_kit::db::Migrations;
use xs_kit::service::ServiceSpec;

pub static MIGRATIONS: Migrations = Migrations {
    sqlite: diesel_migrations::embed_migrations!("migrations/sqlite"),
    postgres: diesel_migrations::embed_migrations!("migrations/postgres"),
};

pub static SPEC: ServiceSpec = ServiceSpec {
    name: "membership",
    description: "Districts, subdistricts, sectors and members of the district CPPCC committee.",
    migrations: &MIGRATIONS,
    routes: routes::routes,
};

#[cfg(test)]
mod tests {
    /// The migrations whose SQL really differs between SQLite and PostgreSQL.
    const BACKEND_SPECIFIC: &[&str] = &[
        // now() in UTC; a covering index with INCLUDE (PostgreSQL only).
        "20261126000004_activities/up.sql",
        // SQLite cannot add a foreign key to a table: it rebuilds the table instead.
        "20261126000006_plans/up.sql",
        "20261126000006_plans/down.sql",
    ];

    #[test]
    fn migrations_differ_only_where_declared() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let problems = xs_kit::db::migration_twin_problems(&dir, BACKEND_SPECIFIC);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
