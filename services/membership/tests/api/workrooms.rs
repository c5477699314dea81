//! Workrooms through the gateway: the lifecycle, the near search, assignments, suggestions,
//! members' cards, district scoping and concurrency.

use crate::common::*;
use reqwest::{Method, Response};
use serde_json::{Value, json};
use std::collections::HashSet;

/// Xiamen, near Zhongshan Road: the centre of the near searches.
const CENTRE: (f64, f64) = (24.45, 118.08);

/// The point `north_km` north and `east_km` east of the centre (flat estimate, fine at km scale).
fn offset(north_km: f64, east_km: f64) -> (f64, f64) {
    (
        CENTRE.0 + north_km / 111.32,
        CENTRE.1 + east_km / (111.32 * CENTRE.0.to_radians().cos()),
    )
}

fn essentials(met: bool) -> Value {
    let one = json!({"met": met, "note": "已具备"});
    json!({"venue": one, "team": one, "rules": one, "signage": one, "duty_list": one, "funding": one})
}

fn workroom(name: &str, district: &str, subdistrict: &str, at: (f64, f64)) -> Value {
    json!({
        "name": name,
        "kind": "haoshangliang_studio",
        "district": district,
        "subdistrict": subdistrict,
        "host_organisation": "嘉莲街道司法所",
        "address": "莲花路1号",
        "latitude": at.0,
        "longitude": at.1,
        "opening_hours": "09:00-17:00",
        "reception_days": ["wednesday", "monday"],
        "essentials": essentials(true),
    })
}

async fn json_of(r: Response, status: u16) -> Value {
    let got = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    assert_eq!(got, status, "{v}");
    v
}

async fn create(t: &TestStack, token: &str, body: Value) -> Value {
    json_of(t.post("/api/v1/workrooms", token, &body).await, 201).await
}

async fn create_member(t: &TestStack, body: Value) -> String {
    let v = json_of(t.post("/api/v1/members", &admin(), &body).await, 201).await;
    v["id"].as_str().unwrap().to_string()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn transition(t: &TestStack, token: &str, id: &str, body: Value) -> Response {
    t.post(&format!("/api/v1/workrooms/{id}/transitions"), token, &body)
        .await
}

/// A well-formed request for each action.
/// Today (UTC): each step is dated no earlier than the one before it, the first no earlier than
/// the application, and none in the future, so the tests' steps all happen today.
fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

fn action(name: &str) -> Value {
    match name {
        "inspect" => json!({"action": "inspect", "date": today(), "inspector": "专委会办公室",
                            "findings": "场地、制度齐全", "passed": true}),
        "approve" => {
            json!({"action": "approve", "approved_by": "区政协党组", "date": today()})
        }
        "award_plaque" => json!({"action": "award_plaque", "date": today()}),
        "suspend" => json!({"action": "suspend", "reason": "场地装修"}),
        "resume" => json!({"action": "resume", "note": "装修完成"}),
        "close" => json!({"action": "close", "reason": "撤并"}),
        other => panic!("no action {other}"),
    }
}

const ACTIONS: [&str; 6] = [
    "inspect",
    "approve",
    "award_plaque",
    "suspend",
    "resume",
    "close",
];

/// The legal path from `applied` to each state.
fn path_to(state: &str) -> &'static [&'static str] {
    match state {
        "applied" => &[],
        "inspected" => &["inspect"],
        "approved" => &["inspect", "approve"],
        "active" => &["inspect", "approve", "award_plaque"],
        "suspended" => &["inspect", "approve", "award_plaque", "suspend"],
        "closed" => &["close"],
        other => panic!("no state {other}"),
    }
}

async fn drive(t: &TestStack, id: &str, steps: &[&str]) -> Value {
    let mut last = Value::Null;
    for step in steps {
        last = json_of(transition(t, &admin(), id, action(step)).await, 200).await;
        assert_ne!(last["status"], Value::Null);
    }
    last
}

#[actix_web::test]
async fn every_illegal_transition_is_409_with_the_allowed_actions() {
    let t = TestStack::start().await;
    t.seed().await;
    let table: [(&str, &[&str]); 6] = [
        ("applied", &["inspect", "close"]),
        ("inspected", &["inspect", "approve", "close"]),
        ("approved", &["award_plaque", "close"]),
        ("active", &["suspend"]),
        ("suspended", &["resume", "close"]),
        ("closed", &[]),
    ];
    for (state, allowed) in table {
        let w = create(&t, &admin(), workroom(state, "siming", "jialian", CENTRE)).await;
        let wid = id(&w);
        drive(&t, &wid, path_to(state)).await;
        let now = json_of(
            t.get(&format!("/api/v1/workrooms/{wid}"), &admin()).await,
            200,
        )
        .await;
        assert_eq!(now["status"], state);
        assert_eq!(now["allowed_actions"], json!(allowed), "{state}");
        for a in ACTIONS.iter().filter(|a| !allowed.contains(a)) {
            let p = problem(transition(&t, &admin(), &wid, action(a)).await, 409).await;
            assert_eq!(p["allowed_actions"], json!(allowed), "{state} --{a}");
            assert!(
                p["type"].as_str().unwrap().ends_with("illegal-transition"),
                "{p}"
            );
        }
        // Nothing was changed by the refusals.
        let after = json_of(
            t.get(&format!("/api/v1/workrooms/{wid}"), &admin()).await,
            200,
        )
        .await;
        assert_eq!(after["version"], now["version"], "{state}");
    }
    t.stop().await;
}

#[actix_web::test]
async fn the_full_lifecycle_is_kept_in_the_history() {
    let t = TestStack::start().await;
    t.seed().await;
    let w = create(
        &t,
        &staff("siming"),
        workroom("莲花好商量", "siming", "jialian", CENTRE),
    )
    .await;
    let wid = id(&w);
    assert_eq!(w["status"], "applied");
    assert_eq!(w["reception_days"], json!(["monday", "wednesday"]));
    assert_eq!(w["created_by"], "staff-siming");

    // The inspection is recorded by the district's staff; a retried request is replayed.
    let send = || {
        t.req(
            Method::POST,
            &format!("/api/v1/workrooms/{wid}/transitions"),
            &staff("siming"),
        )
        .header("Idempotency-Key", "inspect-1")
        .json(&action("inspect"))
        .send()
    };
    let first = json_of(send().await.unwrap(), 200).await;
    let again = send().await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(json_of(again, 200).await, first);
    assert_eq!(first["status"], "inspected");
    assert_eq!(first["inspection"]["inspector"], "专委会办公室");
    assert_eq!(first["inspection"]["passed"], true);
    assert_eq!(first["updated_by"], "staff-siming");

    let approved = drive(&t, &wid, &["approve"]).await;
    assert_eq!(
        approved["approval"],
        json!({"approved_by": "区政协党组", "date": today()})
    );
    let active = drive(&t, &wid, &["award_plaque"]).await;
    assert_eq!(active["status"], "active");
    assert_eq!(active["plaque_awarded_on"], today());
    let closed = drive(&t, &wid, &["suspend", "resume", "suspend", "close"]).await;
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["updated_by"], "admin-1");

    let h = json_of(
        t.get(&format!("/api/v1/workrooms/{wid}/history"), &admin())
            .await,
        200,
    )
    .await;
    let items = h["items"].as_array().unwrap();
    let steps: Vec<(&str, Option<&str>, &str, &str)> = items
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["from_status"].as_str(),
                e["to_status"].as_str().unwrap(),
                e["by"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("apply", None, "applied", "staff-siming"),
            ("inspect", Some("applied"), "inspected", "staff-siming"),
            ("approve", Some("inspected"), "approved", "admin-1"),
            ("award_plaque", Some("approved"), "active", "admin-1"),
            ("suspend", Some("active"), "suspended", "admin-1"),
            ("resume", Some("suspended"), "active", "admin-1"),
            ("suspend", Some("active"), "suspended", "admin-1"),
            ("close", Some("suspended"), "closed", "admin-1"),
        ]
    );
    assert_eq!(items[1]["details"]["findings"], "场地、制度齐全");
    assert_eq!(items[4]["details"]["reason"], "场地装修");
    let times: Vec<chrono::DateTime<chrono::Utc>> = items
        .iter()
        .map(|e| e["at"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    // The history pages like every list.
    let p1 = json_of(
        t.get(
            &format!("/api/v1/workrooms/{wid}/history?limit=5"),
            &staff("siming"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 5);
    let c = p1["next_cursor"].as_str().unwrap();
    let p2 = json_of(
        t.get(
            &format!("/api/v1/workrooms/{wid}/history?limit=5&cursor={c}"),
            &admin(),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(p2["items"].as_array().unwrap().len(), 3);
    assert!(p2["next_cursor"].is_null());
    problem(
        t.get("/api/v1/workrooms/missing/history", &admin()).await,
        404,
    )
    .await;
    t.stop().await;
}

#[actix_web::test]
async fn approval_needs_a_passed_inspection_and_all_six_essentials() {
    let t = TestStack::start().await;
    t.seed().await;
    let mut body = workroom("缺经费的工作室", "siming", "jialian", CENTRE);
    body["essentials"]["funding"] = json!({"met": false, "note": "经费待落实"});
    let w = create(&t, &admin(), body).await;
    let wid = id(&w);
    assert_eq!(w["essentials_met"], false);

    // An inspection cannot pass while funding is missing (it used to, and the studio moved to
    // inspected); approval is refused and not offered either.
    let p = problem(transition(&t, &admin(), &wid, action("inspect")).await, 409).await;
    assert!(p["detail"].as_str().unwrap().contains("funding"), "{p}");
    assert_eq!(p["allowed_actions"], json!(["inspect", "close"]));
    let p = problem(transition(&t, &admin(), &wid, action("approve")).await, 409).await;
    assert_eq!(p["allowed_actions"], json!(["inspect", "close"]));
    // Dates are checked the same way at every step: not before the step before (the
    // application, for an inspection), not in the future. Both depend on stored dates or
    // today, which the schema cannot state: 422.
    for date in ["2020-01-01", "2999-01-01"] {
        let mut odd = action("inspect");
        odd["passed"] = json!(false);
        odd["date"] = json!(date);
        let p = problem(transition(&t, &admin(), &wid, odd).await, 422).await;
        assert_eq!(fields(&p), ["date"], "{date}");
    }

    // A failed re-inspection sends it back to applied; approval is then not possible at all.
    let mut failed = action("inspect");
    failed["passed"] = json!(false);
    failed["findings"] = json!("无固定场所");
    let v = json_of(transition(&t, &admin(), &wid, failed).await, 200).await;
    assert_eq!(v["status"], "applied");
    assert_eq!(v["inspection"]["passed"], false);
    let p = problem(transition(&t, &admin(), &wid, action("approve")).await, 409).await;
    assert_eq!(p["allowed_actions"], json!(["inspect", "close"]));

    // Inspected again with everything in place (the inspector records the essentials found).
    let mut passed = action("inspect");
    passed["essentials"] = essentials(true);
    let v = json_of(transition(&t, &admin(), &wid, passed).await, 200).await;
    assert_eq!(v["status"], "inspected");
    assert_eq!(v["essentials_met"], true);
    // Approval dated before the inspection is refused, naming the field.
    let mut early = action("approve");
    early["date"] = json!("2026-02-01");
    let p = problem(transition(&t, &admin(), &wid, early).await, 422).await;
    assert_eq!(fields(&p), ["date"]);
    let mut late = action("approve");
    late["date"] = json!("2999-01-01");
    let p = problem(transition(&t, &admin(), &wid, late).await, 422).await;
    assert_eq!(fields(&p), ["date"]);
    let v = json_of(transition(&t, &admin(), &wid, action("approve")).await, 200).await;
    assert_eq!(v["status"], "approved");
    let mut early = action("award_plaque");
    early["date"] = json!("2026-02-01");
    let p = problem(transition(&t, &admin(), &wid, early).await, 422).await;
    assert_eq!(fields(&p), ["date"]);

    // Each action names what it lacks, or what does not belong to it.
    let p = problem(
        transition(
            &t,
            &admin(),
            &wid,
            json!({"action": "inspect", "date": "2026-03-01"}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["inspector", "passed"]);
    let p = problem(
        transition(
            &t,
            &admin(),
            &wid,
            json!({"action": "award_plaque", "date": "2026-03-20", "passed": true}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["passed"]);
    let p = problem(
        transition(&t, &admin(), &wid, json!({"action": "levitate"})).await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["action"]);
    t.stop().await;
}

#[actix_web::test]
async fn near_search_orders_by_distance_within_the_radius() {
    let t = TestStack::start().await;
    t.seed().await;
    let a = admin();
    // (name, north km, east km, district, subdistrict, distance from the centre)
    let places = [
        ("东", 0.0, 1.5, "siming", "jialian", 1.5),
        ("北", 0.5, 0.0, "siming", "jialian", 0.5),
        ("远", 10.0, 0.0, "siming", "jialian", 10.0),
        ("南", -2.5, 0.0, "siming", "jialian", 2.5),
        ("湖里", 1.2, 1.6, "huli", "dianqian", 2.0),
    ];
    for (name, n, e, d, s, _) in places {
        let mut body = workroom(name, d, s, offset(n, e));
        if name == "湖里" {
            body["kind"] = json!("taiwan_liaison_point");
        }
        let w = create(&t, &a, body).await;
        // Residents find working studios only.
        drive(&t, w["id"].as_str().unwrap(), path_to("active")).await;
    }
    let resident = xs_testkit::token("r1", &[xs_kit::Role::Resident], Some("siming"));
    let near = |q: String| {
        let t = &t;
        let resident = resident.clone();
        async move {
            json_of(
                t.get(
                    &format!("/api/v1/workrooms?near=24.45,118.08{q}"),
                    &resident,
                )
                .await,
                200,
            )
            .await
        }
    };
    let v = near("&radius_km=3".into()).await;
    let got: Vec<(String, f64)> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["name"].as_str().unwrap().to_string(),
                w["distance_km"].as_f64().unwrap(),
            )
        })
        .collect();
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["北", "东", "湖里", "南"]);
    for (name, d) in &got {
        let want = places.iter().find(|p| p.0 == name).unwrap().5;
        assert!((d - want).abs() < 0.02, "{name}: {d} vs {want}");
    }
    // A smaller radius, the default radius (5 km), and a filter on top.
    let v = near("&radius_km=1".into()).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    let v = near(String::new()).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 4);
    let v = near("&radius_km=20&kind=taiwan_liaison_point".into()).await;
    assert_eq!(v["items"][0]["name"], "湖里");
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    let v = near("&radius_km=20&district=siming".into()).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 4);
    assert_eq!(v["items"][3]["name"], "远");

    // Paging the near search: same order, nothing lost or repeated.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let v = near(format!("&radius_km=20&limit=2&cursor={cursor}")).await;
        for w in v["items"].as_array().unwrap() {
            seen.push(w["name"].as_str().unwrap().to_string());
        }
        match v["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, ["北", "东", "湖里", "南", "远"]);

    // Bad input names the parameter.
    for (q, field) in [
        ("/api/v1/workrooms?near=north", "near"),
        ("/api/v1/workrooms?near=95,118", "near"),
        (
            "/api/v1/workrooms?near=24.45,118.08&radius_km=100",
            "radius_km",
        ),
        (
            "/api/v1/workrooms?near=24.45,118.08&radius_km=0",
            "radius_km",
        ),
        (
            "/api/v1/workrooms?near=24.45,118.08&radius_km=far",
            "radius_km",
        ),
    ] {
        let p = problem(t.get(q, &resident).await, 400).await;
        assert_eq!(fields(&p), [field], "{q}");
    }
    // A radius without `near`: each is schema-valid alone, so 422.
    let p = problem(t.get("/api/v1/workrooms?radius_km=3", &resident).await, 422).await;
    assert_eq!(fields(&p), ["radius_km"]);
    // A cursor from the plain list does not fit the near search.
    let plain = json_of(t.get("/api/v1/workrooms?limit=1", &resident).await, 200).await;
    let c = plain["next_cursor"].as_str().unwrap();
    let p = problem(
        t.get(
            &format!("/api/v1/workrooms?near=24.45,118.08&cursor={c}"),
            &resident,
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["cursor"]);
    t.stop().await;
}

#[actix_web::test]
async fn lists_filter_and_page() {
    let t = TestStack::start().await;
    t.seed().await;
    let a = admin();
    let r = t
        .post(
            "/api/v1/subdistricts",
            &a,
            &json!({"code": "zhonghua", "district": "siming", "name": "中华街道", "kind": "subdistrict"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let mut ids = Vec::new();
    for i in 0..5 {
        let mut body = workroom(&format!("嘉莲{i}"), "siming", "jialian", CENTRE);
        if i == 4 {
            body["kind"] = json!("activity_room");
        }
        ids.push(id(&create(&t, &a, body).await));
    }
    ids.push(id(&create(
        &t,
        &a,
        workroom("中华", "siming", "zhonghua", CENTRE),
    )
    .await));
    ids.push(id(&create(
        &t,
        &a,
        workroom("殿前", "huli", "dianqian", CENTRE),
    )
    .await));
    drive(&t, &ids[0], &["inspect"]).await;

    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["name"].as_str().unwrap().to_string())
            .collect()
    };
    let get = |q: &str| {
        let t = &t;
        let q = q.to_string();
        async move { json_of(t.get(&q, &staff("huli")).await, 200).await }
    };
    assert_eq!(
        names(&get("/api/v1/workrooms?district=huli").await),
        ["殿前"]
    );
    assert_eq!(
        names(&get("/api/v1/workrooms?subdistrict=zhonghua").await),
        ["中华"]
    );
    assert_eq!(
        names(&get("/api/v1/workrooms?kind=activity_room").await),
        ["嘉莲4"]
    );
    assert_eq!(
        names(&get("/api/v1/workrooms?status=inspected").await),
        ["嘉莲0"]
    );
    assert_eq!(
        names(&get("/api/v1/workrooms?status=applied&subdistrict=jialian").await),
        ["嘉莲1", "嘉莲2", "嘉莲3", "嘉莲4"]
    );
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let v = get(&format!("/api/v1/workrooms?limit=3&cursor={cursor}")).await;
        for w in v["items"].as_array().unwrap() {
            seen.push(id(w));
        }
        match v["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, ids, "every workroom once, in creation order");
    for (q, field) in [
        ("/api/v1/workrooms?kind=castle", "kind"),
        ("/api/v1/workrooms?status=dormant", "status"),
        ("/api/v1/workrooms?limit=0", "limit"),
    ] {
        assert_eq!(fields(&problem(t.get(q, &a).await, 400).await), [field]);
    }
    t.stop().await;
}

#[actix_web::test]
async fn assignments_are_added_listed_and_removed() {
    let t = TestStack::start().await;
    t.seed().await;
    let s = staff("siming");
    let m1 = create_member(&t, new_member("召集人甲", "siming")).await;
    let m2 = create_member(&t, new_member("委员乙", "siming")).await;
    let h1 = create_member(&t, new_member("湖里委员", "huli")).await;
    let w1 = id(&create(&t, &s, workroom("一号室", "siming", "jialian", CENTRE)).await);
    let w2 = id(&create(&t, &s, workroom("二号室", "siming", "jialian", CENTRE)).await);
    let members = format!("/api/v1/workrooms/{w1}/members");

    let a = json_of(
        t.post(&members, &s, &json!({"member_id": m1, "role": "convener"}))
            .await,
        201,
    )
    .await;
    assert_eq!(a["member_name"], "召集人甲");
    assert_eq!(a["assigned_by"], "staff-siming");
    json_of(
        t.post(&members, &s, &json!({"member_id": m2, "role": "member"}))
            .await,
        201,
    )
    .await;
    // Once per workroom, whatever the role; but several workrooms are fine.
    problem(
        t.post(&members, &s, &json!({"member_id": m1, "role": "member"}))
            .await,
        409,
    )
    .await;
    json_of(
        t.post(
            &format!("/api/v1/workrooms/{w2}/members"),
            &s,
            &json!({"member_id": m1, "role": "group_leader"}),
        )
        .await,
        201,
    )
    .await;
    // Unknown members, members of another district and unknown roles are named.
    for (body, field, status) in [
        (
            json!({"member_id": "nobody", "role": "member"}),
            "member_id",
            422,
        ),
        (json!({"member_id": h1, "role": "member"}), "member_id", 422),
        (json!({"member_id": m2, "role": "boss"}), "role", 400),
    ] {
        let p = problem(t.post(&members, &s, &body).await, status).await;
        assert_eq!(fields(&p), [field]);
    }
    // Other districts' staff and residents do not assign.
    problem(
        t.post(
            &members,
            &staff("huli"),
            &json!({"member_id": h1, "role": "member"}),
        )
        .await,
        403,
    )
    .await;
    problem(
        t.req(Method::DELETE, &format!("{members}/{m2}"), &staff("huli"))
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;

    let list = json_of(t.get(&members, &member_token(&m2, "siming")).await, 200).await;
    let got: HashSet<(String, String)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["member_id"].as_str().unwrap().to_string(),
                a["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        HashSet::from([
            (m1.clone(), "convener".to_string()),
            (m2.clone(), "member".to_string())
        ])
    );

    let del = |who: String| {
        let t = &t;
        let path = format!("{members}/{m1}");
        async move { t.req(Method::DELETE, &path, &who).send().await.unwrap() }
    };
    assert_eq!(del(s.clone()).await.status(), 204);
    problem(del(s.clone()).await, 404).await;
    let list = json_of(t.get(&members, &s).await, 200).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["member_id"], m2.as_str());
    problem(t.get("/api/v1/workrooms/missing/members", &s).await, 404).await;

    // A closed workroom takes no one new.
    drive(&t, &w2, &["close"]).await;
    problem(
        t.post(
            &format!("/api/v1/workrooms/{w2}/members"),
            &s,
            &json!({"member_id": m2, "role": "member"}),
        )
        .await,
        409,
    )
    .await;
    t.stop().await;
}

#[actix_web::test]
async fn suggestions_put_residents_first_and_skip_the_placed() {
    let t = TestStack::start().await;
    t.seed().await;
    let a = admin();
    let r = t
        .post(
            "/api/v1/subdistricts",
            &a,
            &json!({"code": "zhonghua", "district": "siming", "name": "中华街道", "kind": "subdistrict"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let with = |name: &str, residence: Option<&str>, workplace: Option<&str>| {
        let mut m = new_member(name, "siming");
        m["residence_subdistrict"] = json!(residence);
        m["workplace_subdistrict"] = json!(workplace);
        m
    };
    // Created workplace-first, so residence-first is the rule and not creation order.
    let worker = create_member(&t, with("在嘉莲工作", Some("zhonghua"), Some("jialian"))).await;
    let resident = create_member(&t, with("住在嘉莲", Some("jialian"), None)).await;
    let both = create_member(&t, with("住且工作在嘉莲", Some("jialian"), Some("jialian"))).await;
    let placed = create_member(&t, with("已安排", Some("jialian"), None)).await;
    let mut retired = with("已退休", Some("jialian"), None);
    retired["status"] = json!("retired");
    create_member(&t, retired).await;
    create_member(&t, with("中华的", Some("zhonghua"), Some("zhonghua"))).await;

    let w = id(&create(&t, &a, workroom("嘉莲室", "siming", "jialian", CENTRE)).await);
    let other = id(&create(&t, &a, workroom("另一室", "siming", "zhonghua", CENTRE)).await);
    json_of(
        t.post(
            &format!("/api/v1/workrooms/{other}/members"),
            &a,
            &json!({"member_id": placed, "role": "member"}),
        )
        .await,
        201,
    )
    .await;

    let path = format!("/api/v1/workrooms/{w}/assignment-suggestions");
    let v = json_of(t.get(&path, &staff("siming")).await, 200).await;
    let got: Vec<(String, String)> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["member_id"].as_str().unwrap().to_string(),
                s["matched_by"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (resident.clone(), "residence".to_string()),
            (both.clone(), "residence".to_string()),
            (worker.clone(), "workplace".to_string()),
        ]
    );
    // Paged the same way.
    let p1 = json_of(t.get(&format!("{path}?limit=2"), &a).await, 200).await;
    let c = p1["next_cursor"].as_str().unwrap();
    let p2 = json_of(t.get(&format!("{path}?limit=2&cursor={c}"), &a).await, 200).await;
    assert_eq!(p2["items"][0]["member_id"], worker.as_str());
    assert!(p2["next_cursor"].is_null());

    // Once placed, a member is no longer suggested; a closed workroom frees them again.
    json_of(
        t.post(
            &format!("/api/v1/workrooms/{w}/members"),
            &a,
            &json!({"member_id": resident, "role": "member"}),
        )
        .await,
        201,
    )
    .await;
    let v = json_of(t.get(&path, &a).await, 200).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    drive(&t, &other, &["close"]).await;
    let v = json_of(t.get(&path, &a).await, 200).await;
    assert_eq!(v["items"][0]["member_id"], both.as_str());
    assert_eq!(v["items"][1]["member_id"], placed.as_str());

    // Where members live is not for residents nor for other districts.
    let res = xs_testkit::token("r1", &[xs_kit::Role::Resident], Some("siming"));
    problem(t.get(&path, &res).await, 403).await;
    problem(t.get(&path, &staff("huli")).await, 403).await;
    t.stop().await;
}

#[actix_web::test]
async fn cards_mask_the_phone_outside_the_members_district() {
    let t = TestStack::start().await;
    t.seed().await;
    let mut m = new_member("陈委员", "siming");
    m["sector"] = json!("economy");
    m["specialties"] = json!(["法律", "调解"]);
    m["photo_url"] = json!("https://example.org/chen.jpg");
    let mid = create_member(&t, m).await;
    let w = create(
        &t,
        &admin(),
        workroom("嘉莲室", "siming", "jialian", CENTRE),
    )
    .await;
    json_of(
        t.post(
            &format!("/api/v1/workrooms/{}/members", id(&w)),
            &admin(),
            &json!({"member_id": mid, "role": "convener"}),
        )
        .await,
        201,
    )
    .await;
    let card = |token: String| {
        let t = &t;
        let path = format!("/api/v1/members/{mid}/card");
        async move { json_of(t.get(&path, &token).await, 200).await }
    };
    let resident = xs_testkit::token("r1", &[xs_kit::Role::Resident], Some("siming"));
    // An application is not shown to the public; the studio appears once it is open.
    assert_eq!(card(resident.clone()).await["workrooms"], json!([]));
    assert_eq!(
        card(staff("siming")).await["workrooms"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    drive(&t, &id(&w), path_to("active")).await;
    let c = card(resident).await;
    assert_eq!(c["phone"], "138****1234");
    assert_eq!(c["phone_masked"], true);
    assert_eq!(c["name"], "陈委员");
    assert_eq!(c["sector_name"], "经济界");
    assert_eq!(c["specialties"], json!(["法律", "调解"]));
    assert_eq!(c["photo_url"], "https://example.org/chen.jpg");
    assert_eq!(
        c["workrooms"],
        json!([{"id": w["id"], "name": "嘉莲室", "kind": "haoshangliang_studio", "role": "convener"}])
    );
    assert!(
        c.get("residence_subdistrict").is_none(),
        "a card is not the register"
    );
    assert_eq!(card(staff("siming")).await["phone"], "13812341234");
    assert_eq!(card(staff("huli")).await["phone"], "138****1234");
    assert_eq!(
        card(member_token(&mid, "siming")).await["phone"],
        "13812341234"
    );
    assert_eq!(
        card(member_token("someone-else", "siming")).await["phone"],
        "138****1234"
    );
    problem(t.get("/api/v1/members/nobody/card", &admin()).await, 404).await;
    // Through the gateway a card is a public read (served as to a resident); the service
    // itself, reached directly, still wants a token.
    let r = t
        .client
        .get(t.url(&format!("/api/v1/members/{mid}/card")))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(r, 200).await["phone"], "138****1234");
    let r = t
        .client
        .get(format!("{}/api/v1/members/{mid}/card", t.service_url()))
        .send()
        .await
        .unwrap();
    problem(r, 401).await;
    t.stop().await;
}

#[actix_web::test]
async fn writes_are_scoped_to_the_district_and_checked() {
    let t = TestStack::start().await;
    t.seed().await;
    let siming = staff("siming");
    let huli = staff("huli");
    let resident = xs_testkit::token("r1", &[xs_kit::Role::Resident], Some("siming"));
    let body = workroom("嘉莲室", "siming", "jialian", CENTRE);
    problem(t.post("/api/v1/workrooms", &huli, &body).await, 403).await;
    problem(t.post("/api/v1/workrooms", &resident, &body).await, 403).await;
    let w = create(&t, &siming, body).await;
    let wid = id(&w);
    let path = format!("/api/v1/workrooms/{wid}");
    // Residents change nothing (and see only active workrooms, which this one is not yet).
    problem(t.get(&path, &resident).await, 404).await;
    let patch = |token: &str, etag: Option<&str>, body: Value| {
        let mut r = t.req(Method::PATCH, &path, token).json(&body);
        if let Some(e) = etag {
            r = r.header("If-Match", e);
        }
        r.send()
    };
    problem(
        patch(&huli, Some("\"1\""), json!({"name": "x"}))
            .await
            .unwrap(),
        403,
    )
    .await;
    problem(
        patch(&resident, Some("\"1\""), json!({"name": "x"}))
            .await
            .unwrap(),
        403,
    )
    .await;
    problem(transition(&t, &huli, &wid, action("inspect")).await, 403).await;
    problem(
        transition(&t, &resident, &wid, action("inspect")).await,
        403,
    )
    .await;

    // Optimistic concurrency: 428 without a version, 412 with a stale one.
    problem(
        patch(&siming, None, json!({"name": "x"})).await.unwrap(),
        428,
    )
    .await;
    let r = patch(
        &siming,
        Some("\"1\""),
        json!({"name": "嘉莲好商量", "opening_hours": null, "reception_days": ["friday"]}),
    )
    .await
    .unwrap();
    assert_eq!(r.headers()["etag"], "\"2\"");
    let v = json_of(r, 200).await;
    assert_eq!(v["name"], "嘉莲好商量");
    assert_eq!(v["opening_hours"], Value::Null);
    assert_eq!(v["reception_days"], json!(["friday"]));
    assert_eq!(v["updated_by"], "staff-siming");
    let p = problem(
        patch(&siming, Some("\"1\""), json!({"name": "stale"}))
            .await
            .unwrap(),
        412,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("changed"));
    problem(
        patch(&siming, None, json!({"version": 1, "name": "stale"}))
            .await
            .unwrap(),
        412,
    )
    .await;
    // A transition sent with a stale version is refused too.
    let mut stale = action("inspect");
    stale["version"] = json!(1);
    problem(transition(&t, &siming, &wid, stale).await, 412).await;

    // Unknown or misplaced references name their field; the status is not patched.
    let h1 = create_member(&t, new_member("湖里委员", "huli")).await;
    for (body, field, status) in [
        (
            json!({"version": 2, "community": "nowhere"}),
            "community",
            422,
        ),
        (
            json!({"version": 2, "subdistrict": "dianqian"}),
            "subdistrict",
            422,
        ),
        (json!({"version": 2, "convener": h1}), "convener", 422),
        (json!({"version": 2, "convener": "nobody"}), "convener", 422),
        (json!({"version": 2, "latitude": 120.0}), "latitude", 400),
        (
            json!({"version": 2, "reception_days": ["monday", "monday"]}),
            "reception_days",
            400,
        ),
        (json!({"version": 2, "status": "active"}), "status", 400),
    ] {
        let p = problem(patch(&siming, None, body.clone()).await.unwrap(), status).await;
        let named = fields(&p);
        let ok = named == [field]
            || (field == "status"
                && p["errors"][0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("status"));
        assert!(ok, "{body}: {p}");
    }
    // A community must lie in the workroom's subdistrict, and a convener may be set.
    let r = t
        .post(
            "/api/v1/communities",
            &siming,
            &json!({"code": "lianhua", "subdistrict": "jialian", "name": "莲花社区"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let m = create_member(&t, new_member("召集人", "siming")).await;
    let v = json_of(
        patch(
            &siming,
            None,
            json!({"version": 2, "community": "lianhua", "convener": m}),
        )
        .await
        .unwrap(),
        200,
    )
    .await;
    assert_eq!(v["community"], "lianhua");
    assert_eq!(v["convener"], m.as_str());

    // Creating: unknown district, subdistrict of another district, bad coordinates, all named.
    let a = admin();
    let mut bad = workroom("x", "nowhere", "jialian", CENTRE);
    let p = problem(t.post("/api/v1/workrooms", &a, &bad).await, 422).await;
    assert_eq!(fields(&p), ["district"]);
    bad["district"] = json!("siming");
    bad["subdistrict"] = json!("dianqian");
    bad["community"] = json!("lianhua");
    let p = problem(t.post("/api/v1/workrooms", &a, &bad).await, 422).await;
    assert_eq!(fields(&p), ["subdistrict"]);
    let mut bad = workroom(" ", "siming", "jialian", (91.0, 200.0));
    bad["essentials"]["venue"]["note"] = json!("x".repeat(600));
    let p = problem(t.post("/api/v1/workrooms", &a, &bad).await, 400).await;
    let named: HashSet<String> = fields(&p).into_iter().collect();
    assert_eq!(
        named,
        ["name", "latitude", "longitude", "essentials.venue.note"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    let p = problem(
        t.post(
            "/api/v1/workrooms",
            &a,
            &json!({"name": "x", "kind": "castle"}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["kind"]);
    problem(t.get("/api/v1/workrooms/missing", &a).await, 404).await;
    t.stop().await;
}

#[actix_web::test]
async fn residents_see_only_active_workrooms() {
    let t = TestStack::start().await;
    t.seed().await;
    let a = admin();
    let working = create(
        &t,
        &a,
        workroom("在办", "siming", "jialian", offset(0.0, 0.0)),
    )
    .await;
    let working = working["id"].as_str().unwrap().to_string();
    drive(&t, &working, path_to("active")).await;
    let applied = create(
        &t,
        &a,
        workroom("申请中", "siming", "jialian", offset(0.1, 0.0)),
    )
    .await;
    let applied = applied["id"].as_str().unwrap().to_string();
    let resident = xs_testkit::token("r1", &[xs_kit::Role::Resident], Some("siming"));
    let ids = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["id"].as_str().unwrap().to_string())
            .collect()
    };
    let seen = json_of(t.get("/api/v1/workrooms", &resident).await, 200).await;
    assert_eq!(ids(seen), std::slice::from_ref(&working));
    // Asking for applications does not show them to the public either.
    let seen = json_of(
        t.get("/api/v1/workrooms?status=applied", &resident).await,
        200,
    )
    .await;
    assert_eq!(ids(seen), std::slice::from_ref(&working));
    problem(
        t.get(&format!("/api/v1/workrooms/{applied}"), &resident)
            .await,
        404,
    )
    .await;
    for part in ["history", "members", "on-duty"] {
        let path = format!("/api/v1/workrooms/{applied}/{part}");
        problem(t.get(&path, &resident).await, 404).await;
        assert_eq!(t.get(&path, &staff("siming")).await.status(), 200, "{path}");
    }
    // A workroom that is not open takes no check-ins (nor the points they bring).
    let mid = create_member(&t, new_member("未开放", "siming")).await;
    json_of(
        t.post(
            &format!("/api/v1/workrooms/{applied}/members"),
            &a,
            &json!({"member_id": mid, "role": "member"}),
        )
        .await,
        201,
    )
    .await;
    let r = t
        .post(
            "/api/v1/check-ins",
            &staff("siming"),
            &json!({"workroom": applied, "member": mid}),
        )
        .await;
    problem(r, 409).await;
    assert_eq!(
        t.get(&format!("/api/v1/workrooms/{working}"), &resident)
            .await
            .status(),
        200
    );
    // Staff see the whole register.
    let seen = json_of(t.get("/api/v1/workrooms", &staff("siming")).await, 200).await;
    assert_eq!(ids(seen).len(), 2);
    t.stop().await;
}

/// Minimum necessary: residents, members and other districts' staff see a workroom's public
/// face — no inspection record, no staff account ids, no actions — and not its history; the
/// district's staff see everything.
#[actix_web::test]
async fn the_public_face_of_a_workroom_leaves_out_the_office_record() {
    let t = TestStack::start().await;
    t.seed().await;
    let w = create(
        &t,
        &admin(),
        workroom("公开的工作室", "siming", "jialian", CENTRE),
    )
    .await;
    let wid = id(&w);
    drive(&t, &wid, &["inspect", "approve", "award_plaque"]).await;
    let m = id(&json_of(
        t.post("/api/v1/members", &admin(), &new_member("黄委员", "siming"))
            .await,
        201,
    )
    .await);
    json_of(
        t.post(
            &format!("/api/v1/workrooms/{wid}/members"),
            &admin(),
            &json!({"member_id": m, "role": "member"}),
        )
        .await,
        201,
    )
    .await;
    let resident = xs_testkit::token("resident-1", &[xs_kit::Role::Resident], Some("siming"));
    let outsiders = [resident, member_token(&m, "siming"), staff("huli")];
    for token in &outsiders {
        let v = json_of(t.get(&format!("/api/v1/workrooms/{wid}"), token).await, 200).await;
        assert!(v["inspection"].is_null(), "{v}");
        assert!(
            v["created_by"].is_null() && v["updated_by"].is_null(),
            "{v}"
        );
        assert_eq!(v["allowed_actions"], json!([]));
        assert_eq!(v["status"], "active");
        problem(
            t.get(&format!("/api/v1/workrooms/{wid}/history"), token)
                .await,
            403,
        )
        .await;
        let a = json_of(
            t.get(&format!("/api/v1/workrooms/{wid}/members"), token)
                .await,
            200,
        )
        .await;
        assert!(a["items"][0]["assigned_by"].is_null(), "{a}");
        assert_eq!(a["items"][0]["member_name"], "黄委员");
    }
    let v = json_of(
        t.get(&format!("/api/v1/workrooms/{wid}"), &staff("siming"))
            .await,
        200,
    )
    .await;
    assert_eq!(v["inspection"]["findings"], "场地、制度齐全");
    assert_eq!(v["created_by"], "admin-1");
    json_of(
        t.get(
            &format!("/api/v1/workrooms/{wid}/history"),
            &staff("siming"),
        )
        .await,
        200,
    )
    .await;
    let a = json_of(
        t.get(
            &format!("/api/v1/workrooms/{wid}/members"),
            &staff("siming"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(a["items"][0]["assigned_by"], "admin-1");
    t.stop().await;
}
