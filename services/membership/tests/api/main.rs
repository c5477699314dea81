//! Membership's own tests: the membership service behind the real gateway, each test with its
//! own ports and fresh databases (SQLite files, or PostgreSQL when XS_TEST_DATABASE_URL is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod activities;
mod common;
mod duty;
mod internal;
mod members;
mod plans;
mod workrooms;
