//! The consultation service's own tests: the service and membership (which it checks members
//! and workrooms with, and credits) behind the real gateway, each test with its own ports and
//! fresh databases (SQLite files, or PostgreSQL when XS_TEST_DATABASE_URL is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod consultations;
mod mediation;
mod receptions;
mod stats;
mod topics;
