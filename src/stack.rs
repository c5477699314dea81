//! Starting roles: the whole stack in one process, or one role.

use crate::config::Config;
use crate::{SERVICES, service};
use anyhow::Context;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use xs_kit::auth::KeySource;
use xs_kit::client::{ClientConfig, ServiceTokens, Targets};
use xs_kit::revocation::{RevocationSource, Revocations};
use xs_kit::service::{Running, ServiceSpec, Settings};

pub const ROLES: [&str; 5] = [
    "gateway",
    "membership",
    "consultation",
    "reports",
    "liaison",
];

/// The whole stack, running.
pub struct Stack {
    pub gateway: xs_gateway::Gateway,
    pub services: Vec<Running>,
}

impl Stack {
    pub fn url(&self) -> String {
        self.gateway.running.url()
    }

    pub fn service_url(&self, name: &str) -> Option<String> {
        self.services
            .iter()
            .find(|s| s.name == name)
            .map(Running::url)
    }

    /// Stop one service (tests use this to take an upstream away).
    pub async fn stop_service(&mut self, name: &str) {
        if let Some(i) = self.services.iter().position(|s| s.name == name) {
            self.services.remove(i).stop().await;
        }
    }

    /// A graceful stop: every server leaves readiness and keeps serving for `drain`, then the
    /// gateway stops (no new requests, in-flight ones finish), then the services.
    pub async fn shutdown(self, drain: std::time::Duration) {
        self.gateway.running.begin_drain();
        for s in &self.services {
            s.begin_drain();
        }
        tracing::info!(drain_ms = drain.as_millis() as u64, "draining");
        if !drain.is_zero() {
            tokio::time::sleep(drain).await;
        }
        self.stop().await;
        tracing::info!("stopped");
    }

    /// Stop the gateway first (no new requests) with its background work (health checks,
    /// webhook deliveries), which would otherwise keep the services' connections busy and make
    /// each of them wait out its shutdown timeout; then the services, together.
    pub async fn stop(self) {
        self.gateway.stop().await;
        futures_util::future::join_all(self.services.into_iter().map(Running::stop)).await;
    }
}

fn service_settings(
    cfg: &Config,
    spec: &ServiceSpec,
    keys: KeySource,
    peers: Option<ClientConfig>,
) -> anyhow::Result<Settings> {
    let mut s = Settings::new(
        cfg.service_addr(spec.name)?,
        cfg.database_url(spec.name),
        keys,
    );
    s.workers = cfg.workers;
    s.pool = pool_options(cfg)?;
    s.migrate = cfg.migrate_on_start()?;
    s.peers = peers;
    s.verified_tokens = verified_tokens(cfg)?;
    Ok(s)
}

/// `XS_VERIFIED_TOKENS`: how many verified tokens the gateway and each service remember, so
/// that a token seen before costs no signature check (`0`: none).
fn verified_tokens(cfg: &Config) -> anyhow::Result<usize> {
    cfg.number("XS_VERIFIED_TOKENS", xs_kit::auth::DEFAULT_VERIFIED_TOKENS)
}

/// `XS_DB_POOL_SIZE`, `XS_DB_TIMEOUT_SECS`, `XS_DB_IDLE_SECS`: the same for every role.
fn pool_options(cfg: &Config) -> anyhow::Result<xs_kit::db::PoolOptions> {
    let defaults = xs_kit::db::PoolOptions::default();
    let max_size = cfg.number("XS_DB_POOL_SIZE", defaults.max_size)?;
    if max_size == 0 {
        anyhow::bail!("XS_DB_POOL_SIZE must be at least 1");
    }
    Ok(xs_kit::db::PoolOptions {
        max_size,
        checkout_timeout: cfg.seconds("XS_DB_TIMEOUT_SECS", defaults.checkout_timeout.as_secs())?,
        idle_timeout: cfg.seconds("XS_DB_IDLE_SECS", defaults.idle_timeout.as_secs())?,
    })
}

fn gateway_settings(
    cfg: &Config,
    upstreams: HashMap<String, Vec<String>>,
) -> anyhow::Result<xs_gateway::GatewaySettings> {
    let mut g = xs_gateway::GatewaySettings::new(
        cfg.gateway_addr,
        cfg.database_url("gateway"),
        cfg.keys_dir.clone(),
    );
    g.upstreams = upstreams;
    g.admin_password = cfg.admin_password.clone();
    g.access_ttl = cfg.seconds("XS_ACCESS_TTL_SECS", 900)?;
    g.refresh_ttl = cfg.seconds("XS_REFRESH_TTL_SECS", 30 * 24 * 3600)?;
    g.connect_timeout = cfg.seconds("XS_CONNECT_TIMEOUT_SECS", 2)?;
    g.upstream_timeout = cfg.seconds("XS_UPSTREAM_TIMEOUT_SECS", 30)?;
    g.attempt_timeout = cfg.seconds("XS_ATTEMPT_TIMEOUT_SECS", 10)?;
    g.health_interval = Duration::from_millis(cfg.number("XS_HEALTH_INTERVAL_MS", 1000)?);
    g.rate_limit_per_minute = cfg.number("XS_RATE_LIMIT_PER_MINUTE", 600)?;
    g.body_limit = cfg.number("XS_BODY_LIMIT", 1024 * 1024)?;
    g.cors_origins = cfg.list("XS_CORS_ORIGINS");
    g.webhook_allowed_hosts = cfg.list("XS_WEBHOOK_ALLOWED_HOSTS");
    g.trusted_proxies = cfg
        .list("XS_TRUSTED_PROXIES")
        .iter()
        .map(|s| {
            s.parse()
                .with_context(|| format!("XS_TRUSTED_PROXIES: {s} is not an IP address"))
        })
        .collect::<anyhow::Result<_>>()?;
    g.service_docs = SERVICES
        .iter()
        .map(|s| xs_kit::service::openapi(s))
        .collect();
    g.workers = cfg.workers;
    g.metrics_token = cfg.get("XS_METRICS_TOKEN").filter(|t| !t.is_empty());
    g.redis_url = cfg.get("XS_REDIS_URL").filter(|u| !u.is_empty());
    g.key_reload = cfg.seconds("XS_KEYS_RELOAD_SECS", 10)?;
    g.key_activation = cfg.seconds("XS_KEY_ACTIVATION_SECS", 120)?;
    g.pool = pool_options(cfg)?;
    g.migrate = cfg.migrate_on_start()?;
    g.verified_tokens = verified_tokens(cfg)?;
    Ok(g)
}

/// Everything in one process: the four services, then the gateway in front of them.
/// Services read the same key files the gateway signs with, so they verify without a fetch,
/// and their clients (outbox relays, reference checks) mint service tokens with the signing
/// key. Each service's URL joins the clients' shared targets as soon as it listens.
pub async fn start_all(cfg: &Config) -> anyhow::Result<Stack> {
    let mut keys = xs_kit::keys::load_or_create_dir(&cfg.keys_dir)?;
    let key_source = KeySource::Static(xs_kit::keys::jwks(&keys));
    // The last key signs (as in the gateway).
    let signing = Arc::new(keys.pop().context("no signing key")?);
    let targets = Targets::new();
    let mut services = Vec::new();
    let mut upstreams = HashMap::new();
    // The gateway's revocation epochs, seen by every service at once.
    let revocations = Revocations::new();
    for spec in SERVICES {
        let mut peers = ClientConfig::new(targets.clone(), ServiceTokens::Local(signing.clone()));
        peers.request_timeout = peer_timeout(cfg)?;
        let mut settings = service_settings(cfg, spec, key_source.clone(), Some(peers))?;
        settings.revocations = RevocationSource::Shared(revocations.clone());
        let running = xs_kit::service::start(spec, settings)
            .await
            .with_context(|| format!("starting {}", spec.name))?;
        targets.set(spec.name, vec![running.url()]);
        upstreams.insert(spec.name.to_string(), vec![running.url()]);
        services.push(running);
    }
    let mut gateway_settings = gateway_settings(cfg, upstreams)?;
    gateway_settings.revocations = revocations;
    // One process: the services above verify with the keys read at start, so the gateway
    // must not switch keys under them; a new key takes effect at the next start.
    gateway_settings.key_reload = Duration::ZERO;
    let gateway = xs_gateway::start(gateway_settings)
        .await
        .context("starting the gateway")?;
    Ok(Stack { gateway, services })
}

/// One role, for containers: the gateway routes to `XS_<SERVICE>_URL`; a service fetches
/// token keys from `XS_JWKS_URL`, and calls other services (outbox relay, reference checks) at
/// `XS_<SERVICE>_URL` with a token from `XS_TOKEN_URL` for the client `XS_SERVICE_CLIENT_ID` /
/// `XS_SERVICE_CLIENT_SECRET`.
pub async fn start_role(cfg: &Config, role: &str) -> anyhow::Result<Running> {
    if role == "gateway" {
        let mut upstreams = HashMap::new();
        for spec in SERVICES {
            upstreams.insert(spec.name.to_string(), cfg.upstream_urls(spec.name)?);
        }
        return Ok(xs_gateway::start(gateway_settings(cfg, upstreams)?)
            .await?
            .running);
    }
    let spec = service(role)
        .with_context(|| format!("unknown role {role}; one of {}", ROLES.join(", ")))?;
    let keys = match cfg.get("XS_JWKS_FILE") {
        Some(path) => {
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
            KeySource::Static(
                serde_json::from_str(&text).with_context(|| format!("{path} is not a JWKS"))?,
            )
        }
        None => KeySource::Url(cfg.jwks_url()),
    };
    let mut settings = service_settings(cfg, spec, keys, role_peers(cfg)?)?;
    settings.revocations = RevocationSource::Url(cfg.revocations_url());
    xs_kit::service::start(spec, settings).await
}

/// How a service in one-role mode calls the others. Without client credentials it cannot:
/// no outbox relay runs (messages wait in the table until one with credentials does) and
/// reference checks answer 503.
fn role_peers(cfg: &Config) -> anyhow::Result<Option<ClientConfig>> {
    let targets = Targets::new();
    for spec in SERVICES {
        targets.set(spec.name, cfg.upstream_urls(spec.name)?);
    }
    let Some((client_id, client_secret)) = cfg.service_client()? else {
        tracing::warn!(
            "XS_SERVICE_CLIENT_ID / XS_SERVICE_CLIENT_SECRET are not set: the outbox relay is off, \
             cross-service messages wait undelivered, and calls to other services answer 503"
        );
        return Ok(None);
    };
    let token_url = cfg.token_url();
    url::Url::parse(&token_url)
        .with_context(|| format!("XS_TOKEN_URL: {token_url} is not a URL"))?;
    let mut peers = ClientConfig::new(
        targets,
        ServiceTokens::ClientCredentials {
            token_url,
            client_id,
            client_secret,
        },
    );
    peers.request_timeout = peer_timeout(cfg)?;
    Ok(Some(peers))
}

/// `XS_PEER_TIMEOUT_MS`: how long one synchronous call to another service (a reference
/// check) waits before it is retried once on another replica. Keep two of them under the
/// gateway's `XS_ATTEMPT_TIMEOUT_SECS`, so that a hung replica behind a service costs its
/// caller a retry, not the gateway's timeout.
fn peer_timeout(cfg: &Config) -> anyhow::Result<Duration> {
    let ms = cfg.number("XS_PEER_TIMEOUT_MS", 2000)?;
    anyhow::ensure!(ms > 0, "XS_PEER_TIMEOUT_MS must be more than 0");
    Ok(Duration::from_millis(ms))
}

/// Apply pending migrations for one role, or all of them.
pub fn migrate(cfg: &Config, role: Option<&str>) -> anyhow::Result<()> {
    let roles: Vec<&str> = match role {
        Some(r) if ROLES.contains(&r) => vec![r],
        Some(r) => anyhow::bail!("unknown role {r}; one of {}", ROLES.join(", ")),
        None => ROLES.to_vec(),
    };
    for r in roles {
        let db = xs_kit::db::Db::connect(&cfg.database_url(r), &pool_options(cfg)?)?;
        let migrations = match service(r) {
            Some(spec) => spec.migrations,
            None => &xs_gateway::MIGRATIONS,
        };
        db.migrate(migrations)
            .with_context(|| format!("migrating {r}"))?;
        println!("{r}: migrated");
    }
    Ok(())
}
