//! The internal endpoints other services call through the kit's `ServiceClient`: a report's
//! reference, and drafts opened on their behalf (a liaison suggestion becoming a report).

use crate::common::*;
use serde_json::json;
use xs_kit::Role;
use xs_kit::client::{ClientConfig, ServiceClient, ServiceTokens, Targets};
use xs_kit::contracts::{DraftReportRequest, REPORTS_DRAFTS, ReportRef};

/// The client the liaison service would hold, pointed at this reports service.
fn liaison_client(t: &TestStack) -> ServiceClient {
    let targets = Targets::new();
    targets.set("reports", vec![t.service_url()]);
    ServiceClient::new(
        "liaison",
        ClientConfig::new(
            targets,
            ServiceTokens::Local(xs_testkit::test_signing_key()),
        ),
    )
    .unwrap()
}

fn draft(authors: Vec<String>) -> DraftReportRequest {
    DraftReportRequest {
        title: "台青创业座谈会建议".into(),
        body: "建议简化台青创业补贴申请流程。".into(),
        category: "cross_strait".into(),
        district: "siming".into(),
        authors,
        source_channel: "liaison_event".into(),
        reception: None,
        liaison_event: Some("ev-1".into()),
        liaison_suggestion: Some("sug-siming".into()),
        requested_by: "user-liaison-officer".into(),
    }
}

#[actix_web::test]
async fn a_liaison_suggestion_becomes_a_draft_once_and_is_referenced() {
    let t = TestStack::start().await;
    let s = t.seed().await;
    let fake = fake_sources(&t).await;
    let client = liaison_client(&t);

    let made: ReportRef = client
        .post_json(
            "reports",
            REPORTS_DRAFTS,
            &draft(vec![s.a.clone()]),
            "sug-siming-1",
        )
        .await
        .unwrap();
    assert_eq!(made.status, "draft");
    assert_eq!(made.district, "siming");
    // Retried with the same key: the same draft.
    let again: ReportRef = client
        .post_json(
            "reports",
            REPORTS_DRAFTS,
            &draft(vec![s.a.clone()]),
            "sug-siming-1",
        )
        .await
        .unwrap();
    assert_eq!(again, made);
    let list = t.json("/api/v1/reports", &admin()).await;
    assert_eq!(ids(&list), std::slice::from_ref(&made.id), "one draft");
    // Recorded as the requester's, with both links kept; its author reads it.
    let v = t
        .json(
            &format!("/api/v1/reports/{}", made.id),
            &member_token(&s.a, "siming"),
        )
        .await;
    assert_eq!(v["created_by"], "user-liaison-officer");
    assert_eq!(v["liaison_event"], "ev-1");
    assert_eq!(v["liaison_suggestion"], "sug-siming");
    assert_eq!(v["source_channel"], "liaison_event");
    let h = t
        .json(&format!("/api/v1/reports/{}/history", made.id), &admin())
        .await;
    assert_eq!(h["items"][0]["details"]["via"], "service:liaison");

    // A reception becomes a draft the same way.
    let mut from_reception = draft(vec![s.b.clone()]);
    from_reception.source_channel = "reception".into();
    from_reception.liaison_event = None;
    from_reception.liaison_suggestion = None;
    from_reception.reception = Some("rec-siming".into());
    let r: ReportRef = client
        .post_json("reports", REPORTS_DRAFTS, &from_reception, "rec-siming-1")
        .await
        .unwrap();
    let v = t.json(&format!("/api/v1/reports/{}", r.id), &admin()).await;
    assert_eq!(v["reception"], "rec-siming");
    assert_eq!(v["source_channel"], "reception");
    assert_eq!(v["authors"][0]["name"], "陈委员");

    // The reference check, and a report that does not exist.
    assert_eq!(client.report(&made.id).await.unwrap(), Some(made.clone()));
    assert_eq!(client.report("nope").await.unwrap(), None);

    // Authors and links are checked: 422 naming the field.
    let e = client
        .post_json::<_, ReportRef>("reports", REPORTS_DRAFTS, &draft(vec![s.h.clone()]), "k2")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("authors[0]"), "{e}");
    let mut other = draft(vec![s.a.clone()]);
    other.liaison_suggestion = Some("sug-none".into());
    let e = client
        .post_json::<_, ReportRef>("reports", REPORTS_DRAFTS, &other, "k3")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("liaison_suggestion"), "{e}");
    let mut bad = draft(vec![s.a.clone()]);
    bad.source_channel = "hotline".into();
    let e = client
        .post_json::<_, ReportRef>("reports", REPORTS_DRAFTS, &bad, "k4")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("source_channel"), "{e}");

    // Service tokens only, and not through the gateway.
    let r = t
        .client
        .get(format!(
            "{}/internal/v1/reports/{}",
            t.service_url(),
            made.id
        ))
        .bearer_auth(admin())
        .send()
        .await
        .unwrap();
    problem(r, 403).await;
    let r = t
        .client
        .post(format!("{}/internal/v1/reports/drafts", t.service_url()))
        .bearer_auth(token("u", &[Role::OfficeStaff], Some("siming")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(matches!(r.status().as_u16(), 400 | 403));
    let r = t
        .get(&format!("/internal/v1/reports/{}", made.id), &admin())
        .await;
    assert_eq!(r.status(), 404);
    fake.stop(true).await;
    t.stop().await;
}
