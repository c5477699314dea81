//! The Xieshang service kit: what every service does the same way.
//!
//! - [`db`]: one pool over SQLite and PostgreSQL, migrations, blocking work off the executor
//! - [`error`]: one error type, rendered as RFC 9457 problem+json
//! - [`extract`]: JSON/query extractors whose errors name the field
//! - [`auth`]: token verification and the caller's roles and district
//! - [`pagination`], [`idempotency`], [`concurrency`]: the API conventions
//! - [`outbox`]: cross-service effects, written with the change and delivered at least once
//! - [`search`]: Chinese text search on both backends
//! - [`telemetry`]: request ids, logs, metrics, health
//! - [`service`]: assembling and starting a service
//! - [`testing`]: fresh databases and running services for tests

pub mod auth;
pub mod concurrency;
pub mod db;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod keys;
pub mod outbox;
pub mod pagination;
pub mod search;
pub mod service;
pub mod telemetry;
pub mod testing;
pub mod validate;

pub use auth::{Caller, Role};
pub use db::{Db, DbConn};
pub use error::{ApiError, ApiResult, FieldError, Problem};
pub use pagination::{Page, PageRequest};

use std::time::Duration;

/// An HTTP client for service-to-service calls. Idle pooled connections are dropped before
/// the servers' keep-alive closes them, so a long idle gap never yields a spurious error.
pub fn http_client(connect_timeout: Duration, timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .pool_idle_timeout(service::KEEP_ALIVE - Duration::from_secs(1))
        .build()
        .unwrap_or_default()
}
