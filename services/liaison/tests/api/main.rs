//! The liaison service's own tests: liaison and membership behind the real gateway, each test
//! with its own ports and fresh databases (SQLite files, or PostgreSQL when
//! XS_TEST_DATABASE_URL is set). The reports service is faked where a test needs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod compatriots;
mod enterprises;
mod events;
mod registrations;
mod requests;
mod stats;
mod suggestions;
