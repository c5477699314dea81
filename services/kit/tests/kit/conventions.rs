//! The kit's conventions, seen through the gateway on the kit tests' own `notebook` service.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashSet;
use xs_testkit::{admin, fields, problem, staff};

#[actix_web::test]
async fn bad_input_is_a_4xx_problem_naming_the_field() {
    let t = start().await;
    let token = admin();

    // Malformed JSON.
    let r = t
        .req(Method::POST, "/api/v1/notes", &token)
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    let p = problem(r, 400).await;
    assert_eq!(fields(&p), ["body"]);

    // Wrong content type.
    let r = t
        .req(Method::POST, "/api/v1/notes", &token)
        .header("content-type", "text/plain")
        .body("title=x")
        .send()
        .await
        .unwrap();
    problem(r, 415).await;

    // Oversized body (over the 1 MiB limit).
    let big = json!({"title": "x".repeat(2 * 1024 * 1024)});
    let r = t.post("/api/v1/notes", &token, &big).await;
    problem(r, 413).await;

    // A field of the wrong type, an unknown field, an unknown enum value.
    let r = t
        .post(
            "/api/v1/notes",
            &token,
            &json!({"title": "x", "priority": "high"}),
        )
        .await;
    assert_eq!(fields(&problem(r, 400).await), ["priority"]);
    let r = t
        .post(
            "/api/v1/notes",
            &token,
            &json!({"title": "x", "nickname": "x"}),
        )
        .await;
    let p = problem(r, 400).await;
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nickname"),
        "{p}"
    );
    let r = t
        .post(
            "/api/v1/notes",
            &token,
            &json!({"title": "x", "status": "robot"}),
        )
        .await;
    assert_eq!(fields(&problem(r, 400).await), ["status"]);

    // Several invalid values at once are all named.
    let r = t
        .post(
            "/api/v1/notes",
            &token,
            &json!({"title": " ", "priority": 9}),
        )
        .await;
    let named: HashSet<String> = fields(&problem(r, 400).await).into_iter().collect();
    assert_eq!(
        named,
        ["title", "priority"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );

    // A reference to something that does not exist.
    let r = t
        .post(
            "/api/v1/notes",
            &token,
            &json!({"title": "x", "parent": "no-such-note"}),
        )
        .await;
    assert_eq!(fields(&problem(r, 400).await), ["parent"]);

    // Unknown query parameter values, malformed limits and cursors.
    let r = t.get("/api/v1/notes?status=bogus", &token).await;
    assert_eq!(fields(&problem(r, 400).await), ["status"]);
    let r = t.get("/api/v1/notes?pinned=maybe", &token).await;
    assert_eq!(fields(&problem(r, 400).await), ["pinned"]);
    let r = t.get("/api/v1/notes?limit=0", &token).await;
    assert_eq!(fields(&problem(r, 400).await), ["limit"]);
    let r = t.get("/api/v1/notes?cursor=garbage", &token).await;
    assert_eq!(fields(&problem(r, 422).await), ["cursor"]);

    // A missing resource, and a path no service has.
    let r = t.get("/api/v1/notes/0000", &token).await;
    problem(r, 404).await;
    let r = t.get("/api/v1/notes/nowhere", &token).await;
    let p = problem(r, 404).await;
    assert_eq!(p["instance"], "/api/v1/notes/nowhere");
    let r = t.get("/api/v1/no-such-resource", &token).await;
    problem(r, 404).await;

    // No token, a garbage token.
    let r = t.client.get(t.url("/api/v1/notes")).send().await.unwrap();
    problem(r, 401).await;
    let r = t.get("/api/v1/notes", "not-a-token").await;
    problem(r, 401).await;

    // Nothing above was half-written.
    let r = t.get("/api/v1/notes", &token).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["items"].as_array().unwrap().len(), 0);
    t.stop().await;
}

/// Paging through a list while it is appended to: no item lost, none repeated.
#[actix_web::test]
async fn pagination_is_stable_under_appends() {
    let t = start().await;
    let token = admin();
    let mut created = Vec::new();
    for i in 0..23 {
        let r = t
            .post("/api/v1/notes", &token, &note(&format!("笔记{i}")))
            .await;
        assert_eq!(r.status(), 201);
        created.push(
            r.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/notes?limit=5&cursor={c}"),
            None => "/api/v1/notes?limit=5".to_string(),
        };
        let page: Value = t.get(&path, &token).await.json().await.unwrap();
        for m in page["items"].as_array().unwrap() {
            seen.push(m["id"].as_str().unwrap().to_string());
        }
        pages += 1;
        // Someone adds a note between every page.
        if pages <= 3 {
            let r = t
                .post("/api/v1/notes", &token, &note(&format!("新笔记{pages}")))
                .await;
            created.push(
                r.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(pages < 20, "paging terminates");
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no item repeated");
    assert_eq!(
        seen, created,
        "every item, in creation order, including those appended while paging"
    );
    t.stop().await;
}

#[actix_web::test]
async fn idempotency_key_replays_and_refuses_reuse() {
    let t = start().await;
    let token = admin();
    let body = note("林");
    let send = |b: Value| {
        t.req(Method::POST, "/api/v1/notes", &token)
            .header("Idempotency-Key", "create-lin-1")
            .json(&b)
            .send()
    };
    let first = send(body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let location = first.headers()["location"].to_str().unwrap().to_string();
    let first: Value = first.json().await.unwrap();

    let again = send(body.clone()).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"].to_str().unwrap(), location);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first, "the stored response is replayed as it was");

    let mut other = body.clone();
    other["title"] = json!("陈");
    let r = send(other).await.unwrap();
    problem(r, 422).await;

    // Keys are per caller: another caller's identical key is a different request.
    let r = t
        .req(Method::POST, "/api/v1/notes", &staff("siming"))
        .header("Idempotency-Key", "create-lin-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    let list: Value = t.get("/api/v1/notes", &token).await.json().await.unwrap();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        2,
        "one note per distinct request"
    );
    t.stop().await;
}

#[actix_web::test]
async fn concurrent_requests_with_one_key_create_once() {
    let t = start().await;
    let token = admin();
    let body = note("并发");
    let reqs = (0..6).map(|_| {
        t.req(Method::POST, "/api/v1/notes", &token)
            .header("Idempotency-Key", "same-key")
            .json(&body)
            .send()
    });
    let results = futures_util::future::join_all(reqs).await;
    let mut ids = HashSet::new();
    for r in results {
        let r = r.unwrap();
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap();
        // Every request either got the one created note or was told to retry (409).
        match status {
            201 => {
                ids.insert(v["id"].as_str().unwrap().to_string());
            }
            409 => {}
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert_eq!(ids.len(), 1, "all successful replies name the same note");
    let list: Value = t.get("/api/v1/notes", &token).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    t.stop().await;
}

#[actix_web::test]
async fn stale_versions_get_412() {
    let t = start().await;
    let token = admin();
    let r = t.post("/api/v1/notes", &token, &note("黄")).await;
    assert_eq!(r.headers()["etag"], "\"1\"");
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/notes/{id}");

    // No version at all: 428.
    let r = t
        .req(Method::PATCH, &path, &token)
        .json(&json!({"title": "第十四届"}))
        .send()
        .await
        .unwrap();
    problem(r, 428).await;

    // Version 1 via If-Match succeeds and moves to 2.
    let r = t
        .req(Method::PATCH, &path, &token)
        .header("If-Match", "\"1\"")
        .json(&json!({"title": "第十四届"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"2\"");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["version"], 2);
    assert_eq!(v["title"], "第十四届");
    assert_eq!(v["updated_by"], "admin-1");

    // Someone still holding version 1 is refused, by header or by body, and nothing changes.
    let r = t
        .req(Method::PATCH, &path, &token)
        .header("If-Match", "\"1\"")
        .json(&json!({"title": "stale"}))
        .send()
        .await
        .unwrap();
    let p = problem(r, 412).await;
    assert!(p["detail"].as_str().unwrap().contains("changed"));
    let r = t
        .req(Method::PATCH, &path, &token)
        .json(&json!({"version": 1, "title": "stale"}))
        .send()
        .await
        .unwrap();
    problem(r, 412).await;
    let now: Value = t.get(&path, &token).await.json().await.unwrap();
    assert_eq!(now["title"], "第十四届");
    assert_eq!(now["version"], 2);

    // A missing note is 404, not 412.
    let r = t
        .req(Method::PATCH, "/api/v1/notes/missing", &token)
        .header("If-Match", "\"1\"")
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    problem(r, 404).await;
    t.stop().await;
}

/// Clients that accept gzip (browsers, mobile HTTP stacks) get the same problem, compressed.
#[actix_web::test]
async fn problems_survive_compression() {
    use std::io::Read;
    let t = start().await;
    let direct = t.service_url();
    for base in [t.gateway.url(), direct] {
        let r = t
            .client
            .get(format!("{base}/api/v1/notes?status=bogus"))
            .bearer_auth(admin())
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("application/problem+json"), "{ct}");
        let gzipped = r
            .headers()
            .get("content-encoding")
            .is_some_and(|v| v == "gzip");
        let bytes = r.bytes().await.unwrap();
        let text = if gzipped {
            let mut out = String::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_string(&mut out)
                .unwrap();
            out
        } else {
            String::from_utf8(bytes.to_vec()).unwrap()
        };
        let p: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(fields(&p), ["status"], "{base}: {p}");
        assert!(p["request_id"].is_string());
    }
    t.stop().await;
}

/// A NUL byte anywhere in the input is refused before it reaches a database (PostgreSQL
/// cannot store one in text and used to answer 500), at the gateway and at a service reached
/// directly.
#[actix_web::test]
async fn nul_bytes_are_a_400_problem_everywhere() {
    let t = start().await;
    let token = admin();
    let client = reqwest::Client::new();
    for base in [t.url(""), t.service_url()] {
        for path in [
            "/api/v1/notes/ab%00cd",
            "/api/v1/notes?cursor=a%00b",
            "/api/v1/notes?cur%00sor=a",
        ] {
            let r = client
                .get(format!("{base}{path}"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("answers");
            let p = problem(r, 400).await;
            assert!(!fields(&p).is_empty(), "{path}: {p}");
        }
        let r = client
            .post(format!("{base}/api/v1/notes"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(r#"{"title": "a\u0000b"}"#)
            .send()
            .await
            .expect("answers");
        assert_eq!(fields(&problem(r, 400).await), ["title"]);
    }
    // An escaped backslash before "u0000" is ordinary text.
    let r = t
        .req(Method::POST, "/api/v1/notes", &token)
        .header("content-type", "application/json")
        .body(r#"{"title": "a\\u0000b"}"#)
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status(), 201);
    t.stop().await;
}

/// A JSON body followed by anything but whitespace is malformed.
#[actix_web::test]
async fn text_after_the_json_body_is_refused() {
    let t = start().await;
    let token = admin();
    for body in [r#"{"title": "x"}garbage"#, r#"{"title": "x"} {}"#] {
        let r = t
            .req(Method::POST, "/api/v1/notes", &token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("answers");
        assert_eq!(fields(&problem(r, 400).await), ["body"], "{body}");
    }
    let r = t
        .req(Method::POST, "/api/v1/notes", &token)
        .header("content-type", "application/json")
        .body("{\"title\": \"x\"}\n  ")
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status(), 201);
    t.stop().await;
}
