//! Activity records and yearly evaluation through the gateway: points from the year's rules,
//! scope, the idempotent internal endpoint, ranks and grades, statistics from records.

use crate::common::*;
use reqwest::{Method, Response};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use xs_kit::Role;
use xs_testkit::token;

fn coordinator(district: &str) -> String {
    token(
        &format!("coordinator-{district}"),
        &[Role::Coordinator],
        Some(district),
    )
}

fn service() -> String {
    token("consultation", &[Role::Service], None)
}

fn dashboard() -> String {
    token("dashboard-1", &[Role::Dashboard], None)
}

fn resident() -> String {
    token("resident-1", &[Role::Resident], Some("siming"))
}

async fn json_of(r: Response, status: u16) -> Value {
    let got = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    assert_eq!(got, status, "{body}");
    body
}

async fn create_member(t: &TestStack, name: &str, district: &str) -> String {
    let r = t
        .post("/api/v1/members", &admin(), &new_member(name, district))
        .await;
    json_of(r, 201).await["id"].as_str().unwrap().to_string()
}

/// A workroom of `district` (a record's workroom must exist in its member's district).
async fn create_workroom(t: &TestStack, name: &str, district: &str) -> String {
    let subdistrict = if district == "siming" {
        "jialian"
    } else {
        "dianqian"
    };
    let body = json!({"name": name, "kind": "member_studio", "district": district,
                      "subdistrict": subdistrict, "address": "莲花路1号", "latitude": 24.45,
                      "longitude": 118.08, "reception_days": [], "essentials": {}});
    let r = t.post("/api/v1/workrooms", &admin(), &body).await;
    json_of(r, 201).await["id"].as_str().unwrap().to_string()
}

fn activity(member: &str, kind: &str, date: &str) -> Value {
    json!({"member": member, "type": kind, "date": date})
}

async fn record(t: &TestStack, token: &str, body: Value) -> Value {
    json_of(t.post("/api/v1/activities", token, &body).await, 201).await
}

/// POST to the membership service's internal endpoint (the gateway does not route it).
async fn deliver(t: &TestStack, token: &str, body: &Value) -> Response {
    let base = t.service_url();
    t.client
        .post(format!("{base}/internal/v1/activities"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

fn event(member: &str, kind: &str, date: &str, id: &str) -> Value {
    json!({"member": member, "type": kind, "date": date,
           "source": "consultation", "source_event_id": id})
}

async fn get_json(t: &TestStack, path: &str, token: &str) -> Value {
    json_of(t.get(path, token).await, 200).await
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn manual_records_take_their_points_from_the_rules() {
    let t = TestStack::start().await;
    t.seed().await;
    let m = create_member(&t, "王委员", "siming").await;
    let studio = create_workroom(&t, "王委员工作室", "siming").await;

    let mut body = activity(&m, "consultation", "2026-03-02");
    body["beneficiaries"] = json!(12);
    body["workroom"] = json!(studio);
    let a = record(&t, &staff("siming"), body).await;
    assert_eq!(
        a["points"], 5,
        "consultation is worth 5 under the 2026 table"
    );
    assert_eq!(a["rule_year"], 2026);
    assert_eq!(a["points_overridden"], false);
    assert_eq!(a["source"], "manual");
    assert_eq!(a["district"], "siming");
    assert_eq!(a["created_by"], "staff-siming");
    assert_eq!(a["problems_solved"], 0);
    let again = get_json(
        &t,
        &format!("/api/v1/activities/{}", a["id"].as_str().unwrap()),
        &staff("siming"),
    )
    .await;
    assert_eq!(again["beneficiaries"], 12);
    assert_eq!(again["workroom"], studio.as_str());

    // Coordinators of the district record too; adopted reports are worth 10.
    let a = record(
        &t,
        &coordinator("siming"),
        activity(&m, "report_adopted", "2026-04-01"),
    )
    .await;
    assert_eq!(a["points"], 10);

    // Points are never taken from a non-admin; an admin may set them, and it shows.
    let mut claimed = activity(&m, "check_in", "2026-04-02");
    claimed["points"] = json!(50);
    problem(
        t.post("/api/v1/activities", &staff("siming"), &claimed)
            .await,
        403,
    )
    .await;
    let a = record(&t, &admin(), claimed).await;
    assert_eq!(a["points"], 50);
    assert_eq!(a["points_overridden"], true);

    // Other districts' staff, residents and members themselves may not record.
    let body = activity(&m, "lecture", "2026-04-03");
    problem(
        t.post("/api/v1/activities", &staff("huli"), &body).await,
        403,
    )
    .await;
    problem(
        t.post("/api/v1/activities", &coordinator("huli"), &body)
            .await,
        403,
    )
    .await;
    problem(t.post("/api/v1/activities", &resident(), &body).await, 403).await;
    problem(
        t.post("/api/v1/activities", &member_token(&m, "siming"), &body)
            .await,
        403,
    )
    .await;

    // Bad input names the field.
    let r = t
        .post(
            "/api/v1/activities",
            &staff("siming"),
            &activity("no-such-member", "lecture", "2026-04-03"),
        )
        .await;
    assert_eq!(fields(&problem(r, 422).await), ["member"]);
    let r = t
        .post(
            "/api/v1/activities",
            &staff("siming"),
            &activity(&m, "sightseeing", "2026-04-03"),
        )
        .await;
    assert_eq!(fields(&problem(r, 400).await), ["type"]);
    let mut bad = activity(&m, "lecture", "2999-01-01");
    bad["beneficiaries"] = json!(-1);
    let r = t.post("/api/v1/activities", &staff("siming"), &bad).await;
    assert_eq!(fields(&problem(r, 400).await), ["beneficiaries", "date"]);

    // An Idempotency-Key replays the first response instead of recording twice.
    let body = activity(&m, "duty_shift", "2026-05-01");
    let send = || {
        t.req(Method::POST, "/api/v1/activities", &staff("siming"))
            .header("Idempotency-Key", "shift-0501")
            .json(&body)
            .send()
    };
    let first = json_of(send().await.unwrap(), 201).await;
    let r = send().await.unwrap();
    assert_eq!(r.headers().get("Idempotent-Replayed").unwrap(), "true");
    assert_eq!(json_of(r, 201).await["id"], first["id"]);
    let list = get_json(&t, "/api/v1/activities?type=duty_shift", &staff("siming")).await;
    assert_eq!(ids(&list).len(), 1);
    t.stop().await;
}

#[actix_web::test]
async fn the_internal_endpoint_needs_a_service_token_and_records_each_event_once() {
    let t = TestStack::start().await;
    t.seed().await;
    let m = create_member(&t, "李委员", "siming").await;
    let other = create_member(&t, "赵委员", "siming").await;
    let mut e = event(&m, "consultation", "2026-06-01", "consultation-42");
    e["beneficiaries"] = json!(30);
    e["problems_solved"] = json!(2);

    for tok in [admin(), staff("siming"), dashboard()] {
        problem(deliver(&t, &tok, &e).await, 403).await;
    }
    // The gateway does not expose internal endpoints.
    let r = t.post("/internal/v1/activities", &service(), &e).await;
    assert_eq!(r.status(), 404);

    let first = json_of(deliver(&t, &service(), &e).await, 201).await;
    assert_eq!(first["points"], 5);
    assert_eq!(first["source"], "consultation");
    assert_eq!(first["source_event_id"], "consultation-42");
    assert_eq!(first["created_by"], "consultation");
    let second = json_of(deliver(&t, &service(), &e).await, 200).await;
    assert_eq!(second["id"], first["id"]);
    // The same event id for someone else is a sender's bug, not a new record.
    let clash = event(&other, "consultation", "2026-06-01", "consultation-42");
    problem(deliver(&t, &service(), &clash).await, 409).await;
    // So is the same event id with other content: other beneficiaries, problems or note.
    for (field, value) in [
        ("beneficiaries", json!(31)),
        ("problems_solved", json!(0)),
        ("note", json!("another note")),
    ] {
        let mut changed = e.clone();
        changed[field] = value;
        problem(deliver(&t, &service(), &changed).await, 409).await;
    }
    // Another service may use the same event id.
    let mut from_reports = event(&m, "report_adopted", "2026-06-02", "consultation-42");
    from_reports["source"] = json!("reports");
    let r = json_of(deliver(&t, &service(), &from_reports).await, 201).await;
    assert_eq!(r["points"], 10);

    let unknown = event("ghost", "consultation", "2026-06-01", "consultation-43");
    assert_eq!(
        fields(&problem(deliver(&t, &service(), &unknown).await, 422).await),
        ["member"]
    );
    let mut manual = event(&m, "consultation", "2026-06-01", "x");
    manual["source"] = json!("manual");
    assert_eq!(
        fields(&problem(deliver(&t, &service(), &manual).await, 400).await),
        ["source"]
    );

    let list = get_json(&t, &format!("/api/v1/activities?member={m}"), &admin()).await;
    assert_eq!(ids(&list).len(), 2);
    let ev = get_json(
        &t,
        &format!("/api/v1/members/{m}/evaluation?year=2026"),
        &admin(),
    )
    .await;
    assert_eq!(ev["total_points"], 15);
    t.stop().await;
}

#[actix_web::test]
async fn concurrent_duplicate_deliveries_are_recorded_once() {
    let t = TestStack::start().await;
    t.seed().await;
    let m = create_member(&t, "陈委员", "siming").await;
    let e = event(&m, "mediation", "2026-07-01", "mediation-7");
    let tok = service();
    let responses = futures_util::future::join_all((0..8).map(|_| deliver(&t, &tok, &e))).await;
    let mut statuses = Vec::new();
    let mut seen = HashSet::new();
    for r in responses {
        statuses.push(r.status().as_u16());
        let v: Value = r.json().await.unwrap();
        seen.insert(v["id"].as_str().unwrap().to_string());
    }
    statuses.sort();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 200, 201]);
    assert_eq!(seen.len(), 1, "every delivery answers with the one record");
    let list = get_json(&t, &format!("/api/v1/activities?member={m}"), &admin()).await;
    assert_eq!(ids(&list).len(), 1);
    let ev = get_json(
        &t,
        &format!("/api/v1/members/{m}/evaluation?year=2026"),
        &admin(),
    )
    .await;
    assert_eq!(ev["total_points"], 5, "the points are counted once");
    assert_eq!(ev["activities"], 1);
    t.stop().await;
}

/// The 2026 table with its thresholds changed (and the version it was read at).
async fn table_2026(t: &TestStack, excellent: i64, competent: i64) -> Value {
    let mut rules = get_json(t, "/api/v1/evaluation-rules?year=2026", &admin()).await;
    let body = json!({
        "excellent_min": excellent,
        "competent_min": competent,
        "points": rules["points"].take(),
        "version": rules["version"].take(),
    });
    let r = t
        .req(Method::PUT, "/api/v1/evaluation-rules/2026", &admin())
        .json(&body)
        .send()
        .await
        .unwrap();
    json_of(r, 200).await
}

#[actix_web::test]
async fn evaluation_sums_records_ranks_with_ties_and_grades_by_thresholds() {
    let t = TestStack::start().await;
    t.seed().await;
    let rules = table_2026(&t, 10, 5).await;
    assert_eq!(rules["version"], 2);
    let a = create_member(&t, "甲", "siming").await;
    let b = create_member(&t, "乙", "siming").await;
    let c = create_member(&t, "丙", "siming").await;
    let d = create_member(&t, "丁", "siming").await;
    let e = create_member(&t, "戊", "huli").await;
    let f = create_member(&t, "己", "siming").await;
    let g = create_member(&t, "庚", "siming").await;
    let records = [
        (&a, "consultation", "2026-02-01"),     // 5
        (&a, "report_adopted", "2026-03-01"),   // 10 → 15
        (&a, "report_adopted", "2025-12-31"),   // another year
        (&b, "consultation", "2026-02-02"),     // 5
        (&b, "report_submitted", "2026-02-03"), // 3 → 8
        (&c, "lecture", "2026-01-01"),          // 3
        (&c, "research_visit", "2026-11-01"),   // 3
        (&c, "duty_shift", "2026-06-06"),       // 2 → 8
        (&e, "report_adopted", "2026-02-01"),   // Huli does not rank with Siming
        (&e, "report_adopted", "2026-02-02"),
    ];
    for (m, kind, date) in records {
        record(&t, &admin(), activity(m, kind, date)).await;
    }
    // A record worth nothing still counts as a record, and 0 points ties with no records.
    let mut nothing = activity(&f, "other", "2026-05-05");
    nothing["points"] = json!(0);
    record(&t, &admin(), nothing).await;

    // A member's evaluation: the sum of their records, by type.
    let ev = get_json(
        &t,
        &format!("/api/v1/members/{c}/evaluation?year=2026"),
        &member_token(&c, "siming"),
    )
    .await;
    assert_eq!(ev["total_points"], 8);
    assert_eq!(ev["activities"], 3);
    assert_eq!(ev["rank"], 2, "tied with 乙");
    assert_eq!(ev["ranked_members"], 6);
    assert_eq!(ev["grade"], "competent");
    assert_eq!(
        ev["thresholds"],
        json!({"excellent_min": 10, "competent_min": 5})
    );
    let by_type: i64 = ev["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["points"].as_i64().unwrap())
        .sum();
    assert_eq!(by_type, 8);
    let records = get_json(
        &t,
        &format!("/api/v1/activities?member={c}&from=2026-01-01&to=2026-12-31"),
        &staff("siming"),
    )
    .await;
    let from_records: i64 = records["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["points"].as_i64().unwrap())
        .sum();
    assert_eq!(from_records, 8, "the total is the sum of the records");
    let ev = get_json(
        &t,
        &format!("/api/v1/members/{a}/evaluation?year=2026"),
        &staff("siming"),
    )
    .await;
    assert_eq!(
        (ev["total_points"].as_i64(), ev["rank"].as_i64()),
        (Some(15), Some(1))
    );
    assert_eq!(ev["grade"], "excellent");
    let ev = get_json(
        &t,
        &format!("/api/v1/members/{d}/evaluation?year=2026"),
        &staff("siming"),
    )
    .await;
    assert_eq!(
        (ev["total_points"].as_i64(), ev["rank"].as_i64()),
        (Some(0), Some(4))
    );
    assert_eq!(ev["grade"], "needs_improvement");
    let ev = get_json(
        &t,
        &format!("/api/v1/members/{a}/evaluation?year=2025"),
        &admin(),
    )
    .await;
    assert_eq!(ev["total_points"], 10);
    assert_eq!(ev["rule_year"], 2026, "2025 has no table of its own");

    // The district's ranking, two to a page; the tie spans the page break.
    let page1 = get_json(
        &t,
        "/api/v1/evaluations?year=2026&district=siming&limit=2",
        &dashboard(),
    )
    .await;
    assert_eq!(page1["ranked_members"], 6);
    let mut pages = vec![page1];
    while let Some(cursor) = pages.last().unwrap()["next_cursor"]
        .as_str()
        .map(str::to_owned)
    {
        let path = format!("/api/v1/evaluations?year=2026&district=siming&limit=2&cursor={cursor}");
        let next = get_json(&t, &path, &dashboard()).await;
        pages.push(next);
    }
    assert_eq!(pages.len(), 3, "the last page starts among the zero scores");
    let rows: Vec<(String, i64, i64, String)> = pages
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap().clone())
        .map(|i| {
            (
                i["member"].as_str().unwrap().to_string(),
                i["rank"].as_i64().unwrap(),
                i["total_points"].as_i64().unwrap(),
                i["grade"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let (mut bc, mut ranks) = (vec![b.clone(), c.clone()], Vec::new());
    bc.sort();
    for (i, (m, rank, total, grade)) in rows.iter().enumerate() {
        ranks.push(*rank);
        match i {
            0 => assert_eq!((m, *total, grade.as_str()), (&a, 15, "excellent")),
            1 | 2 => {
                assert_eq!(m, &bc[i - 1], "ties in member id order");
                assert_eq!((*total, grade.as_str()), (8, "competent"));
            }
            _ => {
                assert_eq!(m, [&d, &f, &g][i - 3], "zero scores in member id order");
                assert_eq!((*total, grade.as_str()), (0, "needs_improvement"));
            }
        }
    }
    assert_eq!(ranks, [1, 2, 2, 4, 4, 4]);
    assert_eq!(
        pages[2]["items"][0]["activities"], 1,
        "己 has a record worth 0"
    );
    // Staff see their own district's ranking by default.
    let own = get_json(&t, "/api/v1/evaluations?year=2026", &staff("huli")).await;
    assert_eq!(own["district"], "huli");
    assert_eq!(own["items"][0]["member"], e.as_str());
    assert_eq!(own["items"][0]["total_points"], 20);

    // Scope.
    problem(
        t.get(&format!("/api/v1/members/{c}/evaluation"), &staff("huli"))
            .await,
        403,
    )
    .await;
    problem(
        t.get(
            &format!("/api/v1/members/{c}/evaluation"),
            &member_token(&b, "siming"),
        )
        .await,
        403,
    )
    .await;
    problem(
        t.get(&format!("/api/v1/members/{c}/evaluation"), &resident())
            .await,
        403,
    )
    .await;
    problem(
        t.get("/api/v1/evaluations?district=siming", &staff("huli"))
            .await,
        403,
    )
    .await;
    // One answer for one member outside the scope: the records and check-ins filtered to
    // them are refused like their evaluation (they used to be an empty 200).
    for list in ["activities", "check-ins"] {
        problem(
            t.get(&format!("/api/v1/{list}?member={c}"), &staff("huli"))
                .await,
            403,
        )
        .await;
    }
    problem(
        t.get("/api/v1/evaluations", &member_token(&b, "siming"))
            .await,
        403,
    )
    .await;
    let p = problem(t.get("/api/v1/evaluations?year=2026", &admin()).await, 422).await;
    assert_eq!(fields(&p), ["district"]);
    let p = problem(
        t.get("/api/v1/evaluations?year=1800&district=siming", &admin())
            .await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["year"]);
    problem(
        t.get("/api/v1/members/ghost/evaluation", &admin()).await,
        404,
    )
    .await;
    t.stop().await;
}

#[actix_web::test]
async fn each_year_has_its_own_rule_table() {
    let t = TestStack::start().await;
    t.seed().await;
    let m = create_member(&t, "林委员", "siming").await;
    let current = get_json(&t, "/api/v1/evaluation-rules?year=2026", &resident()).await;
    assert_eq!(current["rule_year"], 2026);
    assert_eq!(current["points"]["consultation"], 5);
    assert_eq!(current["points"]["report_adopted"], 10);
    assert_eq!(current["points"]["report_submitted"], 3);
    assert_eq!(current["points"]["duty_shift"], 2);
    assert_eq!(current["points"]["check_in"], 1);
    assert_eq!(current["points"].as_object().unwrap().len(), 15);

    let mut points: BTreeMap<String, Value> =
        serde_json::from_value(current["points"].clone()).unwrap();
    points.insert("consultation".into(), json!(8));
    let body = json!({"excellent_min": 40, "competent_min": 10, "points": points});
    let put = |token: String, body: Value, if_match: Option<&'static str>| {
        let t = &t;
        async move {
            let mut req = t
                .req(Method::PUT, "/api/v1/evaluation-rules/2025", &token)
                .json(&body);
            if let Some(v) = if_match {
                req = req.header("If-Match", v);
            }
            req.send().await.unwrap()
        }
    };
    problem(put(staff("siming"), body.clone(), None).await, 403).await;
    let created = json_of(put(admin(), body.clone(), None).await, 201).await;
    assert_eq!(created["rule_year"], 2025);
    assert_eq!(created["points"]["consultation"], 8);

    let y2025 = get_json(&t, "/api/v1/evaluation-rules?year=2025", &admin()).await;
    assert_eq!(y2025["excellent_min"], 40);
    let y2024 = get_json(&t, "/api/v1/evaluation-rules?year=2024", &admin()).await;
    assert_eq!(
        y2024["rule_year"], 2025,
        "before the first table, the earliest applies"
    );

    // A record takes the table of its own year.
    let old = record(
        &t,
        &staff("siming"),
        activity(&m, "consultation", "2025-05-01"),
    )
    .await;
    assert_eq!(
        (old["points"].as_i64(), old["rule_year"].as_i64()),
        (Some(8), Some(2025))
    );
    let new = record(
        &t,
        &staff("siming"),
        activity(&m, "consultation", "2026-05-01"),
    )
    .await;
    assert_eq!(
        (new["points"].as_i64(), new["rule_year"].as_i64()),
        (Some(5), Some(2026))
    );

    // Replacing a year needs the version read; recorded points stay as recorded.
    problem(put(admin(), body.clone(), None).await, 428).await;
    problem(put(admin(), body.clone(), Some("\"7\"")).await, 412).await;
    let mut cheaper = body.clone();
    cheaper["points"]["consultation"] = json!(1);
    let replaced = json_of(put(admin(), cheaper, Some("\"1\"")).await, 200).await;
    assert_eq!(replaced["version"], 2);
    let kept = get_json(
        &t,
        &format!("/api/v1/activities/{}", old["id"].as_str().unwrap()),
        &admin(),
    )
    .await;
    assert_eq!(kept["points"], 8);

    // A table must be whole and its thresholds ordered.
    let mut partial = body.clone();
    partial["points"].as_object_mut().unwrap().remove("lecture");
    partial["excellent_min"] = json!(5);
    let r = t
        .req(Method::PUT, "/api/v1/evaluation-rules/2030", &admin())
        .json(&partial)
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(r, 400).await),
        ["excellent_min", "points.lecture"]
    );
    let mut bogus = body.clone();
    bogus["points"]["sightseeing"] = json!(1);
    let r = t
        .req(Method::PUT, "/api/v1/evaluation-rules/2030", &admin())
        .json(&bogus)
        .send()
        .await
        .unwrap();
    // The document lists every type (and no other), so an unknown one is the schema's 400.
    assert_eq!(fields(&problem(r, 400).await), ["points.sightseeing"]);
    // Thresholds out of order alone: each is schema-valid, their order is not in it.
    let mut unordered = body.clone();
    unordered["excellent_min"] = json!(5);
    let r = t
        .req(Method::PUT, "/api/v1/evaluation-rules/2030", &admin())
        .json(&unordered)
        .send()
        .await
        .unwrap();
    assert_eq!(fields(&problem(r, 422).await), ["excellent_min"]);
    t.stop().await;
}

#[actix_web::test]
async fn statistics_reproduce_a_siming_line_from_records() {
    let t = TestStack::start().await;
    t.seed().await;
    let mut with_sector = new_member("周委员", "siming");
    with_sector["sector"] = json!("economy");
    let m1 = json_of(t.post("/api/v1/members", &admin(), &with_sector).await, 201).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let m2 = create_member(&t, "吴委员", "siming").await;
    let h = create_member(&t, "郑委员", "huli").await;

    // A small Siming line: 3 problems solved, 4 warmth-delivery events, 250 people helped,
    // 6 volunteer participations, 2 lectures, 1 free clinic.
    let mut n = 0;
    let mut send = |member: &str, kind: &str, date: &str, people: i64, solved: i64| {
        n += 1;
        let mut e = event(member, kind, date, &format!("e{n}"));
        e["beneficiaries"] = json!(people);
        e["problems_solved"] = json!(solved);
        e
    };
    let mut events = Vec::new();
    for i in 0..4 {
        events.push(send(
            &m1,
            "warmth_delivery",
            "2026-01-10",
            30,
            i64::from(i == 0),
        ));
    }
    for i in 0..6 {
        let m = if i % 2 == 0 { &m1 } else { &m2 };
        events.push(send(m, "volunteer_service", "2026-03-05", 10, 0));
    }
    events.push(send(&m2, "lecture", "2026-04-01", 25, 0));
    events.push(send(&m2, "lecture", "2026-04-02", 25, 0));
    events.push(send(&m1, "free_clinic", "2026-05-20", 20, 0));
    events.push(send(&m2, "consultation", "2026-06-01", 0, 2));
    // Outside the line: another district, another year.
    events.push(send(&h, "warmth_delivery", "2026-01-10", 500, 9));
    events.push(send(&m1, "warmth_delivery", "2025-12-30", 500, 9));
    for e in &events {
        json_of(deliver(&t, &service(), e).await, 201).await;
    }

    let s = get_json(
        &t,
        "/api/v1/stats/membership?district=siming&from=2026-01-01&to=2026-12-31",
        &dashboard(),
    )
    .await;
    assert_eq!(s["problems_solved"], 3);
    assert_eq!(s["people_helped"], 250);
    assert_eq!(s["activities"], 14);
    let by_type: BTreeMap<String, (i64, i64, i64)> = s["activities_by_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["type"].as_str().unwrap().to_string(),
                (
                    t["activities"].as_i64().unwrap(),
                    t["people_helped"].as_i64().unwrap(),
                    t["problems_solved"].as_i64().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(by_type["warmth_delivery"], (4, 120, 1));
    assert_eq!(by_type["volunteer_service"], (6, 60, 0));
    assert_eq!(by_type["lecture"], (2, 50, 0));
    assert_eq!(by_type["free_clinic"], (1, 20, 0));
    assert_eq!(by_type["consultation"], (1, 0, 2));
    assert_eq!(by_type.len(), 5);
    assert_eq!(s["members"], 2);
    assert_eq!(
        s["members_by_sector"],
        json!([{"sector": null, "members": 1}, {"sector": "economy", "members": 1}])
    );

    // Office staff see their own district by default and no other; citywide sees all.
    let own = get_json(&t, "/api/v1/stats/membership", &staff("siming")).await;
    assert_eq!(own["district"], "siming");
    assert_eq!(own["problems_solved"], 12);
    problem(
        t.get("/api/v1/stats/membership?district=siming", &staff("huli"))
            .await,
        403,
    )
    .await;
    let all = get_json(
        &t,
        "/api/v1/stats/membership?from=2026-01-01",
        &token("it-1", &[Role::Integrator], None),
    )
    .await;
    assert_eq!(all["people_helped"], 750);
    assert_eq!(all["members"], 3);
    // Coordinators read their district's aggregates; members and residents do not.
    let coordinated = get_json(&t, "/api/v1/stats/membership", &coordinator("siming")).await;
    assert_eq!(coordinated, own);
    for tok in [member_token(&m1, "siming"), resident()] {
        problem(t.get("/api/v1/stats/membership", &tok).await, 403).await;
    }
    let p = problem(
        t.get(
            "/api/v1/stats/membership?from=2026-02-01&to=2026-01-01",
            &admin(),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["to"]);
    let p = problem(
        t.get("/api/v1/stats/membership?district=nowhere", &admin())
            .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["district"]);
    t.stop().await;
}

/// Records by type straight from `activities`, as the statistics were computed before the
/// day totals: (records, people helped, problems solved).
fn aggregate_records(
    url: &str,
    district: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> BTreeMap<String, (i64, i64, i64)> {
    use diesel::dsl::{count_star, sum};
    use diesel::prelude::*;
    use xs_membership::schema::activities as a;
    let db = xs_kit::Db::connect(url, &xs_kit::db::PoolOptions::default()).unwrap();
    let mut c = db.pool().get().unwrap();
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    let mut q = a::table
        .group_by(a::activity_type)
        .select((
            a::activity_type,
            count_star(),
            sum(a::beneficiaries),
            sum(a::problems_solved),
        ))
        .into_boxed::<xs_kit::db::DbBackend>();
    if let Some(d) = district {
        q = q.filter(a::district_code.eq(d.to_string()));
    }
    if let Some(f) = from {
        q = q.filter(a::activity_date.ge(day(f)));
    }
    if let Some(t) = to {
        q = q.filter(a::activity_date.le(day(t)));
    }
    let rows: Vec<(String, i64, Option<i64>, Option<i64>)> = q.load(&mut *c).unwrap();
    rows.into_iter()
        .map(|(t, n, p, s)| (t, (n, p.unwrap_or(0), s.unwrap_or(0))))
        .collect()
}

#[actix_web::test]
async fn statistics_from_day_totals_equal_an_aggregation_of_the_records() {
    let t = TestStack::start().await;
    t.seed().await;
    let s1 = create_member(&t, "周委员", "siming").await;
    let s2 = create_member(&t, "吴委员", "siming").await;
    let h1 = create_member(&t, "郑委员", "huli").await;
    let members = [&s1, &s2, &h1];
    let kinds = [
        "warmth_delivery",
        "volunteer_service",
        "lecture",
        "consultation",
        "free_clinic",
    ];
    let dates = [
        "2025-12-30",
        "2025-12-31",
        "2026-01-10",
        "2026-02-01",
        "2026-02-28",
        "2026-03-05",
    ];
    // Records by hand and from other services, several on one day, type and district.
    for i in 0..36usize {
        let member = members[i % 3];
        let kind = kinds[i % kinds.len()];
        let date = dates[(i / 2) % dates.len()];
        let (people, solved) = ((i * 7 % 40) as i64, (i % 4 == 0) as i64);
        if i % 2 == 0 {
            let mut body = activity(member, kind, date);
            body["beneficiaries"] = json!(people);
            body["problems_solved"] = json!(solved);
            record(&t, &admin(), body).await;
        } else {
            let mut e = event(member, kind, date, &format!("mix-{i}"));
            e["beneficiaries"] = json!(people);
            e["problems_solved"] = json!(solved);
            json_of(deliver(&t, &service(), &e).await, 201).await;
            // A redelivery records nothing more.
            json_of(deliver(&t, &service(), &e).await, 200).await;
        }
    }
    let url = t.db.url.clone();
    let ranges = [
        (None, None),
        (Some("2026-01-01"), Some("2026-12-31")),
        (Some("2026-02-01"), Some("2026-02-28")),
        (Some("2026-01-10"), Some("2026-01-10")),
        (None, Some("2025-12-31")),
        (Some("2026-03-01"), None),
        (Some("2027-01-01"), None),
    ];
    for district in [Some("siming"), Some("huli"), None] {
        for (from, to) in ranges {
            let mut path = String::from("/api/v1/stats/membership?");
            for (k, v) in [("district", district), ("from", from), ("to", to)] {
                if let Some(v) = v {
                    path.push_str(&format!("{k}={v}&"));
                }
            }
            let s = get_json(&t, &path, &admin()).await;
            let got: BTreeMap<String, (i64, i64, i64)> = s["activities_by_type"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| {
                    (
                        x["type"].as_str().unwrap().to_string(),
                        (
                            x["activities"].as_i64().unwrap(),
                            x["people_helped"].as_i64().unwrap(),
                            x["problems_solved"].as_i64().unwrap(),
                        ),
                    )
                })
                .collect();
            let want = aggregate_records(&url, district, from, to);
            assert_eq!(got, want, "{path}");
            let total: i64 = want.values().map(|v| v.0).sum();
            assert_eq!(s["activities"], total, "{path}");
        }
    }
    assert_eq!(
        aggregate_records(&url, None, None, None)
            .values()
            .map(|v| v.0)
            .sum::<i64>(),
        36
    );
    t.stop().await;
}

#[actix_web::test]
async fn records_filter_and_page_within_scope() {
    let t = TestStack::start().await;
    t.seed().await;
    let m1 = create_member(&t, "一", "siming").await;
    let m2 = create_member(&t, "二", "siming").await;
    let h = create_member(&t, "三", "huli").await;
    let room_a = create_workroom(&t, "甲室", "siming").await;
    let room_b = create_workroom(&t, "乙室", "siming").await;
    let mut made = Vec::new();
    for (m, kind, date, room) in [
        (&m1, "duty_shift", "2026-01-05", Some(room_a.as_str())),
        (&m1, "check_in", "2026-02-05", Some(room_a.as_str())),
        (&m2, "duty_shift", "2026-02-05", Some(room_b.as_str())),
        (&m2, "lecture", "2026-03-05", None),
        (&m1, "duty_shift", "2026-04-05", None),
        (&h, "duty_shift", "2026-02-05", None),
    ] {
        let mut body = activity(m, kind, date);
        if let Some(r) = room {
            body["workroom"] = json!(r);
        }
        let a = record(&t, &admin(), body).await;
        made.push(a["id"].as_str().unwrap().to_string());
    }
    let q = |path: &str, token: String| {
        let t = &t;
        let path = path.to_string();
        async move { ids(&get_json(t, &path, &token).await) }
    };
    let all_siming = q("/api/v1/activities?district=siming", admin()).await;
    // Newest date first; on one date, newest record first.
    assert_eq!(
        all_siming,
        [
            made[4].as_str(),
            made[3].as_str(),
            made[2].as_str(),
            made[1].as_str(),
            made[0].as_str()
        ]
    );
    assert_eq!(
        q(
            &format!("/api/v1/activities?member={m1}&type=duty_shift"),
            admin()
        )
        .await,
        [made[4].as_str(), made[0].as_str()]
    );
    assert_eq!(
        q(&format!("/api/v1/activities?workroom={room_a}"), admin()).await,
        [made[1].as_str(), made[0].as_str()]
    );
    assert_eq!(
        q(
            "/api/v1/activities?from=2026-02-01&to=2026-02-28&district=siming",
            admin()
        )
        .await,
        [made[2].as_str(), made[1].as_str()]
    );

    // Pages of two cover the list exactly once, in order.
    let mut seen = Vec::new();
    let mut path = "/api/v1/activities?district=siming&limit=2".to_string();
    loop {
        let page = get_json(&t, &path, &staff("siming")).await;
        assert!(page["items"].as_array().unwrap().len() <= 2);
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/activities?district=siming&limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, all_siming);

    // Scope: staff see their district, members their own records, residents nothing.
    assert_eq!(
        q("/api/v1/activities", staff("huli")).await,
        [made[5].as_str()]
    );
    problem(
        t.get("/api/v1/activities?district=siming", &staff("huli"))
            .await,
        403,
    )
    .await;
    assert_eq!(
        q("/api/v1/activities", member_token(&m2, "siming")).await,
        [made[3].as_str(), made[2].as_str()]
    );
    problem(
        t.get(
            &format!("/api/v1/activities?member={m1}"),
            &member_token(&m2, "siming"),
        )
        .await,
        403,
    )
    .await;
    problem(
        t.get(
            &format!("/api/v1/activities/{}", made[0]),
            &member_token(&m2, "siming"),
        )
        .await,
        403,
    )
    .await;
    problem(t.get("/api/v1/activities", &resident()).await, 403).await;
    assert_eq!(q("/api/v1/activities", dashboard()).await.len(), 6);

    // Bad filters name the parameter: 400 where the schema refuses it, 422 where it cannot.
    for (path, field, status) in [
        ("/api/v1/activities?type=bogus", "type", 400),
        ("/api/v1/activities?from=yesterday", "from", 400),
        (
            "/api/v1/activities?from=2026-03-01&to=2026-02-01",
            "to",
            422,
        ),
        ("/api/v1/activities?cursor=nope", "cursor", 422),
        ("/api/v1/activities?limit=0", "limit", 400),
    ] {
        let p = problem(t.get(path, &admin()).await, status).await;
        assert_eq!(fields(&p), [field], "{path}");
    }
    t.stop().await;
}

#[actix_web::test]
async fn activity_lists_export_as_csv_in_the_callers_scope() {
    let t = TestStack::start().await;
    t.seed().await;
    let m = create_member(&t, "王委员", "siming").await;
    let h = create_member(&t, "湖里委员", "huli").await;
    let mut body = activity(&m, "consultation", "2026-03-02");
    body["note"] = json!("=1+2");
    let formula = record(&t, &staff("siming"), body).await;
    let mut body = activity(&m, "reception", "2026-03-03");
    body["note"] = json!("为居民解答\"法律\"问题，共3人");
    body["beneficiaries"] = json!(3);
    let chinese = record(&t, &staff("siming"), body).await;
    record(&t, &staff("huli"), activity(&h, "reception", "2026-03-04")).await;

    // Siming staff get Siming's records only, newest first, as the JSON list has them.
    let (records, _) = get_csv(&t, "/api/v1/activities", &staff("siming")).await;
    assert_eq!(records[0][..4], ["id", "member", "district", "type"]);
    assert_eq!(records.len(), 3);
    let col = |name: &str| records[0].iter().position(|h| h == name).unwrap();
    assert_eq!(records[1][col("id")], chinese["id"].as_str().unwrap());
    assert_eq!(records[1][col("note")], "为居民解答\"法律\"问题，共3人");
    assert_eq!(records[1][col("beneficiaries")], "3");
    assert_eq!(records[1][col("date")], "2026-03-03");
    assert_eq!(records[2][col("id")], formula["id"].as_str().unwrap());
    assert_eq!(records[2][col("note")], "'=1+2", "a formula is neutralised");
    assert_eq!(records[2][col("type")], "consultation");
    assert_eq!(records[2][col("points")], "5");
    assert_eq!(records[2][col("workroom")], "");
    assert!(records[1..].iter().all(|r| r[col("district")] == "siming"));
    // Filters apply; another district is refused as in JSON; a member sees their own.
    let (records, _) = get_csv(&t, "/api/v1/activities?type=reception", &admin()).await;
    assert_eq!(records.len(), 3, "both districts' receptions");
    let r = t
        .req(
            Method::GET,
            "/api/v1/activities?district=huli",
            &staff("siming"),
        )
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    problem(r, 403).await;
    let (records, _) = get_csv(&t, "/api/v1/activities", &member_token(&h, "huli")).await;
    assert_eq!(records.len(), 2);
    assert_eq!(records[1][1], h);
    let r = t
        .req(Method::GET, "/api/v1/activities?limit=5", &admin())
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    // `limit` with CSV: the schema cannot tie a parameter to `Accept`, so 422.
    assert_eq!(fields(&problem(r, 422).await), ["limit"]);
    t.stop().await;
}

#[actix_web::test]
async fn an_adoption_earns_the_points_of_its_level() {
    let t = TestStack::start().await;
    t.seed().await;
    let m = create_member(&t, "林委员", "siming").await;
    let svc = service();
    // The default table: report_adopted by level.
    let rules = get_json(&t, "/api/v1/evaluation-rules?year=2026", &admin()).await;
    assert_eq!(
        rules["level_points"],
        json!({"report_adopted": {"department": 10, "municipal": 10, "national": 20,
                                  "provincial": 15}})
    );
    let adopted = |id: &str, level: Option<&str>| {
        let mut e = event(&m, "report_adopted", "2026-04-01", id);
        e["source"] = json!("reports");
        if let Some(l) = level {
            e["level"] = json!(l);
        }
        e
    };
    let national = json_of(
        deliver(&t, &svc, &adopted("ad-1", Some("national"))).await,
        201,
    )
    .await;
    assert_eq!(national["points"], 20);
    let provincial = json_of(
        deliver(&t, &svc, &adopted("ad-2", Some("provincial"))).await,
        201,
    )
    .await;
    assert_eq!(provincial["points"], 15);
    // No level: the type's points. A redelivery is the same record.
    let none = json_of(deliver(&t, &svc, &adopted("ad-3", None)).await, 201).await;
    assert_eq!(none["points"], 10);
    let again = json_of(
        deliver(&t, &svc, &adopted("ad-1", Some("national"))).await,
        200,
    )
    .await;
    assert_eq!(again["id"], national["id"]);
    // A level on a type without levels (a rule between two fields: 422), or an unknown level
    // (400), names the field.
    let mut wrong = event(&m, "consultation", "2026-04-01", "c-9");
    wrong["level"] = json!("national");
    assert_eq!(
        fields(&problem(deliver(&t, &svc, &wrong).await, 422).await),
        ["level"]
    );
    let mut unknown = adopted("ad-4", None);
    unknown["level"] = json!("galactic");
    assert_eq!(deliver(&t, &svc, &unknown).await.status(), 400);

    // An admin sets other level points; a level left out earns the type's points.
    let mut body = json!({
        "excellent_min": rules["excellent_min"],
        "competent_min": rules["competent_min"],
        "points": rules["points"],
        "version": rules["version"],
        "level_points": {"report_adopted": {"national": 30}},
    });
    let r = t
        .req(Method::PUT, "/api/v1/evaluation-rules/2026", &admin())
        .json(&body)
        .send()
        .await
        .unwrap();
    let replaced = json_of(r, 200).await;
    assert_eq!(
        replaced["level_points"],
        json!({"report_adopted": {"national": 30}})
    );
    let n2 = json_of(
        deliver(&t, &svc, &adopted("ad-5", Some("national"))).await,
        201,
    )
    .await;
    assert_eq!(n2["points"], 30);
    let m2 = json_of(
        deliver(&t, &svc, &adopted("ad-6", Some("municipal"))).await,
        201,
    )
    .await;
    assert_eq!(m2["points"], 10);
    // Levels only for report_adopted, only the four levels, within 0–1000.
    body["version"] = replaced["version"].clone();
    body["level_points"] = json!({"consultation": {"national": 1},
                                  "report_adopted": {"galactic": 1, "national": 5000}});
    let r = t
        .req(Method::PUT, "/api/v1/evaluation-rules/2026", &admin())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(r, 400).await),
        [
            "level_points.consultation",
            "level_points.report_adopted.galactic",
            "level_points.report_adopted.national"
        ]
    );
    t.stop().await;
}
