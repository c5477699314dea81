//! Suggestions raised at events and their link to a draft report in the reports service,
//! which is faked here: a tiny server that records what it received and answers a ReportRef.

use crate::common::*;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use xs_kit::service::Running;

#[derive(Default)]
struct FakeReports {
    /// (Idempotency-Key, body) of each draft asked for.
    received: Mutex<Vec<(String, Value)>>,
}

async fn draft(
    req: HttpRequest,
    body: web::Json<Value>,
    fake: web::Data<FakeReports>,
) -> HttpResponse {
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let authorised = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    if !authorised {
        return HttpResponse::Unauthorized().finish();
    }
    let mut received = fake.received.lock().unwrap();
    received.push((key.clone(), body.0.clone()));
    // The same key opens the same draft, as the real service does.
    let n = received.iter().position(|(k, _)| *k == key).unwrap_or(0) + 1;
    HttpResponse::Created().json(json!({
        "id": format!("report-{n}"), "title": body["title"], "district": body["district"],
        "status": "draft"
    }))
}

async fn start_fake() -> (Running, Arc<FakeReports>) {
    let fake = web::Data::new(FakeReports::default());
    let shared = fake.clone().into_inner();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(fake.clone())
            .route("/internal/v1/reports/drafts", web::post().to(draft))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    (Running::spawn("reports", addr, server), shared)
}

/// A held symposium of huli organised by two members, with one suggestion: (event, suggestion,
/// organisers).
async fn held_with_suggestion(t: &TestStack) -> (String, String, Vec<String>) {
    let organisers = vec![
        t.member("陈委员", "huli").await,
        t.member("黄委员", "huli").await,
    ];
    let e = t
        .event(&new_event("huli", "symposium", 1, None, &organisers))
        .await;
    let body = json!({"title": "台青创业补贴", "body": "建议简化台青创业补贴申领流程", "raised_by": "台青代表"});
    // Not before the event is held.
    let r = t
        .post(
            &format!("/api/v1/liaison-events/{e}/suggestions"),
            &staff("huli"),
            &body,
        )
        .await;
    problem(r, 409).await;
    t.drive(&e, &["hold"]).await;
    let s = json_of(
        t.post(
            &format!("/api/v1/liaison-events/{e}/suggestions"),
            &staff("huli"),
            &body,
        )
        .await,
        201,
    )
    .await;
    assert_eq!(s["report"], Value::Null);
    (e, id(&s), organisers)
}

#[actix_web::test]
async fn a_suggestion_becomes_one_draft_report_and_keeps_the_link() {
    let t = TestStack::start().await;
    let (fake, seen) = start_fake().await;
    t.targets.set("reports", vec![fake.url()]);
    let (e, s, organisers) = held_with_suggestion(&t).await;
    let path = format!("/api/v1/liaison-events/{e}/suggestions/{s}/to-report");

    problem(t.post(&path, &staff("siming"), &json!({})).await, 403).await;
    let linked = json_of(t.post(&path, &staff("huli"), &json!({})).await, 201).await;
    assert_eq!(linked["report"], "report-1");
    {
        let received = seen.received.lock().unwrap();
        assert_eq!(received.len(), 1);
        let (key, body) = &received[0];
        assert_eq!(key, &format!("liaison-suggestion-{s}"));
        assert_eq!(body["title"], "台青创业补贴");
        assert_eq!(body["category"], "cross_strait");
        assert_eq!(body["district"], "huli");
        assert_eq!(body["authors"], json!(organisers));
        assert_eq!(body["source_channel"], "liaison_event");
        assert_eq!(body["liaison_event"], e.as_str());
        assert_eq!(body["liaison_suggestion"], s.as_str());
        assert_eq!(body["requested_by"], "staff-huli");
    }
    // Asked again: the same link, and no second report.
    let again = json_of(
        t.post(&path, &admin(), &json!({"title": "另一个标题"}))
            .await,
        200,
    )
    .await;
    assert_eq!(again["report"], "report-1");
    assert_eq!(seen.received.lock().unwrap().len(), 1);
    let list = json_of(
        t.get(
            &format!("/api/v1/liaison-events/{e}/suggestions"),
            &member_token(&organisers[0], "huli"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(list["items"][0]["report"], "report-1");

    // The internal reference, for services only.
    let internal = format!("{}/internal/v1/liaison-suggestions/{s}", t.service_url());
    let service = token("service:reports", &[Role::Service], None);
    let r = t
        .client
        .get(&internal)
        .bearer_auth(&service)
        .send()
        .await
        .unwrap();
    let v = json_of(r, 200).await;
    assert_eq!(
        v,
        json!({"id": s, "event": e, "district": "huli", "report": "report-1"})
    );
    let r = t
        .client
        .get(&internal)
        .bearer_auth(staff("huli"))
        .send()
        .await
        .unwrap();
    problem(r, 403).await;
    let r = t
        .client
        .get(format!(
            "{}/internal/v1/liaison-suggestions/nope",
            t.service_url()
        ))
        .bearer_auth(&service)
        .send()
        .await
        .unwrap();
    problem(r, 404).await;
    fake.stop().await;
    t.stop().await;
}

#[actix_web::test]
async fn reports_down_is_a_503_and_nothing_is_written() {
    let t = TestStack::start().await;
    let (e, s, _) = held_with_suggestion(&t).await;
    let path = format!("/api/v1/liaison-events/{e}/suggestions/{s}/to-report");
    // Nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    t.targets.set("reports", vec![dead]);
    let p = problem(t.post(&path, &staff("huli"), &json!({})).await, 503).await;
    assert!(p["detail"].as_str().unwrap().contains("reports"), "{p}");
    let list = json_of(
        t.get(
            &format!("/api/v1/liaison-events/{e}/suggestions"),
            &staff("huli"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(list["items"][0]["report"], Value::Null);
    assert_eq!(list["items"][0]["version"], 1, "nothing half-written");

    // When it is back, the same request links the suggestion.
    let (fake, seen) = start_fake().await;
    t.targets.set("reports", vec![fake.url()]);
    let linked = json_of(
        t.post(&path, &staff("huli"), &json!({"category": "economy"}))
            .await,
        201,
    )
    .await;
    assert_eq!(linked["report"], "report-1");
    assert_eq!(seen.received.lock().unwrap()[0].1["category"], "economy");
    fake.stop().await;
    t.stop().await;
}

#[actix_web::test]
async fn the_real_reports_service_opens_one_draft_for_a_suggestion() {
    // Liaison, membership and the reports service itself: the reports service checks the
    // authors with membership and the suggestion with liaison's internal endpoint.
    let t = TestStack(
        xs_testkit::TestStack::with_peers(
            &xs_liaison::SPEC,
            &[&xs_membership::SPEC, &xs_reports::SPEC],
        )
        .await,
    );
    t.seed().await;
    let (e, s, organisers) = held_with_suggestion(&t).await;
    let path = format!("/api/v1/liaison-events/{e}/suggestions/{s}/to-report");
    let linked = json_of(t.post(&path, &staff("huli"), &json!({})).await, 201).await;
    let report = linked["report"].as_str().unwrap().to_string();
    let again = json_of(t.post(&path, &admin(), &json!({})).await, 200).await;
    assert_eq!(again["report"], report.as_str());

    let r = json_of(
        t.get(&format!("/api/v1/reports/{report}"), &admin()).await,
        200,
    )
    .await;
    assert_eq!(r["status"], "draft");
    assert_eq!(r["category"], "cross_strait");
    assert_eq!(r["source_channel"], "liaison_event");
    assert_eq!(r["liaison_event"], e.as_str());
    assert_eq!(r["liaison_suggestion"], s.as_str());
    assert_eq!(r["district"], "huli");
    let authors: Vec<&str> = r["authors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["member_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        authors,
        organisers.iter().map(String::as_str).collect::<Vec<_>>()
    );
    t.stop().await;
}
