//! The merged events feed through the gateway (`GET /api/v1/events`): writers in all four
//! services run while a dashboard pages the feed with a small limit; every committed change
//! appears exactly once, each resource's changes in order. Also: who may read it, district
//! scope, type filters, malformed cursors, and masked personal data.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use xs_kit::Role;
use xs_testkit::{staff, token};

fn integrator() -> String {
    token("integrator-1", &[Role::Integrator], None)
}

async fn created(t: &TestStack, path: &str, body: Value) -> String {
    let r = t.post(path, &admin(), &body).await;
    assert_eq!(r.status(), 201, "{path}: {}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    v["id"].as_str().unwrap().to_string()
}

async fn feed(t: &TestStack, query: &str, tok: &str) -> Value {
    let r = t.get(&format!("/api/v1/events?{query}"), tok).await;
    assert_eq!(r.status(), 200, "{query}: {}", r.text().await.unwrap());
    r.json().await.unwrap()
}

/// Page the whole feed from `after`: the items and the last cursor.
async fn drain(t: &TestStack, query: &str, tok: &str, mut after: String) -> (Vec<Value>, String) {
    let mut items = Vec::new();
    loop {
        let page = feed(t, &format!("{query}&after={after}"), tok).await;
        assert_eq!(page["unavailable"], json!([]));
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        after = page["next_cursor"].as_str().unwrap().to_string();
        if !page["has_more"].as_bool().unwrap() {
            return (items, after);
        }
    }
}

/// What the writers did: (subject, event type) in the order each resource changed.
type Changes = Arc<tokio::sync::Mutex<Vec<(String, String)>>>;

async fn membership_writer(t: Arc<TestStack>, n: usize, log: Changes) {
    for i in 0..n {
        let district = if i % 2 == 0 { "siming" } else { "huli" };
        let id = created(
            &t,
            "/api/v1/members",
            json!({"name": format!("委员{i}"), "gender": "female", "district": district,
                   "phone": "13812341234"}),
        )
        .await;
        let subject = format!("/api/v1/members/{id}");
        log.lock()
            .await
            .push((subject.clone(), "member.created".into()));
        let r = t
            .req(Method::PATCH, &subject, &admin())
            .header("If-Match", "\"1\"")
            .json(&json!({"affiliation": "民盟"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        log.lock().await.push((subject, "member.updated".into()));
    }
}

async fn consultation_writer(t: Arc<TestStack>, n: usize, log: Changes) {
    for i in 0..n {
        let id = created(
            &t,
            "/api/v1/topics",
            json!({"title": format!("停车难{i}"), "description": "居民反映较多", "district": "siming",
                   "subdistrict": "jialian", "category": "livelihood", "origin": "assigned"}),
        )
        .await;
        let subject = format!("/api/v1/topics/{id}");
        log.lock()
            .await
            .push((subject.clone(), "topic.created".into()));
        let r = t
            .post(
                &format!("{subject}/transitions"),
                &admin(),
                &json!({"action": "decline", "reason": "已由街道处理"}),
            )
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        log.lock()
            .await
            .push((subject, "topic.status_changed".into()));
    }
}

async fn reports_writer(t: Arc<TestStack>, n: usize, author: String, log: Changes) {
    for i in 0..n {
        let id = created(
            &t,
            "/api/v1/reports",
            json!({"title": format!("关于加装电梯的建议{i}"), "body": "社区居民反映的情况和建议。",
                   "category": "livelihood", "district": "siming",
                   "source_channel": "member_research", "authors": [author]}),
        )
        .await;
        log.lock()
            .await
            .push((format!("/api/v1/reports/{id}"), "report.created".into()));
    }
}

async fn liaison_writer(t: Arc<TestStack>, n: usize, log: Changes) {
    for i in 0..n {
        let id = created(
            &t,
            "/api/v1/liaison-events",
            json!({"kind": "lecture", "title": format!("两岸青年座谈会{i}"), "district": "huli",
                   "starts_at": "2026-03-01T10:00:00Z", "place": "湖里区台胞驿站"}),
        )
        .await;
        log.lock().await.push((
            format!("/api/v1/liaison-events/{id}"),
            "liaison_event.planned".into(),
        ));
    }
}

#[actix_web::test]
async fn every_committed_change_appears_once_while_writers_run_in_four_services() {
    let t = TestStack::start().await;
    t.seed().await;
    let author = created(
        &t,
        "/api/v1/members",
        json!({"name": "作者", "gender": "male", "district": "siming"}),
    )
    .await;
    // Start after what the seed wrote.
    let (_, start) = drain(&t, "limit=50", &integrator(), String::new()).await;
    let t = Arc::new(t);
    let log: Changes = Arc::default();
    const N: usize = 6;
    let writers = vec![
        tokio::spawn(membership_writer(t.clone(), N, log.clone())),
        tokio::spawn(consultation_writer(t.clone(), N, log.clone())),
        tokio::spawn(reports_writer(t.clone(), N, author, log.clone())),
        tokio::spawn(liaison_writer(t.clone(), N, log.clone())),
    ];
    // Page with a small limit while they write, then once more after they finished.
    let mut items = Vec::new();
    let mut after = start;
    loop {
        let finished = writers.iter().all(|w| w.is_finished());
        let page = feed(&t, &format!("limit=3&after={after}"), &integrator()).await;
        assert_eq!(page["unavailable"], json!([]));
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        after = page["next_cursor"].as_str().unwrap().to_string();
        if finished && !page["has_more"].as_bool().unwrap() {
            break;
        }
    }
    for w in writers {
        w.await.unwrap();
    }
    let log = log.lock().await.clone();
    assert_eq!(log.len(), N * 2 + N * 2 + N + N);

    // Exactly once: no id twice, and exactly the writers' changes.
    let ids: HashSet<&str> = items.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), items.len(), "an event was served twice");
    let mut got: Vec<(String, String)> = items
        .iter()
        .map(|e| {
            (
                e["subject"].as_str().unwrap().to_string(),
                e["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut want = log.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want, "the feed is not exactly the committed changes");

    // One resource's changes in the order they happened.
    let mut order: HashMap<String, Vec<String>> = HashMap::new();
    for e in &items {
        order
            .entry(e["subject"].as_str().unwrap().to_string())
            .or_default()
            .push(e["type"].as_str().unwrap().to_string());
    }
    for (subject, types) in &order {
        if subject.starts_with("/api/v1/members/") {
            assert_eq!(types, &["member.created", "member.updated"], "{subject}");
        }
        if subject.starts_with("/api/v1/topics/") {
            assert_eq!(
                types,
                &["topic.created", "topic.status_changed"],
                "{subject}"
            );
        }
    }
    // Each event names its service, and the envelope is whole.
    for e in &items {
        let service = e["service"].as_str().unwrap();
        let subject = e["subject"].as_str().unwrap();
        let expected = match subject.split('/').nth(3).unwrap() {
            "members" => "membership",
            "topics" => "consultation",
            "reports" => "reports",
            "liaison-events" => "liaison",
            other => panic!("unexpected subject {other}"),
        };
        assert_eq!(service, expected);
        assert!(e["occurred_at"].as_str().unwrap().ends_with('Z'));
        assert!(e["district"].is_string() && e["data"].is_object());
    }
    // Phones are masked in members' events.
    let member = items
        .iter()
        .find(|e| e["type"] == "member.created")
        .unwrap();
    assert_eq!(member["data"]["phone"], "138****1234");
    assert_eq!(member["data"]["phone_masked"], true);

    // A report before acceptance is its authors' and the office's: its events carry no text.
    let report = items
        .iter()
        .find(|e| e["type"] == "report.created")
        .unwrap();
    assert_eq!(report["data"]["status"], "draft");
    assert!(report["data"].get("title").is_none() && report["data"].get("body").is_none());
    assert!(report["data"].get("authors").is_none());

    // Nothing more, and asking again from the last cursor repeats nothing.
    let again = feed(&t, &format!("limit=3&after={after}"), &integrator()).await;
    assert_eq!(again["items"], json!([]));
    assert_eq!(again["has_more"], false);
    assert_eq!(again["next_cursor"], after.as_str());
}

#[actix_web::test]
async fn the_feed_is_scoped_filtered_and_refuses_what_it_should() {
    let t = TestStack::start().await;
    t.seed().await;
    for (name, district) in [("甲", "siming"), ("乙", "huli"), ("丙", "huli")] {
        created(
            &t,
            "/api/v1/members",
            json!({"name": name, "gender": "female", "district": district}),
        )
        .await;
    }
    let districts = |items: &[Value]| -> Vec<String> {
        items
            .iter()
            .map(|e| e["district"].as_str().unwrap().to_string())
            .collect()
    };
    // Office staff read their own district only, whatever they leave out.
    let (huli, _) = drain(&t, "limit=2", &staff("huli"), String::new()).await;
    assert_eq!(districts(&huli), ["huli", "huli"]);
    let p = problem(
        t.get("/api/v1/events?district=siming", &staff("huli"))
            .await,
        403,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("siming"), "{p}");
    // A dashboard bound to a district likewise; an unbound one and admins read citywide.
    let dash = token("dash-1", &[Role::Dashboard], Some("siming"));
    let (siming, _) = drain(&t, "limit=10", &dash, String::new()).await;
    assert_eq!(districts(&siming), ["siming"]);
    let (all, _) = drain(&t, "limit=10", &admin(), String::new()).await;
    assert_eq!(all.len(), 3);
    let (narrowed, _) = drain(&t, "limit=10&district=huli", &integrator(), String::new()).await;
    assert_eq!(districts(&narrowed), ["huli", "huli"]);
    // Types.
    let (none, _) = drain(&t, "limit=10&types=report.adopted", &admin(), String::new()).await;
    assert!(none.is_empty());
    let (members, _) = drain(
        &t,
        "limit=10&types=member.created,report.adopted",
        &admin(),
        String::new(),
    )
    .await;
    assert_eq!(members.len(), 3);
    // Who may not read it.
    for tok in [
        token("m-1", &[Role::Member], Some("siming")),
        token("r-1", &[Role::Resident], None),
        token("c-1", &[Role::Coordinator], Some("siming")),
    ] {
        problem(t.get("/api/v1/events", &tok).await, 403).await;
    }
    let r = t.client.get(t.url("/api/v1/events")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    // Malformed input names the field: 400 where the document's schema refuses it...
    for (query, field) in [
        ("after=not%20a%20cursor!", "after"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("types=Topic.Created", "types"),
        ("types=topic", "types"),
        ("types=topic.created,", "types"),
        ("types=%20topic.created", "types"),
        ("types=topic.deleted", "types"),
    ] {
        let p = problem(
            t.get(&format!("/api/v1/events?{query}"), &admin()).await,
            400,
        )
        .await;
        assert!(
            xs_testkit::fields(&p).contains(&field.to_string()),
            "{query}: {p}"
        );
    }
    problem(t.get("/api/v1/events?colour=red", &admin()).await, 400).await;
    // ... and 422 where it admits it: a cursor of the right shape this feed did not give out.
    let p = problem(
        t.get("/api/v1/events?after=not-a-cursor", &admin()).await,
        422,
    )
    .await;
    assert_eq!(xs_testkit::fields(&p), ["after"], "{p}");
}

/// The feed's `types` and webhooks' `event_types` take the catalogue `xs_kit::events::TYPES`
/// (an enum in the documents): every type a lifecycle or a handler raises must be in it.
#[test]
fn every_event_type_raised_is_in_the_catalogue() {
    use xs_kit::lifecycle::event_types;
    let mut raised = std::collections::BTreeSet::new();
    raised.extend(
        event_types::<xs_membership::domain::workroom::WorkroomStatus>(
            "apply",
            &[true, false].map(|passed| xs_membership::domain::workroom::Guards {
                inspection_passed: passed,
                missing_essentials: vec![],
            }),
        ),
    );
    raised.extend(event_types::<xs_consultation::domain::topic::TopicStatus>(
        "raise",
        &[(true, true), (true, false), (false, true), (false, false)].map(
            |(by_consultation, has_claimants)| xs_consultation::domain::topic::Guards {
                by_consultation,
                has_claimants,
            },
        ),
    ));
    raised.extend(event_types::<
        xs_consultation::domain::consultation::ConsultationStatus,
    >("plan", &[()]));
    raised.extend(event_types::<
        xs_consultation::domain::mediation::MediationStatus,
    >("receive", &[()]));
    raised.extend(event_types::<xs_reports::domain::report::ReportStatus>(
        "create",
        &[xs_reports::domain::report::Guards { body_chars: 100 }],
    ));
    raised.extend(event_types::<xs_liaison::domain::event::EventStatus>(
        "plan",
        &[true, false].map(|started| xs_liaison::domain::event::Guards { started }),
    ));
    raised.extend(event_types::<xs_liaison::domain::request::RequestStatus>(
        "receive",
        &[()],
    ));
    // Raised by handlers with `xs_kit::events::emit`.
    raised.extend(["member.created", "member.updated", "reception.recorded"].map(String::from));
    let catalogue: std::collections::BTreeSet<String> = xs_kit::events::TYPES
        .iter()
        .map(|t| t.to_string())
        .collect();
    assert_eq!(raised, catalogue);
}
