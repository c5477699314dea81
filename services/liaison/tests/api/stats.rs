//! The liaison statistics against a hand-counted fixture.

use crate::common::*;
use serde_json::{Value, json};

fn day(days: u64) -> String {
    (chrono::Utc::now().date_naive() - chrono::Days::new(days)).to_string()
}

async fn hold(t: &TestStack, e: &str, people: i64, volunteers: i64) {
    let body = json!({"action": "hold", "people_served": people, "volunteers": volunteers, "summary": "顺利"});
    json_of(t.transition(e, &body).await, 200).await;
}

async fn register(t: &TestStack, e: &str, compatriot: &str) -> String {
    let body = json!({"compatriot": compatriot});
    id(&json_of(
        t.post(
            &format!("/api/v1/liaison-events/{e}/registrations"),
            &admin(),
            &body,
        )
        .await,
        201,
    )
    .await)
}

async fn attend(t: &TestStack, e: &str, reg: &str, attended: bool) {
    let path = format!("/api/v1/liaison-events/{e}/registrations/{reg}/attendance");
    json_of(
        t.post(&path, &admin(), &json!({"attended": attended}))
            .await,
        200,
    )
    .await;
}

async fn request(
    t: &TestStack,
    compatriot: &str,
    kind: &str,
    received: u64,
    resolved: Option<u64>,
) {
    let body = json!({"compatriot": compatriot, "kind": kind, "description": "诉求", "received_on": day(received)});
    let r = id(&json_of(
        t.post("/api/v1/compatriot-requests", &admin(), &body).await,
        201,
    )
    .await);
    if let Some(done) = resolved {
        let path = format!("/api/v1/compatriot-requests/{r}/transitions");
        let m = t.member("陈委员", "huli").await;
        json_of(
            t.post(&path, &admin(), &json!({"action": "assign", "member": m}))
                .await,
            200,
        )
        .await;
        let body = json!({"action": "resolve", "resolution": "已解决", "date": day(done)});
        json_of(t.post(&path, &admin(), &body).await, 200).await;
    }
}

fn counts(v: &Value, list: &str, key: &str) -> Vec<(String, i64)> {
    v[list]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["count"].as_i64().unwrap() > 0)
        .map(|i| {
            (
                i[key].as_str().unwrap().to_string(),
                i["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn statistics_match_a_hand_counted_fixture() {
    let t = TestStack::start().await;
    let (a, b, c) = (
        t.compatriot("林甲", "huli").await,
        t.compatriot("林乙", "huli").await,
        t.compatriot("林丙", "huli").await,
    );
    let siming_compatriot = t.compatriot("王丁", "siming").await;

    // In huli within the last 20 days: three events held.
    let e1 = t.event(&new_event("huli", "lecture", 10, None, &[])).await;
    t.drive(&e1, &["open_registration"]).await;
    let (ra, rb, rc) = (
        register(&t, &e1, &a).await,
        register(&t, &e1, &b).await,
        register(&t, &e1, &c).await,
    );
    hold(&t, &e1, 100, 10).await;
    attend(&t, &e1, &ra, true).await;
    attend(&t, &e1, &rb, true).await;
    attend(&t, &e1, &rc, false).await;
    let e2 = t.event(&new_event("huli", "symposium", 8, None, &[])).await;
    t.drive(&e2, &["open_registration"]).await;
    let ra2 = register(&t, &e2, &a).await;
    hold(&t, &e2, 50, 5).await;
    attend(&t, &e2, &ra2, true).await;
    for title in ["建议一", "建议二"] {
        let body = json!({"title": title, "body": "内容"});
        json_of(
            t.post(
                &format!("/api/v1/liaison-events/{e2}/suggestions"),
                &admin(),
                &body,
            )
            .await,
            201,
        )
        .await;
    }
    let e3 = t
        .event(&new_event("huli", "volunteer_service", 6, None, &[]))
        .await;
    hold(&t, &e3, 1000, 40).await;
    // Not counted: a cancelled event, one held before the period, one of another district.
    let e4 = t.event(&new_event("huli", "lecture", 7, None, &[])).await;
    t.drive(&e4, &["cancel"]).await;
    let e5 = t.event(&new_event("huli", "lecture", 40, None, &[])).await;
    hold(&t, &e5, 9999, 99).await;
    json_of(
        t.post(
            &format!("/api/v1/liaison-events/{e5}/suggestions"),
            &admin(),
            &json!({"title": "旧", "body": "旧"}),
        )
        .await,
        201,
    )
    .await;
    let e6 = t
        .event(&new_event("siming", "social_event", 5, None, &[]))
        .await;
    hold(&t, &e6, 7, 1).await;

    // Requests received in the period: resolved in 4, 10 and 7 days, one open; one received
    // before the period but resolved in it (28 days); one of siming.
    request(&t, &a, "employment", 15, Some(11)).await;
    request(&t, &b, "medical", 18, Some(8)).await;
    request(&t, &c, "legal", 12, Some(5)).await;
    request(&t, &a, "housing", 3, None).await;
    request(&t, &b, "education", 30, Some(2)).await;
    request(&t, &siming_compatriot, "travel", 4, None).await;

    let q = format!(
        "/api/v1/stats/liaison?district=huli&from={}&to={}",
        day(20),
        day(0)
    );
    let s = json_of(t.get(&q, &staff("huli")).await, 200).await;
    assert_eq!(s["events_held"], 3);
    assert_eq!(
        counts(&s, "events_by_kind", "kind"),
        [
            ("lecture".into(), 1),
            ("symposium".into(), 1),
            ("volunteer_service".into(), 1)
        ]
    );
    assert_eq!(
        s["events_by_kind"].as_array().unwrap().len(),
        9,
        "every kind, zeros included"
    );
    assert_eq!(
        s["compatriot_participations"], 3,
        "林甲 twice, 林乙 once; 林丙 did not attend"
    );
    assert_eq!(s["distinct_compatriots"], 2);
    assert_eq!(s["volunteers"], 55);
    assert_eq!(s["people_served"], 1150);
    assert_eq!(s["suggestions"], 2);
    assert_eq!(s["suggestions_reported"], 0);
    assert_eq!(s["requests"], 4);
    assert_eq!(
        counts(&s, "requests_by_kind", "kind"),
        [
            ("employment".into(), 1),
            ("medical".into(), 1),
            ("housing".into(), 1),
            ("legal".into(), 1)
        ]
    );
    assert_eq!(
        counts(&s, "requests_by_status", "status"),
        [("received".into(), 1), ("resolved".into(), 3)]
    );
    assert_eq!(s["requests_resolved"], 4);
    assert_eq!(
        s["median_days_to_resolve"], 8.5,
        "median of 4, 7, 10 and 28"
    );

    // Citywide, all time: siming's event and request, and the early event, count too.
    let all = json_of(
        t.get(
            "/api/v1/stats/liaison",
            &token("dash", &[Role::Dashboard], None),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(all["district"], Value::Null);
    assert_eq!(all["events_held"], 5);
    assert_eq!(all["people_served"], 1150 + 9999 + 7);
    assert_eq!(all["volunteers"], 55 + 99 + 1);
    assert_eq!(all["suggestions"], 3);
    assert_eq!(all["requests"], 6);

    // Office staff read their own district only; members not at all; a reversed period is 400.
    problem(
        t.get("/api/v1/stats/liaison?district=huli", &staff("siming"))
            .await,
        403,
    )
    .await;
    let siming = json_of(t.get("/api/v1/stats/liaison", &staff("siming")).await, 200).await;
    assert_eq!(siming["events_held"], 1);
    assert_eq!(siming["people_served"], 7);
    let m = t.member("陈委员", "huli").await;
    problem(
        t.get("/api/v1/stats/liaison", &member_token(&m, "huli"))
            .await,
        403,
    )
    .await;
    let p = problem(
        t.get(
            &format!("/api/v1/stats/liaison?from={}&to={}", day(1), day(2)),
            &admin(),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["to"]);
    t.stop().await;
}

#[actix_web::test]
async fn the_huli_line_is_reproduced() {
    // The seed: 116 compatriot volunteers served 70,000+ people; 100+ suggestions came out of
    // symposiums. Three volunteer services and a symposium, as the office would record them.
    let t = TestStack::start().await;
    let mut symposium = String::new();
    for (kind, people, volunteers) in [
        ("volunteer_service", 30_000, 40),
        ("volunteer_service", 25_000, 40),
        ("volunteer_service", 15_200, 36),
        ("symposium", 300, 0),
    ] {
        let e = t.event(&new_event("huli", kind, 30, None, &[])).await;
        hold(&t, &e, people, volunteers).await;
        symposium = e;
    }
    for i in 0..101 {
        let body = json!({"title": format!("建议{i}"), "body": "台胞座谈会上提出"});
        json_of(
            t.post(
                &format!("/api/v1/liaison-events/{symposium}/suggestions"),
                &staff("huli"),
                &body,
            )
            .await,
            201,
        )
        .await;
    }
    let s = json_of(
        t.get("/api/v1/stats/liaison?district=huli", &staff("huli"))
            .await,
        200,
    )
    .await;
    assert_eq!(s["volunteers"], 116);
    assert_eq!(s["people_served"], 70_500);
    assert_eq!(s["suggestions"], 101);
    assert_eq!(
        counts(&s, "events_by_kind", "kind"),
        [("symposium".into(), 1), ("volunteer_service".into(), 3)]
    );
    t.stop().await;
}
