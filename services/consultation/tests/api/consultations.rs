//! Consultations through the gateway: the lifecycle with its effect on topics, opinions,
//! submissions, follow-ups and overdue replies; credits to membership through the outbox, also
//! across a membership outage; references, scope and masking.

use crate::common::*;
use serde_json::{Value, json};

async fn topic_status(t: &Stack, topic: &str) -> Value {
    ok(
        t.get(&format!("/api/v1/topics/{topic}"), &admin()).await,
        200,
    )
    .await
}

#[actix_web::test]
async fn a_consultation_from_plan_to_implementation() {
    let t = Stack::start().await;
    let m1 = member(&t, "林委员", "siming").await;
    let m2 = member(&t, "黄委员", "siming").await;
    let t1 = id(&raise(&t, &admin(), new_topic("小区停车难", "assigned")).await);
    let t2 = id(&raise(&t, &admin(), new_topic("夜间停车", "assigned")).await);
    ok(
        topic_move(
            &t,
            &admin(),
            &t1,
            json!({"action": "claim", "members": [m1]}),
        )
        .await,
        200,
    )
    .await;

    // Planned: its topics are scheduled in the same request.
    let c = plan(&t, &[&t1, &t2], &[&m1, &m2]).await;
    let cid = id(&c);
    assert_eq!(c["status"], "planned");
    assert_eq!(c["allowed_actions"], json!(["hold", "cancel"]));
    assert_eq!(topic_status(&t, &t1).await["status"], "scheduled");
    assert_eq!(topic_status(&t, &t2).await["status"], "scheduled");
    assert_eq!(topic_status(&t, &t1).await["consultations"], json!([cid]));
    // A scheduled topic cannot be taken up twice.
    let p = problem(
        t.post("/api/v1/consultations", &staff("siming"), &json!({"title": "x", "district": "siming",
            "topics": [t1], "scheduled_on": today(), "place": "p", "format": "online", "host": "h"})).await,
        422,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().starts_with("topics[0]:"));

    // Held twelve days ago: topics consulted, opinions pending, each member credited once.
    let c = ok(
        consultation_move(&t, &cid, consultation_action("hold", &days_ago(12))).await,
        200,
    )
    .await;
    assert_eq!(c["status"], "held");
    assert_eq!(c["opinions"][1]["responsible_body"], "莲花社区居委会");
    assert_eq!(c["opinions"][0]["status"], "pending");
    assert_eq!(topic_status(&t, &t1).await["status"], "consulted");
    for m in [&m1, &m2] {
        let got = wait_for_credits(&t, m, 1).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["type"], "consultation");
        assert_eq!(got[0]["source"], "consultation");
        assert_eq!(got[0]["beneficiaries"], 12);
        assert_eq!(got[0]["date"], days_ago(12));
    }

    // Submitted ten days ago to the government and the party committee, copied to a bureau.
    let c = ok(
        consultation_move(
            &t,
            &cid,
            json!({"action": "submit", "date": days_ago(10),
            "recipients": [{"body": "government", "due_on": days_ago(3)},
                           {"body": "party_committee", "due_on": days_ago(5)},
                           {"body": "district_committee", "due_on": days_ahead(5)}],
            "copies": [{"name": "区交通运输局"}, {"name": "区城管局"}]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(c["status"], "submitted");
    let recipients = c["recipients"].as_array().unwrap();
    assert_eq!(recipients.len(), 5);
    let government = recipients
        .iter()
        .find(|r| r["body"] == "government")
        .unwrap();
    assert_eq!(recipients.iter().filter(|r| r["kind"] == "copy").count(), 2);

    // Overdue: the two past their date, oldest first.
    let overdue = items(&t, "/api/v1/consultations/overdue", &staff("siming")).await;
    let bodies: Vec<&str> = overdue
        .iter()
        .map(|o| o["recipient"]["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["party_committee", "government"]);
    assert_eq!(overdue[0]["days_overdue"], 5);
    assert!(
        items(&t, "/api/v1/consultations/overdue", &staff("huli"))
            .await
            .is_empty()
    );
    problem(
        t.get(
            "/api/v1/consultations/overdue?district=siming",
            &staff("huli"),
        )
        .await,
        403,
    )
    .await;

    // A follow-up: the government replied, an opinion was adopted; now following up.
    let opinion = c["opinions"][0]["id"].as_str().unwrap().to_string();
    let f = ok(
        t.post(
            &format!("/api/v1/consultations/{cid}/follow-ups"),
            &coordinator("siming"),
            &json!({"date": days_ago(1), "by_whom": "区政协社法委", "note": "已协调交警增设车位",
                    "opinions": [{"opinion": opinion, "status": "adopted"}],
                    "recipient": government["id"], "reply": "同意增设"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(f["opinions"][0]["status"], "adopted");
    let c = ok(
        t.get(&format!("/api/v1/consultations/{cid}"), &admin())
            .await,
        200,
    )
    .await;
    assert_eq!(c["status"], "following_up");
    assert_eq!(c["opinions"][0]["status"], "adopted");
    let g = c["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["body"] == "government")
        .unwrap()
        .clone();
    assert_eq!(g["reply"], "同意增设");
    assert_eq!(g["replied_on"], days_ago(1));
    let overdue = items(&t, "/api/v1/consultations/overdue", &admin()).await;
    assert_eq!(overdue.len(), 1);
    let fs = items(
        &t,
        &format!("/api/v1/consultations/{cid}/follow-ups"),
        &staff("siming"),
    )
    .await;
    assert_eq!(fs.len(), 1);
    // A copy does not reply; an opinion of nothing here is refused.
    let copy = c["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "copy")
        .unwrap()
        .clone();
    refused_reference(
        t.post(&format!("/api/v1/consultations/{cid}/follow-ups"), &admin(),
            &json!({"date": today(), "by_whom": "x", "note": "y", "recipient": copy["id"], "reply": "z"})).await,
        "recipient",
    )
    .await;
    refused_reference(
        t.post(
            &format!("/api/v1/consultations/{cid}/follow-ups"),
            &admin(),
            &json!({"date": today(), "by_whom": "x", "note": "y",
                    "opinions": [{"opinion": "other", "status": "adopted"}]}),
        )
        .await,
        "opinions[0].opinion",
    )
    .await;
    problem(
        t.post(
            &format!("/api/v1/consultations/{cid}/follow-ups"),
            &admin(),
            &json!({"date": days_ahead(3), "by_whom": "x", "note": "y"}),
        )
        .await,
        422,
    )
    .await;

    // Implemented: its topics resolved in the same transaction.
    let c = ok(
        consultation_move(&t, &cid, consultation_action("implement", &today())).await,
        200,
    )
    .await;
    assert_eq!(c["status"], "implemented");
    assert_eq!(c["allowed_actions"], json!([]));
    for topic in [&t1, &t2] {
        let v = topic_status(&t, topic).await;
        assert_eq!(v["status"], "resolved");
        assert_eq!(v["resolved_on"], today());
        assert_eq!(v["resolution_days"], 0);
    }
    assert!(
        items(&t, "/api/v1/consultations/overdue", &admin())
            .await
            .is_empty()
    );
    // Follow-ups are over.
    problem(
        t.post(
            &format!("/api/v1/consultations/{cid}/follow-ups"),
            &admin(),
            &json!({"date": today(), "by_whom": "x", "note": "y"}),
        )
        .await,
        409,
    )
    .await;

    // The topic's history names the consultation at each of its steps.
    let h = items(&t, &format!("/api/v1/topics/{t2}/history"), &admin()).await;
    let steps: Vec<&str> = h.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(steps, ["raise", "schedule", "consult", "resolve"]);
    assert_eq!(h[1]["details"]["consultation"], cid.as_str());
    let h = items(
        &t,
        &format!("/api/v1/consultations/{cid}/history"),
        &admin(),
    )
    .await;
    let steps: Vec<&str> = h.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(steps, ["plan", "hold", "submit", "follow_up", "implement"]);
    assert_eq!(h[1]["by"], "staff-siming");

    // The credits stayed one each.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(credits(&t, &m1).await.len(), 1);
    assert_eq!(credits(&t, &m2).await.len(), 1);
    t.stop().await;
}

/// The legal actions from each state, written out independently of the code.
fn allowed_in(state: &str) -> &'static [&'static str] {
    match state {
        "planned" => &["hold", "cancel"],
        "held" => &["submit"],
        "submitted" => &["follow_up", "close_unresolved"],
        "following_up" => &["implement", "close_unresolved"],
        _ => &[],
    }
}

#[actix_web::test]
async fn every_illegal_consultation_transition_is_409_with_the_allowed_actions() {
    let t = Stack::start().await;
    const ACTIONS: [&str; 6] = [
        "hold",
        "submit",
        "follow_up",
        "implement",
        "close_unresolved",
        "cancel",
    ];
    let paths: [(&str, &[&str]); 7] = [
        ("planned", &[]),
        ("held", &["hold"]),
        ("submitted", &["hold", "submit"]),
        ("following_up", &["hold", "submit", "follow_up"]),
        ("implemented", &["hold", "submit", "follow_up", "implement"]),
        ("closed_unresolved", &["hold", "submit", "close_unresolved"]),
        ("cancelled", &["cancel"]),
    ];
    for (state, path) in paths {
        let topic = id(&raise(&t, &admin(), new_topic(&format!("议题{state}"), "assigned")).await);
        let cid = id(&plan(&t, &[&topic], &[]).await);
        for step in path {
            ok(
                consultation_move(&t, &cid, consultation_action(step, &today())).await,
                200,
            )
            .await;
        }
        let v = ok(
            t.get(&format!("/api/v1/consultations/{cid}"), &admin())
                .await,
            200,
        )
        .await;
        assert_eq!(v["status"], state);
        assert_eq!(v["allowed_actions"], json!(allowed_in(state)), "{state}");
        for action in ACTIONS {
            if allowed_in(state).contains(&action) {
                continue;
            }
            let p = problem(
                consultation_move(&t, &cid, consultation_action(action, &today())).await,
                409,
            )
            .await;
            assert_eq!(
                p["allowed_actions"],
                json!(allowed_in(state)),
                "{state} --{action}"
            );
        }
        // What each end state did to the topic.
        let want = match state {
            "planned" => "scheduled",
            "held" | "submitted" | "following_up" => "consulted",
            "implemented" => "resolved",
            "closed_unresolved" => "unresolved",
            _ => "open",
        };
        assert_eq!(topic_status(&t, &topic).await["status"], want, "{state}");
    }
    t.stop().await;
}

#[actix_web::test]
async fn transitions_check_their_fields_and_versions() {
    let t = Stack::start().await;
    let topic = id(&raise(&t, &admin(), new_topic("停车", "assigned")).await);
    let m = member(&t, "林委员", "siming").await;
    ok(
        topic_move(
            &t,
            &admin(),
            &topic,
            json!({"action": "claim", "members": [m]}),
        )
        .await,
        200,
    )
    .await;
    let cid = id(&plan(&t, &[&topic], &[]).await);
    let p = problem(
        consultation_move(&t, &cid, json!({"action": "hold"})).await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["date", "minutes", "opinions"]);
    let p = problem(
        consultation_move(
            &t,
            &cid,
            json!({"action": "hold", "date": days_ahead(3), "minutes": "m",
        "opinions": [{"text": " ", "responsible_body": "x"}]}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["date", "opinions[0].text"]);
    // Credits dated before 2000 would be refused by membership: such dates are refused here.
    let p = problem(
        consultation_move(&t, &cid, consultation_action("hold", "1999-12-31")).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["date"]);
    let p = problem(
        consultation_move(&t, &cid, json!({"action": "cancel"})).await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["note"]);
    problem(
        consultation_move(
            &t,
            &cid,
            json!({"action": "cancel", "note": "x", "version": 7}),
        )
        .await,
        412,
    )
    .await;
    problem(
        t.post(
            &format!("/api/v1/consultations/{cid}/transitions"),
            &staff("huli"),
            &consultation_action("cancel", &today()),
        )
        .await,
        403,
    )
    .await;
    problem(
        t.post(
            &format!("/api/v1/consultations/{cid}/transitions"),
            &member_token(&m, "siming"),
            &consultation_action("cancel", &today()),
        )
        .await,
        403,
    )
    .await;
    problem(
        consultation_move(&t, "nothing", consultation_action("cancel", &today())).await,
        404,
    )
    .await;
    // Cancelled: the claimed topic goes back to claimed.
    ok(
        consultation_move(
            &t,
            &cid,
            json!({"action": "cancel", "note": "改期", "version": 1}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(topic_status(&t, &topic).await["status"], "claimed");
    // A department recipient needs its name, and a due date not before the submission.
    let topic = id(&raise(&t, &admin(), new_topic("停车2", "assigned")).await);
    let cid = id(&plan(&t, &[&topic], &[]).await);
    ok(
        consultation_move(&t, &cid, consultation_action("hold", &days_ago(3))).await,
        200,
    )
    .await;
    let p = problem(
        consultation_move(
            &t,
            &cid,
            json!({"action": "submit", "date": days_ago(1),
        "recipients": [{"body": "department", "due_on": days_ago(2)}]}),
        )
        .await,
        // Rules between fields (a department's name, a due date after the submission): 422.
        422,
    )
    .await;
    assert_eq!(fields(&p), ["recipients[0].name", "recipients[0].due_on"]);
    let p = problem(
        consultation_move(
            &t,
            &cid,
            json!({"action": "submit", "date": days_ago(1), "recipients": []}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["recipients"]);
    t.stop().await;
}

#[actix_web::test]
async fn membership_down_while_a_consultation_is_held_credits_arrive_once_after() {
    let mut t = Stack::start().await;
    let m1 = member(&t, "林委员", "siming").await;
    let m2 = member(&t, "黄委员", "siming").await;
    let topic = id(&raise(&t, &admin(), new_topic("小区停车难", "assigned")).await);
    let cid = id(&plan(&t, &[&topic], &[&m1, &m2]).await);

    t.stop_peer("membership").await;
    // The write succeeds while membership is down: the credits wait in the outbox.
    let c = ok(
        consultation_move(&t, &cid, consultation_action("hold", &today())).await,
        200,
    )
    .await;
    assert_eq!(c["status"], "held");
    assert_eq!(topic_status(&t, &topic).await["status"], "consulted");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    t.restart_peer("membership").await;

    for m in [&m1, &m2] {
        let got = wait_for_credits(&t, m, 1).await;
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0]["source_event_id"], format!("consultation/{cid}/{m}"));
    }
    // Exactly once: nothing more arrives.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(credits(&t, &m1).await.len(), 1);
    assert_eq!(credits(&t, &m2).await.len(), 1);
    t.stop().await;
}

#[actix_web::test]
async fn references_scope_and_masking() {
    let t = Stack::start().await;
    let m = member(&t, "林委员", "siming").await;
    let huli_member = member(&t, "陈委员", "huli").await;
    let huli_room = workroom(&t, "殿前工作室", "huli", "dianqian").await;
    let room = workroom(&t, "莲花好商量", "siming", "jialian").await;
    let topic = id(&raise(&t, &admin(), new_topic("小区停车难", "assigned")).await);
    let mut body = new_topic("殿前路口", "assigned");
    body["district"] = json!("huli");
    body["subdistrict"] = json!("dianqian");
    let huli_topic = id(&raise(&t, &admin(), body).await);
    let declined = id(&raise(&t, &admin(), new_topic("噪音", "assigned")).await);
    ok(
        topic_move(
            &t,
            &admin(),
            &declined,
            json!({"action": "decline", "reason": "x"}),
        )
        .await,
        200,
    )
    .await;

    let base = json!({"title": "微协商", "district": "siming", "topics": [topic], "scheduled_on": today(),
                      "place": "议事厅", "format": "mixed", "host": "工作室"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    refused_reference(
        t.post(
            "/api/v1/consultations",
            &staff("siming"),
            &with("topics", json!([topic, huli_topic])),
        )
        .await,
        "topics[1]",
    )
    .await;
    refused_reference(
        t.post(
            "/api/v1/consultations",
            &staff("siming"),
            &with("topics", json!(["nothing"])),
        )
        .await,
        "topics[0]",
    )
    .await;
    refused_reference(
        t.post(
            "/api/v1/consultations",
            &staff("siming"),
            &with("topics", json!([declined])),
        )
        .await,
        "topics[0]",
    )
    .await;
    refused_reference(
        t.post(
            "/api/v1/consultations",
            &staff("siming"),
            &with("members", json!([m, huli_member])),
        )
        .await,
        "members[1]",
    )
    .await;
    refused_reference(
        t.post(
            "/api/v1/consultations",
            &staff("siming"),
            &with("workroom", json!(huli_room)),
        )
        .await,
        "workroom",
    )
    .await;
    let p = problem(
        t.post(
            "/api/v1/consultations",
            &staff("siming"),
            &with("topics", json!([])),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["topics"]);
    problem(
        t.post("/api/v1/consultations", &staff("huli"), &base).await,
        403,
    )
    .await;
    problem(
        t.post("/api/v1/consultations", &member_token(&m, "siming"), &base)
            .await,
        403,
    )
    .await;
    // Nothing half-written: the topic is still open.
    assert_eq!(topic_status(&t, &topic).await["status"], "open");

    let mut b = with("workroom", json!(room));
    b["members"] = json!([m]);
    b["resident_names"] = json!(["王小明"]);
    let c = ok(
        t.post("/api/v1/consultations", &staff("siming"), &b).await,
        201,
    )
    .await;
    let cid = id(&c);
    assert_eq!(c["subdistrict"], "jialian");
    assert_eq!(c["resident_names"], json!(["王小明"]));
    // Members and integrations see residents' names masked.
    let v = ok(
        t.get(
            &format!("/api/v1/consultations/{cid}"),
            &member_token(&m, "siming"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["resident_names"], json!(["王**"]));
    assert_eq!(v["resident_names_masked"], true);
    assert_eq!(v["allowed_actions"], json!([]));
    let v = ok(
        t.get(&format!("/api/v1/consultations/{cid}"), &dashboard())
            .await,
        200,
    )
    .await;
    assert_eq!(v["resident_names"], json!(["王**"]));
    // Scope: reads and lists agree.
    problem(
        t.get(&format!("/api/v1/consultations/{cid}"), &staff("huli"))
            .await,
        403,
    )
    .await;
    problem(
        t.get(
            &format!("/api/v1/consultations/{cid}/history"),
            &staff("huli"),
        )
        .await,
        403,
    )
    .await;
    problem(
        t.get(
            &format!("/api/v1/consultations/{cid}/follow-ups"),
            &staff("huli"),
        )
        .await,
        403,
    )
    .await;
    problem(
        t.get(&format!("/api/v1/consultations/{cid}"), &resident("r"))
            .await,
        403,
    )
    .await;
    problem(
        t.get("/api/v1/consultations?district=siming", &staff("huli"))
            .await,
        403,
    )
    .await;
    assert!(
        ids(&t, "/api/v1/consultations", &staff("huli"))
            .await
            .is_empty()
    );
    assert_eq!(
        ids(&t, "/api/v1/consultations", &staff("siming")).await,
        std::slice::from_ref(&cid)
    );
    assert_eq!(
        ids(&t, &format!("/api/v1/consultations?member={m}"), &admin()).await,
        std::slice::from_ref(&cid)
    );
    assert_eq!(
        ids(
            &t,
            &format!("/api/v1/consultations?topic={topic}"),
            &admin()
        )
        .await,
        std::slice::from_ref(&cid)
    );
    assert!(
        ids(&t, "/api/v1/consultations?status=held", &admin())
            .await
            .is_empty()
    );

    // Edits while planned, versioned; members checked.
    let path = format!("/api/v1/consultations/{cid}");
    problem(
        t.patch(&path, &staff("siming"), &json!({"place": "新址"}))
            .await,
        428,
    )
    .await;
    problem(
        t.patch(
            &path,
            &staff("siming"),
            &json!({"place": "新址", "version": 5}),
        )
        .await,
        412,
    )
    .await;
    refused_reference(
        t.patch(
            &path,
            &staff("siming"),
            &json!({"members": [huli_member], "version": 1}),
        )
        .await,
        "members[0]",
    )
    .await;
    let v = ok(
        t.patch(
            &path,
            &staff("siming"),
            &json!({"place": "新址", "members": [], "version": 1}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["place"], "新址");
    assert_eq!(v["members"], json!([]));
    ok(
        consultation_move(&t, &cid, consultation_action("hold", &today())).await,
        200,
    )
    .await;
    problem(
        t.patch(
            &path,
            &staff("siming"),
            &json!({"place": "x", "version": 3}),
        )
        .await,
        409,
    )
    .await;
    t.stop().await;
}
