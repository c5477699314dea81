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
    /// Other services started beside it (see [`TestStack::with_peers`]).
    pub peers: Vec<Peer>,
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
        TestStack::with_peers(spec, &[]).await
    }

    /// Start `spec` and, each on a fresh database of its own, the `peers` it calls (say
    /// `&xs_membership::SPEC` for a service that checks members), all behind one gateway and
    /// all knowing each other's addresses: references are checked and outbox messages
    /// delivered for real. [`TestStack::stop_peer`] and [`TestStack::restart_peer`] make
    /// outages.
    pub async fn with_peers(
        spec: &'static ServiceSpec,
        peers: &[&'static ServiceSpec],
    ) -> TestStack {
        let db = TestDb::fresh();
        let targets = Targets::new();
        let service = start_peered(spec, &db, &targets).await;
        targets.set(spec.name, vec![service.url()]);
        let mut started = Vec::with_capacity(peers.len());
        for peer in peers {
            let db = TestDb::fresh();
            let running = start_peered(peer, &db, &targets).await;
            let url = running.url();
            targets.set(peer.name, vec![url.clone()]);
            started.push(Peer {
                spec: peer,
                running: Some(running),
                db,
                url,
            });
        }

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
        for peer in &started {
            g.upstreams
                .insert(peer.spec.name.to_string(), vec![peer.url.clone()]);
        }
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
        g.service_docs = std::iter::once(doc)
            .chain(started.iter().map(|p| xs_kit::service::openapi(p.spec)))
            .collect();
        g.admin_password = Some(ADMIN_PASSWORD.into());
        g.rate_limit_per_minute = 100_000;
        g.workers = 1;
        let gateway = xs_gateway::start(g).await.expect("the gateway starts");
        TestStack {
            gateway,
            service,
            peers: started,
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

    /// A peer started by [`TestStack::with_peers`].
    pub fn peer(&self, name: &str) -> &Peer {
        self.peers
            .iter()
            .find(|p| p.spec.name == name)
            .unwrap_or_else(|| panic!("no peer {name} was started"))
    }

    /// Stop a peer (its address then refuses connections) until [`TestStack::restart_peer`].
    pub async fn stop_peer(&mut self, name: &str) {
        let peer = self.peer_mut(name);
        if let Some(running) = peer.running.take() {
            running.stop().await;
        }
    }

    /// Start a stopped peer again on its old address and database.
    pub async fn restart_peer(&mut self, name: &str) {
        let targets = self.targets.clone();
        let peer = self.peer_mut(name);
        assert!(peer.running.is_none(), "{name} is running");
        let addr: std::net::SocketAddr = peer
            .url
            .trim_start_matches("http://")
            .parse()
            .expect("a peer's address");
        let mut s = settings(&peer.db);
        s.bind = addr;
        s.peers = Some(ClientConfig::new(
            targets,
            ServiceTokens::Local(test_signing_key()),
        ));
        // The port was just released; another process may briefly hold it.
        for _ in 0..50 {
            match xs_kit::service::start(peer.spec, s.clone()).await {
                Ok(running) => {
                    peer.running = Some(running);
                    return;
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
        panic!("{name} could not start again on {addr}");
    }

    fn peer_mut(&mut self, name: &str) -> &mut Peer {
        self.peers
            .iter_mut()
            .find(|p| p.spec.name == name)
            .unwrap_or_else(|| panic!("no peer {name} was started"))
    }

    /// Stop the gateway first (no new requests), then the service and its peers together.
    /// The test's client goes first: a graceful stop waits for open connections, and its idle
    /// keep-alive ones would hold the gateway for the whole keep-alive time.
    pub async fn stop(self) {
        drop(self.client);
        // Let its connection tasks see the pool gone and close their sockets.
        tokio::task::yield_now().await;
        self.gateway.stop().await;
        let peers = self.peers.into_iter().filter_map(|p| p.running);
        futures_util::future::join_all(
            std::iter::once(self.service)
                .chain(peers)
                .map(Running::stop),
        )
        .await;
    }
}

/// Another service beside the one under test, on a database of its own.
pub struct Peer {
    pub spec: &'static ServiceSpec,
    /// `None` while stopped.
    pub running: Option<Running>,
    pub db: TestDb,
    /// Its base URL (kept across a restart).
    pub url: String,
}

async fn start_peered(spec: &'static ServiceSpec, db: &TestDb, targets: &Targets) -> Running {
    let mut s = settings(db);
    s.peers = Some(ClientConfig::new(
        targets.clone(),
        ServiceTokens::Local(test_signing_key()),
    ));
    xs_kit::service::start(spec, s)
        .await
        .unwrap_or_else(|e| panic!("starting {}: {e:#}", spec.name))
}
