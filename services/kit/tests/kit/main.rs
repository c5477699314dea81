//! The kit's own tests: its conventions seen through the real gateway on a tiny service of
//! their own (`notebook`), calls between services, idempotency races and consistent reads,
//! row locks, versioned updates and lifecycle moves,
//! on SQLite or PostgreSQL (XS_TEST_DATABASE_URL).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client;
mod common;
mod conventions;
mod feed;
mod jwks;
mod notebook;
mod outage;
mod races;
mod routes;
mod verified;
mod workflow;
