//! Liaison events: references checked through membership, the lifecycle with its 409s, and
//! the credits of holding one, exactly once across a membership outage.

use crate::common::*;
use diesel::prelude::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use xs_kit::db::{Db, PoolOptions};
use xs_kit::outbox::kit_outbox;

#[actix_web::test]
async fn references_are_checked_through_membership() {
    let t = TestStack::start().await;
    let point = t
        .workroom("湖里台胞联系点", "huli", "taiwan_liaison_point")
        .await;
    let studio = t
        .workroom("殿前好商量", "huli", "haoshangliang_studio")
        .await;
    let siming_point = t
        .workroom("思明台胞联系点", "siming", "taiwan_liaison_point")
        .await;
    let m = t.member("陈委员", "huli").await;
    let far = t.member("林委员", "siming").await;
    let e_body = json!({"kind": "enterprise", "name": "思明台企", "district": "siming", "address": "思明路1号"});
    let siming_enterprise = id(&json_of(
        t.post("/api/v1/taiwan-enterprises", &admin(), &e_body)
            .await,
        201,
    )
    .await);

    let mut body = new_event("huli", "lecture", 1, None, std::slice::from_ref(&m));
    body["liaison_point"] = json!(point);
    let created = json_of(
        t.post("/api/v1/liaison-events", &staff("huli"), &body)
            .await,
        201,
    )
    .await;
    assert_eq!(created["status"], "planned");
    assert_eq!(created["liaison_point"], point.as_str());
    assert_eq!(created["organisers"], json!([m]));
    assert_eq!(
        created["allowed_actions"],
        json!(["open_registration", "hold", "cancel"])
    );

    for (point, why) in [
        (studio.as_str(), "taiwan_liaison_point"),
        (siming_point.as_str(), "district"),
        ("nope", "no such"),
    ] {
        let mut b = body.clone();
        b["liaison_point"] = json!(point);
        let p = problem(t.post("/api/v1/liaison-events", &admin(), &b).await, 422).await;
        assert_eq!(fields(&p), ["liaison_point"]);
        assert!(p["detail"].as_str().unwrap().contains(why), "{p}");
    }
    let mut b = body.clone();
    b["organisers"] = json!([m, far]);
    b["enterprise"] = json!(siming_enterprise);
    let p = problem(t.post("/api/v1/liaison-events", &admin(), &b).await, 422).await;
    assert_eq!(fields(&p), ["organisers[1]", "enterprise"]);
    let retired =
        json!({"name": "退休委员", "gender": "male", "district": "huli", "status": "retired"});
    let retired = id(&json_of(t.post("/api/v1/members", &admin(), &retired).await, 201).await);
    let mut b = body.clone();
    b["organisers"] = json!([retired]);
    let p = problem(t.post("/api/v1/liaison-events", &admin(), &b).await, 422).await;
    assert_eq!(fields(&p), ["organisers[0]"]);
    assert!(p["detail"].as_str().unwrap().contains("active"), "{p}");
    let mut b = body.clone();
    b["organisers"] = json!([m, m]);
    b["capacity"] = json!(0);
    let p = problem(t.post("/api/v1/liaison-events", &admin(), &b).await, 400).await;
    assert_eq!(fields(&p), ["capacity", "organisers"]);
    problem(
        t.post("/api/v1/liaison-events", &staff("siming"), &body)
            .await,
        403,
    )
    .await;

    // Residents of the district read events, without actions; other districts' staff do not.
    let e = id(&created);
    let seen = json_of(
        t.get(
            &format!("/api/v1/liaison-events/{e}"),
            &resident("r1", "huli"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(seen["allowed_actions"], json!([]));
    problem(
        t.get(&format!("/api/v1/liaison-events/{e}"), &staff("siming"))
            .await,
        403,
    )
    .await;
    let list = json_of(
        t.get(
            "/api/v1/liaison-events?district=huli&status=planned",
            &staff("huli"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    t.stop().await;
}

/// The legal path from `planned` to each state.
fn path_to(state: &str) -> &'static [&'static str] {
    match state {
        "planned" => &[],
        "open_for_registration" => &["open_registration"],
        "held" => &["open_registration", "hold"],
        "cancelled" => &["cancel"],
        other => panic!("no state {other}"),
    }
}

#[actix_web::test]
async fn every_illegal_transition_is_409_with_the_allowed_actions() {
    let t = TestStack::start().await;
    let legal: &[(&str, &[&str])] = &[
        ("planned", &["open_registration", "hold", "cancel"]),
        ("open_for_registration", &["hold", "cancel"]),
        ("held", &[]),
        ("cancelled", &[]),
    ];
    for (state, allowed) in legal {
        for a in ["open_registration", "hold", "cancel"] {
            let e = t.event(&new_event("huli", "symposium", 2, None, &[])).await;
            let before = t.drive(&e, path_to(state)).await;
            if !path_to(state).is_empty() {
                assert_eq!(before["status"], *state);
            }
            let r = t.transition(&e, &action(a)).await;
            if allowed.contains(&a) {
                assert_eq!(r.status(), 200, "{state} --{a}");
            } else {
                let p = problem(r, 409).await;
                assert_eq!(p["allowed_actions"], json!(allowed), "{state} --{a}");
            }
        }
    }
    // An event in the future cannot be held yet: hold is not offered.
    let mut future = new_event("huli", "lecture", 0, None, &[]);
    future["starts_at"] = json!("2099-01-01T10:00:00Z");
    let e = t.event(&future).await;
    let p = problem(t.transition(&e, &action("hold")).await, 409).await;
    assert_eq!(p["allowed_actions"], json!(["open_registration", "cancel"]));
    // Fields belong to their action; roles before anything else.
    let p = problem(
        t.transition(
            &e,
            &json!({"action": "hold", "people_served": -1, "reason": "x"}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(
        fields(&p),
        ["volunteers", "summary", "reason", "people_served"]
    );
    let r = t
        .post(
            &format!("/api/v1/liaison-events/{e}/transitions"),
            &staff("siming"),
            &action("cancel"),
        )
        .await;
    problem(r, 403).await;
    let m = t.member("陈委员", "huli").await;
    let r = t
        .post(
            &format!("/api/v1/liaison-events/{e}/transitions"),
            &member_token(&m, "huli"),
            &action("cancel"),
        )
        .await;
    problem(r, 403).await;
    // A held event keeps its figures and can no longer be changed.
    let e = t.event(&new_event("huli", "lecture", 1, None, &[])).await;
    let held = t.drive(&e, &["hold"]).await;
    assert_eq!(held["people_served"], 120);
    assert_eq!(held["volunteers"], 8);
    let r = t
        .patch(
            &format!("/api/v1/liaison-events/{e}"),
            &admin(),
            Some(&format!("\"{}\"", held["version"])),
            &json!({"title": "x"}),
        )
        .await;
    problem(r, 409).await;
    t.stop().await;
}

fn open(url: &str) -> Db {
    Db::connect(
        url,
        &PoolOptions {
            max_size: 2,
            ..Default::default()
        },
    )
    .unwrap()
}

/// Liaison's outbox: (messages, delivered).
async fn outbox(db: &Db) -> (i64, i64) {
    db.read(|c| {
        let all: i64 = kit_outbox::table.count().get_result(c)?;
        let done: i64 = kit_outbox::table
            .filter(kit_outbox::delivered_at.is_not_null())
            .count()
            .get_result(c)?;
        Ok((all, done))
    })
    .await
    .unwrap()
}

async fn activities(t: &TestStack, member: &str) -> Vec<Value> {
    let v = json_of(
        t.get(&format!("/api/v1/activities?member={member}"), &admin())
            .await,
        200,
    )
    .await;
    v["items"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn holding_credits_each_organiser_once_across_a_membership_outage() {
    let mut t = TestStack::start().await;
    let point = t
        .workroom("湖里台胞联系点", "huli", "taiwan_liaison_point")
        .await;
    let (m1, m2) = (
        t.member("陈委员", "huli").await,
        t.member("黄委员", "huli").await,
    );
    let mut body = new_event("huli", "symposium", 3, None, &[m1.clone(), m2.clone()]);
    body["liaison_point"] = json!(point);
    let e = t.event(&body).await;
    let db = open(&t.db.url);

    t.stop_peer("membership").await;
    // References cannot be checked while membership is down: a fast 503, nothing written.
    let p = problem(t.post("/api/v1/liaison-events", &admin(), &body).await, 503).await;
    assert!(p["detail"].as_str().unwrap().contains("membership"), "{p}");
    // Holding needs no membership: the credits wait in the outbox, written with the change.
    let held = t.drive(&e, &["hold"]).await;
    assert_eq!(held["status"], "held");
    assert_eq!(outbox(&db).await, (2, 0));
    problem(t.transition(&e, &action("hold")).await, 409).await;

    t.restart_peer("membership").await;
    let deadline = Instant::now() + Duration::from_secs(40);
    while outbox(&db).await != (2, 2) {
        assert!(
            Instant::now() < deadline,
            "credits still undelivered: {:?}",
            outbox(&db).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for m in [&m1, &m2] {
        let recorded = activities(&t, m).await;
        assert_eq!(recorded.len(), 1, "{recorded:?}");
        assert_eq!(recorded[0]["type"], "liaison_event");
        assert_eq!(recorded[0]["source"], "liaison");
        assert_eq!(recorded[0]["workroom"], point.as_str());
        assert_eq!(recorded[0]["date"], days_ago(3)[..10]);
    }
    // Delivered again (at least once): membership still has one record each.
    db.write(|c| {
        diesel::update(kit_outbox::table)
            .set((
                kit_outbox::delivered_at.eq(None::<chrono::NaiveDateTime>),
                kit_outbox::next_attempt_at.eq(xs_kit::db::now()),
            ))
            .execute(c)?;
        Ok(())
    })
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while outbox(&db).await != (2, 2) {
        assert!(Instant::now() < deadline, "redelivery stalled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for m in [&m1, &m2] {
        assert_eq!(
            activities(&t, m).await.len(),
            1,
            "one credit however often delivered"
        );
    }
    t.stop().await;
}
