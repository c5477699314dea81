//! Revoking the powers of live access tokens before they expire.
//!
//! Each account has a revocation epoch: the gateway raises it when the account is disabled,
//! demoted or given other roles, district or member, or has its password reset, and stamps the
//! current epoch into every access token it signs (`rev`). A token whose `rev` is below the
//! account's epoch is refused — by the gateway and by every service, so bypassing the gateway
//! does not keep old powers alive.
//!
//! Services learn the epochs from the gateway: in one process they share its
//! [`Revocations`] (immediate); as separate processes they poll `GET /auth/revocations` every
//! [`POLL_EVERY`] (a revocation takes effect at a service within that, plus one request).
//! While the gateway cannot be reached a service keeps the epochs it knows; tokens still
//! expire on their own. Several gateway replicas keep each other's epochs current through
//! Redis (`XS_REDIS_URL`, the gateway's `epochs` module: within 1 s, through the database
//! while Redis is down), so whichever replica a service polls answers the shared state: a
//! revocation reaches every service within 3 s.

use crate::auth::Claims;
use crate::error::{ApiError, ApiResult};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How often a separate service asks the gateway for the epochs.
pub const POLL_EVERY: Duration = Duration::from_secs(2);

/// Account id → revocation epoch (accounts never revoked are absent: epoch 0).
#[derive(Clone, Default, Debug)]
pub struct Revocations(Arc<RwLock<HashMap<String, i64>>>);

impl Revocations {
    pub fn new() -> Revocations {
        Revocations::default()
    }

    /// The account's current epoch (0 if never revoked).
    pub fn epoch(&self, sub: &str) -> i64 {
        self.0
            .read()
            .map(|m| m.get(sub).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// Raise (never lower) an account's epoch.
    pub fn set(&self, sub: &str, epoch: i64) {
        let mut m = self.0.write().unwrap_or_else(|p| p.into_inner());
        let e = m.entry(sub.to_string()).or_insert(0);
        *e = (*e).max(epoch);
    }

    /// Merge what the gateway published.
    pub fn merge(&self, epochs: &HashMap<String, i64>) {
        for (sub, epoch) in epochs {
            self.set(sub, *epoch);
        }
    }

    /// Every known epoch, for `GET /auth/revocations`.
    pub fn snapshot(&self) -> HashMap<String, i64> {
        self.0.read().map(|m| m.clone()).unwrap_or_default()
    }

    /// 401 when the token was issued before the account's powers changed.
    pub fn check(&self, claims: &Claims) -> ApiResult<()> {
        if claims.rev < self.epoch(&claims.sub) {
            return Err(ApiError::Unauthorized(
                "invalid token: the account's access changed since it was issued; sign in again"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// Where a service learns the epochs.
#[derive(Clone, Debug)]
pub enum RevocationSource {
    /// Not at all (tests of a service alone, tools).
    None,
    /// The gateway's own table, in the same process.
    Shared(Revocations),
    /// The gateway's `GET /auth/revocations`, polled.
    Url(String),
}

/// The table a service checks, and for [`RevocationSource::Url`] the task that keeps it
/// current (stopped when the handle is dropped).
pub fn start(source: &RevocationSource) -> anyhow::Result<(Revocations, Option<PollHandle>)> {
    match source {
        RevocationSource::None => Ok((Revocations::new(), None)),
        RevocationSource::Shared(r) => Ok((r.clone(), None)),
        RevocationSource::Url(url) => {
            let table = Revocations::new();
            let http = crate::http_client(Duration::from_secs(2), Duration::from_secs(5))?;
            let (t, url) = (table.clone(), url.clone());
            let task = tokio::spawn(async move {
                loop {
                    match fetch(&http, &url).await {
                        Ok(epochs) => t.merge(&epochs),
                        Err(e) => tracing::warn!(%url, error = %e, "revocations not refreshed"),
                    }
                    tokio::time::sleep(POLL_EVERY).await;
                }
            });
            Ok((table, Some(PollHandle(task))))
        }
    }
}

async fn fetch(http: &reqwest::Client, url: &str) -> anyhow::Result<HashMap<String, i64>> {
    let body: Published = http
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(body.accounts)
}

/// What `GET /auth/revocations` answers.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Published {
    /// Account id → revocation epoch; tokens with a lower `rev` are refused.
    pub accounts: HashMap<String, i64>,
}

/// Stops the polling task when dropped.
#[derive(Debug)]
pub struct PollHandle(tokio::task::JoinHandle<()>);

impl Drop for PollHandle {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_below_the_epoch_are_refused_and_epochs_only_rise() {
        let r = Revocations::new();
        let mut c = crate::auth::Claims {
            sub: "a".into(),
            roles: vec![],
            district: None,
            member_id: None,
            iss: "i".into(),
            aud: "a".into(),
            iat: 0,
            exp: 0,
            nbf: None,
            jti: "j".into(),
            rev: 0,
        };
        assert!(r.check(&c).is_ok());
        r.set("a", 2);
        assert!(r.check(&c).is_err());
        c.rev = 2;
        assert!(r.check(&c).is_ok());
        r.set("a", 1);
        assert_eq!(r.epoch("a"), 2);
    }

    /// A separate service learns the epochs by polling the gateway's endpoint.
    #[actix_web::test]
    async fn a_polling_service_learns_the_epochs() {
        use actix_web::{App, HttpResponse, HttpServer, web};
        let server = HttpServer::new(|| {
            App::new().route(
                "/auth/revocations",
                web::get().to(|| async {
                    HttpResponse::Ok().json(serde_json::json!({"accounts": {"acc-1": 3}}))
                }),
            )
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .expect("bind");
        let url = format!("http://{}/auth/revocations", server.addrs()[0]);
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        let (table, poll) = start(&RevocationSource::Url(url)).expect("poller starts");
        assert!(poll.is_some());
        // The first poll is immediate; wait for it (bounded, not a timing assertion).
        for _ in 0..100 {
            if table.epoch("acc-1") == 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(table.epoch("acc-1"), 3);
        handle.stop(false).await;
    }
}
