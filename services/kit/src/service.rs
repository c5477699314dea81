//! How every service is assembled and started, so that all four have the same shape:
//! the kit's middleware, extractor configs, health, metrics and OpenAPI around the routes
//! the service declares in one function.

use crate::auth::{KeySource, Verifier};
use crate::client::{ClientConfig, ServiceClient};
use crate::db::{Db, Migrations, PoolOptions};
use crate::extract::{self, BodyLimit};
use crate::outbox::{self, Notifier, RelayConfig, RelayHandle};
use crate::telemetry::{self, Metrics};
use actix_web::dev::ServerHandle;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpResponse, web};
use anyhow::Context;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder};
use utoipa::{PartialSchema, ToSchema};
use utoipa_actix_web::AppExt;

pub const DEFAULT_ISSUER: &str = "xieshang-gateway";
pub const DEFAULT_AUDIENCE: &str = "xieshang";
/// Services close idle keep-alive connections after this; HTTP clients must idle out sooner.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// What a service is: its name, its migrations and its routes.
pub struct ServiceSpec {
    /// `membership`, `consultation`, `reports` or `liaison`.
    pub name: &'static str,
    pub description: &'static str,
    pub migrations: &'static Migrations,
    /// Registers every route of the service, nested by scope (`/api/v1`, `/internal/v1`).
    pub routes: fn(&mut utoipa_actix_web::service_config::ServiceConfig),
    /// Request schemas whose fields depend on their `action` (transitions), stated per action
    /// in the document from the handlers' own tables.
    pub by_action: &'static [crate::apidoc::ByAction],
}

/// How to run one service.
#[derive(Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub database_url: String,
    pub pool: PoolOptions,
    pub keys: KeySource,
    pub issuer: String,
    pub audience: String,
    pub workers: usize,
    pub body_limit: usize,
    /// The other services and how to authenticate to them, for the outbox relay and for
    /// `web::Data<ServiceClient>`. `None` runs no relay (messages wait in the table) and every
    /// call to another service answers 503, e.g. in tests that do not need them.
    pub peers: Option<ClientConfig>,
    /// How the outbox relay polls, batches and backs off (when `peers` is set).
    pub relay: RelayConfig,
    /// Where the accounts' revocation epochs come from (see [`crate::revocation`]).
    pub revocations: crate::revocation::RevocationSource,
    /// Apply pending migrations before serving (`XS_MIGRATE_ON_START`). Off when an upgrade
    /// runs them once as a job (`xieshang migrate`) instead of in every replica.
    pub migrate: bool,
    /// Verified tokens remembered (`XS_VERIFIED_TOKENS`, [`crate::auth::VerifiedTokens`]).
    pub verified_tokens: usize,
}

impl Settings {
    pub fn new(bind: SocketAddr, database_url: String, keys: KeySource) -> Settings {
        Settings {
            bind,
            database_url,
            pool: PoolOptions::default(),
            keys,
            issuer: DEFAULT_ISSUER.into(),
            audience: DEFAULT_AUDIENCE.into(),
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            body_limit: extract::DEFAULT_BODY_LIMIT,
            peers: None,
            relay: RelayConfig::default(),
            revocations: crate::revocation::RevocationSource::None,
            migrate: true,
            verified_tokens: crate::auth::DEFAULT_VERIFIED_TOKENS,
        }
    }
}

/// Set when a server begins to stop: `/readyz` answers 503 so that load balancers (the
/// gateway's health checks) stop sending new requests, while the server still serves the
/// ones that arrive until it closes its listener.
#[derive(Debug, Clone, Default)]
pub struct Draining(Arc<std::sync::atomic::AtomicBool>);

impl Draining {
    pub fn start(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A started server.
pub struct Running {
    pub name: &'static str,
    pub addr: SocketAddr,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    relay: Option<RelayHandle>,
    /// Keeps the revocation epochs current (separate processes only); stops when dropped.
    revocation_poll: Option<crate::revocation::PollHandle>,
    draining: Draining,
}

impl Running {
    /// Run an HTTP server in the background.
    pub fn spawn(name: &'static str, addr: SocketAddr, server: actix_web::dev::Server) -> Running {
        let handle = server.handle();
        let task = tokio::spawn(server);
        tracing::info!(service = name, %addr, "listening");
        Running {
            name,
            addr,
            handle,
            task,
            relay: None,
            revocation_poll: None,
            draining: Draining::default(),
        }
    }

    /// Use `draining` (the flag the server's `/readyz` reads) for [`Running::shutdown`].
    pub fn with_draining(mut self, draining: Draining) -> Running {
        self.draining = draining;
        self
    }

    /// Leave readiness (`/readyz` answers 503) while still serving. [`Running::shutdown`]
    /// does this first; whole-stack mode calls it on every server before stopping any.
    pub fn begin_drain(&self) {
        self.draining.start();
    }

    /// A graceful stop: leave readiness, keep serving for `drain` so that load balancers
    /// notice, then stop accepting, finish in-flight requests, and wait.
    pub async fn shutdown(self, drain: Duration) {
        let name = self.name;
        self.begin_drain();
        tracing::info!(
            service = name,
            drain_ms = drain.as_millis() as u64,
            "draining"
        );
        if !drain.is_zero() {
            tokio::time::sleep(drain).await;
        }
        self.stop().await;
        tracing::info!(service = name, "stopped");
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stop the outbox relay, stop accepting, finish in-flight requests, and wait.
    pub async fn stop(self) {
        if let Some(relay) = self.relay {
            relay.stop().await;
        }
        self.handle.stop(true).await;
        let _ = self.task.await;
    }

    /// Wait until the server stops by itself (e.g. on Ctrl-C).
    pub async fn wait(self) -> std::io::Result<()> {
        self.task
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?
    }

    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }
}

/// `GET /metrics` of a service: the kit's metrics, the pool's, and the outbox's (backlog from
/// the table, outcomes from the relay).
async fn service_metrics(
    metrics: web::Data<Metrics>,
    db: web::Data<Db>,
    stats: web::Data<outbox::OutboxStats>,
) -> HttpResponse {
    use std::sync::atomic::Ordering::Relaxed;
    // Skipped while the database is down: the scrape still answers, at once.
    let backlog = outbox::backlog(&db).await.ok();
    let text = metrics.render_with(|m| {
        if let Some((count, oldest)) = backlog {
            m.family(
                "outbox_backlog",
                "gauge",
                "Outbox messages waiting for delivery",
                &[(Vec::new(), count as f64)],
            );
            m.family(
                "outbox_oldest_age_seconds",
                "gauge",
                "Age of the oldest undelivered outbox message (0 when none)",
                &[(Vec::new(), oldest.unwrap_or(0.0))],
            );
        }
        let outcome = |name: &str, v: &std::sync::atomic::AtomicU64| {
            (vec![("outcome", name.to_string())], v.load(Relaxed) as f64)
        };
        m.family(
            "outbox_deliveries_total",
            "counter",
            "Outbox delivery attempts by outcome (delivered, retry, failed)",
            &[
                outcome("delivered", &stats.delivered),
                outcome("retry", &stats.retried),
                outcome("failed", &stats.failed),
            ],
        );
    });
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(text)
}

/// The base document every service and the gateway start from: title, bearer scheme, the
/// problem schema.
pub fn base_openapi(title: &str, description: &str) -> OpenApi {
    let mut components = ComponentsBuilder::new()
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        )
        .build();
    components.schemas.insert(
        crate::error::Problem::name().into_owned(),
        crate::error::Problem::schema(),
    );
    components.schemas.insert(
        crate::error::FieldError::name().into_owned(),
        crate::error::FieldError::schema(),
    );
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title(title)
                .version("1.0.0")
                .description(Some(description))
                .build(),
        )
        .components(Some(components))
        .security(Some(vec![
            utoipa::openapi::security::SecurityRequirement::new("bearer", Vec::<String>::new()),
        ]))
        .build()
}

/// The service's OpenAPI document, generated from its routes (what `openapi/<name>.json` holds).
pub fn openapi(spec: &ServiceSpec) -> OpenApi {
    let (_, doc) = App::new()
        .into_utoipa_app()
        .openapi(base_openapi(
            &format!("Xieshang {} service", spec.name),
            spec.description,
        ))
        .configure(spec.routes)
        .split_for_parts();
    let mut doc = doc;
    for by in spec.by_action {
        crate::apidoc::by_action(&mut doc, by);
    }
    crate::apidoc::complete(&mut doc);
    doc
}

/// Connect, migrate, start serving and start the outbox relay (when peers are configured).
/// Handlers reach the relay's wake-up through `web::Data<outbox::Notifier>` and other services
/// through `web::Data<ServiceClient>`, both present either way.
pub async fn start(spec: &'static ServiceSpec, settings: Settings) -> anyhow::Result<Running> {
    let db = Db::connect(&settings.database_url, &settings.pool)?;
    if settings.migrate {
        let migrate_db = db.clone();
        tokio::task::spawn_blocking(move || migrate_db.migrate(spec.migrations))
            .await
            .context("migration task")?
            .with_context(|| format!("migrating the {} database", spec.name))?;
    }
    let draining = Draining::default();
    let verifier = web::Data::new(Verifier::remembering(
        settings.keys.clone(),
        &settings.issuer,
        &settings.audience,
        settings.verified_tokens,
    ));
    let metrics = Metrics::new(spec.name);
    metrics.add_pool(&db);
    let (revocations, revocation_poll) = crate::revocation::start(&settings.revocations)?;
    let revocations = web::Data::new(revocations);
    let doc = Arc::new(openapi(spec));
    let body_limit = settings.body_limit;
    let listener =
        TcpListener::bind(settings.bind).with_context(|| format!("binding {}", settings.bind))?;
    let addr = listener.local_addr()?;
    let client = match settings.peers {
        Some(mut config) => {
            // Locally minted tokens must pass the same checks this service makes.
            config.issuer = settings.issuer.clone();
            config.audience = settings.audience.clone();
            ServiceClient::new(spec.name, config)
        }
        None => ServiceClient::unconfigured(),
    }
    .with_context(|| {
        format!(
            "building the {} service's client for other services",
            spec.name
        )
    })?;
    let relay = if client.is_configured() {
        Some(outbox::spawn_relay(
            db.clone(),
            spec.name,
            client.clone(),
            settings.relay,
        )?)
    } else {
        None
    };
    let outbox_stats = web::Data::from(
        relay
            .as_ref()
            .map_or_else(Default::default, RelayHandle::stats),
    );
    let metrics = web::Data::new(metrics);
    let client = web::Data::new(client);
    let notifier = web::Data::new(
        relay
            .as_ref()
            .map_or_else(Notifier::default, |r| r.notifier()),
    );
    let db = web::Data::new(db);
    let drain_flag = web::Data::new(draining.clone());
    let methods = web::Data::new(telemetry::RouteMethods::new(
        &doc,
        &[
            ("/healthz", "GET"),
            ("/readyz", "GET"),
            ("/metrics", "GET"),
            ("/openapi.json", "GET"),
        ],
    ));
    let serving = crate::server::ServerSettings {
        workers: settings.workers,
        keep_alive: KEEP_ALIVE,
        shutdown_timeout: 10,
    };
    let server = crate::server::serve(spec.name, listener, serving, move || {
        let doc = doc.clone();
        App::new()
            .app_data(db.clone())
            .app_data(methods.clone())
            .app_data(drain_flag.clone())
            .app_data(outbox_stats.clone())
            .app_data(verifier.clone())
            .app_data(revocations.clone())
            .app_data(metrics.clone())
            .app_data(notifier.clone())
            .app_data(client.clone())
            .app_data(BodyLimit(body_limit))
            .app_data(extract::path_config())
            .app_data(extract::json_config())
            .app_data(extract::query_config())
            .wrap(from_fn(extract::refuse_nul))
            // Outermost, so the telemetry middleware sees (and may rewrite) uncompressed bodies.
            .wrap(from_fn(telemetry::middleware))
            .wrap(Compress::default())
            .configure(|cfg| {
                let mut cfg = utoipa_actix_web::service_config::ServiceConfig::new(cfg);
                (spec.routes)(&mut cfg);
            })
            .route("/healthz", web::get().to(telemetry::healthz))
            .route("/readyz", web::get().to(telemetry::readyz))
            .route("/metrics", web::get().to(service_metrics))
            .route(
                "/openapi.json",
                web::get().to(move || {
                    let doc = doc.clone();
                    async move { HttpResponse::Ok().json(&*doc) }
                }),
            )
            .default_service(web::to(telemetry::not_found))
    })?;
    let mut running = Running::spawn(spec.name, addr, server).with_draining(draining);
    running.relay = relay;
    running.revocation_poll = revocation_poll;
    Ok(running)
}
