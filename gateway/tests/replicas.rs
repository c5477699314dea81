//! Replicas that fail without clients noticing: a hung replica, one that resets connections,
//! one that leaves readiness, one that stops. Each test runs the real gateway in front of fake
//! replicas and asserts outcomes (every request answered), never timings.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use xs_gateway::{Gateway, GatewaySettings};
use xs_testkit::TestDb;

/// A fake replica: answers `{"upstream": name}`; while `hung`, neither it nor its `/readyz`
/// answers (like a process stopped with SIGSTOP); while not `ready`, `/readyz` is 503.
struct Replica {
    url: String,
    handle: ServerHandle,
    hung: Arc<AtomicBool>,
    ready: Arc<AtomicBool>,
    served: Arc<AtomicUsize>,
}

#[derive(Clone)]
struct State {
    name: String,
    hung: Arc<AtomicBool>,
    ready: Arc<AtomicBool>,
    served: Arc<AtomicUsize>,
}

async fn wait_while_hung(s: &State) {
    for _ in 0..600 {
        if !s.hung.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn replica(name: &str) -> Replica {
    let state = State {
        name: name.to_string(),
        hung: Arc::new(AtomicBool::new(false)),
        ready: Arc::new(AtomicBool::new(true)),
        served: Arc::new(AtomicUsize::new(0)),
    };
    let data = web::Data::new(state.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route(
                "/readyz",
                web::get().to(|s: web::Data<State>| async move {
                    wait_while_hung(&s).await;
                    if s.ready.load(Ordering::SeqCst) {
                        HttpResponse::Ok().json(json!({"status": "ready"}))
                    } else {
                        HttpResponse::ServiceUnavailable().finish()
                    }
                }),
            )
            .default_service(web::to(|s: web::Data<State>| async move {
                wait_while_hung(&s).await;
                s.served.fetch_add(1, Ordering::SeqCst);
                HttpResponse::Ok().json(json!({"upstream": s.name}))
            }))
    })
    .workers(2)
    .disable_signals()
    .shutdown_timeout(5)
    .bind(("127.0.0.1", 0))
    .expect("bind replica");
    let url = format!("http://{}", server.addrs()[0]);
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    Replica {
        url,
        handle,
        hung: state.hung,
        ready: state.ready,
        served: state.served,
    }
}

/// A replica that accepts connections, reads the request and closes the connection without
/// answering: the request is never answered, not one byte.
async fn resetting_replica() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut buf).await;
                drop(socket);
            });
        }
    });
    url
}

struct Env {
    gw: Gateway,
    url: String,
    http: reqwest::Client,
    _keys: tempfile::TempDir,
    _db: TestDb,
}

async fn gateway(replicas: Vec<String>) -> Env {
    let db = TestDb::fresh();
    let keys = tempfile::tempdir().unwrap();
    std::fs::write(
        keys.path().join(format!("{}.pem", xs_testkit::TEST_KID)),
        xs_testkit::test_key_pem(),
    )
    .unwrap();
    let mut s = GatewaySettings::new(
        "127.0.0.1:0".parse().unwrap(),
        db.url.clone(),
        keys.path().to_path_buf(),
    );
    s.upstreams.insert("membership".into(), replicas);
    s.admin_password = Some("admin-password-1".into());
    s.rate_limit_per_minute = 100_000;
    s.workers = 2;
    s.attempt_timeout = Duration::from_millis(500);
    s.upstream_timeout = Duration::from_secs(10);
    s.health_interval = Duration::from_millis(200);
    let gw = xs_gateway::start(s).await.expect("gateway starts");
    Env {
        url: gw.url(),
        gw,
        http: reqwest::Client::new(),
        _keys: keys,
        _db: db,
    }
}

impl Env {
    /// GET, or POST with an Idempotency-Key; the status and which replica answered.
    async fn call(&self, write: Option<&str>) -> (u16, String) {
        let url = format!("{}/api/v1/members", self.url);
        let req = match write {
            None => self.http.get(url),
            Some(key) => self
                .http
                .post(url)
                .header("Idempotency-Key", key)
                .json(&json!({"name": "x"})),
        };
        let res = req.bearer_auth(xs_testkit::admin()).send().await.unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        (status, body["upstream"].as_str().unwrap_or("").to_string())
    }

    async fn burst(&self, n: usize, writes: bool) -> Vec<(u16, String)> {
        let calls = (0..n).map(|i| {
            let key = format!("key-{i}-{}", uuid_ish());
            async move {
                self.call((writes && i % 5 == 0).then_some(key.as_str()))
                    .await
            }
        });
        futures_util::future::join_all(calls).await
    }

    async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.url))
            .bearer_auth(xs_testkit::admin())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

fn uuid_ish() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn all_ok(results: &[(u16, String)]) {
    let failed: Vec<_> = results.iter().filter(|(s, _)| *s != 200).collect();
    assert!(failed.is_empty(), "failed: {failed:?}");
}

/// A replica that stops answering costs the requests already on it one attempt timeout; they
/// and every later request are answered by the other replica. When it answers again it is
/// back in routing.
#[actix_web::test]
async fn a_hung_replica_costs_one_attempt_and_the_rest_keep_flowing() {
    let a = replica("a").await;
    let b = replica("b").await;
    let env = gateway(vec![a.url.clone(), b.url.clone()]).await;
    all_ok(&env.burst(8, true).await);
    b.hung.store(true, Ordering::SeqCst);
    for _ in 0..4 {
        let results = env.burst(16, true).await;
        all_ok(&results);
        assert!(results.iter().all(|(_, u)| u == "a"), "{results:?}");
    }
    let text = env.metrics().await;
    assert!(
        text.contains("xieshang_upstream_retries_total"),
        "retries are counted: {text}"
    );
    // Resumed: the health check lets it back in (no waiting out the breaker).
    b.hung.store(false, Ordering::SeqCst);
    let before = b.served.load(Ordering::SeqCst);
    let mut back = false;
    for _ in 0..100 {
        all_ok(&env.burst(4, false).await);
        if b.served.load(Ordering::SeqCst) > before + 2 {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(back, "the recovered replica serves again");
    env.gw.stop().await;
    a.handle.stop(false).await;
    b.handle.stop(false).await;
}

/// Connection refused, or closed before any byte of the response: the request moves to another
/// replica — every GET, and every write with an Idempotency-Key, and (refused) any write.
#[actix_web::test]
async fn requests_that_got_no_answer_move_to_another_replica() {
    let live = replica("live").await;
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        drop(l);
        url
    };
    let resetting = resetting_replica().await;
    let env = gateway(vec![refused, resetting, live.url.clone()]).await;
    for round in 0..3 {
        let results = env.burst(12, true).await;
        all_ok(&results);
        assert!(results.iter().all(|(_, u)| u == "live"), "round {round}");
    }
    env.gw.stop().await;
    live.handle.stop(false).await;
}

/// A replica whose `/readyz` says no (it is draining) gets no new requests.
#[actix_web::test]
async fn a_replica_that_leaves_readiness_leaves_routing() {
    let a = replica("a").await;
    let b = replica("b").await;
    let env = gateway(vec![a.url.clone(), b.url.clone()]).await;
    b.ready.store(false, Ordering::SeqCst);
    // Once the health check has seen it, nothing more goes to it.
    let mut steered = false;
    for _ in 0..100 {
        let before = b.served.load(Ordering::SeqCst);
        let results = env.burst(10, false).await;
        all_ok(&results);
        if b.served.load(Ordering::SeqCst) == before {
            steered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(steered, "requests steered away from the unready replica");
    let text = env.metrics().await;
    assert!(text.contains("xieshang_upstream_ready"), "{text}");
    env.gw.stop().await;
    a.handle.stop(false).await;
    b.handle.stop(false).await;
}

/// A rolling restart: one replica stops (gracefully) while requests flow; none fails.
#[actix_web::test]
async fn a_replica_stopping_under_load_costs_no_request() {
    let a = replica("a").await;
    let b = replica("b").await;
    let env = gateway(vec![a.url.clone(), b.url.clone()]).await;
    all_ok(&env.burst(10, true).await);
    let stopping = b.handle.clone();
    let stop = tokio::spawn(async move { stopping.stop(true).await });
    for _ in 0..5 {
        all_ok(&env.burst(10, true).await);
    }
    stop.await.unwrap();
    for _ in 0..3 {
        let results = env.burst(10, true).await;
        all_ok(&results);
        assert!(results.iter().all(|(_, u)| u == "a"));
    }
    env.gw.stop().await;
    a.handle.stop(false).await;
}
