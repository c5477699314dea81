//! Two gateway replicas on one database and one real Redis (`redis-server` on a free port, no
//! persistence) behave as one: a limit of N across both admits exactly N under concurrent
//! requests; an account disabled through one is refused by the other within the stated bound;
//! with Redis killed they keep serving (per process, revocations through the database) and
//! share again once it is back. Both replicas run on the test database (`XS_TEST_DATABASE_URL`
//! for PostgreSQL, else one SQLite file).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use xs_gateway::{Gateway, GatewaySettings};
use xs_testkit::TestDb;

const ADMIN_PASSWORD: &str = "admin-password-1";

/// The revocation bound the gateway states (`epochs::POLL_EVERY`), with room for a slow
/// machine: the tests wait up to this for something that must happen within the bound.
fn patience() -> Duration {
    xs_gateway::epochs::POLL_EVERY * 5
}

// ---------------------------------------------------------------------------------------------
// A private redis-server

struct RedisServer {
    child: Child,
    port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl RedisServer {
    /// `None` (with the reason printed) when there is no `redis-server` to run, except in CI,
    /// where `.ci/run` installs it and its absence is a failure.
    fn start() -> Option<RedisServer> {
        Self::start_on(free_port())
    }

    fn start_on(port: u16) -> Option<RedisServer> {
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(c) => c,
            Err(e) if std::env::var_os("CI").is_none() => {
                eprintln!("skipped: cannot run redis-server ({e}); install redis-server");
                return None;
            }
            Err(e) => panic!("redis-server is needed in CI: {e}"),
        };
        let server = RedisServer { child, port };
        for _ in 0..100 {
            if server.ping() {
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not answer on port {port}");
    }

    fn ping(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
        let mut buf = [0u8; 16];
        s.write_all(b"PING\r\n").is_ok()
            && s.read(&mut buf).is_ok_and(|n| &buf[..n] == b"+PONG\r\n")
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn kill(mut self) -> u16 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.port
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Two replicas

struct Pair {
    a: Gateway,
    b: Gateway,
    http: reqwest::Client,
    _keys: tempfile::TempDir,
    _db: TestDb,
}

fn settings(db: &TestDb, keys: &std::path::Path, redis: &str, limit: u32) -> GatewaySettings {
    let mut s = GatewaySettings::new(
        "127.0.0.1:0".parse().unwrap(),
        db.url.clone(),
        keys.to_path_buf(),
    );
    s.admin_password = Some(ADMIN_PASSWORD.into());
    s.rate_limit_per_minute = limit;
    s.workers = 2;
    s.redis_url = Some(redis.to_string());
    s
}

/// Two replicas started at once on a fresh database (both migrate and bootstrap the admin).
async fn pair(redis: &RedisServer, limit: u32) -> Pair {
    let db = TestDb::fresh();
    let keys = tempfile::tempdir().unwrap();
    std::fs::write(
        keys.path().join(format!("{}.pem", xs_testkit::TEST_KID)),
        xs_testkit::test_key_pem(),
    )
    .unwrap();
    let (a, b) = tokio::join!(
        xs_gateway::start(settings(&db, keys.path(), &redis.url(), limit)),
        xs_gateway::start(settings(&db, keys.path(), &redis.url(), limit)),
    );
    Pair {
        a: a.expect("replica a starts"),
        b: b.expect("replica b starts"),
        http: reqwest::Client::new(),
        _keys: keys,
        _db: db,
    }
}

impl Pair {
    fn replica(&self, i: usize) -> String {
        if i.is_multiple_of(2) {
            self.a.url()
        } else {
            self.b.url()
        }
    }

    /// `n` concurrent `GET /auth/me` with `token`, alternating replicas: the statuses.
    async fn burst(&self, token: &str, n: usize) -> Vec<StatusCode> {
        let calls = (0..n).map(|i| {
            let url = format!("{}/auth/me", self.replica(i));
            let req = self.http.get(url).bearer_auth(token);
            async move { req.send().await.unwrap().status() }
        });
        futures_util::future::join_all(calls).await
    }

    async fn sign_in(&self, base: &str, username: &str, password: &str) -> (StatusCode, Value) {
        let res = self
            .http
            .post(format!("{base}/auth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                serde_urlencoded::to_string([
                    ("grant_type", "password"),
                    ("username", username),
                    ("password", password),
                ])
                .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn me(&self, base: &str, token: &str) -> StatusCode {
        self.http
            .get(format!("{base}/auth/me"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
    }

    async fn readyz(&self, base: &str) -> (StatusCode, Value) {
        let res = self
            .http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap();
        (res.status(), res.json().await.unwrap())
    }

    /// A person account created through replica a; its id.
    async fn create_user(&self, admin: &str, username: &str) -> String {
        let res = self
            .http
            .post(format!("{}/api/v1/accounts", self.a.url()))
            .bearer_auth(admin)
            .json(&json!({"username": username, "password": "password-123",
                          "roles": ["resident"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.unwrap();
        body["id"].as_str().unwrap().to_string()
    }

    /// Disable an account through replica a.
    async fn disable(&self, admin: &str, id: &str) {
        let res = self
            .http
            .patch(format!("{}/api/v1/accounts/{id}", self.a.url()))
            .bearer_auth(admin)
            .header("If-Match", "\"1\"")
            .json(&json!({"disabled": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    }

    /// Wait (bounded) until replica `base` refuses `token`; whether it did.
    async fn refused_within_bound(&self, base: &str, token: &str) -> bool {
        let deadline = tokio::time::Instant::now() + patience();
        while tokio::time::Instant::now() < deadline {
            if self.me(base, token).await == StatusCode::UNAUTHORIZED {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    async fn admin_token(&self) -> String {
        let (status, body) = self.sign_in(&self.a.url(), "admin", ADMIN_PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    async fn stop(self) {
        self.a.stop().await;
        self.b.stop().await;
    }
}

fn count(statuses: &[StatusCode], s: StatusCode) -> usize {
    statuses.iter().filter(|x| **x == s).count()
}

// ---------------------------------------------------------------------------------------------

/// A rate limit of N per minute, hit by 3N concurrent requests spread over both replicas,
/// admits exactly N; and failed sign-ins against one account from one address are limited to
/// 10 across both, as they are on one.
#[actix_web::test]
async fn a_limit_across_two_replicas_admits_exactly_n() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let limit = 25;
    let pair = pair(&redis, limit).await;
    let token = xs_testkit::token("rate-subject", &[xs_kit::Role::Resident], None);
    let statuses = pair.burst(&token, 3 * limit as usize).await;
    let refused = count(&statuses, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        statuses.len() - refused,
        limit as usize,
        "admitted across both replicas: {statuses:?}"
    );

    let attempts = (0..16).map(|i| {
        let base = pair.replica(i);
        let pair = &pair;
        async move { pair.sign_in(&base, "admin", "wrong-password").await.0 }
    });
    let results = futures_util::future::join_all(attempts).await;
    assert_eq!(
        count(&results, StatusCode::BAD_REQUEST),
        xs_gateway::tokens::LOGIN_FAILURES,
        "{results:?}"
    );
    assert_eq!(
        count(&results, StatusCode::TOO_MANY_REQUESTS),
        16 - xs_gateway::tokens::LOGIN_FAILURES
    );
    let (_, ready) = pair.readyz(&pair.b.url()).await;
    assert_eq!(ready["redis"], "ok");
    assert_eq!(ready["status"], "ready");
    pair.stop().await;
}

/// An account disabled through replica a is refused by replica b within the bound, and b's
/// `GET /auth/revocations` (what services poll) carries its new epoch.
#[actix_web::test]
async fn a_disabled_account_is_refused_by_both_replicas() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let pair = pair(&redis, 10_000).await;
    let admin = pair.admin_token().await;
    let id = pair.create_user(&admin, "alice").await;
    let (status, body) = pair.sign_in(&pair.b.url(), "alice", "password-123").await;
    assert_eq!(status, StatusCode::OK);
    let alice = body["access_token"].as_str().unwrap().to_string();
    assert_eq!(pair.me(&pair.a.url(), &alice).await, StatusCode::OK);
    assert_eq!(pair.me(&pair.b.url(), &alice).await, StatusCode::OK);

    pair.disable(&admin, &id).await;
    assert_eq!(
        pair.me(&pair.a.url(), &alice).await,
        StatusCode::UNAUTHORIZED
    );
    assert!(
        pair.refused_within_bound(&pair.b.url(), &alice).await,
        "replica b still accepts the disabled account's token"
    );
    let published: Value = pair
        .http
        .get(format!("{}/auth/revocations", pair.b.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(published["accounts"][&id], 1, "{published}");
    pair.stop().await;
}

/// Redis killed mid-test: both replicas keep serving (limits per process, `/readyz` 200 and
/// `degraded`, the outage in `/metrics`), a revocation still reaches the other replica (through
/// the database); Redis restarted: both reconnect by themselves and limits are shared again.
#[actix_web::test]
async fn redis_killed_and_restarted_mid_test() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let limit = 10;
    let pair = pair(&redis, limit).await;
    let admin = pair.admin_token().await;
    let id = pair.create_user(&admin, "bob").await;
    let (_, body) = pair.sign_in(&pair.a.url(), "bob", "password-123").await;
    let bob = body["access_token"].as_str().unwrap().to_string();

    let port = redis.kill();
    // Serving goes on: each replica now counts alone, so together they admit up to 2N.
    let token = xs_testkit::token("outage-subject", &[xs_kit::Role::Resident], None);
    let statuses = pair.burst(&token, 4 * limit as usize).await;
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS || s.as_u16() < 500),
        "{statuses:?}"
    );
    let admitted = statuses.len() - count(&statuses, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        admitted >= limit as usize && admitted <= 2 * limit as usize,
        "{admitted}"
    );
    for base in [pair.a.url(), pair.b.url()] {
        let (status, ready) = pair.readyz(&base).await;
        assert_eq!(status, StatusCode::OK, "{ready}");
        assert_eq!(ready["status"], "degraded", "{ready}");
        assert_eq!(ready["redis"], "down", "{ready}");
    }
    let metrics = pair
        .http
        .get(format!("{}/metrics", pair.a.url()))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("xieshang_redis_down") && l.ends_with(" 1")),
        "{metrics}"
    );
    // A revocation during the outage travels through the database.
    pair.disable(&admin, &id).await;
    assert!(
        pair.refused_within_bound(&pair.b.url(), &bob).await,
        "replica b still accepts the disabled account's token while Redis is down"
    );

    let redis = RedisServer::start_on(port).expect("redis-server restarts");
    for base in [pair.a.url(), pair.b.url()] {
        let deadline = tokio::time::Instant::now() + patience();
        loop {
            let (_, ready) = pair.readyz(&base).await;
            if ready["redis"] == "ok" {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{base} did not reconnect: {ready}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let token = xs_testkit::token("after-subject", &[xs_kit::Role::Resident], None);
    let statuses = pair.burst(&token, 3 * limit as usize).await;
    assert_eq!(
        statuses.len() - count(&statuses, StatusCode::TOO_MANY_REQUESTS),
        limit as usize,
        "shared again: {statuses:?}"
    );
    pair.stop().await;
    drop(redis);
}

/// Three replicas starting at once on a fresh database (no Redis needed): all start — the
/// migrations run once (an advisory lock on PostgreSQL), one creates `admin` and the others
/// find it — and the admin signs in at each.
#[actix_web::test]
async fn replicas_starting_at_once_share_one_bootstrap() {
    let db = TestDb::fresh();
    let keys = tempfile::tempdir().unwrap();
    std::fs::write(
        keys.path().join(format!("{}.pem", xs_testkit::TEST_KID)),
        xs_testkit::test_key_pem(),
    )
    .unwrap();
    let start = || {
        let mut s = settings(&db, keys.path(), "", 10_000);
        s.redis_url = None;
        xs_gateway::start(s)
    };
    let (a, b, c) = tokio::join!(start(), start(), start());
    let replicas = [
        a.expect("replica a starts"),
        b.expect("replica b starts"),
        c.expect("replica c starts"),
    ];
    let http = reqwest::Client::new();
    let mut token = String::new();
    for gw in &replicas {
        let res = http
            .post(format!("{}/auth/token", gw.url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=password&username=admin&password={ADMIN_PASSWORD}"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        token = body["access_token"].as_str().unwrap().to_string();
    }
    let list: Value = http
        .get(format!("{}/api/v1/accounts", replicas[0].url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admins = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["roles"].as_array().unwrap().contains(&json!("admin")))
        .count();
    assert_eq!(admins, 1, "{list}");
    for gw in replicas {
        gw.stop().await;
    }
}

/// The `kid` in a token's header.
fn kid_of(token: &str) -> String {
    use base64::Engine;
    let header = token.split('.').next().unwrap();
    let json: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap();
    json["kid"].as_str().unwrap().to_string()
}

/// Key rotation across two replicas with no failed request: a key named for the current time
/// appears in the shared keys directory; both replicas publish it without a restart, and each
/// signs with it only once its activation time has passed, when every replica verifies it.
/// Throughout, a token signed by either replica passes the other; in the end both sign with
/// the new key.
#[actix_web::test]
async fn keys_rotate_across_two_replicas_without_a_failed_request() {
    let db = TestDb::fresh();
    let keys = tempfile::tempdir().unwrap();
    let old = "k20200101000000";
    std::fs::write(
        keys.path().join(format!("{old}.pem")),
        xs_testkit::test_key_pem(),
    )
    .unwrap();
    let start = || {
        let mut s = settings(&db, keys.path(), "", 10_000);
        s.redis_url = None;
        s.key_reload = Duration::from_millis(100);
        s.key_activation = Duration::from_secs(3);
        xs_gateway::start(s)
    };
    let a = start().await.expect("replica a starts");
    let b = start().await.expect("replica b starts");
    let http = reqwest::Client::new();
    let sign_in = |base: String| {
        let http = http.clone();
        async move {
            let res = http
                .post(format!("{base}/auth/token"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!(
                    "grant_type=password&username=admin&password={ADMIN_PASSWORD}"
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let body: Value = res.json().await.unwrap();
            body["access_token"].as_str().unwrap().to_string()
        }
    };
    let first = sign_in(a.url()).await;
    assert_eq!(kid_of(&first), old);

    // Named for the next whole second, so that the whole activation time lies ahead.
    let next = (chrono::Utc::now() + chrono::Duration::seconds(1))
        .format("k%Y%m%d%H%M%S")
        .to_string();
    let next = next.as_str();
    std::fs::write(
        keys.path().join(format!("{next}.pem")),
        xs_kit::keys::SigningKey::generate_pem().unwrap(),
    )
    .unwrap();
    let mut published_before_signing = false;
    let mut switched = false;
    for _ in 0..300 {
        let mut kids = Vec::new();
        for (from, to) in [(a.url(), b.url()), (b.url(), a.url())] {
            let token = sign_in(from.clone()).await;
            let status = http
                .get(format!("{to}/auth/me"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(
                status,
                StatusCode::OK,
                "a token signed by {from} with {} was refused by {to}",
                kid_of(&token)
            );
            kids.push(kid_of(&token));
        }
        let jwks: Value = http
            .get(format!("{}/.well-known/jwks.json", b.url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let listed = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == next);
        if listed && kids.iter().all(|k| k == old) {
            published_before_signing = true;
        }
        if kids.iter().all(|k| k == next) {
            switched = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        published_before_signing,
        "the new key was published before it signed"
    );
    assert!(switched, "both replicas sign with the new key");
    // The old key's tokens still pass (it is still published).
    assert_eq!(
        http.get(format!("{}/auth/me", b.url()))
            .bearer_auth(&first)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    a.stop().await;
    b.stop().await;
}
