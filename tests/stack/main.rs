//! Whole-stack tests: the real gateway in front of the real services, each test with its own
//! ports and fresh databases (SQLite files, or PostgreSQL when XS_TEST_DATABASE_URL is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod activities;
mod auth;
mod common;
mod duty;
mod gateway;
mod health;
mod kit;
mod members;
mod openapi;
mod outbox;
mod personal_data;
mod plans;
mod workrooms;
