//! Compatriots' requests: the lifecycle with its 409s, the assigned member's part, follow-up
//! notes, days open and the overdue list.

use crate::common::*;
use serde_json::{Value, json};

fn today_minus(days: u64) -> String {
    (chrono::Utc::now().date_naive() - chrono::Days::new(days)).to_string()
}

async fn move_request(t: &TestStack, token: &str, id: &str, body: Value) -> reqwest::Response {
    t.post(
        &format!("/api/v1/compatriot-requests/{id}/transitions"),
        token,
        &body,
    )
    .await
}

#[actix_web::test]
async fn a_request_is_followed_to_resolution() {
    let t = TestStack::start().await;
    let c = t.compatriot("林台生", "huli").await;
    let m = t.member("陈委员", "huli").await;
    let other = t.member("黄委员", "huli").await;
    let far = t.member("林委员", "siming").await;
    let body = json!({"compatriot": c, "kind": "medical", "description": "就医报销咨询",
                      "received_on": today_minus(10)});
    let r = json_of(
        t.post("/api/v1/compatriot-requests", &staff("huli"), &body)
            .await,
        201,
    )
    .await;
    assert_eq!(r["status"], "received");
    assert_eq!(r["district"], "huli");
    assert_eq!(r["days_open"], 10);
    assert_eq!(r["allowed_actions"], json!(["assign", "mark_unresolvable"]));
    let rid = id(&r);

    // Illegal moves answer 409 with what is allowed.
    let p = problem(
        move_request(
            &t,
            &admin(),
            &rid,
            json!({"action": "resolve", "resolution": "x"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(p["allowed_actions"], json!(["assign", "mark_unresolvable"]));
    let p = problem(
        move_request(&t, &admin(), &rid, json!({"action": "assign"})).await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["member"]);
    let p = problem(
        move_request(
            &t,
            &admin(),
            &rid,
            json!({"action": "assign", "member": far}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["member"]);
    // The member is not yet assigned: they may not act or read.
    let mine = member_token(&m, "huli");
    problem(
        move_request(&t, &mine, &rid, json!({"action": "start"})).await,
        403,
    )
    .await;
    problem(
        t.get(&format!("/api/v1/compatriot-requests/{rid}"), &mine)
            .await,
        403,
    )
    .await;

    let v = json_of(
        move_request(
            &t,
            &staff("huli"),
            &rid,
            json!({"action": "assign", "member": m}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["assigned_member"], m.as_str());
    // Now the assigned member reads it, moves it on and adds notes; another member does not.
    let v = json_of(
        t.get(&format!("/api/v1/compatriot-requests/{rid}"), &mine)
            .await,
        200,
    )
    .await;
    assert_eq!(
        v["allowed_actions"],
        json!(["assign", "start", "resolve", "mark_unresolvable"])
    );
    problem(
        move_request(
            &t,
            &mine,
            &rid,
            json!({"action": "assign", "member": other}),
        )
        .await,
        403,
    )
    .await;
    json_of(
        move_request(&t, &mine, &rid, json!({"action": "start"})).await,
        200,
    )
    .await;
    let note = json!({"note": "已联系区医保中心"});
    json_of(
        t.post(
            &format!("/api/v1/compatriot-requests/{rid}/notes"),
            &mine,
            &note,
        )
        .await,
        201,
    )
    .await;
    let theirs = member_token(&other, "huli");
    problem(
        t.post(
            &format!("/api/v1/compatriot-requests/{rid}/notes"),
            &theirs,
            &note,
        )
        .await,
        403,
    )
    .await;
    let list = json_of(t.get("/api/v1/compatriot-requests", &mine).await, 200).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let list = json_of(t.get("/api/v1/compatriot-requests", &theirs).await, 200).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    problem(
        t.get(&format!("/api/v1/compatriot-requests?member={m}"), &theirs)
            .await,
        403,
    )
    .await;

    // Resolved on a day not before receipt (a stored date decides: 422); days open stop
    // counting.
    let p = problem(
        move_request(
            &t,
            &mine,
            &rid,
            json!({"action": "resolve", "resolution": "已报销", "date": today_minus(11)}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["date"]);
    let v = json_of(
        move_request(
            &t,
            &mine,
            &rid,
            json!({"action": "resolve", "resolution": "已报销", "date": today_minus(4)}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["status"], "resolved");
    assert_eq!(v["days_open"], 6);
    assert_eq!(v["resolution"], "已报销");
    assert_eq!(v["allowed_actions"], json!([]));
    problem(
        move_request(
            &t,
            &admin(),
            &rid,
            json!({"action": "mark_unresolvable", "reason": "x"}),
        )
        .await,
        409,
    )
    .await;
    problem(
        t.patch(
            &format!("/api/v1/compatriot-requests/{rid}"),
            &admin(),
            Some(&format!("\"{}\"", v["version"])),
            &json!({"description": "x"}),
        )
        .await,
        409,
    )
    .await;
    let notes = json_of(
        t.get(
            &format!("/api/v1/compatriot-requests/{rid}/notes"),
            &staff("huli"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(notes["items"][0]["note"], "已联系区医保中心");
    assert_eq!(notes["items"][0]["created_by"], format!("user-{m}"));
    problem(
        t.get(
            &format!("/api/v1/compatriot-requests/{rid}/notes"),
            &staff("siming"),
        )
        .await,
        403,
    )
    .await;

    // Raised by exactly one known compatriot or enterprise.
    let p = problem(
        t.post(
            "/api/v1/compatriot-requests",
            &admin(),
            &json!({"compatriot": "nope", "kind": "legal", "description": "x"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["compatriot"]);
    let p = problem(
        t.post(
            "/api/v1/compatriot-requests",
            &admin(),
            &json!({"kind": "legal", "description": "x"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["compatriot"]);
    problem(
        t.post("/api/v1/compatriot-requests", &staff("siming"), &body)
            .await,
        403,
    )
    .await;
    t.stop().await;
}

/// The overdue list as (id, days open).
async fn overdue(t: &TestStack, q: &str) -> Vec<(String, i64)> {
    let v = json_of(
        t.get(
            &format!("/api/v1/compatriot-requests/overdue{q}"),
            &staff("huli"),
        )
        .await,
        200,
    )
    .await;
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_string(),
                i["days_open"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn the_overdue_list_holds_requests_open_past_the_days_given() {
    let t = TestStack::start().await;
    let c = t.compatriot("林台生", "huli").await;
    let e_body = json!({"kind": "enterprise", "name": "台资电子厂", "district": "huli", "address": "湖里大道2号"});
    let ent = id(&json_of(
        t.post("/api/v1/taiwan-enterprises", &admin(), &e_body)
            .await,
        201,
    )
    .await);
    let mut ids = Vec::new();
    for (days, raiser) in [
        (45, json!({"compatriot": c})),
        (31, json!({"enterprise": ent})),
        (30, json!({"compatriot": c})),
        (5, json!({"compatriot": c})),
    ] {
        let mut body = raiser;
        body["kind"] = json!("employment");
        body["description"] = json!("求职");
        body["received_on"] = json!(today_minus(days));
        ids.push(id(&json_of(
            t.post("/api/v1/compatriot-requests", &admin(), &body).await,
            201,
        )
        .await));
    }
    // A closed request is never overdue.
    let closed = json!({"compatriot": c, "kind": "travel", "description": "x", "received_on": today_minus(90)});
    let closed = id(&json_of(
        t.post("/api/v1/compatriot-requests", &admin(), &closed)
            .await,
        201,
    )
    .await);
    json_of(
        move_request(
            &t,
            &admin(),
            &closed,
            json!({"action": "mark_unresolvable", "reason": "已离厦"}),
        )
        .await,
        200,
    )
    .await;

    assert_eq!(
        overdue(&t, "").await,
        vec![(ids[0].clone(), 45), (ids[1].clone(), 31)]
    );
    assert_eq!(
        overdue(&t, "?days=29").await,
        vec![
            (ids[0].clone(), 45),
            (ids[1].clone(), 31),
            (ids[2].clone(), 30)
        ]
    );
    assert_eq!(overdue(&t, "?days=40").await, vec![(ids[0].clone(), 45)]);
    let p = problem(
        t.get("/api/v1/compatriot-requests/overdue?days=0", &staff("huli"))
            .await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["days"]);
    let none = json_of(
        t.get("/api/v1/compatriot-requests/overdue", &staff("siming"))
            .await,
        200,
    )
    .await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
    problem(
        t.get(
            "/api/v1/compatriot-requests/overdue",
            &resident("r1", "huli"),
        )
        .await,
        403,
    )
    .await;
    t.stop().await;
}
