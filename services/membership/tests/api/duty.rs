//! Duty and check-ins through the gateway: the fair rota, refused shifts, who is on duty (with
//! masked phones), check-ins against a shift or flexible, once a day even under concurrency,
//! staff recording for members, district scope, and the points reaching the evaluation.

use crate::common::*;
use chrono::{Datelike, NaiveDate};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use xs_kit::Role;
use xs_testkit::token;

async fn json_of(r: Response, status: u16) -> Value {
    let got = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    assert_eq!(got, status, "{v}");
    v
}

fn resident() -> String {
    token("resident-1", &[Role::Resident], Some("siming"))
}

/// Today where the workrooms are (UTC+8), as the service counts check-in days.
fn local_today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

fn s(v: &Value) -> String {
    v.as_str().unwrap().to_string()
}

async fn create_member(t: &TestStack, name: &str, district: &str) -> String {
    let mut body = new_member(name, district);
    body["photo_url"] = json!("https://img.example/photo.jpg");
    body["specialties"] = json!(["法律咨询", "调解"]);
    s(&json_of(t.post("/api/v1/members", &admin(), &body).await, 201).await["id"])
}

/// A working (active) studio: applied with the six essentials met, inspected, approved and
/// given its plaque — only active workrooms take check-ins and appear to residents.
async fn create_workroom(t: &TestStack, name: &str, district: &str, subdistrict: &str) -> String {
    let met = json!({"met": true, "note": "已具备"});
    let body = json!({
        "name": name, "kind": "haoshangliang_studio", "district": district,
        "subdistrict": subdistrict, "address": "莲花路1号", "latitude": 24.45,
        "longitude": 118.08, "reception_days": ["monday", "wednesday"],
        "essentials": {"venue": met, "team": met, "rules": met, "signage": met,
                       "duty_list": met, "funding": met},
    });
    let id = s(&json_of(t.post("/api/v1/workrooms", &admin(), &body).await, 201).await["id"]);
    // Steps are dated no earlier than the application and never in the future.
    let today = chrono::Utc::now().date_naive().to_string();
    for step in [
        json!({"action": "inspect", "date": today, "inspector": "专委会办公室",
               "findings": "齐全", "passed": true}),
        json!({"action": "approve", "approved_by": "区政协党组", "date": today}),
        json!({"action": "award_plaque", "date": today}),
    ] {
        json_of(
            t.post(
                &format!("/api/v1/workrooms/{id}/transitions"),
                &admin(),
                &step,
            )
            .await,
            200,
        )
        .await;
    }
    id
}

async fn assign(t: &TestStack, workroom: &str, member: &str) {
    let r = t
        .post(
            &format!("/api/v1/workrooms/{workroom}/members"),
            &admin(),
            &json!({"member_id": member, "role": "member"}),
        )
        .await;
    json_of(r, 201).await;
}

/// A siming workroom with `n` assigned members.
async fn team(t: &TestStack, n: usize) -> (String, Vec<String>) {
    let w = create_workroom(t, "莲花好商量", "siming", "jialian").await;
    let mut ms = Vec::new();
    for i in 0..n {
        let m = create_member(t, &format!("委员{i}"), "siming").await;
        assign(t, &w, &m).await;
        ms.push(m);
    }
    (w, ms)
}

async fn add_shift(
    t: &TestStack,
    token: &str,
    w: &str,
    member: &str,
    date: &str,
    start: &str,
    end: &str,
) -> Response {
    t.post(
        &format!("/api/v1/workrooms/{w}/duty-shifts"),
        token,
        &json!({"member": member, "date": date, "start": start, "end": end}),
    )
    .await
}

/// Every shift of the workroom in the range, following the cursor.
async fn all_shifts(t: &TestStack, w: &str, from: &str, to: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let v = json_of(
            t.get(
                &format!(
                    "/api/v1/workrooms/{w}/duty-shifts?from={from}&to={to}&limit=3&cursor={cursor}"
                ),
                &staff("siming"),
            )
            .await,
            200,
        )
        .await;
        out.extend(v["items"].as_array().unwrap().iter().cloned());
        match v["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => return out,
        }
    }
}

fn counts(shifts: &[Value], members: &[String]) -> Vec<usize> {
    members
        .iter()
        .map(|m| shifts.iter().filter(|s| s["member"] == json!(m)).count())
        .collect()
}

fn spread(c: &[usize]) -> usize {
    c.iter().max().unwrap() - c.iter().min().unwrap()
}

#[actix_web::test]
async fn the_rota_is_fair_keeps_existing_shifts_and_stays_fair_when_run_again() {
    let t = TestStack::start().await;
    t.seed().await;
    let (w, ms) = team(&t, 3).await;
    let st = staff("siming");
    // 2026-03-02 is a Monday: an existing shift there staffs the day.
    let kept = json_of(
        add_shift(&t, &st, &w, &ms[2], "2026-03-02", "09:30", "10:30").await,
        201,
    )
    .await;
    assert_eq!(kept["origin"], "manual");
    let rota = |from: &str, to: &str, key: &str| {
        t.req(
            Method::POST,
            &format!("/api/v1/workrooms/{w}/duty-rota"),
            &st,
        )
        .header("Idempotency-Key", key)
        .json(&json!({"from": from, "to": to, "start": "09:00", "end": "12:00"}))
        .send()
    };
    let first = json_of(
        rota("2026-03-01", "2026-03-15", "rota-1").await.unwrap(),
        201,
    )
    .await;
    // Mondays and Wednesdays of 1–15 March: the 2nd (kept), 4th, 9th, 11th.
    let created: Vec<String> = first["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["date"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(created, ["2026-03-04", "2026-03-09", "2026-03-11"]);
    assert_eq!(
        first["skipped"],
        json!([{"date": "2026-03-02", "reason": "already_staffed"}])
    );
    for s in first["created"].as_array().unwrap() {
        assert_eq!(s["origin"], "rota");
        assert_eq!(
            (s["start"].clone(), s["end"].clone()),
            (json!("09:00"), json!("12:00"))
        );
        assert_eq!(s["created_by"], "staff-siming");
        assert!(s["member_name"].as_str().unwrap().starts_with("委员"));
    }
    let shifts = all_shifts(&t, &w, "2026-03-01", "2026-03-15").await;
    assert_eq!(shifts.len(), 4);
    assert!(spread(&counts(&shifts, &ms)) <= 1, "{shifts:?}");
    assert!(
        shifts
            .iter()
            .any(|s| s["id"] == kept["id"] && s["start"] == "09:30")
    );
    // The retried request is replayed, not run again.
    let again = rota("2026-03-01", "2026-03-15", "rota-1").await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(json_of(again, 201).await, first);

    // The whole month: the first run's days are kept and the counts stay level.
    let second = json_of(
        rota("2026-03-01", "2026-03-31", "rota-2").await.unwrap(),
        201,
    )
    .await;
    let skipped: Vec<&str> = second["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["date"].as_str().unwrap())
        .collect();
    assert_eq!(
        skipped,
        ["2026-03-02", "2026-03-04", "2026-03-09", "2026-03-11"]
    );
    let shifts = all_shifts(&t, &w, "2026-03-01", "2026-03-31").await;
    // Mondays and Wednesdays of March 2026: 2 4 9 11 16 18 23 25 30.
    assert_eq!(shifts.len(), 9);
    assert!(spread(&counts(&shifts, &ms)) <= 1, "{shifts:?}");
    let mut days = HashSet::new();
    for s in &shifts {
        let d: NaiveDate = s["date"].as_str().unwrap().parse().unwrap();
        assert!(
            matches!(d.weekday(), chrono::Weekday::Mon | chrono::Weekday::Wed),
            "{s}"
        );
        assert!(days.insert(d), "one shift a day: {s}");
    }
    // Nothing left: a third run creates nothing.
    let third = json_of(
        rota("2026-03-01", "2026-03-31", "rota-3").await.unwrap(),
        201,
    )
    .await;
    assert_eq!(third["created"], json!([]));

    // Ranges and times are checked, naming the field.
    for (body, field, status) in [
        (
            json!({"from": "2026-03-10", "to": "2026-03-01", "start": "09:00", "end": "12:00"}),
            "to",
            422,
        ),
        (
            json!({"from": "2026-01-01", "to": "2027-01-02", "start": "09:00", "end": "12:00"}),
            "to",
            422,
        ),
        (
            json!({"from": "2026-03-01", "to": "2026-03-31", "start": "9am", "end": "12:00"}),
            "start",
            400,
        ),
        (
            // Both times are schema-valid; their order is not in the schema.
            json!({"from": "2026-03-01", "to": "2026-03-31", "start": "12:00", "end": "09:00"}),
            "end",
            422,
        ),
    ] {
        let p = problem(
            t.post(&format!("/api/v1/workrooms/{w}/duty-rota"), &st, &body)
                .await,
            status,
        )
        .await;
        assert_eq!(fields(&p), [field], "{body}");
    }
    // Another district's staff may not plan here.
    let body = json!({"from": "2026-04-01", "to": "2026-04-30", "start": "09:00", "end": "12:00"});
    problem(
        t.post(
            &format!("/api/v1/workrooms/{w}/duty-rota"),
            &staff("huli"),
            &body,
        )
        .await,
        403,
    )
    .await;
    t.stop().await;
}

#[actix_web::test]
async fn overlapping_and_unassigned_shifts_are_refused() {
    let t = TestStack::start().await;
    t.seed().await;
    let (w, ms) = team(&t, 2).await;
    let st = staff("siming");
    let first = json_of(
        add_shift(&t, &st, &w, &ms[0], "2026-03-02", "09:00", "12:00").await,
        201,
    )
    .await;
    assert_eq!(first["member"], json!(ms[0]));
    assert_eq!(first["created_by"], "staff-siming");
    // Overlapping the member's shift that day: refused.
    let p = problem(
        add_shift(&t, &st, &w, &ms[0], "2026-03-02", "11:00", "13:00").await,
        409,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("09:00"), "{p}");
    // Back to back is fine, and so is another member at the same time.
    json_of(
        add_shift(&t, &st, &w, &ms[0], "2026-03-02", "12:00", "13:00").await,
        201,
    )
    .await;
    json_of(
        add_shift(&t, &st, &w, &ms[1], "2026-03-02", "09:00", "12:00").await,
        201,
    )
    .await;
    // Overlaps count across workrooms: the member is in one place at a time.
    let other = create_workroom(&t, "二号工作室", "siming", "jialian").await;
    assign(&t, &other, &ms[0]).await;
    problem(
        add_shift(&t, &st, &other, &ms[0], "2026-03-02", "08:00", "09:30").await,
        409,
    )
    .await;
    // A member who does not serve in the workroom, or does not exist (schema-valid: 422).
    let outsider = create_member(&t, "外人", "siming").await;
    let p = problem(
        add_shift(&t, &st, &w, &outsider, "2026-03-03", "09:00", "12:00").await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["member"]);
    let p = problem(
        add_shift(&t, &st, &w, "nobody", "2026-03-03", "09:00", "12:00").await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["member"]);
    // Bad times name their fields.
    let p = problem(
        add_shift(&t, &st, &w, &ms[1], "2026-03-03", "14:00", "10:00").await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["end"]);
    let p = problem(
        add_shift(&t, &st, &w, &ms[1], "2026-03-03", "25:00", "26:00").await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["start", "end"]);
    // Only the district's office staff and admins write shifts.
    problem(
        add_shift(
            &t,
            &staff("huli"),
            &w,
            &ms[1],
            "2026-03-03",
            "09:00",
            "12:00",
        )
        .await,
        403,
    )
    .await;
    problem(
        add_shift(
            &t,
            &member_token(&ms[1], "siming"),
            &w,
            &ms[1],
            "2026-03-03",
            "09:00",
            "12:00",
        )
        .await,
        403,
    )
    .await;
    // The workroom's members read its shifts; others do not.
    let path = format!("/api/v1/workrooms/{w}/duty-shifts");
    let v = json_of(t.get(&path, &member_token(&ms[1], "siming")).await, 200).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 3);
    problem(t.get(&path, &member_token(&outsider, "siming")).await, 403).await;
    problem(t.get(&path, &resident()).await, 403).await;
    problem(t.get(&path, &staff("huli")).await, 403).await;
    let mine = json_of(t.get(&format!("{path}?member={}", ms[0]), &st).await, 200).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
    let one = json_of(
        t.get(&format!("{path}/{}", s(&first["id"])), &st).await,
        200,
    )
    .await;
    assert_eq!(one["start"], "09:00");
    t.stop().await;
}

#[actix_web::test]
async fn on_duty_shows_residents_the_members_with_masked_phones() {
    let t = TestStack::start().await;
    t.seed().await;
    let (w, ms) = team(&t, 3).await;
    let st = staff("siming");
    // Monday 2 March: two members, afternoon first in the list order by time.
    json_of(
        add_shift(&t, &st, &w, &ms[1], "2026-03-02", "14:00", "17:00").await,
        201,
    )
    .await;
    json_of(
        add_shift(&t, &st, &w, &ms[0], "2026-03-02", "09:00", "12:00").await,
        201,
    )
    .await;
    json_of(
        add_shift(&t, &st, &w, &ms[2], "2026-03-03", "09:00", "12:00").await,
        201,
    )
    .await;
    let path = format!("/api/v1/workrooms/{w}/on-duty?date=2026-03-02");
    let v = json_of(t.get(&path, &resident()).await, 200).await;
    assert_eq!(v["date"], "2026-03-02");
    assert_eq!(v["reception_day"], true);
    assert_eq!(v["workroom_name"], "莲花好商量");
    let on = v["members"].as_array().unwrap();
    assert_eq!(on.len(), 2);
    assert_eq!(on[0]["member"], json!(ms[0]));
    assert_eq!(
        (on[0]["start"].clone(), on[0]["end"].clone()),
        (json!("09:00"), json!("12:00"))
    );
    assert_eq!(on[1]["start"], "14:00");
    assert_eq!(on[0]["name"], "委员0");
    assert_eq!(on[0]["photo_url"], "https://img.example/photo.jpg");
    assert_eq!(on[0]["specialties"], json!(["法律咨询", "调解"]));
    assert_eq!(on[0]["phone"], "138****1234");
    assert_eq!(on[0]["phone_masked"], true);
    assert_eq!(on[0]["checked_in"], false);
    // The district's staff see the number.
    let v = json_of(t.get(&path, &st).await, 200).await;
    assert_eq!(v["members"][0]["phone"], "13812341234");
    assert_eq!(v["members"][0]["phone_masked"], false);
    // A day without shifts, not a reception day (Tuesday 3rd has one; Thursday 5th none).
    let v = json_of(
        t.get(
            &format!("/api/v1/workrooms/{w}/on-duty?date=2026-03-05"),
            &resident(),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["reception_day"], false);
    assert_eq!(v["members"], json!([]));
    let p = problem(
        t.get(
            &format!("/api/v1/workrooms/{w}/on-duty?date=tomorrow"),
            &resident(),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["date"]);
    problem(
        t.get("/api/v1/workrooms/nope/on-duty", &resident()).await,
        404,
    )
    .await;
    t.stop().await;
}

async fn check_in(t: &TestStack, token: &str, body: Value) -> Response {
    t.post("/api/v1/check-ins", token, &body).await
}

async fn evaluation(t: &TestStack, member: &str) -> Value {
    json_of(
        t.get(
            &format!(
                "/api/v1/members/{member}/evaluation?year={}",
                local_today().year()
            ),
            &admin(),
        )
        .await,
        200,
    )
    .await
}

#[actix_web::test]
async fn check_ins_link_the_shift_and_earn_points_in_the_evaluation() {
    let t = TestStack::start().await;
    t.seed().await;
    let (w, ms) = team(&t, 2).await;
    let today = local_today().to_string();
    let shift = json_of(
        add_shift(&t, &staff("siming"), &w, &ms[0], &today, "00:00", "24:00").await,
        201,
    )
    .await;

    // Against the shift: linked, and a duty_shift activity (2 points in the rule table).
    let me = member_token(&ms[0], "siming");
    let c = json_of(check_in(&t, &me, json!({"workroom": w})).await, 201).await;
    assert_eq!(c["kind"], "shift");
    assert_eq!(c["shift"], shift["id"]);
    assert_eq!(c["date"], json!(today));
    assert_eq!(c["member"], json!(ms[0]));
    assert_eq!(c["district"], "siming");
    assert_eq!(c["created_by"], json!(format!("user-{}", ms[0])));
    assert_eq!(c["activity"]["type"], "duty_shift");
    assert_eq!(c["activity"]["points"], 2);
    let a = json_of(
        t.get(
            &format!("/api/v1/activities/{}", s(&c["activity"]["id"])),
            &me,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(a["type"], "duty_shift");
    assert_eq!(a["points"], 2);
    assert_eq!(a["source"], "membership");
    assert_eq!(
        a["source_event_id"],
        json!(format!("check_in:{}", s(&c["id"])))
    );
    assert_eq!(a["workroom"], json!(w));
    assert_eq!(a["date"], json!(today));

    // No shift today: a flexible check-in, a check_in activity (1 point).
    let other = member_token(&ms[1], "siming");
    let f = json_of(check_in(&t, &other, json!({"workroom": w})).await, 201).await;
    assert_eq!(f["kind"], "flexible");
    assert_eq!(f["shift"], Value::Null);
    assert_eq!(f["activity"]["type"], "check_in");
    assert_eq!(f["activity"]["points"], 1);

    // On duty shows who has arrived.
    let v = json_of(
        t.get(&format!("/api/v1/workrooms/{w}/on-duty"), &resident())
            .await,
        200,
    )
    .await;
    assert_eq!(v["date"], json!(today));
    assert_eq!(v["members"][0]["checked_in"], true);

    // The points are in the yearly evaluation.
    let e = evaluation(&t, &ms[0]).await;
    assert_eq!(e["total_points"], 2);
    let by_type: BTreeMap<String, i64> = e["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (s(&x["type"]), x["points"].as_i64().unwrap()))
        .collect();
    assert_eq!(by_type, BTreeMap::from([("duty_shift".to_string(), 2)]));
    assert_eq!(evaluation(&t, &ms[1]).await["total_points"], 1);

    // Lists: by workroom and date range, paged; a member sees only their own.
    let list = json_of(
        t.get(
            &format!("/api/v1/check-ins?workroom={w}&from={today}&to={today}&limit=1"),
            &staff("siming"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let next = s(&list["next_cursor"]);
    let rest = json_of(
        t.get(
            &format!("/api/v1/check-ins?workroom={w}&limit=1&cursor={next}"),
            &staff("siming"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["next_cursor"], Value::Null);
    let seen: HashSet<String> = [&list, &rest]
        .iter()
        .map(|p| s(&p["items"][0]["id"]))
        .collect();
    assert_eq!(seen, HashSet::from([s(&c["id"]), s(&f["id"])]));
    let own = json_of(t.get("/api/v1/check-ins", &me).await, 200).await;
    assert_eq!(own["items"].as_array().unwrap().len(), 1);
    assert_eq!(own["items"][0]["id"], c["id"]);
    problem(
        t.get(&format!("/api/v1/check-ins?member={}", ms[1]), &me)
            .await,
        403,
    )
    .await;
    problem(
        t.get("/api/v1/check-ins?district=siming", &staff("huli"))
            .await,
        403,
    )
    .await;
    let huli = json_of(t.get("/api/v1/check-ins", &staff("huli")).await, 200).await;
    assert_eq!(huli["items"], json!([]));
    problem(t.get("/api/v1/check-ins", &resident()).await, 403).await;
    let p = problem(
        t.get("/api/v1/check-ins?from=2026-03-02&to=2026-03-01", &admin())
            .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["to"]);
    json_of(
        t.get(&format!("/api/v1/check-ins/{}", s(&c["id"])), &me)
            .await,
        200,
    )
    .await;
    problem(
        t.get(&format!("/api/v1/check-ins/{}", s(&f["id"])), &me)
            .await,
        403,
    )
    .await;
    t.stop().await;
}

#[actix_web::test]
async fn a_second_check_in_the_same_day_is_409_even_when_concurrent() {
    let t = TestStack::start().await;
    t.seed().await;
    let (w, ms) = team(&t, 2).await;
    let me = member_token(&ms[0], "siming");
    json_of(check_in(&t, &me, json!({"workroom": w})).await, 201).await;
    let p = problem(check_in(&t, &me, json!({"workroom": w})).await, 409).await;
    assert!(
        p["detail"].as_str().unwrap().contains("already checked in"),
        "{p}"
    );
    // Staff recording it again for the member is the same duplicate.
    problem(
        check_in(
            &t,
            &staff("siming"),
            json!({"workroom": w, "member": ms[0]}),
        )
        .await,
        409,
    )
    .await;

    // Many at once for another member: exactly one lands, with exactly one activity.
    let other = member_token(&ms[1], "siming");
    let sends = (0..6).map(|_| check_in(&t, &other, json!({"workroom": w})));
    let statuses: Vec<u16> = futures_util::future::join_all(sends)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        5,
        "{statuses:?}"
    );
    let acts = json_of(
        t.get(&format!("/api/v1/activities?member={}", ms[1]), &admin())
            .await,
        200,
    )
    .await;
    assert_eq!(acts["items"].as_array().unwrap().len(), 1);
    assert_eq!(evaluation(&t, &ms[1]).await["total_points"], 1);
    t.stop().await;
}

#[actix_web::test]
async fn staff_record_check_ins_for_members_of_their_district_only() {
    let t = TestStack::start().await;
    t.seed().await;
    let (w, ms) = team(&t, 3).await;
    // The district's office staff record one for a named member.
    let c = json_of(
        check_in(
            &t,
            &staff("siming"),
            json!({"workroom": w, "member": ms[0]}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(c["member"], json!(ms[0]));
    assert_eq!(c["created_by"], "staff-siming");
    assert_eq!(c["kind"], "flexible");
    // An admin too; the idempotency key replays the first answer.
    let send = || {
        t.req(Method::POST, "/api/v1/check-ins", &admin())
            .header("Idempotency-Key", "ci-1")
            .json(&json!({"workroom": w, "member": ms[1]}))
            .send()
    };
    let first = json_of(send().await.unwrap(), 201).await;
    let again = send().await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(json_of(again, 201).await, first);
    // Another district's staff may not; nor a member for someone else; nor a resident.
    problem(
        check_in(&t, &staff("huli"), json!({"workroom": w, "member": ms[2]})).await,
        403,
    )
    .await;
    problem(
        check_in(
            &t,
            &member_token(&ms[1], "siming"),
            json!({"workroom": w, "member": ms[2]}),
        )
        .await,
        403,
    )
    .await;
    // A resident may not check in at all: 403 before anything about the body.
    problem(check_in(&t, &resident(), json!({"workroom": w})).await, 403).await;
    problem(
        check_in(&t, &resident(), json!({"workroom": ""})).await,
        403,
    )
    .await;
    // Staff must name the member (optional in the schema, as members leave it out: 422).
    let p = problem(
        check_in(&t, &staff("siming"), json!({"workroom": w})).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["member"]);
    // Members check in only where they serve; staff naming a non-serving member get a 422
    // (schema-valid, not processable).
    let outsider = create_member(&t, "外人", "siming").await;
    problem(
        check_in(
            &t,
            &member_token(&outsider, "siming"),
            json!({"workroom": w}),
        )
        .await,
        403,
    )
    .await;
    let p = problem(
        check_in(
            &t,
            &staff("siming"),
            json!({"workroom": w, "member": outsider}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["member"]);
    // Unknown workroom and bad bodies name the field.
    let p = problem(
        check_in(
            &t,
            &member_token(&ms[2], "siming"),
            json!({"workroom": "nope"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["workroom"]);
    let p = problem(
        check_in(&t, &member_token(&ms[2], "siming"), json!({"workroom": 7})).await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["workroom"]);
    // Nothing was recorded by the refusals: only the two check-ins' points exist.
    let acts = json_of(t.get("/api/v1/activities", &admin()).await, 200).await;
    assert_eq!(acts["items"].as_array().unwrap().len(), 2);
    t.stop().await;
}

#[actix_web::test]
async fn concurrent_writers_cannot_double_book() {
    let t = TestStack::start().await;
    t.seed().await;
    let (w, ms) = team(&t, 3).await;
    let st = staff("siming");
    // Overlapping shifts for one member at once: one lands.
    let starts = ["09:00", "10:00", "09:00", "10:00", "11:00"];
    let sends = starts
        .iter()
        .map(|start| add_shift(&t, &st, &w, &ms[0], "2026-04-06", start, "12:00"));
    let statuses: Vec<u16> = futures_util::future::join_all(sends)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    // Rotas over the same range at once: every reception day once, counts level.
    let body = json!({"from": "2026-05-01", "to": "2026-05-31", "start": "09:00", "end": "12:00"});
    let path = format!("/api/v1/workrooms/{w}/duty-rota");
    let runs = (0..4).map(|_| t.post(&path, &st, &body));
    for r in futures_util::future::join_all(runs).await {
        assert_eq!(r.status(), 201);
    }
    let shifts = all_shifts(&t, &w, "2026-05-01", "2026-05-31").await;
    // Mondays and Wednesdays of May 2026: 4 6 11 13 18 20 25 27.
    assert_eq!(shifts.len(), 8, "{shifts:?}");
    assert!(spread(&counts(&shifts, &ms)) <= 1, "{shifts:?}");
    t.stop().await;
}

#[actix_web::test]
async fn on_duty_phones_shown_whole_are_audited() {
    let t = TestStack::start().await;
    t.seed().await;
    let (w, ms) = team(&t, 2).await;
    let st = staff("siming");
    for m in &ms {
        json_of(
            add_shift(&t, &st, &w, m, "2026-03-02", "09:00", "12:00").await,
            201,
        )
        .await;
    }
    let path = format!("/api/v1/workrooms/{w}/on-duty?date=2026-03-02");
    json_of(t.get(&path, &resident()).await, 200).await;
    assert!(personal_data_reads(&t, "").await.is_empty(), "masked");
    let r = t.get(&path, &st).await;
    let rid = r.headers()["x-request-id"].to_str().unwrap().to_string();
    json_of(r, 200).await;
    let rows = personal_data_reads(&t, "").await;
    let mut subjects: Vec<String> = rows.iter().map(s_of_subject).collect();
    subjects.sort();
    let mut expected = ms.clone();
    expected.sort();
    assert_eq!(subjects, expected);
    assert!(rows.iter().all(|r| r["request_id"] == json!(rid)));
    t.stop().await;
}

fn s_of_subject(row: &Value) -> String {
    row["subject_id"].as_str().unwrap().to_string()
}
