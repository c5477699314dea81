//! The demo dataset (`serve --demo`): loaded through the gateway, loading it again changes
//! nothing any list or statistic shows, and its figures are of the source document's order.

use crate::common::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const PASSWORD: &str = "admin-password-for-tests";

const DISTRICTS: [&str; 6] = ["siming", "huli", "jimei", "haicang", "tongan", "xiangan"];

/// Every item of a list, all pages.
async fn all(t: &TestStack, path: &str) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let mut url = format!("{path}{sep}limit=200");
        if !cursor.is_empty() {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let r = t.get(&url, &admin()).await;
        assert_eq!(r.status(), 200, "GET {url}");
        let page: Value = r.json().await.unwrap();
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) if !c.is_empty() => cursor = c.to_string(),
            _ => return out,
        }
    }
}

async fn get(t: &TestStack, path: &str) -> Value {
    let r = t.get(path, &admin()).await;
    assert_eq!(r.status(), 200, "GET {path}");
    r.json().await.unwrap()
}

/// Every list and statistic the gateway serves for the demo's objects, as an admin sees them.
async fn snapshot(t: &TestStack) -> BTreeMap<String, Value> {
    let mut snap = BTreeMap::new();
    for list in [
        "/api/v1/districts",
        "/api/v1/subdistricts",
        "/api/v1/sectors",
        "/api/v1/accounts",
        "/api/v1/members",
        "/api/v1/workrooms",
        "/api/v1/activities",
        "/api/v1/topics",
        "/api/v1/consultations",
        "/api/v1/receptions",
        "/api/v1/mediation-cases",
        "/api/v1/reports",
        "/api/v1/liaison-events",
        "/api/v1/taiwan-enterprises",
        "/api/v1/compatriot-requests",
    ] {
        snap.insert(list.to_string(), json!(all(t, list).await));
    }
    let workrooms = snap["/api/v1/workrooms"].as_array().unwrap().clone();
    for w in &workrooms {
        let id = w["id"].as_str().unwrap();
        for sub in ["members", "duty-shifts"] {
            let path = format!("/api/v1/workrooms/{id}/{sub}");
            snap.insert(path.clone(), json!(all(t, &path).await));
        }
    }
    for d in DISTRICTS {
        for s in ["membership", "consultation", "reports", "liaison"] {
            let path = format!("/api/v1/stats/{s}?district={d}");
            snap.insert(path.clone(), get(t, &path).await);
        }
    }
    snap
}

/// A snapshot once the outboxes have delivered (activity credits arrive asynchronously): two
/// snapshots a second apart that agree.
async fn settled(t: &TestStack) -> BTreeMap<String, Value> {
    let mut last = snapshot(t).await;
    for _ in 0..120 {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let next = snapshot(t).await;
        if next == last {
            return next;
        }
        last = next;
    }
    panic!("the demo's data kept changing for two minutes after the load");
}

fn count_where(items: &Value, field: &str, value: &str) -> usize {
    items
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i[field] == value)
        .count()
}

fn changed(a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>) -> Vec<String> {
    a.keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

#[actix_web::test]
async fn demo_loaded_twice_equals_loaded_once_with_the_source_figures() {
    let t = TestStack::start().await;
    let first = xieshang::demo::load(&t.stack.url(), PASSWORD)
        .await
        .unwrap();
    let once = settled(&t).await;
    let second = xieshang::demo::load(&t.stack.url(), PASSWORD)
        .await
        .unwrap();
    let twice = settled(&t).await;
    assert!(
        changed(&once, &twice).is_empty(),
        "the second load changed {:?}",
        changed(&once, &twice)
    );
    // The second load only looked (lists, reads) and wrote nothing new.
    assert!(
        second.calls < first.calls / 5,
        "{} vs {}",
        second.calls,
        first.calls
    );
    assert_eq!(first.accounts.len(), second.accounts.len());
    for role in [
        "office_staff",
        "coordinator",
        "member",
        "resident",
        "integrator",
        "dashboard",
    ] {
        assert!(first.accounts.iter().any(|a| a.roles == role), "{role}");
    }

    // Six districts with their subdistricts; Siming's 10.
    assert_eq!(once["/api/v1/districts"].as_array().unwrap().len(), 6);
    assert_eq!(
        count_where(&once["/api/v1/subdistricts"], "district", "siming"),
        10
    );
    // Siming: 66 studios, 295 members, all placed; 23 problems solved.
    let sm = &once["/api/v1/stats/membership?district=siming"];
    assert_eq!(sm["members"], 295);
    assert_eq!(sm["members_placed"], 295);
    assert_eq!(sm["workrooms"], 66);
    let smc = &once["/api/v1/stats/consultation?district=siming"];
    assert_eq!(smc["problems_solved"], 23);
    // Tong'an: 227 members in 11 liaison groups and 3 studios; 15 problems solved.
    let ta = &once["/api/v1/stats/membership?district=tongan"];
    assert_eq!(ta["members"], 227);
    let kinds = ta["workrooms_by_kind"].as_array().unwrap();
    let of = |k: &str| kinds.iter().find(|x| x["kind"] == k).unwrap()["workrooms"].clone();
    assert_eq!(of("liaison_group"), 11);
    assert_eq!(of("member_studio"), 3);
    assert_eq!(
        once["/api/v1/stats/consultation?district=tongan"]["problems_solved"],
        15
    );
    // Jimei: 6 activity rooms, each with this year's plan (read through the gateway).
    let workrooms = once["/api/v1/workrooms"].as_array().unwrap();
    let rooms: Vec<&Value> = workrooms
        .iter()
        .filter(|w| w["kind"] == "activity_room")
        .collect();
    assert_eq!(rooms.len(), 6);
    let year = chrono::Datelike::year(&xs_kit::localtime::today());
    for w in rooms {
        let plan = get(
            &t,
            &format!(
                "/api/v1/workrooms/{}/plans/{year}",
                w["id"].as_str().unwrap()
            ),
        )
        .await;
        assert_eq!(plan["targets"].as_array().unwrap().len(), 4, "{plan}");
    }
    // Haicang: 7 member studios; 100+ disputes mediated, 300+ legal consultations.
    assert_eq!(
        workrooms
            .iter()
            .filter(|w| w["district"] == "haicang" && w["kind"] == "member_studio")
            .count(),
        7
    );
    let hc = &once["/api/v1/stats/consultation?district=haicang"];
    assert!(
        hc["mediation"]["disputes_mediated"].as_i64().unwrap() >= 100,
        "{hc}"
    );
    assert!(hc["receptions"].as_i64().unwrap() >= 300, "{hc}");
    // Huli: the liaison point with 9 rotating members; 70,000+ served, 100+ suggestions, a
    // report adopted by the provincial committee.
    let point = workrooms
        .iter()
        .find(|w| w["kind"] == "taiwan_liaison_point")
        .unwrap();
    let staffed = &once[&format!(
        "/api/v1/workrooms/{}/members",
        point["id"].as_str().unwrap()
    )];
    assert_eq!(staffed.as_array().unwrap().len(), 9);
    let hl = &once["/api/v1/stats/liaison?district=huli"];
    assert!(hl["people_served"].as_i64().unwrap() >= 70_000, "{hl}");
    assert!(hl["suggestions"].as_i64().unwrap() >= 100, "{hl}");
    let hr = &once["/api/v1/stats/reports?district=huli"];
    let provincial = hr["totals"]["adoptions_by_level"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["level"] == "provincial")
        .unwrap()["count"]
        .as_i64()
        .unwrap();
    assert!(provincial >= 1, "{hr}");
    // The demo accounts sign in.
    for a in &first.accounts {
        let api = xieshang::demo::api::Api::sign_in(&t.stack.url(), &a.username, &a.password).await;
        assert!(api.is_ok(), "{}", a.username);
    }
    t.stop().await;
}
