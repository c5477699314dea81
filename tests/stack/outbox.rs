//! The transactional outbox: a message written with a change in one service's database reaches
//! another service at least once, and the idempotent receiver (membership's internal activities
//! endpoint) records it once. Also: retries while the target is down, permanent refusals,
//! claiming between two relays, and client-credentials tokens from the gateway.

use crate::common::*;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use xs_kit::client::{ClientConfig, ServiceClient, ServiceTokens, Targets};
use xs_kit::contracts::MEMBERSHIP_ACTIVITIES;
use xs_kit::db::{Db, PoolOptions};
use xs_kit::outbox::{self, RelayConfig, RelayHandle, kit_outbox};
use xs_kit::service::Running;
use xs_kit::{ApiError, Role};
use xs_testkit::TestDb;

#[derive(Debug, Clone, Queryable)]
struct Row {
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    delivered_at: Option<NaiveDateTime>,
    failed_at: Option<NaiveDateTime>,
    last_error: Option<String>,
}

fn open(url: &str) -> Db {
    Db::connect(
        url,
        &PoolOptions {
            max_size: 2,
            checkout_timeout: Duration::from_secs(5),
            ..Default::default()
        },
    )
    .unwrap()
}

/// A database of a service that has no tables of its own yet: only the kit's.
async fn kit_db(db: &TestDb) -> Db {
    let d = open(&db.url);
    let m = d.clone();
    tokio::task::spawn_blocking(move || m.migrate(&xs_kit::db::KIT_MIGRATIONS))
        .await
        .unwrap()
        .unwrap();
    d
}

async fn enqueue(db: &Db, target: &'static str, payload: Value) -> String {
    db.write(move |c| outbox::enqueue(c, target, &payload))
        .await
        .unwrap()
}

async fn row(db: &Db, id: &str) -> Row {
    let id = id.to_string();
    db.read(move |c| {
        use kit_outbox::dsl as o;
        Ok(o::kit_outbox
            .filter(o::id.eq(id))
            .select((
                o::attempts,
                o::next_attempt_at,
                o::delivered_at,
                o::failed_at,
                o::last_error,
            ))
            .first::<Row>(c)?)
    })
    .await
    .unwrap()
}

/// Poll the message's row until `done` holds (or fail after `secs`).
async fn wait_for(db: &Db, id: &str, secs: u64, done: impl Fn(&Row) -> bool) -> Row {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let r = row(db, id).await;
        if done(&r) {
            return r;
        }
        assert!(Instant::now() < deadline, "message {id} still {r:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Make a delivered message due again, as if the relay had not heard the receiver's answer.
async fn redeliver(db: &Db, id: &str) {
    let id = id.to_string();
    db.write(move |c| {
        use kit_outbox::dsl as o;
        diesel::update(o::kit_outbox.filter(o::id.eq(id)))
            .set((
                o::delivered_at.eq(None::<NaiveDateTime>),
                o::next_attempt_at.eq(xs_kit::db::now()),
            ))
            .execute(c)?;
        Ok(())
    })
    .await
    .unwrap();
}

async fn create_member(t: &TestStack, name: &str) -> String {
    let r = t
        .post("/api/v1/members", &admin(), &new_member(name, "siming"))
        .await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    v["id"].as_str().unwrap().to_string()
}

fn held(member: &str, event_id: &str) -> Value {
    json!({"member": member, "type": "consultation", "date": "2026-06-01",
           "beneficiaries": 12, "source": "consultation", "source_event_id": event_id})
}

/// The member's activity records, through the gateway.
async fn activities(t: &TestStack, member: &str) -> Vec<Value> {
    let r = t
        .get(&format!("/api/v1/activities?member={member}"), &admin())
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["items"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn an_activity_is_recorded_once_however_often_it_is_delivered() {
    let t = TestStack::start().await;
    t.seed().await;
    let m = create_member(&t, "林委员").await;
    // The consultation service's own database, as its handlers would write it.
    let db = open(&t.dbs["consultation"].url);

    // The message exists exactly when the change does: a failed write leaves none.
    let event = held(&m, "consultation-1");
    let e = event.clone();
    let failed = db
        .write(move |c| -> xs_kit::ApiResult<()> {
            outbox::enqueue(c, MEMBERSHIP_ACTIVITIES, &e)?;
            Err(ApiError::Conflict(
                "the consultation could not be held".into(),
            ))
        })
        .await;
    assert!(failed.is_err());
    let pending: i64 = db
        .read(|c| Ok(kit_outbox::table.count().get_result(c)?))
        .await
        .unwrap();
    assert_eq!(pending, 0, "a rolled-back enqueue leaves no message");

    // The consultation service's relay delivers it (whole-stack mode: a locally minted token).
    let id = enqueue(&db, MEMBERSHIP_ACTIVITIES, event).await;
    let r = wait_for(&db, &id, 15, |r| r.delivered_at.is_some()).await;
    assert_eq!(r.attempts, 1);
    assert_eq!(r.last_error, None);
    let recorded = activities(&t, &m).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["source"], "consultation");
    assert_eq!(recorded[0]["source_event_id"], "consultation-1");
    assert_eq!(recorded[0]["beneficiaries"], 12);
    assert_eq!(recorded[0]["created_by"], "service:consultation");

    // Delivered again (at least once): membership answers 200 and still has one record.
    for round in 2..=3 {
        redeliver(&db, &id).await;
        let r = wait_for(&db, &id, 15, |r| r.delivered_at.is_some()).await;
        assert_eq!(r.attempts, round);
        assert_eq!(r.failed_at, None);
    }
    let again = activities(&t, &m).await;
    assert_eq!(again.len(), 1, "one record however often it arrives");
    assert_eq!(again[0]["id"], recorded[0]["id"]);
    let ev: Value = t
        .get(
            &format!("/api/v1/members/{m}/evaluation?year=2026"),
            &admin(),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ev["activities"], 1, "{ev}");
    t.stop().await;
}

#[actix_web::test]
async fn a_message_waits_while_membership_is_down_and_arrives_when_it_is_back() {
    let mut t = TestStack::start().await;
    t.seed().await;
    let m = create_member(&t, "陈委员").await;
    let db = open(&t.dbs["consultation"].url);
    let membership = t.stack.service_url("membership").unwrap();
    t.stack.stop_service("membership").await;

    let id = enqueue(&db, MEMBERSHIP_ACTIVITIES, held(&m, "consultation-2")).await;
    // Each failed attempt pushes the next one further out (1 s, 2 s, … with jitter).
    let mut seen: Vec<Row> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(40);
    while seen.len() < 3 {
        let r = row(&db, &id).await;
        // A row the relay has claimed but not yet settled carries the 60 s lease as its
        // next attempt (and the previous attempt's error); only settled rows count here.
        let settled = r.next_attempt_at < xs_kit::db::now() + chrono::Duration::seconds(30);
        if settled && r.last_error.is_some() && seen.last().is_none_or(|s| s.attempts < r.attempts)
        {
            seen.push(r);
        }
        assert!(Instant::now() < deadline, "retries stalled: {seen:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for pair in seen.windows(2) {
        assert!(pair[1].attempts > pair[0].attempts);
        assert!(
            pair[1].next_attempt_at > pair[0].next_attempt_at,
            "{seen:?}"
        );
    }
    for r in &seen {
        assert_eq!(r.delivered_at, None);
        assert_eq!(r.failed_at, None, "a target that is down is not a refusal");
        assert!(
            r.last_error
                .as_deref()
                .unwrap()
                .contains("/internal/v1/activities"),
            "{r:?}"
        );
    }

    // Membership comes back on its address; the next retry gets through.
    let addr: std::net::SocketAddr = membership.trim_start_matches("http://").parse().unwrap();
    let mut settings = xs_kit::service::Settings::new(
        addr,
        t.dbs["membership"].url.clone(),
        xs_testkit::test_key_source(),
    );
    settings.workers = 1;
    settings.pool.max_size = 4;
    let mut back = None;
    for _ in 0..50 {
        match xs_kit::service::start(&xs_membership::SPEC, settings.clone()).await {
            Ok(r) => {
                back = Some(r);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let back = back.expect("membership restarts on its address");
    let r = wait_for(&db, &id, 30, |r| r.delivered_at.is_some()).await;
    assert!(r.attempts > seen.last().unwrap().attempts);
    assert_eq!(r.failed_at, None);
    let recorded = activities(&t, &m).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["source_event_id"], "consultation-2");
    back.stop().await;
    t.stop().await;
}

/// What a fake target received.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    authorization: String,
    request_id: String,
    idempotency_key: String,
    body: Value,
}

#[derive(Default)]
struct Fake {
    received: Mutex<Vec<Received>>,
    /// Answers still to give per path before a 201.
    failures: Mutex<HashMap<String, Vec<u16>>>,
}

impl Fake {
    fn received(&self, path: &str) -> Vec<Received> {
        let all = self.received.lock().unwrap();
        all.iter().filter(|r| r.path == path).cloned().collect()
    }
}

async fn fake_target(req: HttpRequest, body: web::Bytes, fake: web::Data<Fake>) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    fake.received.lock().unwrap().push(Received {
        path: req.path().to_string(),
        authorization: header("authorization"),
        request_id: header("x-request-id"),
        idempotency_key: header("idempotency-key"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    if req.path() == "/slow" {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let next = {
        let mut failures = fake.failures.lock().unwrap();
        failures.get_mut(req.path()).and_then(|f| {
            if f.is_empty() {
                None
            } else {
                Some(f.remove(0))
            }
        })
    };
    match next {
        Some(status) => HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
            .content_type("application/problem+json")
            .body(format!(r#"{{"status":{status},"title":"no"}}"#)),
        None => HttpResponse::Created().json(json!({"ok": true})),
    }
}

async fn start_fake(failures: &[(&str, &[u16])]) -> (Running, Arc<Fake>) {
    let fake = web::Data::new(Fake::default());
    *fake.failures.lock().unwrap() = failures
        .iter()
        .map(|(p, s)| (p.to_string(), s.to_vec()))
        .collect();
    let shared = fake.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(fake.clone())
            .default_service(web::to(fake_target))
    })
    .workers(2)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    (Running::spawn("fake", addr, server), shared.into_inner())
}

fn relay(db: &Db, service: &'static str, targets: Targets, tokens: ServiceTokens) -> RelayHandle {
    let client = ServiceClient::new(service, ClientConfig::new(targets, tokens)).unwrap();
    let config = RelayConfig {
        poll_interval: Duration::from_millis(100),
        ..RelayConfig::default()
    };
    outbox::spawn_relay(db.clone(), service, client, config).unwrap()
}

fn local_tokens() -> ServiceTokens {
    ServiceTokens::Local(xs_testkit::test_signing_key())
}

#[actix_web::test]
async fn errors_are_retried_and_refusals_fail_for_good() {
    let (fake, seen) = start_fake(&[("/flaky", &[503, 502, 429]), ("/refuse", &[422])]).await;
    let test_db = TestDb::fresh();
    let db = kit_db(&test_db).await;
    let targets = Targets::new();
    targets.set("fake", vec![fake.url()]);
    let handle = relay(&db, "reports", targets, local_tokens());

    let flaky = enqueue(&db, "fake:/flaky", json!({"source_event_id": "r-1"})).await;
    let refused = enqueue(&db, "fake:/refuse", json!({"source_event_id": "r-2"})).await;
    handle.notifier().notify();

    let r = wait_for(&db, &flaky, 20, |r| r.delivered_at.is_some()).await;
    assert_eq!(r.attempts, 4, "three failures, then delivered");
    // The last failure stays on record after the delivery.
    assert!(r.last_error.as_deref().unwrap().contains("429"), "{r:?}");
    let got = seen.received("/flaky");
    assert_eq!(got.len(), 4);
    for g in &got {
        assert_eq!(g.body, json!({"source_event_id": "r-1"}));
        assert_eq!(
            g.request_id, flaky,
            "the message id travels as the request id"
        );
        assert_eq!(g.idempotency_key, flaky);
        let token = g.authorization.strip_prefix("Bearer ").unwrap();
        let verifier = xs_kit::auth::Verifier::new(
            xs_testkit::test_key_source(),
            xs_kit::service::DEFAULT_ISSUER,
            xs_kit::service::DEFAULT_AUDIENCE,
        );
        let claims = verifier.verify(token).await.unwrap();
        assert_eq!(claims.sub, "service:reports");
        assert_eq!(claims.roles, [Role::Service]);
        assert!(claims.exp - claims.iat <= 300, "a short-lived token");
    }
    assert_eq!(
        got.iter()
            .map(|g| &g.authorization)
            .collect::<std::collections::HashSet<_>>()
            .len(),
        1,
        "the token is cached between attempts"
    );

    let r = wait_for(&db, &refused, 10, |r| r.failed_at.is_some()).await;
    assert_eq!(r.attempts, 1);
    assert_eq!(r.delivered_at, None);
    assert!(r.last_error.as_deref().unwrap().contains("422"), "{r:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        seen.received("/refuse").len(),
        1,
        "a refusal is not retried"
    );

    // A stopped relay sends nothing more; the message waits for the next one.
    handle.stop().await;
    let later = enqueue(&db, "fake:/later", json!({"n": 1})).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(seen.received("/later").is_empty());
    assert_eq!(row(&db, &later).await.attempts, 0);
    let targets = Targets::new();
    targets.set("fake", vec![fake.url()]);
    let handle = relay(&db, "reports", targets, local_tokens());
    wait_for(&db, &later, 10, |r| r.delivered_at.is_some()).await;
    handle.stop().await;
    fake.stop().await;
}

#[actix_web::test]
async fn a_target_without_an_address_is_retried_until_it_has_one() {
    let (fake, seen) = start_fake(&[]).await;
    let test_db = TestDb::fresh();
    let db = kit_db(&test_db).await;
    let targets = Targets::new();
    // First a closed port, then nothing configured, then the real address.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    targets.set("fake", vec![closed_url]);
    let handle = relay(&db, "liaison", targets.clone(), local_tokens());
    let id = enqueue(&db, "fake:/x", json!({"k": 1})).await;
    let r = wait_for(&db, &id, 10, |r| r.attempts >= 1 && r.last_error.is_some()).await;
    assert_eq!(r.failed_at, None);
    targets.set("fake", vec![]);
    let r = wait_for(&db, &id, 10, |r| {
        r.last_error
            .as_deref()
            .is_some_and(|e| e.contains("no URL is configured for service fake"))
    })
    .await;
    assert_eq!(r.failed_at, None);
    targets.set("fake", vec![fake.url()]);
    wait_for(&db, &id, 20, |r| r.delivered_at.is_some()).await;
    assert_eq!(seen.received("/x").len(), 1);
    handle.stop().await;
    fake.stop().await;
}

#[actix_web::test]
async fn two_relays_on_one_database_send_each_message_once() {
    let (fake, seen) = start_fake(&[]).await;
    let test_db = TestDb::fresh();
    let db = kit_db(&test_db).await;
    // Two replicas of one service: separate pools (and, on SQLite, separate write locks).
    let (a, b) = (open(&test_db.url), open(&test_db.url));
    let targets = Targets::new();
    targets.set("fake", vec![fake.url()]);
    let mut ids = Vec::new();
    for n in 0..40 {
        ids.push(enqueue(&db, "fake:/slow", json!({"n": n})).await);
    }
    let relays = [
        relay(&a, "reports", targets.clone(), local_tokens()),
        relay(&b, "reports", targets.clone(), local_tokens()),
    ];
    for id in &ids {
        let r = wait_for(&db, id, 30, |r| r.delivered_at.is_some()).await;
        assert_eq!(r.attempts, 1, "claimed once");
    }
    let got = seen.received("/slow");
    let mut per_message: HashMap<String, usize> = HashMap::new();
    for g in &got {
        *per_message.entry(g.idempotency_key.clone()).or_default() += 1;
    }
    assert_eq!(per_message.len(), 40);
    assert!(per_message.values().all(|n| *n == 1), "{per_message:?}");
    for r in relays {
        r.stop().await;
    }
    fake.stop().await;
}

#[actix_web::test]
async fn a_service_client_gets_its_token_from_the_gateway() {
    let t = TestStack::start().await;
    t.seed().await;
    let m = create_member(&t, "黄委员").await;
    // One-role mode: an admin creates a client holding `service` for the reports service.
    let r = t
        .post(
            "/api/v1/clients",
            &admin(),
            &json!({"name": "reports service", "roles": ["service"]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let client: Value = r.json().await.unwrap();
    let tokens = |secret: &str| ServiceTokens::ClientCredentials {
        token_url: t.url("/auth/token"),
        client_id: client["client_id"].as_str().unwrap().to_string(),
        client_secret: secret.to_string(),
    };
    let test_db = TestDb::fresh();
    let db = kit_db(&test_db).await;
    let targets = Targets::new();
    targets.set(
        "membership",
        vec![t.stack.service_url("membership").unwrap()],
    );

    // A wrong secret: no token, so nothing is sent and the message waits.
    let wrong = relay(&db, "reports", targets.clone(), tokens("wrong-secret"));
    let mut event = held(&m, "report-9");
    event["type"] = json!("report_adopted");
    event["source"] = json!("reports");
    let id = enqueue(&db, MEMBERSHIP_ACTIVITIES, event).await;
    let r = wait_for(&db, &id, 10, |r| r.last_error.is_some()).await;
    assert!(
        r.last_error
            .as_deref()
            .unwrap()
            .contains("no service token"),
        "{r:?}"
    );
    assert_eq!((r.delivered_at, r.failed_at), (None, None));
    wrong.stop().await;

    let right = relay(
        &db,
        "reports",
        targets,
        tokens(client["client_secret"].as_str().unwrap()),
    );
    redeliver(&db, &id).await;
    right.notifier().notify();
    wait_for(&db, &id, 15, |r| r.delivered_at.is_some()).await;
    let recorded = activities(&t, &m).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["source"], "reports");
    assert_eq!(
        recorded[0]["created_by"], client["id"],
        "the client is the caller"
    );
    right.stop().await;
    t.stop().await;
}
