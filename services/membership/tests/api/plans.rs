//! Annual plans and progress bulletins through the gateway: actuals counted from recorded
//! activities, replacing with a version, scope, quarter proration and ranking; the workroom
//! figures of the membership statistics; a record's workroom checked against its member.

use crate::common::*;
use reqwest::{Method, Response};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use xs_kit::Role;
use xs_testkit::token;

async fn json_of(r: Response, status: u16) -> Value {
    let got = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    assert_eq!(got, status, "{body}");
    body
}

fn dashboard() -> String {
    token("dashboard-1", &[Role::Dashboard], None)
}

fn resident(district: Option<&str>) -> String {
    token("resident-1", &[Role::Resident], district)
}

fn coordinator(district: &str) -> String {
    token("coordinator-1", &[Role::Coordinator], Some(district))
}

async fn create_member(t: &TestStack, name: &str, district: &str) -> String {
    let r = t
        .post("/api/v1/members", &admin(), &new_member(name, district))
        .await;
    json_of(r, 201).await["id"].as_str().unwrap().to_string()
}

async fn create_workroom(t: &TestStack, name: &str, kind: &str, district: &str) -> String {
    let subdistrict = if district == "siming" {
        "jialian"
    } else {
        "dianqian"
    };
    let met = json!({"met": true});
    let body = json!({
        "name": name, "kind": kind, "district": district, "subdistrict": subdistrict,
        "address": "莲花路1号", "latitude": 24.45, "longitude": 118.08, "reception_days": ["monday"],
        "essentials": {"venue": met, "team": met, "rules": met, "signage": met,
                       "duty_list": met, "funding": met},
    });
    let r = t.post("/api/v1/workrooms", &admin(), &body).await;
    json_of(r, 201).await["id"].as_str().unwrap().to_string()
}

async fn transition(t: &TestStack, workroom: &str, action: Value) {
    let r = t
        .post(
            &format!("/api/v1/workrooms/{workroom}/transitions"),
            &admin(),
            &action,
        )
        .await;
    json_of(r, 200).await;
}

/// Record `n` activities of `kind` on `date` at `workroom` (by hand, as office staff would).
async fn record(
    t: &TestStack,
    member: &str,
    kind: &str,
    date: &str,
    workroom: Option<&str>,
    n: u32,
) {
    for _ in 0..n {
        let mut body = json!({"member": member, "type": kind, "date": date});
        if let Some(w) = workroom {
            body["workroom"] = json!(w);
        }
        json_of(t.post("/api/v1/activities", &admin(), &body).await, 201).await;
    }
}

async fn put_plan(
    t: &TestStack,
    token: &str,
    workroom: &str,
    year: i32,
    body: &Value,
    if_match: Option<&str>,
) -> Response {
    let mut req = t
        .req(
            Method::PUT,
            &format!("/api/v1/workrooms/{workroom}/plans/{year}"),
            token,
        )
        .json(body);
    if let Some(v) = if_match {
        req = req.header("If-Match", v);
    }
    req.send().await.unwrap()
}

/// type → (target, actual, percent)
fn lines(plan: &Value) -> BTreeMap<String, (i64, i64, Value)> {
    plan["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["type"].as_str().unwrap().to_string(),
                (
                    l["target"].as_i64().unwrap(),
                    l["actual"].as_i64().unwrap(),
                    l["percent"].clone(),
                ),
            )
        })
        .collect()
}

#[actix_web::test]
async fn a_plan_counts_the_workrooms_activities_of_its_year() {
    let t = TestStack::start().await;
    t.seed().await;
    let room = create_workroom(&t, "集美活动室", "activity_room", "siming").await;
    let other = create_workroom(&t, "另一活动室", "activity_room", "siming").await;
    let m1 = create_member(&t, "陈委员", "siming").await;
    let m2 = create_member(&t, "林委员", "siming").await;

    record(&t, &m1, "consultation", "2026-02-03", Some(&room), 3).await;
    record(&t, &m2, "consultation", "2026-05-03", Some(&room), 2).await;
    record(&t, &m1, "reception", "2026-03-04", Some(&room), 3).await;
    record(&t, &m2, "report_submitted", "2026-04-05", Some(&room), 7).await;
    // Not counted: another year, no workroom, another workroom.
    record(&t, &m1, "consultation", "2025-12-30", Some(&room), 1).await;
    record(&t, &m1, "consultation", "2026-02-03", None, 1).await;
    record(&t, &m1, "consultation", "2026-02-03", Some(&other), 1).await;

    let plan = json!({"targets": {"consultation": 12, "reception": 48, "report_submitted": 6,
                                  "lecture": 0},
                      "note": "集美区委员活动室2026年度计划"});
    let r = put_plan(&t, &staff("siming"), &room, 2026, &plan, None).await;
    assert_eq!(
        r.headers().get("location").unwrap(),
        &format!("/api/v1/workrooms/{room}/plans/2026")
    );
    assert_eq!(r.headers().get("etag").unwrap(), "\"1\"");
    let created = json_of(r, 201).await;
    assert_eq!(created["version"], 1);
    assert_eq!(created["created_by"], "staff-siming");
    assert_eq!(created["district"], "siming");

    let got = json_of(
        t.get(
            &format!("/api/v1/workrooms/{room}/plans/2026"),
            &staff("siming"),
        )
        .await,
        200,
    )
    .await;
    let l = lines(&got);
    assert_eq!(l["consultation"], (12, 5, json!(41.7)));
    assert_eq!(l["reception"], (48, 3, json!(6.3)));
    assert_eq!(l["report_submitted"], (6, 7, json!(116.7)));
    assert_eq!(l["lecture"], (0, 0, Value::Null), "nothing due, no percent");
    // The mean of 41.66%, 6.25% and 100% (capped), in hundredths rounded down per target.
    assert_eq!(got["completion_percent"], 49.3);
    assert!(got["completion_rule"].as_str().unwrap().contains("capped"));
    assert_eq!(got["note"], "集美区委员活动室2026年度计划");
    assert_eq!(got["workroom_name"], "集美活动室");

    // Anyone signed in within the district reads it, and the citywide readers; residents see
    // active workrooms only, and this one is not active yet (404, as an unknown id).
    json_of(
        t.get(
            &format!("/api/v1/workrooms/{room}/plans/2026"),
            &resident(Some("siming")),
        )
        .await,
        404,
    )
    .await;
    for tok in [
        member_token(&m1, "siming"),
        coordinator("siming"),
        dashboard(),
        token("it-1", &[Role::Integrator], None),
        admin(),
    ] {
        json_of(
            t.get(&format!("/api/v1/workrooms/{room}/plans/2026"), &tok)
                .await,
            200,
        )
        .await;
    }
    for tok in [
        staff("huli"),
        resident(None),
        token("dash-huli", &[Role::Dashboard], Some("huli")),
    ] {
        problem(
            t.get(&format!("/api/v1/workrooms/{room}/plans/2026"), &tok)
                .await,
            403,
        )
        .await;
    }
    problem(
        t.get(&format!("/api/v1/workrooms/{room}/plans/2027"), &admin())
            .await,
        404,
    )
    .await;
    problem(
        t.get("/api/v1/workrooms/no-such-room/plans/2026", &admin())
            .await,
        404,
    )
    .await;
    let p = problem(
        t.get(&format!("/api/v1/workrooms/{room}/plans/1999"), &admin())
            .await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["year"]);
    t.stop().await;
}

#[actix_web::test]
async fn replacing_a_plan_needs_the_version_and_the_districts_staff() {
    let t = TestStack::start().await;
    t.seed().await;
    let room = create_workroom(&t, "后溪活动室", "activity_room", "siming").await;
    let v1 = json!({"targets": {"consultation": 12, "reception": 48}});

    // Only admins and the district's office staff write.
    for tok in [
        staff("huli"),
        coordinator("siming"),
        resident(Some("siming")),
        dashboard(),
    ] {
        problem(put_plan(&t, &tok, &room, 2026, &v1, None).await, 403).await;
    }
    // A version on a plan that does not exist yet matches nothing.
    problem(
        put_plan(&t, &admin(), &room, 2026, &v1, Some("\"1\"")).await,
        412,
    )
    .await;
    json_of(put_plan(&t, &admin(), &room, 2026, &v1, None).await, 201).await;

    let v2 = json!({"targets": {"consultation": 10, "report_submitted": 6}});
    problem(
        put_plan(&t, &staff("siming"), &room, 2026, &v2, None).await,
        428,
    )
    .await;
    problem(
        put_plan(&t, &staff("siming"), &room, 2026, &v2, Some("\"7\"")).await,
        412,
    )
    .await;
    let mut with_version = v2.clone();
    with_version["version"] = json!(1);
    let r = put_plan(&t, &staff("siming"), &room, 2026, &with_version, None).await;
    assert_eq!(r.headers().get("etag").unwrap(), "\"2\"");
    let replaced = json_of(r, 200).await;
    assert_eq!(replaced["version"], 2);
    assert_eq!(replaced["updated_by"], "staff-siming");
    assert_eq!(replaced["created_by"], "admin-1");
    let l = lines(&replaced);
    assert_eq!(
        l.keys().collect::<Vec<_>>(),
        ["consultation", "report_submitted"],
        "a replaced plan keeps only the targets sent"
    );
    // The version read before is stale now.
    problem(
        put_plan(&t, &staff("siming"), &room, 2026, &v2, Some("\"1\"")).await,
        412,
    )
    .await;
    json_of(
        put_plan(&t, &staff("siming"), &room, 2026, &v2, Some("\"2\"")).await,
        200,
    )
    .await;

    // Bad input names the field, and nothing is written.
    for (body, field, status) in [
        (
            json!({"targets": {"sightseeing": 3}}),
            "targets.sightseeing",
            422,
        ),
        (json!({"targets": {"lecture": -1}}), "targets.lecture", 400),
        (json!({"targets": {}}), "targets", 422),
        (json!({"targets": {"lecture": 0}}), "targets", 422),
        (
            json!({"targets": {"lecture": "many"}}),
            "targets.lecture",
            400,
        ),
        (json!({"targets": {"lecture": 2}, "extra": 1}), "extra", 400),
    ] {
        let p = problem(
            put_plan(&t, &admin(), &room, 2026, &body, Some("\"3\"")).await,
            status,
        )
        .await;
        assert_eq!(fields(&p), [field], "{body}");
    }
    let p = problem(put_plan(&t, &admin(), &room, 2101, &v1, None).await, 400).await;
    assert_eq!(fields(&p), ["year"]);
    let got = json_of(
        t.get(&format!("/api/v1/workrooms/{room}/plans/2026"), &admin())
            .await,
        200,
    )
    .await;
    assert_eq!(got["version"], 3);
    problem(
        put_plan(&t, &admin(), "no-such-room", 2026, &v1, None).await,
        404,
    )
    .await;
    t.stop().await;
}

#[actix_web::test]
async fn the_bulletin_ranks_workrooms_against_prorated_targets() {
    let t = TestStack::start().await;
    t.seed().await;
    let m = create_member(&t, "集美委员", "siming").await;
    let mut rooms = Vec::new();
    for name in ["甲", "乙", "丙", "丁", "戊"] {
        rooms.push(create_workroom(&t, name, "activity_room", "siming").await);
    }
    let (a, b, c, d, e) = (&rooms[0], &rooms[1], &rooms[2], &rooms[3], &rooms[4]);
    let huli_room = create_workroom(&t, "湖里室", "activity_room", "huli").await;
    let h = create_member(&t, "湖里委员", "huli").await;

    let plan = |targets: Value| json!({ "targets": targets });
    for (room, targets) in [
        (a, json!({"consultation": 8})),
        (b, json!({"consultation": 8, "reception": 4})),
        (c, json!({"report_submitted": 4})),
        (d, json!({"consultation": 4})),
    ] {
        json_of(
            put_plan(&t, &admin(), room, 2026, &plan(targets), None).await,
            201,
        )
        .await;
    }
    json_of(
        put_plan(
            &t,
            &admin(),
            &huli_room,
            2026,
            &plan(json!({"lecture": 1})),
            None,
        )
        .await,
        201,
    )
    .await;
    // e has no plan: counted as unplanned, not ranked.
    let _ = e;

    record(&t, &m, "consultation", "2026-02-10", Some(a), 2).await;
    record(&t, &m, "consultation", "2026-05-10", Some(a), 2).await;
    record(&t, &m, "consultation", "2026-08-10", Some(a), 2).await;
    record(&t, &m, "consultation", "2026-01-20", Some(b), 2).await;
    record(&t, &m, "reception", "2026-04-20", Some(b), 2).await;
    record(&t, &m, "report_submitted", "2026-06-30", Some(c), 1).await;
    record(&t, &m, "consultation", "2026-03-31", Some(d), 1).await;
    record(&t, &h, "lecture", "2026-02-01", Some(&huli_room), 1).await;

    let order = |b: &Value| -> Vec<(String, i64, f64)> {
        b["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["workroom"].as_str().unwrap().to_string(),
                    i["rank"].as_i64().unwrap(),
                    i["completion_percent"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let sorted = |x: &str, y: &str| {
        let mut v = [x.to_string(), y.to_string()];
        v.sort();
        v
    };

    // Q2: half of each target is due. a 4/4 = 100; b 2/4 and 2/2 → 75; c 1/2 and d 1/2 → 50.
    let q2 = json_of(
        t.get("/api/v1/bulletins?year=2026&quarter=2", &staff("siming"))
            .await,
        200,
    )
    .await;
    assert_eq!(q2["district"], "siming");
    assert_eq!(q2["from"], "2026-01-01");
    assert_eq!(q2["to"], "2026-06-30");
    assert!(q2["proration_rule"].as_str().unwrap().contains("× Q / 4"));
    assert_eq!(q2["ranked_workrooms"], 4);
    assert_eq!(q2["unplanned_workrooms"], 1);
    let (cd0, cd1) = {
        let s = sorted(c, d);
        (s[0].clone(), s[1].clone())
    };
    assert_eq!(
        order(&q2),
        [
            (a.clone(), 1, 100.0),
            (b.clone(), 2, 75.0),
            (cd0.clone(), 3, 50.0),
            (cd1.clone(), 3, 50.0)
        ]
    );
    let first = &q2["items"][0];
    assert_eq!(first["name"], "甲");
    assert_eq!(first["kind"], "activity_room");
    assert_eq!(first["status"], "applied");
    assert_eq!(
        first["targets"],
        json!([{"type": "consultation", "annual_target": 8, "target_to_date": 4.0,
                "actual": 4, "percent": 100.0}])
    );

    // Q1: a quarter is due. a 2/2 and d 1/1 = 100; b 2/2 and 0/1 → 50; c 0/1 → 0.
    let q1 = json_of(
        t.get(
            "/api/v1/bulletins?year=2026&quarter=1&district=siming",
            &admin(),
        )
        .await,
        200,
    )
    .await;
    let ad = sorted(a, d);
    assert_eq!(
        order(&q1),
        [
            (ad[0].clone(), 1, 100.0),
            (ad[1].clone(), 1, 100.0),
            (b.clone(), 3, 50.0),
            (c.clone(), 4, 0.0)
        ]
    );
    // Q4 is the whole year: a's third-quarter records count now, 6/8 → 75.
    let q4 = json_of(
        t.get(
            "/api/v1/bulletins?quarter=4&year=2026",
            &dashboard_of("siming"),
        )
        .await,
        200,
    )
    .await;
    // b 2/8 and 2/4 → 37.5; c and d 1/4 → 25.
    assert_eq!(
        order(&q4),
        [
            (a.clone(), 1, 75.0),
            (b.clone(), 2, 37.5),
            (cd0.clone(), 3, 25.0),
            (cd1.clone(), 3, 25.0)
        ]
    );

    // Pages of two cover the ranking once, ranks carried across the break.
    let first_page = json_of(
        t.get(
            "/api/v1/bulletins?year=2026&quarter=2&limit=2",
            &staff("siming"),
        )
        .await,
        200,
    )
    .await;
    let cursor = first_page["next_cursor"].as_str().unwrap().to_string();
    let second_page = json_of(
        t.get(
            &format!("/api/v1/bulletins?year=2026&quarter=2&limit=2&cursor={cursor}"),
            &staff("siming"),
        )
        .await,
        200,
    )
    .await;
    assert!(second_page["next_cursor"].is_null());
    let mut paged = order(&first_page);
    paged.extend(order(&second_page));
    assert_eq!(paged, order(&q2));

    // Huli's bulletin has only Huli's room.
    let huli = json_of(
        t.get("/api/v1/bulletins?year=2026&quarter=1", &staff("huli"))
            .await,
        200,
    )
    .await;
    assert_eq!(order(&huli), [(huli_room.clone(), 1, 100.0)]);

    // Citywide callers name the district; staff may name no other; bad input names the field.
    for (path, tok, field, status) in [
        (
            "/api/v1/bulletins?year=2026&quarter=2",
            admin(),
            "district",
            422,
        ),
        (
            "/api/v1/bulletins?year=2026&quarter=2",
            dashboard(),
            "district",
            422,
        ),
        (
            "/api/v1/bulletins?year=2026&quarter=5&district=siming",
            admin(),
            "quarter",
            400,
        ),
        ("/api/v1/bulletins?year=2026", admin(), "quarter", 400),
        (
            "/api/v1/bulletins?year=1999&quarter=1&district=siming",
            admin(),
            "year",
            400,
        ),
        (
            "/api/v1/bulletins?quarter=1&district=nowhere",
            admin(),
            "district",
            422,
        ),
        (
            "/api/v1/bulletins?quarter=1&district=siming&cursor=nope",
            admin(),
            "cursor",
            422,
        ),
    ] {
        let p = problem(t.get(path, &tok).await, status).await;
        assert_eq!(fields(&p), [field], "{path}");
    }
    problem(
        t.get(
            "/api/v1/bulletins?year=2026&quarter=2&district=siming",
            &staff("huli"),
        )
        .await,
        403,
    )
    .await;
    problem(
        t.get("/api/v1/bulletins?quarter=2", &resident(None)).await,
        403,
    )
    .await;
    t.stop().await;
}

fn dashboard_of(district: &str) -> String {
    token("dashboard-2", &[Role::Dashboard], Some(district))
}

#[actix_web::test]
async fn statistics_count_workrooms_by_kind_and_status_and_who_is_placed() {
    let t = TestStack::start().await;
    t.seed().await;
    let working = create_workroom(&t, "好商量", "haoshangliang_studio", "siming").await;
    let _applied = create_workroom(&t, "活动室一", "activity_room", "siming").await;
    let closing = create_workroom(&t, "活动室二", "activity_room", "siming").await;
    let _huli = create_workroom(&t, "湖里工作室", "member_studio", "huli").await;
    let placed = create_member(&t, "在岗委员", "siming").await;
    let in_closed = create_member(&t, "撤并委员", "siming").await;
    let _unplaced = create_member(&t, "未分配委员", "siming").await;
    let _h = create_member(&t, "湖里委员", "huli").await;
    for (room, member) in [
        (&working, &placed),
        (&closing, &in_closed),
        (&closing, &placed),
    ] {
        let r = t
            .post(
                &format!("/api/v1/workrooms/{room}/members"),
                &admin(),
                &json!({"member_id": member, "role": "member"}),
            )
            .await;
        json_of(r, 201).await;
    }
    // Lifecycle steps are dated no earlier than the application, never in the future.
    let today = chrono::Utc::now().date_naive().to_string();
    transition(
        &t,
        &working,
        json!({"action": "inspect", "date": today, "inspector": "专委会办公室", "passed": true}),
    )
    .await;
    transition(
        &t,
        &working,
        json!({"action": "approve", "approved_by": "区政协党组", "date": today}),
    )
    .await;
    transition(
        &t,
        &working,
        json!({"action": "award_plaque", "date": today}),
    )
    .await;
    transition(&t, &closing, json!({"action": "close", "reason": "撤并"})).await;

    let s = json_of(
        t.get("/api/v1/stats/membership?district=siming", &dashboard())
            .await,
        200,
    )
    .await;
    assert_eq!(s["workrooms"], 3);
    assert_eq!(
        s["workrooms_by_kind"],
        json!([{"kind": "activity_room", "workrooms": 2},
               {"kind": "haoshangliang_studio", "workrooms": 1}])
    );
    assert_eq!(
        s["workrooms_by_status"],
        json!([{"status": "active", "workrooms": 1}, {"status": "applied", "workrooms": 1},
               {"status": "closed", "workrooms": 1}])
    );
    assert_eq!(
        s["workrooms_by_kind_and_status"],
        json!([{"kind": "activity_room", "status": "applied", "workrooms": 1},
               {"kind": "activity_room", "status": "closed", "workrooms": 1},
               {"kind": "haoshangliang_studio", "status": "active", "workrooms": 1}])
    );
    // Serving only in a closed workroom is not a placement.
    assert_eq!(s["members"], 3);
    assert_eq!(s["members_placed"], 1);
    assert_eq!(s["members_not_placed"], 2);
    // The fields that were there before are still there.
    assert_eq!(s["activities"], 0);
    assert!(s["members_by_sector"].is_array() && s["activities_by_type"].is_array());

    let all = json_of(t.get("/api/v1/stats/membership", &admin()).await, 200).await;
    assert_eq!(all["workrooms"], 4);
    assert_eq!(all["members"], 4);
    assert_eq!(all["members_placed"], 1);
    assert_eq!(all["members_not_placed"], 3);
    let own = json_of(t.get("/api/v1/stats/membership", &staff("huli")).await, 200).await;
    assert_eq!(
        own["workrooms_by_kind_and_status"],
        json!([{"kind": "member_studio", "status": "applied", "workrooms": 1}])
    );
    assert_eq!(own["members_not_placed"], 1);
    t.stop().await;
}

#[actix_web::test]
async fn a_records_workroom_must_exist_in_the_members_district() {
    let t = TestStack::start().await;
    t.seed().await;
    let m = create_member(&t, "思明委员", "siming").await;
    let own = create_workroom(&t, "思明室", "activity_room", "siming").await;
    let huli = create_workroom(&t, "湖里室", "activity_room", "huli").await;
    let body =
        |w: &str| json!({"member": m, "type": "reception", "date": "2026-03-02", "workroom": w});

    let p = problem(
        t.post("/api/v1/activities", &staff("siming"), &body(&huli))
            .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["workroom"]);
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("district")
    );
    let p = problem(
        t.post(
            "/api/v1/activities",
            &staff("siming"),
            &body("no-such-room"),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["workroom"]);
    let a = json_of(
        t.post("/api/v1/activities", &staff("siming"), &body(&own))
            .await,
        201,
    )
    .await;
    assert_eq!(a["workroom"], own.as_str());

    // Reported activities are held to the same rule.
    let base = t.service_url();
    let mut event = body("no-such-room");
    event["source"] = json!("consultation");
    event["source_event_id"] = json!("c-1");
    let r = t
        .client
        .post(format!("{base}/internal/v1/activities"))
        .bearer_auth(token("consultation", &[Role::Service], None))
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(fields(&problem(r, 422).await), ["workroom"]);
    t.stop().await;
}
