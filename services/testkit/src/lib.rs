//! The Xieshang test harness, a dev-dependency only (nothing in a normal build depends on it):
//!
//! - [`TestDb`]: a fresh database per test (a temporary SQLite file, or a new PostgreSQL
//!   database when `XS_TEST_DATABASE_URL` is set), dropped after it;
//! - the test signing key and tokens for any caller ([`token`], [`admin`], [`staff`], …);
//! - [`TestService`]: one service on a random free port;
//! - [`TestStack`]: one service behind the real gateway, which is how a service's own tests
//!   see it (`TestStack::with(&xs_membership::SPEC)`);
//! - [`pg::PgInstance`]: a PostgreSQL server of the test's own, to stop and start;
//! - [`problem`] / [`fields`]: assertions on problem+json answers; [`csv_response`] and
//!   [`csv_records`]: CSV downloads read back.
#![allow(clippy::expect_used)]

mod csv;
mod db;
pub mod pg;
mod problem;
mod service;
mod stack;
mod tokens;

pub use csv::{csv_records, csv_response};
pub use db::TestDb;
pub use problem::{fields, problem};
pub use service::{TestService, settings as service_settings, start_on};
pub use stack::{Peer, TestStack};
pub use tokens::{
    TEST_KID, admin, claims, member_token, sign, staff, test_key, test_key_pem, test_key_source,
    test_signing_key, token,
};
