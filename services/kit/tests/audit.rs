//! The audit of personal-data reads, on the kit tests' own little service.

mod fixtures;

use fixtures::{Things, admin, resident, staff};
use reqwest::StatusCode;
use serde_json::Value;

async fn reads(things: &Things, query: &str) -> Value {
    let res = things
        .get(
            &format!("/api/v1/audit/things/personal-data-reads{query}"),
            Some(&admin()),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.expect("JSON")
}

fn subjects(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["subject_id"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn read_thing(things: &Things, id: &str, token: &str, request_id: &str) -> Value {
    let res = things
        .get(&format!("/api/v1/things/{id}"), Some(token))
        .header("X-Request-Id", request_id)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.expect("JSON")
}

#[actix_web::test]
async fn unmasked_reads_are_recorded_and_masked_ones_are_not() {
    let things = Things::start().await;
    things
        .sql(
            "INSERT INTO things (id, name, phone, district, note) VALUES \
             ('s1', '张三', '13812341234', 'siming', ''), \
             ('h1', '李四', '13912341234', 'huli', '')",
        )
        .await;
    // Staff of the thing's district see the phone: recorded, with who, roles, district, request.
    let t = read_thing(&things, "s1", &staff("siming"), "req-staff-1").await;
    assert_eq!(t["phone"], "13812341234");
    // Masked reads leave no trace: staff of another district, a resident.
    let t = read_thing(&things, "s1", &staff("huli"), "req-staff-2").await;
    assert_eq!(t["phone"], "138****1234");
    read_thing(&things, "s1", &resident(), "req-resident").await;
    let page = reads(&things, "").await;
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{page}");
    let row = &items[0];
    assert_eq!(row["reader"], "staff-siming");
    assert_eq!(row["reader_roles"], serde_json::json!(["office_staff"]));
    assert_eq!(row["reader_district"], "siming");
    assert_eq!(row["subject_kind"], "thing");
    assert_eq!(row["subject_id"], "s1");
    assert_eq!(row["fields"], serde_json::json!(["phone"]));
    assert_eq!(row["request_id"], "req-staff-1");
    assert!(row["read_at"].as_str().is_some_and(|s| s.ends_with('Z')));
    // A list records one row per person shown unmasked.
    let res = things
        .get("/api/v1/things", Some(&staff("huli")))
        .header("X-Request-Id", "req-list")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let page = reads(&things, "?reader=staff-huli").await;
    assert_eq!(subjects(&page), ["h1"]);
    assert_eq!(page["items"][0]["request_id"], "req-list");
    things.stop().await;
}

#[actix_web::test]
async fn only_admins_may_read_the_audit() {
    let things = Things::start().await;
    let path = "/api/v1/audit/things/personal-data-reads";
    for (token, status) in [
        (Some(staff("siming")), StatusCode::FORBIDDEN),
        (Some(resident()), StatusCode::FORBIDDEN),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        let res = things
            .get(path, token.as_deref())
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), status);
        assert_eq!(res.headers()["content-type"], xs_kit::error::PROBLEM_JSON);
    }
    // Bad filters name the field: 400 where the schema refuses them, 422 where it cannot
    // (`from` after `to`, a cursor this list did not give out).
    for (query, field, status) in [
        ("?from=yesterday", "from", StatusCode::BAD_REQUEST),
        (
            "?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            "to",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("?limit=0", "limit", StatusCode::BAD_REQUEST),
        (
            "?cursor=garbage",
            "cursor",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("?cursor=no+such!", "cursor", StatusCode::BAD_REQUEST),
        ("?who=me", "who", StatusCode::BAD_REQUEST),
    ] {
        let res = things
            .get(&format!("{path}{query}"), Some(&admin()))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), status, "{query}");
        let p: Value = res.json().await.expect("problem");
        assert_eq!(p["errors"][0]["field"], field, "{query}: {p}");
    }
    things.stop().await;
}

#[actix_web::test]
async fn admins_filter_and_page_through_the_audit() {
    let things = Things::start().await;
    things
        .sql(
            "INSERT INTO things (id, name, phone, district, note) VALUES \
             ('s1', '张三', '13812341234', 'siming', ''), \
             ('s2', '王五', '13812345678', 'siming', ''), \
             ('h1', '李四', '13912341234', 'huli', '')",
        )
        .await;
    for id in ["s1", "s2", "s1"] {
        read_thing(&things, id, &staff("siming"), "r-siming").await;
    }
    let between = chrono::Utc::now();
    read_thing(&things, "h1", &staff("huli"), "r-huli").await;
    read_thing(&things, "s1", &admin(), "r-admin").await;

    let all = reads(&things, "").await;
    assert_eq!(
        subjects(&all),
        ["s1", "h1", "s1", "s2", "s1"],
        "newest first"
    );
    let by_subject = reads(&things, "?subject_kind=thing&subject_id=s1").await;
    assert_eq!(by_subject["items"].as_array().map(Vec::len), Some(3));
    let by_reader = reads(&things, "?reader=staff-siming").await;
    assert_eq!(subjects(&by_reader), ["s1", "s2", "s1"]);
    let since = between.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let later = reads(&things, &format!("?from={since}")).await;
    assert_eq!(subjects(&later), ["s1", "h1"]);
    let earlier = reads(&things, &format!("?to={since}")).await;
    assert_eq!(subjects(&earlier), ["s1", "s2", "s1"]);
    let none = reads(&things, "?subject_kind=member").await;
    assert_eq!(subjects(&none), Vec::<String>::new());

    // Pages of two, following the cursor, give the same rows once each.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("?limit=2&cursor={c}"),
            None => "?limit=2".to_string(),
        };
        let page = reads(&things, &query).await;
        seen.extend(subjects(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, subjects(&all));
    things.stop().await;
}
