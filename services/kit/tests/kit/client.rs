//! Calls between services through the kit's `ServiceClient`: a reference found, a reference
//! missing (the caller's field error), the other service down or failing (503 naming it), and
//! replicas (one down or failing, the other answers).

use crate::common::*;
use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use xs_kit::ApiError;
use xs_kit::client::{ClientConfig, ServiceClient, ServiceTokens, Targets};
use xs_kit::service::Running;
use xs_testkit::{admin, fields, problem};

/// An address nothing listens on.
fn closed_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    url
}

/// A replica that answers every request with `status`, counting them.
async fn failing_replica(status: u16) -> (Running, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = web::Data::from(hits.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(counter.clone())
            .default_service(web::to(move |n: web::Data<AtomicUsize>| async move {
                n.fetch_add(1, Ordering::SeqCst);
                HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                    .content_type("application/problem+json")
                    .body(format!(r#"{{"status":{status},"title":"no"}}"#))
            }))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    (Running::spawn("failing", addr, server), hits)
}

fn client_for(service: &str, urls: Vec<String>) -> ServiceClient {
    let targets = Targets::new();
    targets.set(service, urls);
    ServiceClient::new(
        "reports",
        ClientConfig::new(
            targets,
            ServiceTokens::Local(xs_testkit::test_signing_key()),
        ),
    )
    .unwrap()
}

async fn create_note(t: &TestStack, title: &str) -> String {
    let r = t.post("/api/v1/notes", &admin(), &note(title)).await;
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[actix_web::test]
async fn a_reference_is_found_or_is_the_callers_field_error() {
    let t = start().await;
    let id = create_note(&t, "议题").await;

    let client = client_for("notebook", vec![t.service_url()]);
    let found: Option<Value> = client
        .get_json("notebook", &format!("/internal/v1/notes/{id}"))
        .await
        .unwrap();
    let found = found.expect("the note is found");
    assert_eq!(found["title"], "议题");
    let missing: Option<Value> = client
        .get_json("notebook", "/internal/v1/notes/none")
        .await
        .unwrap();
    assert_eq!(missing, None);

    // The same from inside a service: its own client (app data, built by service::start).
    let r = t
        .get(&format!("/api/v1/lookups/notebook/{id}"), &admin())
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["id"], id.as_str());
    let r = t.get("/api/v1/lookups/notebook/none", &admin()).await;
    assert_eq!(fields(&problem(r, 400).await), ["id"]);
    t.stop().await;
}

#[actix_web::test]
async fn another_service_down_or_failing_is_a_503_naming_it() {
    let t = start().await;
    // Down: nothing listens.
    t.targets.set("consultation", vec![closed_url()]);
    let r = t.get("/api/v1/lookups/consultation/x", &admin()).await;
    assert!(r.headers().contains_key("retry-after"));
    let p = problem(r, 503).await;
    assert!(
        p["detail"].as_str().unwrap().contains("consultation"),
        "{p}"
    );
    // Not configured at all.
    let r = t.get("/api/v1/lookups/liaison/x", &admin()).await;
    let p = problem(r, 503).await;
    assert!(p["detail"].as_str().unwrap().contains("liaison"), "{p}");
    // Up but failing: one replica answering 500 is asked once, then the caller gets a 503.
    let (failing, hits) = failing_replica(500).await;
    t.targets.set("reports", vec![failing.url()]);
    let r = t.get("/api/v1/lookups/reports/x", &admin()).await;
    let p = problem(r, 503).await;
    assert!(p["detail"].as_str().unwrap().contains("reports"), "{p}");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "a lone failing replica is not asked twice"
    );

    // A client built without peers answers 503 to everything.
    let lone = ServiceClient::unconfigured().unwrap();
    let e = lone.get_json::<Value>("notebook", "/x").await.unwrap_err();
    assert!(
        matches!(e, ApiError::Unavailable(ref m) if m.contains("notebook")),
        "{e:?}"
    );
    let e = lone.member("m-1").await.unwrap_err();
    assert!(
        matches!(e, ApiError::Unavailable(ref m) if m.contains("membership")),
        "{e:?}"
    );
    failing.stop().await;
    t.stop().await;
}

#[actix_web::test]
async fn when_one_replica_is_down_or_failing_the_other_answers() {
    let t = start().await;
    let id = create_note(&t, "轮值").await;
    let (failing, hits) = failing_replica(503).await;
    // Whichever replica a call starts on, it gets its answer.
    for replicas in [
        vec![closed_url(), t.service_url()],
        vec![t.service_url(), closed_url()],
        vec![failing.url(), t.service_url()],
    ] {
        t.targets.set("notebook", replicas.clone());
        for _ in 0..4 {
            let r = t
                .get(&format!("/api/v1/lookups/notebook/{id}"), &admin())
                .await;
            assert_eq!(r.status(), 200, "{replicas:?}");
        }
        let client = client_for("notebook", replicas.clone());
        for _ in 0..4 {
            let found: Option<Value> = client
                .get_json("notebook", &format!("/internal/v1/notes/{id}"))
                .await
                .unwrap();
            assert!(found.is_some(), "{replicas:?}");
        }
    }
    assert!(
        hits.load(Ordering::SeqCst) >= 1,
        "the failing replica was tried, and its 503 retried on the other"
    );
    // Both replicas down: 503.
    t.targets.set("notebook", vec![closed_url(), closed_url()]);
    let r = t
        .get(&format!("/api/v1/lookups/notebook/{id}"), &admin())
        .await;
    problem(r, 503).await;
    failing.stop().await;
    t.stop().await;
}
