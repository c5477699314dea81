//! The Xieshang service kit: what every service does the same way.
//!
//! - [`db`]: one pool over SQLite and PostgreSQL, migrations, blocking work off the executor
//! - [`error`]: one error type, rendered as RFC 9457 problem+json
//! - [`extract`]: JSON/query extractors whose errors name the field
//! - [`auth`]: token verification and the caller's roles and district
//! - [`scope`]: who may read, see personal fields of, and write a kind of resource
//! - [`enums`], [`lifecycle`], [`events`]: text-backed enums, state machines with history, and
//!   the domain events they raise
//! - [`rows`]: versioned updates and row locks
//! - [`pagination`], [`idempotency`], [`concurrency`]: the API conventions
//! - [`client`]: calling other services (targets, replicas, service tokens, reference checks)
//! - [`contracts`]: the payloads services send each other
//! - [`csv`]: lists streamed as CSV for `Accept: text/csv`
//! - [`mask`], [`audit`]: personal data masked for those who need not see it, and every
//!   unmasked read of it recorded
//! - [`revocation`]: account revocation epochs, so changed powers end before tokens expire
//! - [`outbox`]: cross-service effects, written with the change and delivered at least once
//! - [`search`]: Chinese text search on both backends
//! - [`telemetry`]: request ids, logs, metrics, health
//! - [`service`]: assembling and starting a service; [`apidoc`]: what every API document
//!   states the same way
//!
//! The test harness is the dev-only crate `xs-testkit` (`services/testkit`).

// Lets code generated for every crate (`xs_kit::db::SqlMigration`) compile inside the kit too.
extern crate self as xs_kit;

pub mod apidoc;
pub mod audit;
pub mod auth;
pub mod client;
pub mod concurrency;
pub mod contracts;
pub mod csv;
pub mod db;
pub mod enums;
pub mod error;
pub mod events;
pub mod extract;
pub mod idempotency;
pub mod keys;
pub mod lifecycle;
pub mod localtime;
pub mod mask;
pub mod outbox;
pub mod pagination;
pub mod revocation;
pub mod rows;
pub mod scope;
pub mod search;
pub mod server;
pub mod service;
pub mod telemetry;
pub mod validate;

pub use auth::{Caller, Role};
pub use db::{Db, DbConn};
pub use error::{ApiError, ApiResult, FieldError, Problem};
pub use pagination::{Page, PageRequest};

use std::time::Duration;

/// An HTTP client for service-to-service calls. Idle pooled connections are dropped before
/// the servers' keep-alive closes them, so a long idle gap never yields a spurious error.
/// Building fails only if the TLS backend cannot start; callers treat that as a startup error
/// (a client without timeouts is never an acceptable fallback).
pub fn http_client(
    connect_timeout: Duration,
    timeout: Duration,
) -> reqwest::Result<reqwest::Client> {
    http_client_builder(connect_timeout, timeout).build()
}

/// [`http_client`]'s settings, for a caller that adds its own before building.
pub fn http_client_builder(connect_timeout: Duration, timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .pool_idle_timeout(service::KEEP_ALIVE.saturating_sub(Duration::from_secs(1)))
}
