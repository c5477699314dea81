//! The reports service's own tests: reports behind the real gateway with membership beside it
//! (authors are checked and credits delivered for real), fakes for the consultation and
//! liaison services; each test with its own ports and fresh databases (SQLite files, or
//! PostgreSQL when XS_TEST_DATABASE_URL is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod credits;
mod export;
mod internal;
mod lifecycle;
mod reports;
mod stats;
