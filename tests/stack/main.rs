//! Whole-stack tests: the real gateway in front of the real services, each test with its own
//! ports and fresh databases (SQLite files, or PostgreSQL when XS_TEST_DATABASE_URL is set).
//! What is about one service alone lives with that service (`services/*/tests`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod authorization;
mod common;
mod dashboard;
mod demo;
mod events;
mod gateway;
mod health;
mod labels;
mod metrics;
mod openapi;
mod outbox;
mod personal_data;
mod process;
mod webhooks;
