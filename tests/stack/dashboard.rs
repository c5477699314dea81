//! The dashboard summary through the gateway (`GET /api/v1/dashboard/summary`): its figures are
//! the seeded records' and the services' own statistics; a stopped service leaves its parts
//! `null` and is named, the rest still answer; who may read it, and which district.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use xs_kit::Role;
use xs_testkit::{staff, token};

fn dashboard() -> String {
    token("dashboard-1", &[Role::Dashboard], None)
}

async fn created(t: &TestStack, path: &str, body: Value) -> String {
    let r = t.post(path, &admin(), &body).await;
    assert_eq!(r.status(), 201, "{path}: {}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    v["id"].as_str().unwrap().to_string()
}

/// GET `path` as `tok`, expecting `status`; a hang fails the test rather than the run.
async fn get(t: &TestStack, path: &str, tok: &str, status: u16) -> Value {
    let r = t
        .req(Method::GET, path, tok)
        .timeout(Duration::from_secs(15))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: no answer: {e}"));
    assert_eq!(r.status(), status, "{path}");
    r.json().await.unwrap()
}

/// Siming: three members, three topics (one declined), a report; Huli: a member, a topic and
/// a liaison event.
async fn seed(t: &TestStack) {
    t.seed().await;
    let mut members = Vec::new();
    for (name, district) in [
        ("甲", "siming"),
        ("乙", "siming"),
        ("丙", "siming"),
        ("丁", "huli"),
    ] {
        members.push(created(t, "/api/v1/members", new_member(name, district)).await);
    }
    let mut siming_topics = Vec::new();
    for (i, origin) in ["assigned", "public", "member_chosen"].iter().enumerate() {
        let mut topic = json!({"title": format!("停车难{i}"), "description": "居民反映较多",
                               "district": "siming", "subdistrict": "jialian",
                               "category": "livelihood", "origin": origin});
        if *origin == "member_chosen" {
            topic["proposer_member"] = json!(members[0]);
        }
        siming_topics.push(created(t, "/api/v1/topics", topic).await);
    }
    let r = t
        .post(
            &format!("/api/v1/topics/{}/transitions", siming_topics[0]),
            &admin(),
            &json!({"action": "decline", "reason": "已由街道处理"}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    created(
        t,
        "/api/v1/topics",
        json!({"title": "路灯不亮", "description": "晚上不安全", "district": "huli",
               "subdistrict": "dianqian", "category": "livelihood", "origin": "public"}),
    )
    .await;
    created(
        t,
        "/api/v1/liaison-events",
        json!({"kind": "lecture", "title": "两岸青年座谈会", "district": "huli",
               "starts_at": "2026-03-01T10:00:00Z", "place": "湖里区台胞驿站"}),
    )
    .await;
}

fn count(list: &Value, value: &str) -> i64 {
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"] == value)
        .map_or(0, |c| c["count"].as_i64().unwrap())
}

#[actix_web::test]
async fn the_summary_is_the_seeded_records_and_the_services_own_statistics() {
    let t = TestStack::start().await;
    seed(&t).await;
    let s = get(
        &t,
        "/api/v1/dashboard/summary?district=siming",
        &dashboard(),
        200,
    )
    .await;
    assert_eq!(s["unavailable"], json!([]));
    assert_eq!(s["district"], "siming");
    assert_eq!(s["workrooms"]["members"], 3);
    let c = &s["consultation"];
    assert_eq!(c["topics"], 3);
    assert_eq!(count(&c["topics_by_status"], "declined"), 1);
    for origin in ["assigned", "public", "member_chosen"] {
        assert_eq!(count(&c["topics_by_origin"], origin), 1, "{origin}");
    }
    // No liaison event in Siming; the one in Huli shows in Huli's and the city's summaries.
    assert_eq!(s["liaison"]["events_held"], 0);
    // Without `from`, the series is the twelve months ending today: today's topics are in the
    // last bucket, by their status now.
    let buckets = s["series"]["topics_by_status"].as_array().unwrap();
    assert_eq!(buckets.len(), 12);
    let last = &buckets[11]["by_status"];
    let in_last: i64 = last
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["count"].as_i64().unwrap())
        .sum();
    assert_eq!(in_last, 3);
    assert_eq!(count(last, "declined"), 1);
    // The evaluation under the default rules: three members without activities, every grade
    // listed.
    let e = &s["evaluation"];
    assert_eq!(e["ranked_members"], 3, "{e}");
    assert_eq!(count(&e["by_grade"], "needs_improvement"), 3);
    assert_eq!(count(&e["by_grade"], "excellent"), 0);
    assert_eq!(e["by_grade"].as_array().unwrap().len(), 3);

    // Each part is the owning service's statistics for the same query.
    let own = get(
        &t,
        "/api/v1/stats/consultation?district=siming",
        &dashboard(),
        200,
    )
    .await;
    assert_eq!(c["topics_by_status"], own["topics_by_status"]);
    assert_eq!(c["problems_solved"], own["problems_solved"]);
    assert_eq!(c["mediation"]["by_outcome"], own["mediation"]["by_outcome"]);
    let own = get(
        &t,
        "/api/v1/stats/membership?district=siming",
        &dashboard(),
        200,
    )
    .await;
    assert_eq!(s["workrooms"]["workrooms"], own["workrooms"]);
    assert_eq!(s["workrooms"]["members_placed"], own["members_placed"]);
    let own = get(
        &t,
        "/api/v1/stats/reports?district=siming",
        &dashboard(),
        200,
    )
    .await;
    assert_eq!(s["reports"]["received"], own["totals"]["received"]);
    assert_eq!(s["reports"]["adoptions"], own["totals"]["adoptions"]);

    // The city: every district's records.
    let city = get(&t, "/api/v1/dashboard/summary", &dashboard(), 200).await;
    assert_eq!(city["district"], Value::Null);
    assert_eq!(city["workrooms"]["members"], 4);
    assert_eq!(city["consultation"]["topics"], 4);
    assert_eq!(
        city["liaison"]["events_held"], 0,
        "the event is planned, not held"
    );
    let huli = get(
        &t,
        "/api/v1/dashboard/summary?district=huli&from=2026-01-01&to=2026-06-30",
        &dashboard(),
        200,
    )
    .await;
    assert_eq!(huli["from"], "2026-01-01");
    let months = huli["series"]["topics_by_status"].as_array().unwrap();
    assert_eq!(months.len(), 6);
    assert_eq!(months[1]["from"], "2026-02-01");
    assert_eq!(months[1]["to"], "2026-02-28");
    t.stop().await;
}

#[actix_web::test]
async fn a_stopped_service_leaves_its_parts_null_and_named_and_the_rest_answer() {
    let mut t = TestStack::start().await;
    seed(&t).await;
    t.stack.stop_service("consultation").await;
    let s = get(
        &t,
        "/api/v1/dashboard/summary?district=siming",
        &staff("siming"),
        200,
    )
    .await;
    assert_eq!(s["unavailable"], json!(["consultation"]));
    assert_eq!(s["consultation"], Value::Null);
    assert_eq!(s["series"]["topics_by_status"], Value::Null);
    assert_eq!(s["workrooms"]["members"], 3);
    assert!(s["reports"].is_object(), "{s}");
    assert_eq!(s["liaison"]["events_held"], 0);
    assert!(s["series"]["events_by_kind"].is_array());

    t.stack.stop_service("membership").await;
    t.stack.stop_service("reports").await;
    t.stack.stop_service("liaison").await;
    let s = get(&t, "/api/v1/dashboard/summary", &dashboard(), 200).await;
    assert_eq!(
        s["unavailable"],
        json!(["consultation", "liaison", "membership", "reports"])
    );
    assert_eq!(s["workrooms"], Value::Null);
    t.stop().await;
}

#[actix_web::test]
async fn the_summary_is_read_in_the_callers_scope() {
    let t = TestStack::start().await;
    t.seed().await;
    created(&t, "/api/v1/members", new_member("甲", "siming")).await;
    // Office staff: their own district, named or not; another is 403.
    let own = get(&t, "/api/v1/dashboard/summary", &staff("siming"), 200).await;
    assert_eq!(own["district"], "siming");
    assert_eq!(own["workrooms"]["members"], 1);
    let p = get(
        &t,
        "/api/v1/dashboard/summary?district=siming",
        &staff("huli"),
        403,
    )
    .await;
    assert_eq!(p["status"], 403);
    // A dashboard bound to a district likewise.
    let bound = token("dashboard-huli", &[Role::Dashboard], Some("huli"));
    get(&t, "/api/v1/dashboard/summary?district=siming", &bound, 403).await;
    let huli = get(&t, "/api/v1/dashboard/summary", &bound, 200).await;
    assert_eq!(huli["district"], "huli");
    assert_eq!(huli["workrooms"]["members"], 0);
    // Other roles.
    for tok in [
        token("resident-1", &[Role::Resident], None),
        token("member-1", &[Role::Member], Some("siming")),
        token("integrator-1", &[Role::Integrator], None),
    ] {
        get(&t, "/api/v1/dashboard/summary?district=siming", &tok, 403).await;
    }
    let r = t
        .client
        .get(t.url("/api/v1/dashboard/summary"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Input.
    let p = get(
        &t,
        "/api/v1/dashboard/summary?from=2026-02-01&to=2026-01-01",
        &dashboard(),
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "to", "{p}");
    let p = get(
        &t,
        "/api/v1/dashboard/summary?from=2000-01-01&to=2026-01-01",
        &dashboard(),
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "from", "{p}");
    // A day outside the years the services keep (the evaluation part asks for the year of
    // `to`): schema-valid, so 422 naming the field, not the service's 400 about `year`.
    for (query, field) in [("to=4005-09-04", "to"), ("from=1999-12-31", "from")] {
        let p = get(
            &t,
            &format!("/api/v1/dashboard/summary?{query}"),
            &dashboard(),
            422,
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    let p = get(
        &t,
        "/api/v1/dashboard/summary?from=yesterday",
        &dashboard(),
        400,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("from"), "{p}");
    // A district that does not exist: membership refuses it, and so does the summary.
    get(
        &t,
        "/api/v1/dashboard/summary?district=atlantis",
        &dashboard(),
        422,
    )
    .await;
    t.stop().await;
}
