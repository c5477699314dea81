//! `GET /readyz`: the gateway's database and every service behind it; `GET /metrics`, for
//! operators only.

use crate::proxy::{Proxy, WorkerClient};
use crate::state::Shared;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;
use utoipa::ToSchema;

const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`; `degraded` (still ready, answering 200) while the shared Redis is down and
    /// limits are counted per process; `unavailable`; or `stopping` (the gateway is draining
    /// before it stops).
    pub status: String,
    /// `ok` or `down` (`unchecked` while stopping).
    pub database: String,
    /// The shared Redis (`XS_REDIS_URL`): `ok`, `down`, or `off` when not configured.
    pub redis: String,
    /// Per service: `ok` when at least one replica is ready, else `down`.
    pub services: BTreeMap<String, ServiceReadiness>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceReadiness {
    pub status: String,
    pub replicas: Vec<ReplicaReadiness>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReplicaReadiness {
    /// Position in the service's configured replica list (`XS_<SERVICE>_URL`), from 1. The
    /// answer is public (load balancers ask it), so it names no internal address.
    pub replica: usize,
    pub ready: bool,
}

async fn probe(client: &reqwest::Client, base: &str) -> bool {
    client
        .get(format!("{base}/readyz"))
        .timeout(PROBE_TIMEOUT)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// Check the stack's readiness
///
/// Open to anyone: 200 when the gateway's database answers and every service has at least one
/// ready replica, else 503 (also while the gateway drains before it stops), with each replica's
/// state. While the shared Redis is down the answer is still 200, with status `degraded`.
#[utoipa::path(
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "Everything is ready", body = Readiness),
        (status = 503, description = "Something is down", body = Readiness)
    )
)]
#[get("/readyz")]
pub async fn readyz(
    shared: web::Data<Shared>,
    proxy: web::Data<Proxy>,
    client: web::Data<WorkerClient>,
    draining: web::Data<xs_kit::service::Draining>,
) -> HttpResponse {
    if draining.is_draining() {
        return HttpResponse::ServiceUnavailable().json(Readiness {
            status: "stopping".into(),
            database: "unchecked".into(),
            redis: "unchecked".into(),
            services: BTreeMap::new(),
        });
    }
    let db_ok = shared.db.ping(Duration::from_secs(1)).await.is_ok();
    let checks = proxy.services.values().map(|pool| {
        let client = client.http.clone();
        let pool = pool.clone();
        async move {
            let bases: Vec<String> = pool.upstreams.iter().map(|u| u.base.clone()).collect();
            let results =
                futures_util::future::join_all(bases.iter().map(|b| probe(&client, b))).await;
            let replicas: Vec<ReplicaReadiness> = bases
                .iter()
                .zip(results)
                .enumerate()
                .map(|(i, (_, ready))| ReplicaReadiness {
                    replica: i + 1,
                    ready,
                })
                .collect();
            let up = replicas.iter().any(|r| r.ready);
            (
                pool.name.clone(),
                ServiceReadiness {
                    status: if up { "ok" } else { "down" }.into(),
                    replicas,
                },
            )
        }
    });
    let services: BTreeMap<_, _> = futures_util::future::join_all(checks)
        .await
        .into_iter()
        .collect();
    let ready = db_ok && services.values().all(|s| s.status == "ok");
    let redis = match &shared.redis {
        None => "off",
        Some(r) if r.is_down() => "down",
        Some(_) => "ok",
    };
    let status = match (ready, redis) {
        (false, _) => "unavailable",
        (true, "down") => "degraded",
        (true, _) => "ready",
    };
    let report = Readiness {
        status: status.into(),
        database: if db_ok { "ok" } else { "down" }.into(),
        redis: redis.into(),
        services,
    };
    // Plain JSON even when 503: the report is the contract, and the kit's middleware keeps it.
    HttpResponse::build(if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    })
    .json(report)
}

/// `GET /metrics` for operators: the configured metrics token (`XS_METRICS_TOKEN`, for a
/// scraper) or an admin's access token. Request counts by route reveal who uses what, and the
/// gateway is public, so anonymous callers get 401 and other roles 403.
pub async fn metrics(
    req: actix_web::HttpRequest,
    shared: web::Data<Shared>,
    metrics: web::Data<xs_kit::telemetry::Metrics>,
) -> Result<HttpResponse, xs_kit::ApiError> {
    use xs_kit::ApiError;
    let Some(token) = xs_kit::auth::bearer(&req).map(str::to_owned) else {
        return Err(ApiError::Unauthorized(
            "metrics need the metrics token or an admin's access token".into(),
        ));
    };
    let scraper = shared
        .metrics_token
        .as_deref()
        .is_some_and(|expected| same_secret(expected.as_bytes(), token.as_bytes()));
    if !scraper {
        let caller = shared.authenticate(&token).await?;
        if !caller.has(xs_kit::auth::Role::Admin) {
            return Err(ApiError::Forbidden("metrics are for operators".into()));
        }
    }
    Ok(xs_kit::telemetry::metrics(metrics).await)
}

/// Compare secrets without stopping at the first differing byte.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
