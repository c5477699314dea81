//! What the gateway's handlers and its gate share: built once by [`crate::start`], handed to
//! every worker as `web::Data<Shared>`.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use xs_kit::Db;
use xs_kit::auth::Verifier;

use crate::signer::Signer;
use crate::{limits, store};

/// What handlers and the gate share.
pub struct Shared {
    pub db: Db,
    pub signer: Signer,
    pub verifier: Verifier,
    pub disabled: DisabledSubjects,
    pub rate: limits::RateLimiter,
    /// Failed sign-ins per account and client IP, and per client IP.
    pub logins: limits::AttemptLimiter,
    pub login_ips: limits::AttemptLimiter,
    pub registrations: limits::AttemptLimiter,
    pub trusted_proxies: Vec<IpAddr>,
    pub refresh_ttl: Duration,
    /// The bearer token a metrics scraper presents (admins' tokens also pass).
    pub metrics_token: Option<String>,
    /// For reference checks (does the district or member an account is bound to exist?).
    pub membership: xs_kit::client::ServiceClient,
    /// Accounts' revocation epochs: checked here, published to the services.
    pub revocations: xs_kit::revocation::Revocations,
    /// The Redis every replica shares (`XS_REDIS_URL`), if configured.
    pub redis: Option<Arc<store::Redis>>,
}

/// Accounts disabled since their tokens were issued. Checked on every request, so a disabled
/// account is refused at once rather than when its access token expires. Loaded from the
/// database at start and kept current by the accounts API.
#[derive(Default)]
pub struct DisabledSubjects(RwLock<HashSet<String>>);

impl DisabledSubjects {
    pub fn new(ids: impl IntoIterator<Item = String>) -> Self {
        DisabledSubjects(RwLock::new(ids.into_iter().collect()))
    }

    pub fn contains(&self, sub: &str) -> bool {
        self.0.read().map(|s| s.contains(sub)).unwrap_or(true)
    }

    pub fn set(&self, sub: &str, disabled: bool) {
        let mut s = self.0.write().unwrap_or_else(|p| p.into_inner());
        if disabled {
            s.insert(sub.to_string());
        } else {
            s.remove(sub);
        }
    }
}
