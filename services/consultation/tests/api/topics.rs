//! Topics through the gateway: three origins and who may raise them, references checked with
//! membership (422), the lifecycle and its history, residents' privacy, district scoping,
//! Chinese search and similar topics, versioned edits.

use crate::common::*;
use serde_json::{Value, json};

#[actix_web::test]
async fn topics_come_from_three_origins_and_references_are_checked() {
    let t = Stack::start().await;
    let w = workroom(&t, "莲花好商量", "siming", "jialian").await;
    let m = member(&t, "林委员", "siming").await;
    let huli_member = member(&t, "陈委员", "huli").await;
    let huli_room = workroom(&t, "殿前工作室", "huli", "dianqian").await;
    let applied = applied_workroom(&t, "筹建工作室", "siming", "jialian").await;

    // 点题: a coordinator of the district.
    let assigned = raise(
        &t,
        &coordinator("siming"),
        new_topic("背街小巷照明不足", "assigned"),
    )
    .await;
    assert_eq!(assigned["origin"], "assigned");
    assert_eq!(assigned["status"], "open");
    assert_eq!(assigned["raised_by_role"], "coordinator");
    // 出题: a resident, at an active workroom, with contact details.
    let mut body = new_topic("小区停车难", "public");
    body["workroom"] = json!(w);
    body["contact"] = json!({"name": "王小明", "phone": "13900001111"});
    let public = raise(&t, &resident("res-a"), body).await;
    assert_eq!(public["raised_by"], "res-a");
    assert_eq!(public["contact_phone"], "13900001111");
    // 选答题: a member proposes one in their own name.
    let chosen = raise(
        &t,
        &member_token(&m, "siming"),
        new_topic("老旧小区加装电梯", "member_chosen"),
    )
    .await;
    assert_eq!(chosen["proposer_member"], m.as_str());
    // Staff raising a member-chosen topic name the member, who must be the district's.
    let mut body = new_topic("社区食堂", "member_chosen");
    problem(t.post("/api/v1/topics", &staff("siming"), &body).await, 422).await;
    body["proposer_member"] = json!(huli_member);
    refused_reference(
        t.post("/api/v1/topics", &staff("siming"), &body).await,
        "proposer_member",
    )
    .await;
    body["proposer_member"] = json!("no-such-member");
    refused_reference(
        t.post("/api/v1/topics", &staff("siming"), &body).await,
        "proposer_member",
    )
    .await;
    body["proposer_member"] = json!(m);
    raise(&t, &staff("siming"), body).await;

    // Who may raise which.
    problem(
        t.post(
            "/api/v1/topics",
            &resident("res-a"),
            &new_topic("x", "assigned"),
        )
        .await,
        403,
    )
    .await;
    problem(
        t.post(
            "/api/v1/topics",
            &member_token(&m, "siming"),
            &new_topic("x", "assigned"),
        )
        .await,
        403,
    )
    .await;
    problem(
        t.post(
            "/api/v1/topics",
            &member_token(&huli_member, "huli"),
            &new_topic("x", "member_chosen"),
        )
        .await,
        403,
    )
    .await;
    problem(
        t.post(
            "/api/v1/topics",
            &coordinator("huli"),
            &new_topic("x", "assigned"),
        )
        .await,
        403,
    )
    .await;
    problem(
        t.post("/api/v1/topics", &dashboard(), &new_topic("x", "assigned"))
            .await,
        403,
    )
    .await;

    // References: each unknown or misplaced one is a 422 naming its field.
    let mut body = new_topic("x", "assigned");
    body["subdistrict"] = json!("nowhere");
    refused_reference(
        t.post("/api/v1/topics", &admin(), &body).await,
        "subdistrict",
    )
    .await;
    body["subdistrict"] = json!("dianqian");
    refused_reference(
        t.post("/api/v1/topics", &admin(), &body).await,
        "subdistrict",
    )
    .await;
    let mut body = new_topic("x", "assigned");
    body["community"] = json!("nowhere");
    refused_reference(t.post("/api/v1/topics", &admin(), &body).await, "community").await;
    body["community"] = json!("lianhua");
    raise(&t, &admin(), body).await;
    let mut body = new_topic("x", "public");
    body["workroom"] = json!(huli_room);
    refused_reference(
        t.post("/api/v1/topics", &resident("res-a"), &body).await,
        "workroom",
    )
    .await;
    body["workroom"] = json!("no-such-room");
    refused_reference(
        t.post("/api/v1/topics", &resident("res-a"), &body).await,
        "workroom",
    )
    .await;
    body["workroom"] = json!(applied);
    refused_reference(
        t.post("/api/v1/topics", &resident("res-a"), &body).await,
        "workroom",
    )
    .await;

    // Bad input names its fields; contact details are for public topics.
    let p = problem(
        t.post(
            "/api/v1/topics",
            &admin(),
            &json!({"title": " ", "description": "d", "district": "siming",
            "subdistrict": "jialian", "category": "livelihood", "origin": "assigned",
            "contact": {"phone": "12ab"}}),
        )
        .await,
        400,
    )
    .await;
    let f = fields(&p);
    assert!(
        f.contains(&"title".to_string()) && f.contains(&"contact".to_string()),
        "{f:?}"
    );
    let mut body = new_topic("x", "assigned");
    body["category"] = json!("weather");
    problem(t.post("/api/v1/topics", &admin(), &body).await, 400).await;
    t.stop().await;
}

#[actix_web::test]
async fn membership_down_is_a_503_and_nothing_is_written() {
    let mut t = Stack::start().await;
    t.stop_peer("membership").await;
    problem(
        t.post("/api/v1/topics", &admin(), &new_topic("停水", "assigned"))
            .await,
        503,
    )
    .await;
    t.restart_peer("membership").await;
    assert!(ids(&t, "/api/v1/topics", &admin()).await.is_empty());
    raise(&t, &admin(), new_topic("停水", "assigned")).await;
    t.stop().await;
}

#[actix_web::test]
async fn the_topic_lifecycle_by_hand_and_every_illegal_move() {
    let t = Stack::start().await;
    let m1 = member(&t, "林委员", "siming").await;
    let m2 = member(&t, "黄委员", "siming").await;
    let other = member(&t, "陈委员", "huli").await;
    let w = workroom(&t, "莲花好商量", "siming", "jialian").await;
    let topic = id(&raise(
        &t,
        &coordinator("siming"),
        new_topic("小区停车难", "assigned"),
    )
    .await);

    // Open: claim, decline, merge are possible; the consultation's moves are not offered.
    let v = ok(
        t.get(&format!("/api/v1/topics/{topic}"), &staff("siming"))
            .await,
        200,
    )
    .await;
    assert_eq!(v["allowed_actions"], json!(["claim", "decline", "merge"]));
    let p = problem(
        topic_move(&t, &staff("siming"), &topic, json!({"action": "resolve"})).await,
        409,
    )
    .await;
    assert_eq!(p["allowed_actions"], json!(["claim", "decline", "merge"]));
    let p = problem(
        topic_move(&t, &staff("siming"), &topic, json!({"action": "schedule"})).await,
        409,
    )
    .await;
    assert_eq!(p["allowed_actions"], json!(["claim", "decline", "merge"]));

    // A member claims it for themself; staff add a member and a workroom.
    let v = ok(
        topic_move(
            &t,
            &member_token(&m1, "siming"),
            &topic,
            json!({"action": "claim"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["status"], "claimed");
    assert_eq!(v["claimed_members"], json!([m1]));
    assert_eq!(v["allowed_actions"], json!(["claim"]));
    problem(
        topic_move(
            &t,
            &member_token(&m1, "siming"),
            &topic,
            json!({"action": "claim", "members": [m2]}),
        )
        .await,
        403,
    )
    .await;
    problem(
        topic_move(
            &t,
            &member_token(&m1, "siming"),
            &topic,
            json!({"action": "decline", "reason": "x"}),
        )
        .await,
        403,
    )
    .await;
    refused_reference(
        topic_move(
            &t,
            &staff("siming"),
            &topic,
            json!({"action": "claim", "members": [other]}),
        )
        .await,
        "members[0]",
    )
    .await;
    refused_reference(
        topic_move(
            &t,
            &staff("siming"),
            &topic,
            json!({"action": "claim", "members": [m2, "nobody"]}),
        )
        .await,
        "members[1]",
    )
    .await;
    refused_reference(
        topic_move(
            &t,
            &staff("siming"),
            &topic,
            json!({"action": "claim", "workroom": "nowhere"}),
        )
        .await,
        "workroom",
    )
    .await;
    let v = ok(
        topic_move(
            &t,
            &staff("siming"),
            &topic,
            json!({"action": "claim", "members": [m2], "workroom": w}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["claimed_members"], json!([m1, m2]));
    assert_eq!(v["claimed_workroom"], w.as_str());
    // Claimed: only another claim; declining or merging is over.
    for action in [
        json!({"action": "decline", "reason": "重复"}),
        json!({"action": "merge", "into": topic}),
        json!({"action": "resolve"}),
        json!({"action": "leave_unresolved"}),
        json!({"action": "consult"}),
    ] {
        let p = problem(topic_move(&t, &staff("siming"), &topic, action).await, 409).await;
        assert_eq!(p["allowed_actions"], json!(["claim"]));
    }

    // Decline needs a reason; a declined topic is at its end.
    let declined = id(&raise(&t, &admin(), new_topic("广场舞噪音", "assigned")).await);
    let p = problem(
        topic_move(
            &t,
            &staff("siming"),
            &declined,
            json!({"action": "decline"}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["reason"]);
    let p = problem(
        topic_move(
            &t,
            &staff("siming"),
            &declined,
            json!({"action": "decline", "reason": "x", "into": topic}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["into"]);
    let v = ok(
        topic_move(
            &t,
            &staff("siming"),
            &declined,
            json!({"action": "decline", "reason": "属物业管理范围"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["status"], "declined");
    assert_eq!(v["declined_reason"], "属物业管理范围");
    for action in [
        "claim",
        "merge",
        "resolve",
        "leave_unresolved",
        "schedule",
        "unschedule",
        "consult",
    ] {
        let p = problem(
            topic_move(
                &t,
                &staff("siming"),
                &declined,
                json!({"action": action, "into": topic}),
            )
            .await,
            if action == "merge" { 409 } else { 400 },
        )
        .await;
        if action == "merge" {
            assert_eq!(p["allowed_actions"], json!([]));
        }
    }
    let p = problem(
        topic_move(
            &t,
            &staff("siming"),
            &declined,
            json!({"action": "claim", "members": [m1]}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(p["allowed_actions"], json!([]));

    // Merge: into an open or claimed topic of the district, never itself.
    let dup = id(&raise(&t, &admin(), new_topic("停车难问题", "assigned")).await);
    refused_reference(
        topic_move(
            &t,
            &staff("siming"),
            &dup,
            json!({"action": "merge", "into": dup}),
        )
        .await,
        "into",
    )
    .await;
    refused_reference(
        topic_move(
            &t,
            &staff("siming"),
            &dup,
            json!({"action": "merge", "into": "nothing"}),
        )
        .await,
        "into",
    )
    .await;
    refused_reference(
        topic_move(
            &t,
            &staff("siming"),
            &dup,
            json!({"action": "merge", "into": declined}),
        )
        .await,
        "into",
    )
    .await;
    let v = ok(
        topic_move(
            &t,
            &staff("siming"),
            &dup,
            json!({"action": "merge", "into": topic}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["status"], "merged");
    assert_eq!(v["merged_into"], topic.as_str());

    // Another district's staff may not move it; stale versions are refused.
    problem(
        topic_move(
            &t,
            &staff("huli"),
            &topic,
            json!({"action": "claim", "members": [m1]}),
        )
        .await,
        403,
    )
    .await;
    problem(
        topic_move(
            &t,
            &staff("siming"),
            &topic,
            json!({"action": "claim", "members": [m1], "version": 1}),
        )
        .await,
        412,
    )
    .await;

    // History: who and when, oldest first.
    let h = items(
        &t,
        &format!("/api/v1/topics/{topic}/history"),
        &staff("siming"),
    )
    .await;
    let steps: Vec<(&str, &str)> = h
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["to_status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("raise", "open"),
            ("claim", "claimed"),
            ("claim", "claimed")
        ]
    );
    assert_eq!(h[0]["by"], "coord-siming");
    assert_eq!(h[1]["by"], format!("user-{m1}"));
    assert_eq!(h[2]["details"]["workroom"], w.as_str());
    problem(
        t.get(&format!("/api/v1/topics/{topic}/history"), &staff("huli"))
            .await,
        403,
    )
    .await;
    problem(
        t.get(
            &format!("/api/v1/topics/{topic}/history"),
            &resident("res-a"),
        )
        .await,
        403,
    )
    .await;
    problem(
        t.get("/api/v1/topics/nothing/history", &staff("siming"))
            .await,
        404,
    )
    .await;
    t.stop().await;
}

#[actix_web::test]
async fn residents_see_their_own_topics_and_the_public_face_of_others() {
    let t = Stack::start().await;
    let w = workroom(&t, "莲花好商量", "siming", "jialian").await;
    let m = member(&t, "林委员", "siming").await;
    let mut body = new_topic("小区停车难", "public");
    body["workroom"] = json!(w);
    body["contact"] = json!({"name": "王小明", "phone": "13900001111"});
    let a = id(&raise(&t, &resident("res-a"), body.clone()).await);
    body["title"] = json!("路灯不亮");
    body["contact"] = json!({"name": "李大华", "phone": "13700002222"});
    let b = id(&raise(&t, &resident("res-b"), body.clone()).await);
    let assigned = id(&raise(&t, &admin(), new_topic("背街小巷", "assigned")).await);

    // B reads A's topic: the public face, nobody's identity.
    let v = ok(
        t.get(&format!("/api/v1/topics/{a}"), &resident("res-b"))
            .await,
        200,
    )
    .await;
    assert_eq!(v["raised_by"], Value::Null);
    assert_eq!(v["contact_name"], Value::Null);
    assert_eq!(v["contact_phone"], Value::Null);
    assert_eq!(v["created_by"], Value::Null);
    assert_eq!(v["updated_by"], Value::Null);
    assert_eq!(v["allowed_actions"], json!([]));
    // A reads their own whole.
    let v = ok(
        t.get(&format!("/api/v1/topics/{a}"), &resident("res-a"))
            .await,
        200,
    )
    .await;
    assert_eq!(v["raised_by"], "res-a");
    assert_eq!(v["contact_name"], "王小明");
    // Residents never see assigned topics, nor anything about another's in a list.
    problem(
        t.get(&format!("/api/v1/topics/{assigned}"), &resident("res-b"))
            .await,
        404,
    )
    .await;
    let listed = items(&t, "/api/v1/topics", &resident("res-b")).await;
    let got: Vec<String> = listed.iter().map(id).collect();
    assert_eq!(got, [a.clone(), b.clone()]);
    assert_eq!(listed[0]["contact_phone"], Value::Null);
    assert_eq!(listed[0]["raised_by"], Value::Null);
    assert_eq!(listed[1]["contact_phone"], "13700002222");
    assert_eq!(
        ids(&t, "/api/v1/topics?mine=true", &resident("res-b")).await,
        std::slice::from_ref(&b)
    );
    problem(
        t.get("/api/v1/topics?mine=true", &staff("siming")).await,
        422,
    )
    .await;

    // Declined: the reason for A, gone for B.
    ok(
        topic_move(
            &t,
            &staff("siming"),
            &a,
            json!({"action": "decline", "reason": "已列入市政计划"}),
        )
        .await,
        200,
    )
    .await;
    let v = ok(
        t.get(&format!("/api/v1/topics/{a}"), &resident("res-a"))
            .await,
        200,
    )
    .await;
    assert_eq!(v["declined_reason"], "已列入市政计划");
    problem(
        t.get(&format!("/api/v1/topics/{a}"), &resident("res-b"))
            .await,
        404,
    )
    .await;
    assert_eq!(
        ids(&t, "/api/v1/topics", &resident("res-b")).await,
        std::slice::from_ref(&b)
    );

    // Merged: whoever raised the duplicate follows the surviving one (without its raiser).
    body["title"] = json!("路灯坏了");
    body["contact"] = json!({"name": "赵三", "phone": "13600003333"});
    let c = id(&raise(&t, &resident("res-c"), body.clone()).await);
    ok(
        topic_move(
            &t,
            &staff("siming"),
            &c,
            json!({"action": "merge", "into": b}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        ids(&t, "/api/v1/topics?mine=true", &resident("res-c")).await,
        [b.clone(), c.clone()]
    );
    let v = ok(
        t.get(&format!("/api/v1/topics/{b}"), &resident("res-c"))
            .await,
        200,
    )
    .await;
    assert_eq!(v["raised_by"], Value::Null);
    assert_eq!(v["contact_name"], Value::Null);

    // Staff see contact details whole (recorded), members masked.
    // (The staff's transitions above answered with the contact details too, and were recorded.)
    let before = personal_data_reads(&t).await.len();
    assert_eq!(before, 2);
    let v = ok(
        t.get(&format!("/api/v1/topics/{b}"), &staff("siming"))
            .await,
        200,
    )
    .await;
    assert_eq!(v["contact_phone"], "13700002222");
    assert_eq!(v["raised_by"], "res-b");
    let reads = personal_data_reads(&t).await;
    assert_eq!(reads.len(), before + 1);
    assert_eq!(reads[0]["subject_id"], b.as_str());
    assert_eq!(reads[0]["subject_kind"], "topic_contact");
    let v = ok(
        t.get(&format!("/api/v1/topics/{b}"), &member_token(&m, "siming"))
            .await,
        200,
    )
    .await;
    assert_eq!(v["contact_phone"], "137****2222");
    assert_eq!(v["contact_name"], "李**");
    assert_eq!(v["contact_masked"], true);
    let v = ok(
        t.get(&format!("/api/v1/topics/{b}"), &dashboard()).await,
        200,
    )
    .await;
    assert_eq!(v["contact_phone"], "137****2222");
    assert_eq!(personal_data_reads(&t).await.len(), before + 1);

    // A workroom that is no longer active takes its public topics out of residents' sight.
    ok(
        t.post(
            &format!("/api/v1/workrooms/{w}/transitions"),
            &admin(),
            &json!({"action": "suspend", "reason": "装修"}),
        )
        .await,
        200,
    )
    .await;
    problem(
        t.get(&format!("/api/v1/topics/{b}"), &resident("res-a"))
            .await,
        404,
    )
    .await;
    assert!(ids(&t, "/api/v1/topics", &resident("res-a")).await == std::slice::from_ref(&a));
    // Their own stays theirs.
    ok(
        t.get(&format!("/api/v1/topics/{b}"), &resident("res-b"))
            .await,
        200,
    )
    .await;
    t.stop().await;
}

#[actix_web::test]
async fn every_read_and_list_is_scoped_to_the_district() {
    let t = Stack::start().await;
    let siming = id(&raise(&t, &admin(), new_topic("小区停车难", "assigned")).await);
    let mut body = new_topic("殿前路口拥堵", "assigned");
    body["district"] = json!("huli");
    body["subdistrict"] = json!("dianqian");
    let huli = id(&raise(&t, &admin(), body).await);
    let m = member(&t, "林委员", "siming").await;

    problem(
        t.get(&format!("/api/v1/topics/{siming}"), &staff("huli"))
            .await,
        403,
    )
    .await;
    problem(
        t.get(&format!("/api/v1/topics/{siming}"), &coordinator("huli"))
            .await,
        403,
    )
    .await;
    problem(
        t.get("/api/v1/topics?district=siming", &staff("huli"))
            .await,
        403,
    )
    .await;
    assert_eq!(
        ids(&t, "/api/v1/topics", &staff("huli")).await,
        std::slice::from_ref(&huli)
    );
    assert_eq!(
        ids(&t, "/api/v1/topics", &member_token(&m, "siming")).await,
        std::slice::from_ref(&siming)
    );
    assert_eq!(
        ids(&t, "/api/v1/topics", &dashboard()).await,
        [siming.clone(), huli.clone()]
    );
    assert_eq!(
        ids(&t, "/api/v1/topics?district=huli", &admin()).await,
        std::slice::from_ref(&huli)
    );
    problem(
        t.get("/api/v1/topics", &token("nobody", &[], None)).await,
        403,
    )
    .await;
    problem(
        t.get(&format!("/api/v1/topics/{siming}/similar"), &staff("huli"))
            .await,
        403,
    )
    .await;
    problem(t.get("/api/v1/topics/nothing", &staff("huli")).await, 404).await;
    let r = t.client.get(t.url("/api/v1/topics")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    t.stop().await;
}

#[actix_web::test]
async fn chinese_substring_search_and_similar_topics() {
    let t = Stack::start().await;
    let park = id(&raise(&t, &admin(), new_topic("小区停车难", "assigned")).await);
    let park2 = id(&raise(&t, &admin(), new_topic("停车位严重不足", "assigned")).await);
    let rubbish = id(&raise(&t, &admin(), new_topic("垃圾分类投放点", "assigned")).await);
    let mut body = new_topic("小区停车难", "assigned");
    body["district"] = json!("huli");
    body["subdistrict"] = json!("dianqian");
    let huli_park = id(&raise(&t, &admin(), body).await);
    let declined = id(&raise(&t, &admin(), new_topic("小区停车收费", "assigned")).await);
    ok(
        topic_move(
            &t,
            &admin(),
            &declined,
            json!({"action": "decline", "reason": "重复"}),
        )
        .await,
        200,
    )
    .await;

    assert_eq!(
        ids(
            &t,
            "/api/v1/topics?q=%E5%81%9C%E8%BD%A6&district=siming",
            &admin()
        )
        .await,
        [park.clone(), park2.clone(), declined.clone()]
    );
    assert_eq!(
        ids(&t, "/api/v1/topics?q=停车&status=open", &staff("siming")).await,
        [park.clone(), park2.clone()]
    );
    assert_eq!(
        ids(&t, "/api/v1/topics?q=垃圾", &staff("siming")).await,
        std::slice::from_ref(&rubbish)
    );
    // The description is searched too.
    assert_eq!(
        ids(&t, "/api/v1/topics?q=居民反映&district=huli", &admin()).await,
        std::slice::from_ref(&huli_park)
    );
    // Nothing to search for is schema-valid (422); over 100 characters the schema refuses.
    let p = problem(t.get("/api/v1/topics?q=%25%25", &admin()).await, 422).await;
    assert_eq!(fields(&p), ["q"]);
    let long = format!("/api/v1/topics?q={}", "a".repeat(101));
    let p = problem(t.get(&long, &admin()).await, 400).await;
    assert_eq!(fields(&p), ["q"]);

    // Similar: open topics of the same subdistrict, most alike first, never itself.
    let dup = id(&raise(&t, &admin(), new_topic("小区停车难问题", "assigned")).await);
    let similar = ok(
        t.get(&format!("/api/v1/topics/{dup}/similar"), &staff("siming"))
            .await,
        200,
    )
    .await;
    let got: Vec<String> = similar
        .as_array()
        .unwrap()
        .iter()
        .map(|s| id(&s["topic"]))
        .collect();
    assert_eq!(got[0], park);
    assert!(got.contains(&park2));
    assert!(
        !got.contains(&huli_park) && !got.contains(&declined) && !got.contains(&dup),
        "{got:?}"
    );
    assert!(similar[0]["shared_terms"].as_i64().unwrap() >= 4);
    problem(
        t.get(&format!("/api/v1/topics/{dup}/similar?limit=0"), &admin())
            .await,
        400,
    )
    .await;
    problem(
        t.get(&format!("/api/v1/topics/{dup}/similar"), &resident("res-a"))
            .await,
        403,
    )
    .await;
    t.stop().await;
}

#[actix_web::test]
async fn editing_a_topic_is_versioned_and_reindexes_it() {
    let t = Stack::start().await;
    let topic = id(&raise(&t, &admin(), new_topic("小区停车难", "assigned")).await);
    let path = format!("/api/v1/topics/{topic}");
    problem(
        t.patch(&path, &staff("siming"), &json!({"title": "小区充电桩不足"}))
            .await,
        428,
    )
    .await;
    problem(
        t.patch(
            &path,
            &staff("siming"),
            &json!({"title": "小区充电桩不足", "version": 9}),
        )
        .await,
        412,
    )
    .await;
    problem(
        t.patch(&path, &staff("huli"), &json!({"title": "x", "version": 1}))
            .await,
        403,
    )
    .await;
    problem(
        t.patch(&path, &resident("r"), &json!({"title": "x", "version": 1}))
            .await,
        403,
    )
    .await;
    problem(
        t.patch(
            &path,
            &staff("siming"),
            &json!({"community": "nowhere", "version": 1}),
        )
        .await,
        422,
    )
    .await;
    let r = t
        .req(reqwest::Method::PATCH, &path, &staff("siming"))
        .header("If-Match", "\"1\"")
        .json(&json!({"title": "小区充电桩不足", "description": "新能源车多，充电难", "community": "lianhua"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["etag"], "\"2\"");
    let v = ok(r, 200).await;
    assert_eq!(v["community"], "lianhua");
    assert_eq!(
        ids(&t, "/api/v1/topics?q=充电桩", &admin()).await,
        std::slice::from_ref(&topic)
    );
    assert!(ids(&t, "/api/v1/topics?q=停车", &admin()).await.is_empty());
    ok(
        topic_move(
            &t,
            &admin(),
            &topic,
            json!({"action": "decline", "reason": "x"}),
        )
        .await,
        200,
    )
    .await;
    problem(
        t.patch(
            &path,
            &staff("siming"),
            &json!({"title": "y", "version": 3}),
        )
        .await,
        409,
    )
    .await;
    t.stop().await;
}

/// What the transitions endpoint offers from each state, written out independently of the
/// code (the consultation's own moves are never offered here).
fn offered(state: &str) -> &'static [&'static str] {
    match state {
        "open" => &["claim", "decline", "merge"],
        "claimed" => &["claim"],
        "consulted" => &["resolve", "leave_unresolved"],
        _ => &[],
    }
}

#[actix_web::test]
async fn every_topic_state_refuses_every_move_it_does_not_offer() {
    let t = Stack::start().await;
    let m = member(&t, "林委员", "siming").await;
    let survivor = id(&raise(&t, &admin(), new_topic("保留的议题", "assigned")).await);
    const ACTIONS: [&str; 8] = [
        "claim",
        "decline",
        "merge",
        "resolve",
        "leave_unresolved",
        "schedule",
        "unschedule",
        "consult",
    ];
    let body = |action: &str| match action {
        "claim" => json!({"action": "claim", "members": [m]}),
        "decline" => json!({"action": "decline", "reason": "不属实"}),
        "merge" => json!({"action": "merge", "into": survivor}),
        other => json!({"action": other}),
    };
    for state in [
        "open",
        "claimed",
        "scheduled",
        "consulted",
        "resolved",
        "unresolved",
        "declined",
        "merged",
    ] {
        let topic = id(&raise(&t, &admin(), new_topic(&format!("议题{state}"), "assigned")).await);
        match state {
            "claimed" => {
                ok(topic_move(&t, &admin(), &topic, body("claim")).await, 200).await;
            }
            "scheduled" | "consulted" | "resolved" | "unresolved" => {
                let cid = id(&plan(&t, &[&topic], &[]).await);
                if state != "scheduled" {
                    ok(
                        consultation_move(&t, &cid, consultation_action("hold", &today())).await,
                        200,
                    )
                    .await;
                }
                if state == "resolved" {
                    ok(topic_move(&t, &admin(), &topic, body("resolve")).await, 200).await;
                }
                if state == "unresolved" {
                    ok(
                        topic_move(&t, &admin(), &topic, body("leave_unresolved")).await,
                        200,
                    )
                    .await;
                }
            }
            "declined" => {
                ok(topic_move(&t, &admin(), &topic, body("decline")).await, 200).await;
            }
            "merged" => {
                ok(topic_move(&t, &admin(), &topic, body("merge")).await, 200).await;
            }
            _ => {}
        }
        let v = ok(
            t.get(&format!("/api/v1/topics/{topic}"), &admin()).await,
            200,
        )
        .await;
        assert_eq!(v["status"], state);
        assert_eq!(v["allowed_actions"], json!(offered(state)), "{state}");
        for action in ACTIONS {
            if offered(state).contains(&action) {
                continue;
            }
            let p = problem(topic_move(&t, &admin(), &topic, body(action)).await, 409).await;
            assert_eq!(
                p["allowed_actions"],
                json!(offered(state)),
                "{state} --{action}"
            );
        }
    }
    t.stop().await;
}

#[actix_web::test]
async fn writes_with_an_idempotency_key_replay_their_first_answer() {
    let t = Stack::start().await;
    let m = member(&t, "林委员", "siming").await;
    let send = |key: &'static str, body: Value| {
        t.req(reqwest::Method::POST, "/api/v1/topics", &admin())
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = ok(
        send("k-1", new_topic("小区停车难", "assigned"))
            .await
            .unwrap(),
        201,
    )
    .await;
    let r = send("k-1", new_topic("小区停车难", "assigned"))
        .await
        .unwrap();
    assert_eq!(r.headers()["idempotent-replayed"], "true");
    assert_eq!(ok(r, 201).await["id"], first["id"]);
    problem(
        send("k-1", new_topic("别的议题", "assigned"))
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(ids(&t, "/api/v1/topics", &admin()).await.len(), 1);

    // A held consultation replayed with its key credits its members once.
    let topic = id(&first);
    let cid = id(&plan(&t, &[&topic], &[&m]).await);
    for _ in 0..2 {
        let r = t
            .req(
                reqwest::Method::POST,
                &format!("/api/v1/consultations/{cid}/transitions"),
                &staff("siming"),
            )
            .header("Idempotency-Key", "hold-1")
            .json(&consultation_action("hold", &today()))
            .send()
            .await
            .unwrap();
        assert_eq!(ok(r, 200).await["status"], "held");
    }
    assert_eq!(wait_for_credits(&t, &m, 1).await.len(), 1);
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(credits(&t, &m).await.len(), 1);
    t.stop().await;
}

#[actix_web::test]
async fn the_internal_topic_reference_is_for_services_only() {
    let t = Stack::start().await;
    let mut body = new_topic("小区停车难", "public");
    body["contact"] = json!({"name": "王小明", "phone": "13900001111"});
    body["workroom"] = json!(workroom(&t, "莲花好商量", "siming", "jialian").await);
    let topic = raise(&t, &resident("res-a"), body).await;
    let tid = id(&topic);
    let internal = format!("{}/internal/v1/topics/{tid}", t.service_url());
    let svc = token("service:reports", &[Role::Service], None);
    // Id, title, district and status; no description, proposer or contact.
    let v: Value = ok(
        t.client
            .get(&internal)
            .bearer_auth(&svc)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(
        v,
        json!({"id": tid, "title": "小区停车难", "district": "siming", "status": "open"})
    );
    for who in [staff("siming"), resident("res-a")] {
        problem(
            t.client
                .get(&internal)
                .bearer_auth(who)
                .send()
                .await
                .unwrap(),
            403,
        )
        .await;
    }
    let missing = format!("{}/internal/v1/topics/nothing", t.service_url());
    problem(
        t.client
            .get(&missing)
            .bearer_auth(&svc)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    // The gateway does not route /internal.
    assert_eq!(
        t.get(&format!("/internal/v1/topics/{tid}"), &svc)
            .await
            .status(),
        404
    );
    t.stop().await;
}
