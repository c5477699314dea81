//! How the gateway is configured: where it listens, its own database and keys, the services
//! behind it and the limits it enforces.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// Everything the gateway needs to run. [`GatewaySettings::new`] fills in the defaults.
#[derive(Clone)]
pub struct GatewaySettings {
    pub bind: SocketAddr,
    /// The gateway's own database: accounts, clients, refresh tokens.
    pub database_url: String,
    /// Signing keys (`<kid>.pem`); all are published, the newest old enough signs
    /// (`crate::keyring`).
    pub keys_dir: PathBuf,
    /// Service name -> base URLs of its replicas, e.g. `membership` -> `["http://127.0.0.1:8081"]`.
    pub upstreams: HashMap<String, Vec<String>>,
    /// Resource path prefix under `/api/v1` -> service name; the longest prefix wins.
    pub routes: Vec<(String, String)>,
    /// The first admin's password (`XS_ADMIN_PASSWORD`); random and printed once when absent.
    pub admin_password: Option<String>,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub connect_timeout: Duration,
    /// How long a service may stay silent: before its response head, and between chunks of its
    /// body. Not a limit on the whole response, so long streamed exports pass.
    pub upstream_timeout: Duration,
    /// How long one attempt waits for a replica's response head before the request moves to
    /// another replica (when it safely can); well below `upstream_timeout`, so that a hung
    /// replica costs one attempt, not the whole budget.
    pub attempt_timeout: Duration,
    /// How often each replica's `/readyz` is checked; one that fails leaves routing until it
    /// passes. Zero turns active checks off.
    pub health_interval: Duration,
    /// Requests per minute per token subject (per client IP when anonymous).
    pub rate_limit_per_minute: u32,
    /// The largest request body accepted; larger is a 413.
    pub body_limit: usize,
    /// Origins allowed to call from a browser; `*` allows any.
    pub cors_origins: Vec<String>,
    /// Peers whose `X-Forwarded-*` headers are believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// The services' OpenAPI documents, merged into `/openapi.json`.
    pub service_docs: Vec<utoipa::openapi::OpenApi>,
    pub workers: usize,
    /// A bearer token that may read `/metrics` (`XS_METRICS_TOKEN`), for a scraper that has
    /// no account; admins' access tokens may too. Nobody else may.
    pub metrics_token: Option<String>,
    /// The accounts' revocation epochs; share it with services in the same process.
    pub revocations: xs_kit::revocation::Revocations,
    /// The gateway's own database pool (`XS_DB_POOL_SIZE`, `XS_DB_TIMEOUT_SECS`).
    pub pool: xs_kit::db::PoolOptions,
    /// Apply pending migrations before serving (`XS_MIGRATE_ON_START`).
    pub migrate: bool,
    /// Verified tokens remembered (`XS_VERIFIED_TOKENS`, [`xs_kit::auth::VerifiedTokens`]).
    pub verified_tokens: usize,
    /// The Redis every gateway replica shares limits and revocations through (`XS_REDIS_URL`);
    /// none: each process keeps its own.
    pub redis_url: Option<String>,
    /// How often the keys directory is read again (`XS_KEYS_RELOAD_SECS`), so that replicas
    /// publish a new key without a restart; zero: only at start.
    pub key_reload: Duration,
    /// How old a key file must be before it signs (`XS_KEY_ACTIVATION_SECS`), when reloading:
    /// longer than it takes every replica to see it (`crate::keyring`).
    pub key_activation: Duration,
    /// Hosts or IP addresses webhooks may be sent to although they are loopback, private or
    /// link-local (`XS_WEBHOOK_ALLOWED_HOSTS`).
    pub webhook_allowed_hosts: Vec<String>,
}

impl GatewaySettings {
    pub fn new(bind: SocketAddr, database_url: String, keys_dir: PathBuf) -> Self {
        GatewaySettings {
            bind,
            database_url,
            keys_dir,
            upstreams: HashMap::new(),
            routes: default_routes(),
            admin_password: None,
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            connect_timeout: Duration::from_secs(2),
            upstream_timeout: Duration::from_secs(30),
            attempt_timeout: Duration::from_secs(10),
            health_interval: Duration::from_secs(1),
            rate_limit_per_minute: 600,
            body_limit: 1024 * 1024,
            cors_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            service_docs: Vec::new(),
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            metrics_token: None,
            revocations: xs_kit::revocation::Revocations::new(),
            pool: xs_kit::db::PoolOptions::default(),
            migrate: true,
            verified_tokens: xs_kit::auth::DEFAULT_VERIFIED_TOKENS,
            redis_url: None,
            key_reload: Duration::ZERO,
            key_activation: Duration::from_secs(120),
            webhook_allowed_hosts: Vec::new(),
        }
    }
}

/// Which service owns which resource under `/api/v1`.
pub fn default_routes() -> Vec<(String, String)> {
    let table: [(&str, &[&str]); 4] = [
        (
            "membership",
            &[
                "districts",
                "subdistricts",
                "communities",
                "sectors",
                "members",
                "workrooms",
                "check-ins",
                "bulletins",
                "activities",
                "evaluation-rules",
                "evaluations",
                "stats/membership",
                "audit/membership",
            ],
        ),
        (
            "consultation",
            &[
                "topics",
                "consultations",
                "mediation-cases",
                "receptions",
                "stats/consultation",
                "audit/consultation",
            ],
        ),
        ("reports", &["reports", "stats/reports", "audit/reports"]),
        (
            "liaison",
            &[
                "compatriots",
                "taiwan-enterprises",
                "liaison-events",
                "compatriot-requests",
                "stats/liaison",
                "audit/liaison",
            ],
        ),
    ];
    table
        .iter()
        .flat_map(|(service, prefixes)| {
            prefixes
                .iter()
                .map(move |p| (p.to_string(), service.to_string()))
        })
        .collect()
}
