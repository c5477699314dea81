//! The statistics against hand-counted fixtures: Siming's line (23 problems solved) and a
//! Haicang-style mediation and legal-consultation line, district scoping and periods.

use crate::common::*;
use serde_json::{Value, json};

fn count(list: &Value, value: &str) -> i64 {
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"] == value)
        .unwrap_or_else(|| panic!("no {value} in {list}"))["count"]
        .as_i64()
        .unwrap()
}

async fn case(t: &Stack, mediator: &str, received: u64, steps: &[(&str, u64)]) {
    let c = ok(
        t.post(
            "/api/v1/mediation-cases",
            &staff("siming"),
            &json!({"district": "siming", "dispute_type": "labour", "summary": "欠薪纠纷",
                    "parties": [{"name": "张三"}], "mediators": [mediator],
                    "received_on": days_ago(received)}),
        )
        .await,
        201,
    )
    .await;
    let cid = id(&c);
    for (action, ago) in steps {
        let mut body = json!({"action": action, "date": days_ago(*ago)});
        match *action {
            "sign_agreement" => body["summary"] = json!("达成协议"),
            "refer" => body["referred_to"] = json!("court"),
            _ => {}
        }
        ok(
            t.post(
                &format!("/api/v1/mediation-cases/{cid}/transitions"),
                &staff("siming"),
                &body,
            )
            .await,
            200,
        )
        .await;
    }
}

#[actix_web::test]
async fn statistics_reproduce_hand_counted_records() {
    let t = Stack::start().await;
    let w = workroom(&t, "莲花好商量", "siming", "jialian").await;
    let m = member(&t, "林委员", "siming").await;

    // 21 assigned topics (one declined), 3 public, 2 member-chosen (left open).
    let mut assigned = Vec::new();
    for i in 0..21 {
        assigned.push(id(&raise(
            &t,
            &coordinator("siming"),
            new_topic(&format!("议题{i}"), "assigned"),
        )
        .await));
    }
    ok(
        topic_move(
            &t,
            &admin(),
            &assigned[20],
            json!({"action": "decline", "reason": "不属实"}),
        )
        .await,
        200,
    )
    .await;
    let mut public = Vec::new();
    for i in 0..3 {
        let mut body = new_topic(&format!("居民出题{i}"), "public");
        body["workroom"] = json!(w);
        public.push(id(&raise(&t, &resident(&format!("res-{i}")), body).await));
    }
    for i in 0..2 {
        raise(
            &t,
            &member_token(&m, "siming"),
            new_topic(&format!("委员选题{i}"), "member_chosen"),
        )
        .await;
    }

    // C1 takes up 20 assigned topics and is implemented; C2 takes up the public ones, is
    // followed up, and its topics are resolved by hand; one of its replies is overdue.
    let refs: Vec<&str> = assigned[..20].iter().map(String::as_str).collect();
    let c1 = id(&plan(&t, &refs, &[&m]).await);
    ok(
        consultation_move(&t, &c1, consultation_action("hold", &days_ago(10))).await,
        200,
    )
    .await;
    let v = ok(
        consultation_move(&t, &c1, consultation_action("submit", &days_ago(9))).await,
        200,
    )
    .await;
    let op = v["opinions"][0]["id"].clone();
    ok(
        t.post(
            &format!("/api/v1/consultations/{c1}/follow-ups"),
            &admin(),
            &json!({"date": days_ago(5), "by_whom": "社法委", "note": "已落实",
                "opinions": [{"opinion": op, "status": "implemented"}]}),
        )
        .await,
        201,
    )
    .await;
    ok(
        consultation_move(&t, &c1, consultation_action("implement", &today())).await,
        200,
    )
    .await;
    let refs: Vec<&str> = public.iter().map(String::as_str).collect();
    let c2 = id(&plan(&t, &refs, &[&m]).await);
    ok(
        consultation_move(&t, &c2, consultation_action("hold", &days_ago(8))).await,
        200,
    )
    .await;
    let v = ok(
        consultation_move(
            &t,
            &c2,
            json!({"action": "submit", "date": days_ago(7),
        "recipients": [{"body": "government", "due_on": days_ago(2)},
                       {"body": "party_committee", "due_on": days_ahead(3)}]}),
        )
        .await,
        200,
    )
    .await;
    let op = v["opinions"][1]["id"].clone();
    ok(
        t.post(
            &format!("/api/v1/consultations/{c2}/follow-ups"),
            &admin(),
            &json!({"date": days_ago(1), "by_whom": "社法委", "note": "部门采纳",
                "opinions": [{"opinion": op, "status": "adopted"}]}),
        )
        .await,
        201,
    )
    .await;
    for p in &public {
        ok(
            topic_move(&t, &admin(), p, json!({"action": "resolve"})).await,
            200,
        )
        .await;
    }

    // Mediation: signed in 5, 2 and (long ago) 10 days, failed after 8, referred after 3,
    // one still in mediation.
    case(&t, &m, 20, &[("start", 20), ("sign_agreement", 15)]).await;
    case(&t, &m, 12, &[("start", 12), ("sign_agreement", 10)]).await;
    case(&t, &m, 9, &[("start", 9), ("fail", 1)]).await;
    case(&t, &m, 7, &[("refer", 4)]).await;
    case(&t, &m, 3, &[("start", 3)]).await;
    case(&t, &m, 60, &[("start", 60), ("sign_agreement", 50)]).await;

    // Receptions: 7 legal consultations (4 visits, 3 by hotline), 2 by WeChat, 1 by mailbox.
    for (channel, category, n) in [
        ("visit", "legal_consultation", 4),
        ("hotline", "legal_consultation", 3),
        ("wechat", "livelihood", 2),
        ("mailbox", "dispute", 1),
    ] {
        for _ in 0..n {
            ok(
                t.post(
                    "/api/v1/receptions",
                    &staff("siming"),
                    &json!({"workroom": w, "date": today(), "members": [m], "channel": channel,
                        "category": category, "concern": "咨询", "handling": "answered"}),
                )
                .await,
                201,
            )
            .await;
        }
    }

    // Another district's records, which siming's figures must not count.
    let hm = member(&t, "陈委员", "huli").await;
    let hw = workroom(&t, "殿前工作室", "huli", "dianqian").await;
    let mut body = new_topic("殿前路口", "assigned");
    body["district"] = json!("huli");
    body["subdistrict"] = json!("dianqian");
    raise(&t, &admin(), body).await;
    ok(t.post("/api/v1/receptions", &admin(), &json!({"workroom": hw, "date": today(), "members": [hm],
        "channel": "visit", "category": "legal_consultation", "concern": "咨询", "handling": "answered"})).await, 201).await;

    let s = ok(
        t.get("/api/v1/stats/consultation", &staff("siming")).await,
        200,
    )
    .await;
    assert_eq!(s["district"], "siming");
    assert_eq!(s["topics"], 26);
    assert_eq!(count(&s["topics_by_origin"], "assigned"), 21);
    assert_eq!(count(&s["topics_by_origin"], "public"), 3);
    assert_eq!(count(&s["topics_by_origin"], "member_chosen"), 2);
    assert_eq!(count(&s["topics_by_status"], "resolved"), 23);
    assert_eq!(count(&s["topics_by_status"], "open"), 2);
    assert_eq!(count(&s["topics_by_status"], "declined"), 1);
    assert_eq!(count(&s["topics_by_status"], "merged"), 0);
    assert_eq!(
        s["topics_by_origin_and_status"],
        json!([
        {"origin": "assigned", "status": "declined", "topics": 1},
        {"origin": "assigned", "status": "resolved", "topics": 20},
        {"origin": "member_chosen", "status": "open", "topics": 2},
        {"origin": "public", "status": "resolved", "topics": 3}])
    );
    // Siming's line: 23 problems solved.
    assert_eq!(s["problems_solved"], 23);
    assert_eq!(s["median_days_to_resolution"], 0.0);
    assert_eq!(s["consultations_held"], 2);
    assert_eq!(count(&s["opinions_by_status"], "pending"), 2);
    assert_eq!(count(&s["opinions_by_status"], "implemented"), 1);
    assert_eq!(count(&s["opinions_by_status"], "adopted"), 1);
    assert_eq!(s["overdue_replies"], 1);
    // Mediation: 6 received, 5 mediated to an outcome, 3 of them signed.
    assert_eq!(s["mediation"]["cases_received"], 6);
    assert_eq!(s["mediation"]["disputes_mediated"], 5);
    assert_eq!(count(&s["mediation"]["by_outcome"], "agreement_signed"), 3);
    assert_eq!(count(&s["mediation"]["by_outcome"], "failed"), 1);
    assert_eq!(count(&s["mediation"]["by_outcome"], "referred"), 1);
    assert_eq!(s["mediation"]["success_rate"], 0.6);
    assert_eq!(s["mediation"]["median_days"], 5.0);
    // Receptions: 10, of which 7 legal consultations.
    assert_eq!(s["receptions"], 10);
    assert_eq!(s["legal_consultations"], 7);
    assert_eq!(count(&s["receptions_by_channel"], "visit"), 4);
    assert_eq!(count(&s["receptions_by_channel"], "hotline"), 3);
    assert_eq!(count(&s["receptions_by_channel"], "wechat"), 2);
    assert_eq!(count(&s["receptions_by_channel"], "mailbox"), 1);
    assert_eq!(count(&s["receptions_by_category"], "dispute"), 1);
    assert_eq!(count(&s["receptions_by_category"], "policy"), 0);

    // The last 30 days: the case signed 50 days ago drops out.
    let s = ok(
        t.get(
            &format!(
                "/api/v1/stats/consultation?district=siming&from={}",
                days_ago(30)
            ),
            &dashboard(),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(s["mediation"]["cases_received"], 5);
    assert_eq!(s["mediation"]["disputes_mediated"], 4);
    assert_eq!(s["mediation"]["success_rate"], 0.5);
    assert_eq!(s["mediation"]["median_days"], 4.0);
    assert_eq!(s["problems_solved"], 23);
    // Before today: no topics were raised, none solved; the consultations were held.
    let s = ok(
        t.get(
            &format!(
                "/api/v1/stats/consultation?district=siming&to={}",
                days_ago(1)
            ),
            &admin(),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(s["topics"], 0);
    assert_eq!(s["problems_solved"], 0);
    assert_eq!(s["median_days_to_resolution"], Value::Null);
    assert_eq!(s["consultations_held"], 2);
    assert_eq!(s["receptions"], 0);
    // A subdistrict, and the whole city.
    let s = ok(
        t.get(
            "/api/v1/stats/consultation?subdistrict=dianqian",
            &dashboard(),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(s["topics"], 1);
    assert_eq!(s["legal_consultations"], 1);
    let s = ok(t.get("/api/v1/stats/consultation", &dashboard()).await, 200).await;
    assert_eq!(s["topics"], 27);
    assert_eq!(s["legal_consultations"], 8);
    assert_eq!(s["district"], Value::Null);

    // Who may ask.
    problem(
        t.get("/api/v1/stats/consultation?district=siming", &staff("huli"))
            .await,
        403,
    )
    .await;
    problem(
        t.get("/api/v1/stats/consultation", &member_token(&m, "siming"))
            .await,
        403,
    )
    .await;
    problem(
        t.get("/api/v1/stats/consultation", &resident("r")).await,
        403,
    )
    .await;
    let p = problem(
        t.get(
            &format!(
                "/api/v1/stats/consultation?from={}&to={}",
                today(),
                days_ago(3)
            ),
            &admin(),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["to"]);
    problem(
        t.get("/api/v1/stats/consultation?from=yesterday", &admin())
            .await,
        400,
    )
    .await;
    let s = ok(
        t.get("/api/v1/stats/consultation", &coordinator("huli"))
            .await,
        200,
    )
    .await;
    assert_eq!(s["district"], "huli");
    assert_eq!(s["topics"], 1);
    t.stop().await;
}
