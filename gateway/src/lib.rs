//! The Xieshang gateway: the only public entry of the system.
//!
//! - [`accounts`]: people and machine clients, the admin API
//! - [`tokens`]: the OAuth 2.0 token endpoint, refresh rotation, revocation, JWKS;
//!   [`signer`]: the keys it publishes and signs with
//! - [`state`]: what handlers and the gate share; at the bottom, it depends on no module that
//!   handles requests (only on [`signer`], [`limits`] and [`store`])
//! - [`gate`]: the token check and rate limit every request passes
//! - [`proxy`]: routing `/api/v1/...` to the services
//! - [`limits`]: rate limits, login limits, CORS
//! - [`store`], [`epochs`]: the state replicas share on Redis (`XS_REDIS_URL`)
//! - [`openapi`]: the merged API document
//! - [`events`]: the merged events feed of every service
//! - [`webhooks`]: webhook subscriptions and their signed, retried deliveries
//! - [`dashboard`]: the dashboard summary drawn from the services' statistics
//! - [`labels`]: display names of enum values; [`pages`]: the reference dashboard page

pub mod accounts;
mod config;
pub mod dashboard;
pub mod epochs;
pub mod events;
pub mod gate;
pub mod health;
pub mod keyring;
pub mod labels;
pub mod limits;
pub mod openapi;
pub mod pages;
pub mod proxy;
mod schema;
pub mod signer;
pub mod state;
pub mod store;
pub mod tokens;
pub mod webhooks;

pub use config::{GatewaySettings, default_routes};
pub use openapi::openapi;
pub use state::Shared;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, guard, web};
use anyhow::Context;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use utoipa_swagger_ui::SwaggerUi;
use xs_kit::Db;
use xs_kit::auth::{KeySource, Verifier};
use xs_kit::db::Migrations;
use xs_kit::extract::{self, BodyLimit};
use xs_kit::service::{DEFAULT_AUDIENCE, DEFAULT_ISSUER, Draining, KEEP_ALIVE, Running};
use xs_kit::telemetry::{self, Metrics};

/// The gateway's tables (accounts, refresh tokens), after the kit's own.
pub static MIGRATIONS: Migrations =
    Migrations(include!(concat!(env!("OUT_DIR"), "/migrations.rs")));

/// The running gateway.
pub struct Gateway {
    pub running: Running,
    signer: signer::Signer,
    /// Background work tied to this gateway (Redis probe and followers), stopped with it.
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Sends webhook deliveries; stops when the gateway is dropped or stopped.
    _webhooks: webhooks::dispatch::Dispatcher,
}

impl Gateway {
    /// The gateway's public keys, for services in the same process to verify tokens without HTTP.
    pub fn key_source(&self) -> KeySource {
        let signer = self.signer.clone();
        KeySource::Shared(Arc::new(move || signer.jwks()))
    }

    pub fn url(&self) -> String {
        self.running.url()
    }

    /// Stop serving (in-flight requests finish), then the background work: Redis followers,
    /// key reloads, health checks and webhook deliveries (dropped with `self`).
    pub async fn stop(self) {
        self.running.stop().await;
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The gateway's own routes (documented in the API document), in match order: its `/api/v1`
/// resources come before the proxy's catch-all.
pub(crate) fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(tokens::token_endpoint)
        .service(tokens::revoke)
        .service(tokens::jwks)
        .service(tokens::revocations)
        .service(accounts::me)
        .service(accounts::register)
        .service(accounts::list)
        .service(accounts::create)
        .service(accounts::read)
        .service(accounts::update)
        .service(accounts::create_client)
        .service(events::feed)
        .service(dashboard::summary)
        .service(labels::labels)
        .service(pages::page)
        .service(pages::asset)
        .service(webhooks::list)
        .service(webhooks::create)
        .service(webhooks::read)
        .service(webhooks::update)
        .service(webhooks::remove)
        .service(webhooks::deliveries)
        .service(webhooks::redeliver)
        .service(health::readyz);
}

/// A client for the services behind the gateway, with service tokens the gateway mints itself
/// (with its signing key at start, as it signs everything else).
fn membership_client(
    settings: &GatewaySettings,
    signer: &signer::Signer,
) -> anyhow::Result<xs_kit::client::ServiceClient> {
    use xs_kit::client::{ClientConfig, ServiceClient, ServiceTokens, Targets};
    let targets = Targets::new();
    for (service, urls) in &settings.upstreams {
        targets.set(service, urls.clone());
    }
    ServiceClient::new(
        "gateway",
        ClientConfig::new(
            targets,
            ServiceTokens::Local(Arc::new(signer.signing_key())),
        ),
    )
}

/// Connect and migrate the gateway's database, create the first admin, load the keys, and
/// start serving.
pub async fn start(settings: GatewaySettings) -> anyhow::Result<Gateway> {
    let db = Db::connect(&settings.database_url, &settings.pool)?;
    if settings.migrate {
        let migrate_db = db.clone();
        tokio::task::spawn_blocking(move || migrate_db.migrate(&MIGRATIONS))
            .await
            .context("migration task")?
            .context("migrating the gateway database")?;
    }
    accounts::ensure_admin(&db, settings.admin_password.clone()).await?;
    let redis = match settings.redis_url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) => Some(store::Redis::connect(url).await?),
        None => None,
    };
    // Without reloading (one process) a new key signs at the next start, as soon as it is
    // there; with it, only once every replica has had time to publish it.
    let activation = if settings.key_reload.is_zero() {
        Duration::ZERO
    } else {
        settings.key_activation
    };
    let keys_dir = settings.keys_dir.clone();
    let loaded = tokio::task::spawn_blocking(move || keyring::load(&keys_dir, activation))
        .await
        .context("key loading task")?
        .context("loading the signing keys")?;
    let signer = signer::Signer::with_signing(loaded.keys, loaded.signing, settings.access_ttl)?;
    let membership = membership_client(&settings, &signer)?;
    let own = signer.clone();
    let verifier = Verifier::remembering(
        KeySource::Shared(Arc::new(move || own.jwks())),
        DEFAULT_ISSUER,
        DEFAULT_AUDIENCE,
        settings.verified_tokens,
    );
    let disabled = accounts::disabled_ids(&db)
        .await
        .map_err(|e| anyhow::anyhow!("loading disabled accounts: {e}"))?;
    let revocations = settings.revocations.clone();
    for (id, epoch) in accounts::revocation_epochs(&db)
        .await
        .map_err(|e| anyhow::anyhow!("loading revocation epochs: {e}"))?
    {
        revocations.set(&id, epoch);
    }
    tokio::task::spawn_blocking(accounts::prepare)
        .await
        .context("preparing password checks")?;
    let shared = web::Data::new(Shared {
        db: db.clone(),
        signer: signer.clone(),
        verifier,
        disabled: state::DisabledSubjects::new(disabled),
        rate: limits::RateLimiter::new(settings.rate_limit_per_minute, Duration::from_secs(60))
            .shared(redis.clone()),
        logins: tokens::login_limiter().shared(redis.clone()),
        login_ips: tokens::login_ip_limiter().shared(redis.clone()),
        registrations: accounts::registration_limiter().shared(redis.clone()),
        trusted_proxies: settings.trusted_proxies.clone(),
        refresh_ttl: settings.refresh_ttl,
        metrics_token: settings.metrics_token.clone(),
        membership,
        revocations: revocations.clone(),
        redis: redis.clone(),
    });
    let mut tasks = Vec::new();
    if !settings.key_reload.is_zero() {
        tasks.push(keyring::spawn_reload(
            settings.keys_dir.clone(),
            settings.key_reload,
            activation,
            shared.clone(),
        ));
    }
    if let Some(redis) = &redis {
        tasks.push(redis.spawn_probe());
        tasks.extend(epochs::spawn(redis, &revocations, &db));
    }
    let webhook_state = webhooks::WebhookState {
        allow: Arc::new(webhooks::guard::AllowList::new(
            &settings.webhook_allowed_hosts,
        )),
        wake: Arc::new(tokio::sync::Notify::new()),
    };
    let dispatcher = webhooks::dispatch::spawn(
        db.clone(),
        shared.membership.clone(),
        webhook_state.allow.clone(),
        Duration::from_secs(1),
        webhook_state.wake.clone(),
    )?;
    let webhook_state = web::Data::new(webhook_state);
    let proxy = web::Data::new(proxy::Proxy::new(&settings)?);
    tasks.extend(proxy::spawn_health_checks(&proxy, settings.health_interval));
    let cors = web::Data::new(limits::CorsPolicy::new(&settings.cors_origins));
    let metrics = Metrics::new("gateway");
    metrics.add_pool(&db);
    if let Some(redis) = &redis {
        metrics.add_source(redis.metrics_source());
    }
    metrics.add_source(proxy::metrics_source(&proxy));
    let metrics = web::Data::new(metrics);
    let doc = openapi(&settings.service_docs);
    let db = web::Data::new(db);
    let body_limit = settings.body_limit;
    let listener =
        TcpListener::bind(settings.bind).with_context(|| format!("binding {}", settings.bind))?;
    let addr = listener.local_addr()?;
    let draining = Draining::default();
    let drain_flag = web::Data::new(draining.clone());
    let methods = web::Data::new(telemetry::RouteMethods::new(
        &doc,
        &[
            ("/healthz", "GET"),
            ("/metrics", "GET"),
            ("/openapi.json", "GET"),
            ("/docs", "GET"),
        ],
    ));
    let serving = xs_kit::server::ServerSettings {
        workers: settings.workers,
        keep_alive: KEEP_ALIVE,
        shutdown_timeout: 10,
    };
    let server = xs_kit::server::serve("gateway", listener, serving, move || {
        App::new()
            .app_data(shared.clone())
            .app_data(webhook_state.clone())
            .app_data(methods.clone())
            .app_data(drain_flag.clone())
            .app_data(proxy.clone())
            .app_data(web::Data::new(
                proxy
                    .new_client()
                    .expect("the client settings were checked at start"),
            ))
            .app_data(cors.clone())
            .app_data(metrics.clone())
            .app_data(db.clone())
            .app_data(BodyLimit(body_limit))
            .app_data(extract::path_config())
            .app_data(extract::json_config())
            .app_data(extract::query_config())
            .wrap(from_fn(gate::gate))
            .wrap(from_fn(extract::refuse_nul))
            .wrap(from_fn(limits::cors))
            .wrap(from_fn(telemetry::middleware))
            // A service's path goes to the proxy before the gateway's own routes are tried (each
            // of those is a regular expression to run): a scope's static prefix is matched
            // without one. The catch-all below takes the rest.
            .service(
                web::scope("/api/v1")
                    .guard(guard::fn_guard({
                        let proxy = proxy.clone();
                        move |ctx| proxy.serves(ctx.head().uri.path())
                    }))
                    .default_service(web::to(proxy::forward)),
            )
            .configure(|cfg| {
                let mut cfg = utoipa_actix_web::service_config::ServiceConfig::new(cfg);
                routes(&mut cfg);
            })
            .route("/healthz", web::get().to(telemetry::healthz))
            .route("/metrics", web::get().to(health::metrics))
            .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc.clone()))
            .route(
                "/docs",
                web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header(("Location", "/docs/"))
                        .finish()
                }),
            )
            .route("/api/v1/{tail:.*}", web::to(proxy::forward))
            .default_service(web::to(telemetry::not_found))
    })?;
    Ok(Gateway {
        running: Running::spawn("gateway", addr, server).with_draining(draining),
        signer,
        tasks,
        _webhooks: dispatcher,
    })
}
