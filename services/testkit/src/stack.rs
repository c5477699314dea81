//! One service behind the real gateway: what a service's own tests start. The gateway signs
//! with the test key, so tokens from [`crate::token`] pass it; the service verifies with the
//! same key, and its [`xs_kit::client::ServiceClient`] knows itself (and mints service tokens
//! with the test key).

use crate::db::TestDb;
use crate::service::settings;
use crate::tokens::{TEST_KID, test_key_pem, test_signing_key};
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::Value;
use xs_kit::client::{ClientConfig, ServiceTokens, Targets};
use xs_kit::service::{Running, ServiceSpec};

pub struct TestStack {
    pub gateway: xs_gateway::Gateway,
    pub service: Running,
    pub client: Client,
    /// The service's database.
    pub db: TestDb,
    /// Where the service's client looks for other services; tests may add fakes.
    pub targets: Targets,
    _gateway_db: TestDb,
    _dir: tempfile::TempDir,
}

/// The first admin's password in the gateway of a [`TestStack`].
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";

impl TestStack {
    /// Start `spec` on a fresh database, and a gateway in front of it routing the resources
    /// the gateway knows for that service (or, for a service it does not know, every first
    /// path segment under `/api/v1` of the service's API document).
    pub async fn with(spec: &'static ServiceSpec) -> TestStack {
        let db = TestDb::fresh();
        let targets = Targets::new();
        let mut s = settings(&db);
        s.peers = Some(ClientConfig::new(
            targets.clone(),
            ServiceTokens::Local(test_signing_key()),
        ));
        let service = xs_kit::service::start(spec, s)
            .await
            .unwrap_or_else(|e| panic!("starting {}: {e:#}", spec.name));
        targets.set(spec.name, vec![service.url()]);

        let dir = tempfile::tempdir().expect("temporary directory");
        let keys = dir.path().join("keys");
        std::fs::create_dir_all(&keys).expect("keys directory");
        std::fs::write(keys.join(format!("{TEST_KID}.pem")), test_key_pem()).expect("test key");
        let gateway_db = TestDb::fresh();
        let mut g = xs_gateway::GatewaySettings::new(
            "127.0.0.1:0".parse().expect("address"),
            gateway_db.url.clone(),
            keys,
        );
        g.upstreams
            .insert(spec.name.to_string(), vec![service.url()]);
        let doc = xs_kit::service::openapi(spec);
        if !g.routes.iter().any(|(_, s)| s == spec.name) {
            for path in doc.paths.paths.keys() {
                if let Some(first) = path
                    .strip_prefix("/api/v1/")
                    .and_then(|t| t.split('/').next())
                    .filter(|f| !f.is_empty() && !f.starts_with('{'))
                    && !g.routes.iter().any(|(p, _)| p == first)
                {
                    g.routes.push((first.to_string(), spec.name.to_string()));
                }
            }
        }
        g.service_docs = vec![doc];
        g.admin_password = Some(ADMIN_PASSWORD.into());
        g.rate_limit_per_minute = 100_000;
        g.workers = 1;
        let gateway = xs_gateway::start(g).await.expect("the gateway starts");
        TestStack {
            gateway,
            service,
            client: Client::new(),
            db,
            targets,
            _gateway_db: gateway_db,
            _dir: dir,
        }
    }

    /// A URL on the gateway.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.gateway.url(), path)
    }

    /// The service's own base URL (bypassing the gateway).
    pub fn service_url(&self) -> String {
        self.service.url()
    }

    pub fn req(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.req(Method::GET, path, token)
            .send()
            .await
            .expect("the gateway answers")
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.req(Method::POST, path, token)
            .json(body)
            .send()
            .await
            .expect("the gateway answers")
    }

    /// Stop the gateway first (no new requests), then the service.
    pub async fn stop(self) {
        self.gateway.stop().await;
        self.service.stop().await;
    }
}
