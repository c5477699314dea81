//! The real gateway in front of the real services: sign-in, refresh rotation, and each
//! refusal a client can meet.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

const ADMIN_PASSWORD: &str = "admin-password-for-tests";

async fn token_request(t: &TestStack, form: &[(&str, &str)]) -> reqwest::Response {
    t.client
        .post(t.url("/auth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn sign_in_refresh_rotation_and_reuse_detection() {
    let t = TestStack::start().await;
    let r = token_request(
        &t,
        &[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let first: Value = r.json().await.unwrap();
    let access = first["access_token"].as_str().unwrap();
    // The token the gateway issued is accepted by the gateway and by the service behind it.
    assert_eq!(t.get("/api/v1/districts", access).await.status(), 200);
    let direct = t.stack.service_url("membership").unwrap();
    let r = t
        .client
        .get(format!("{direct}/api/v1/districts"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let refresh1 = first["refresh_token"].as_str().unwrap().to_string();
    let r = token_request(
        &t,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh1),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let second: Value = r.json().await.unwrap();
    let refresh2 = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(refresh1, refresh2, "refresh tokens rotate");
    assert_eq!(
        t.get(
            "/api/v1/districts",
            second["access_token"].as_str().unwrap()
        )
        .await
        .status(),
        200
    );

    // Presenting the rotated token again revokes the whole family, the newest one included.
    let r = token_request(
        &t,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh1),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let r = token_request(
        &t,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh2),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);

    let r = token_request(
        &t,
        &[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", "wrong"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    t.stop().await;
}

#[actix_web::test]
async fn refusals_401_403_404_413() {
    let t = TestStack::start_with(&[("XS_BODY_LIMIT", "2000")]).await;
    t.seed().await;
    problem(
        t.client.get(t.url("/api/v1/members")).send().await.unwrap(),
        401,
    )
    .await;
    let resident = xs_testkit::token("r1", &[xs_kit::Role::Resident], Some("siming"));
    problem(t.get("/api/v1/members", &resident).await, 403).await;
    problem(t.get("/api/v1/no-such-resource", &admin()).await, 404).await;
    let big = json!({"name": "x".repeat(3000), "gender": "male", "district": "siming"});
    problem(t.post("/api/v1/members", &admin(), &big).await, 413).await;
    t.stop().await;
}

/// A method a path does not take is a 405 problem with `Allow`, through the gateway (the
/// service answers) and on the gateway's own paths; a path nothing serves stays a 404.
#[actix_web::test]
async fn unsupported_methods_answer_405_with_allow() {
    let t = TestStack::start().await;
    t.seed().await;
    let cases = [
        ("TRACE", "/api/v1/districts", "GET, POST"),
        ("PUT", "/api/v1/districts", "GET, POST"),
        ("DELETE", "/api/v1/members/some-id", "GET, PATCH"),
        ("PUT", "/auth/token", "POST"),
        ("TRACE", "/api/v1/accounts", "GET, POST"),
        ("DELETE", "/healthz", "GET"),
        ("POST", "/openapi.json", "GET"),
    ];
    for (method, path, allow) in cases {
        let r = t
            .req(
                Method::from_bytes(method.as_bytes()).unwrap(),
                path,
                &admin(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers().get("allow").map(|v| v.to_str().unwrap()),
            Some(allow),
            "{method} {path}"
        );
        let p = problem(r, 405).await;
        assert_eq!(p["title"], "Method not allowed", "{method} {path}");
    }
    let r = t
        .req(Method::PUT, "/api/v1/no-such-resource", &admin())
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("allow").is_none());
    problem(r, 404).await;
    t.stop().await;
}

#[actix_web::test]
async fn rate_limit_429_with_headers() {
    let t = TestStack::start_with(&[("XS_RATE_LIMIT_PER_MINUTE", "5")]).await;
    let token = admin();
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let r = t.get("/api/v1/districts", &token).await;
        assert!(r.headers().contains_key("ratelimit-limit"));
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"));
            assert_eq!(r.headers()["ratelimit-remaining"], "0");
            problem(r, 429).await;
        }
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429]);
    t.stop().await;
}

#[actix_web::test]
async fn an_upstream_that_is_gone_is_502() {
    let mut t = TestStack::start().await;
    t.stack.stop_service("membership").await;
    problem(t.get("/api/v1/districts", &admin()).await, 502).await;
    // Other services are unaffected.
    let r = t.client.get(t.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503, "the gateway reports the missing service");
    t.stop().await;
}

/// A service stuck behind a database lock answers after the gateway's timeout: 504.
#[actix_web::test]
async fn a_stuck_upstream_is_504() {
    let t = TestStack::start_with(&[("XS_UPSTREAM_TIMEOUT_SECS", "1")]).await;
    t.seed().await;
    let url = t.dbs["membership"].url.clone();
    // Hold the membership database's write lock from outside the service.
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        use diesel::Connection;
        use diesel::connection::SimpleConnection;
        if url.starts_with("postgres") {
            let mut c = diesel::PgConnection::establish(&url).unwrap();
            c.batch_execute("BEGIN; LOCK TABLE members IN EXCLUSIVE MODE;")
                .unwrap();
            locked_tx.send(()).unwrap();
            let _ = release_rx.recv();
            c.batch_execute("ROLLBACK").unwrap();
        } else {
            let mut c = diesel::SqliteConnection::establish(&url).unwrap();
            c.batch_execute("BEGIN IMMEDIATE").unwrap();
            locked_tx.send(()).unwrap();
            let _ = release_rx.recv();
            c.batch_execute("ROLLBACK").unwrap();
        }
    });
    locked_rx.recv().unwrap();
    let r = t
        .req(Method::POST, "/api/v1/members", &admin())
        .json(&new_member("等待", "siming"))
        .send()
        .await
        .unwrap();
    let p = problem(r, 504).await;
    assert!(p["detail"].as_str().unwrap().contains("membership"));
    release_tx.send(()).unwrap();
    holder.join().unwrap();
    t.stop().await;
}

/// Residents without an account: the public view of active workrooms, who is on duty (masked)
/// and members' cards, anonymously through the gateway — exactly what a resident sees — and
/// nothing else.
#[actix_web::test]
async fn anonymous_callers_see_the_public_view_only() {
    let t = TestStack::start().await;
    t.seed().await;
    let admin = admin();
    let met = serde_json::json!({"met": true});
    let body = serde_json::json!({
        "name": "公开工作室", "kind": "haoshangliang_studio", "district": "siming",
        "subdistrict": "jialian", "address": "莲花路1号", "latitude": 24.45, "longitude": 118.08,
        "reception_days": ["monday"],
        "essentials": {"venue": met, "team": met, "rules": met, "signage": met,
                       "duty_list": met, "funding": met},
    });
    let w: serde_json::Value = t
        .post("/api/v1/workrooms", &admin, &body)
        .await
        .json()
        .await
        .unwrap();
    let wid = w["id"].as_str().unwrap().to_string();
    let applied: serde_json::Value = t
        .post("/api/v1/workrooms", &admin, &{
            let mut b = body.clone();
            b["name"] = "申请中的工作室".into();
            b
        })
        .await
        .json()
        .await
        .unwrap();
    let today = chrono::Utc::now().date_naive().to_string();
    for step in [
        serde_json::json!({"action": "inspect", "date": today, "inspector": "专委会办公室", "passed": true}),
        serde_json::json!({"action": "approve", "approved_by": "区政协党组", "date": today}),
        serde_json::json!({"action": "award_plaque", "date": today}),
    ] {
        let r = t
            .post(
                &format!("/api/v1/workrooms/{wid}/transitions"),
                &admin,
                &step,
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    let m: serde_json::Value = t
        .post(
            "/api/v1/members",
            &admin,
            &serde_json::json!({"name": "陈委员", "gender": "male", "district": "siming",
                                "phone": "13812341234"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let mid = m["id"].as_str().unwrap().to_string();
    let anon = |path: String| t.client.get(t.url(&path)).send();

    let list: serde_json::Value = {
        let r = anon("/api/v1/workrooms".into()).await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers().contains_key("ratelimit-remaining"));
        r.json().await.unwrap()
    };
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["公开工作室"], "active workrooms only");
    assert!(list["items"][0]["inspection"].is_null(), "the public face");
    let near = anon("/api/v1/workrooms?near=24.45,118.08".into())
        .await
        .unwrap();
    assert_eq!(near.status(), 200);
    assert_eq!(
        anon(format!("/api/v1/workrooms/{wid}"))
            .await
            .unwrap()
            .status(),
        200
    );
    let hidden = anon(format!(
        "/api/v1/workrooms/{}",
        applied["id"].as_str().unwrap()
    ));
    problem(hidden.await.unwrap(), 404).await;
    assert_eq!(
        anon(format!("/api/v1/workrooms/{wid}/on-duty"))
            .await
            .unwrap()
            .status(),
        200
    );
    let card: serde_json::Value = {
        let r = anon(format!("/api/v1/members/{mid}/card")).await.unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    };
    assert_eq!(card["name"], "陈委员");
    assert_ne!(card["phone"], "13812341234", "masked: {card}");
    // Nothing else: the register, histories, writes.
    for path in [
        "/api/v1/members".to_string(),
        format!("/api/v1/members/{mid}"),
        format!("/api/v1/workrooms/{wid}/history"),
        format!("/api/v1/workrooms/{wid}/members"),
        "/api/v1/activities".to_string(),
    ] {
        problem(anon(path).await.unwrap(), 401).await;
    }
    let r = t
        .client
        .post(t.url("/api/v1/workrooms"))
        .json(&body)
        .send()
        .await
        .unwrap();
    problem(r, 401).await;
    t.stop().await;
}

/// Send `head` as raw bytes and read the whole answer (the server closes after a refusal).
fn raw_exchange(addr: &str, head: &[u8]) -> (u16, String, Value) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    // A server may answer and close before it has read everything: that is fine.
    let _ = s.write_all(head);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let (h, body) = text.split_once("\r\n\r\n").expect("a whole response");
    let status = h[9..12].parse().unwrap();
    let body = serde_json::from_str(body).unwrap_or(Value::Null);
    (status, h.to_ascii_lowercase(), body)
}

#[actix_web::test]
async fn requests_the_http_layer_refuses_get_a_problem_with_a_request_id() {
    let t = TestStack::start().await;
    let gateway = t.stack.url().trim_start_matches("http://").to_owned();
    let membership = t
        .stack
        .service_url("membership")
        .unwrap()
        .trim_start_matches("http://")
        .to_owned();
    let long_uri = format!("/api/v1/members?q={}", "a".repeat(64 * 1024));
    let many_headers: String = (0..1000).map(|i| format!("x-h{i}: v\r\n")).collect();
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "raw 0xff in the path",
            b"GET /api/v1/members/\xff HTTP/1.1\r\nhost: x\r\n\r\n".to_vec(),
            400,
        ),
        (
            "control character in X-Request-Id",
            b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-request-id: a\x01b\r\n\r\n".to_vec(),
            400,
        ),
        (
            "64 KB URI",
            format!("GET {long_uri} HTTP/1.1\r\nhost: x\r\n\r\n").into_bytes(),
            400,
        ),
        (
            "1,000 headers",
            format!("GET /healthz HTTP/1.1\r\nhost: x\r\n{many_headers}\r\n").into_bytes(),
            431,
        ),
        (
            "256 KB header",
            format!(
                "GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
                "b".repeat(256 * 1024)
            )
            .into_bytes(),
            431,
        ),
    ];
    for addr in [&gateway, &membership] {
        for (what, head, expected) in &cases {
            let (addr, head) = (addr.clone(), head.clone());
            let (status, headers, body) =
                tokio::task::spawn_blocking(move || raw_exchange(&addr, &head))
                    .await
                    .unwrap();
            assert_eq!(status, *expected, "{what}");
            assert!(
                headers.contains("content-type: application/problem+json"),
                "{what}: {headers}"
            );
            assert_eq!(body["status"], *expected, "{what}: {body}");
            let rid = body["request_id"].as_str().expect("a request id");
            assert!(
                headers.contains(&format!("x-request-id: {rid}")),
                "{what}: {headers}"
            );
        }
    }
    // The connection-level guard leaves ordinary answers alone.
    let r = t.client.get(t.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let p = problem(
        t.client.get(t.url("/api/v1/members")).send().await.unwrap(),
        401,
    )
    .await;
    assert_eq!(p["status"], 401);
    t.stop().await;
}
