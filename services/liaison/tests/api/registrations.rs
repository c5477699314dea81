//! Registrations: capacity, the waiting list promoted in order, one per person, who may
//! register whom, attendance, and no overbooking under concurrent registrations.

use crate::common::*;
use serde_json::{Value, json};

async fn register(t: &TestStack, event: &str, token: &str, body: Value) -> reqwest::Response {
    t.post(
        &format!("/api/v1/liaison-events/{event}/registrations"),
        token,
        &body,
    )
    .await
}

async fn cancel(t: &TestStack, event: &str, reg: &str, token: &str) -> reqwest::Response {
    t.req(
        reqwest::Method::DELETE,
        &format!("/api/v1/liaison-events/{event}/registrations/{reg}"),
        token,
    )
    .send()
    .await
    .unwrap()
}

async fn mark(t: &TestStack, event: &str, reg: &str, attended: bool) -> reqwest::Response {
    t.post(
        &format!("/api/v1/liaison-events/{event}/registrations/{reg}/attendance"),
        &staff("huli"),
        &json!({"attended": attended}),
    )
    .await
}

async fn statuses(t: &TestStack, event: &str) -> Vec<(String, String)> {
    let v = json_of(
        t.get(
            &format!("/api/v1/liaison-events/{event}/registrations"),
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
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn over_capacity_waits_and_is_promoted_in_order_when_someone_cancels() {
    let t = TestStack::start().await;
    let e = t
        .event(&new_event("huli", "study_class", 1, Some(2), &[]))
        .await;
    let mut people = Vec::new();
    for name in ["甲", "乙", "丙", "丁"] {
        people.push(t.compatriot(&format!("林{name}"), "huli").await);
    }
    // Not before registration opens.
    problem(
        register(&t, &e, &staff("huli"), json!({"compatriot": people[0]})).await,
        409,
    )
    .await;
    t.drive(&e, &["open_registration"]).await;

    let mut regs = Vec::new();
    for (i, c) in people.iter().enumerate() {
        let v = json_of(
            register(&t, &e, &staff("huli"), json!({"compatriot": c})).await,
            201,
        )
        .await;
        assert_eq!(
            v["status"],
            if i < 2 { "confirmed" } else { "waitlisted" },
            "{v}"
        );
        assert_eq!(v["queue_no"], i + 1);
        regs.push(id(&v));
    }
    // One registration per person.
    problem(
        register(&t, &e, &staff("huli"), json!({"compatriot": people[1]})).await,
        409,
    )
    .await;
    let ev = json_of(
        t.get(&format!("/api/v1/liaison-events/{e}"), &admin())
            .await,
        200,
    )
    .await;
    assert_eq!(
        (ev["confirmed"].as_i64(), ev["waitlisted"].as_i64()),
        (Some(2), Some(2))
    );

    // A confirmed seat freed goes to the first in the queue, not the last.
    let v = json_of(cancel(&t, &e, &regs[0], &staff("huli")).await, 200).await;
    assert_eq!(v["cancelled"]["status"], "cancelled");
    assert_eq!(v["promoted"]["id"], regs[2].as_str());
    assert_eq!(v["promoted"]["status"], "confirmed");
    problem(cancel(&t, &e, &regs[0], &staff("huli")).await, 409).await;
    // A waiting one cancelling frees no seat.
    let v = json_of(cancel(&t, &e, &regs[3], &admin()).await, 200).await;
    assert_eq!(v["promoted"], Value::Null);
    // The person who cancelled may register again, at the end of the queue.
    let again = json_of(
        register(&t, &e, &staff("huli"), json!({"compatriot": people[0]})).await,
        201,
    )
    .await;
    assert_eq!(again["status"], "waitlisted");
    assert_eq!(again["queue_no"], 5);
    let expected: Vec<(String, String)> = vec![
        (regs[0].clone(), "cancelled".into()),
        (regs[1].clone(), "confirmed".into()),
        (regs[2].clone(), "confirmed".into()),
        (regs[3].clone(), "cancelled".into()),
        (id(&again), "waitlisted".into()),
    ];
    assert_eq!(statuses(&t, &e).await, expected);

    // Raising the capacity gives the waiting their seats, in order.
    let v = json_of(
        t.patch(
            &format!("/api/v1/liaison-events/{e}"),
            &admin(),
            Some(&format!("\"{}\"", ev["version"])),
            &json!({"capacity": 3}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (v["confirmed"].as_i64(), v["waitlisted"].as_i64()),
        (Some(3), Some(0))
    );
    // Not below the seats taken (the event's state decides: 422).
    let p = problem(
        t.patch(
            &format!("/api/v1/liaison-events/{e}"),
            &admin(),
            Some(&format!("\"{}\"", v["version"])),
            &json!({"capacity": 2}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["capacity"]);

    // Attendance: confirmed registrations only.
    let v = json_of(mark(&t, &e, &regs[1], true).await, 200).await;
    assert_eq!(v["attended"], true);
    problem(mark(&t, &e, &regs[3], true).await, 409).await;
    problem(
        t.post(
            &format!(
                "/api/v1/liaison-events/{e}/registrations/{}/attendance",
                regs[1]
            ),
            &staff("siming"),
            &json!({"attended": true}),
        )
        .await,
        403,
    )
    .await;
    t.stop().await;
}

#[actix_web::test]
async fn members_and_residents_register_only_themselves() {
    let t = TestStack::start().await;
    let e = t
        .event(&new_event("huli", "social_event", 1, None, &[]))
        .await;
    t.drive(&e, &["open_registration"]).await;
    let (m, other) = (
        t.member("陈委员", "huli").await,
        t.member("黄委员", "huli").await,
    );
    let far = t.member("林委员", "siming").await;
    let me = member_token(&m, "huli");
    json_of(register(&t, &e, &me, json!({"member": m})).await, 201).await;
    problem(register(&t, &e, &me, json!({"member": other})).await, 403).await;
    // A resident registers the compatriot record they registered, and nobody else.
    let res = resident("res-1", "huli");
    let body = json!({"name": "张台青", "origin": "kinmen", "district": "huli"});
    let mine = id(&json_of(t.post("/api/v1/compatriots", &res, &body).await, 201).await);
    let stranger = t.compatriot("王其他", "huli").await;
    let reg = json_of(
        register(&t, &e, &res, json!({"compatriot": mine})).await,
        201,
    )
    .await;
    problem(
        register(&t, &e, &res, json!({"compatriot": stranger})).await,
        403,
    )
    .await;
    json_of(cancel(&t, &e, &id(&reg), &res).await, 200).await;
    // References: a member of another district, an unknown compatriot; exactly one person.
    let p = problem(
        register(&t, &e, &staff("huli"), json!({"member": far})).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["member"]);
    let p = problem(
        register(&t, &e, &staff("huli"), json!({"compatriot": "nope"})).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["compatriot"]);
    let p = problem(
        register(
            &t,
            &e,
            &staff("huli"),
            json!({"compatriot": stranger, "member": m}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["compatriot"]);
    // The office lists them all; a member or resident sees only their own.
    let own = |v: Value| -> Vec<(Value, Value)> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["member"].clone(), r["compatriot"].clone()))
            .collect()
    };
    let v = json_of(
        t.get(&format!("/api/v1/liaison-events/{e}/registrations"), &me)
            .await,
        200,
    )
    .await;
    assert_eq!(own(v), [(json!(m), Value::Null)]);
    json_of(
        register(&t, &e, &res, json!({"compatriot": mine})).await,
        201,
    )
    .await;
    let v = json_of(
        t.get(
            &format!("/api/v1/liaison-events/{e}/registrations?status=waitlisted"),
            &res,
        )
        .await,
        200,
    )
    .await;
    assert!(own(v).is_empty());
    let v = json_of(
        t.get(&format!("/api/v1/liaison-events/{e}/registrations"), &res)
            .await,
        200,
    )
    .await;
    let expected = vec![(Value::Null, json!(mine)); 2];
    assert_eq!(
        own(v),
        expected,
        "the cancelled one and the new one, nobody else's"
    );
    let v = json_of(
        t.get(
            &format!("/api/v1/liaison-events/{e}/registrations"),
            &staff("huli"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 3);
    problem(
        t.get(
            &format!("/api/v1/liaison-events/{e}/registrations"),
            &staff("siming"),
        )
        .await,
        403,
    )
    .await;
    problem(
        t.get(
            &format!("/api/v1/liaison-events/{e}/registrations"),
            &member_token(&far, "siming"),
        )
        .await,
        403,
    )
    .await;
    t.stop().await;
}

#[actix_web::test]
async fn concurrent_registrations_never_overbook() {
    let t = TestStack::start().await;
    let capacity = 5;
    let e = t
        .event(&new_event("huli", "lecture", 1, Some(capacity), &[]))
        .await;
    t.drive(&e, &["open_registration"]).await;
    let mut people = Vec::new();
    for i in 0..30 {
        people.push(t.compatriot(&format!("林{i}"), "huli").await);
    }
    let token = staff("huli");
    let answers = futures_util::future::join_all(
        people
            .iter()
            .map(|c| register(&t, &e, &token, json!({"compatriot": c}))),
    )
    .await;
    let mut confirmed = 0;
    let mut queue = std::collections::HashSet::new();
    for r in answers {
        let v = json_of(r, 201).await;
        if v["status"] == "confirmed" {
            confirmed += 1;
        }
        assert!(
            queue.insert(v["queue_no"].as_i64().unwrap()),
            "queue numbers are unique"
        );
    }
    assert_eq!(confirmed, capacity);
    let ev = json_of(
        t.get(&format!("/api/v1/liaison-events/{e}"), &admin())
            .await,
        200,
    )
    .await;
    assert_eq!(ev["confirmed"], capacity);
    assert_eq!(ev["waitlisted"], 30 - capacity);
    // The confirmed are the first five in the queue.
    let all = statuses(&t, &e).await;
    let firsts: Vec<&str> = all.iter().take(5).map(|(_, s)| s.as_str()).collect();
    assert_eq!(firsts, ["confirmed"; 5]);

    // Concurrent cancellations of every confirmed seat promote exactly that many, in order.
    let seats: Vec<String> = all.iter().take(5).map(|(i, _)| i.clone()).collect();
    let answers =
        futures_util::future::join_all(seats.iter().map(|r| cancel(&t, &e, r, &token))).await;
    for r in answers {
        json_of(r, 200).await;
    }
    let after = statuses(&t, &e).await;
    let states: Vec<&str> = after.iter().map(|(_, s)| s.as_str()).collect();
    let mut expected = vec!["cancelled"; 5];
    expected.extend(["confirmed"; 5]);
    expected.extend(["waitlisted"; 20]);
    assert_eq!(states, expected);
    t.stop().await;
}
