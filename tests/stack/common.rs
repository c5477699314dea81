use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::Value;
use std::collections::HashMap;
use xieshang::config::Config;
use xieshang::stack::{self, ROLES, Stack};
use xs_kit::Role;
use xs_kit::testing::TestDb;

pub struct TestStack {
    pub stack: Stack,
    pub client: Client,
    pub dbs: HashMap<&'static str, TestDb>,
    _dir: tempfile::TempDir,
}

impl TestStack {
    pub async fn start() -> TestStack {
        Self::start_with(&[]).await
    }

    /// Start with some `XS_*` settings changed.
    pub async fn start_with(overrides: &[(&str, &str)]) -> TestStack {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        std::fs::create_dir_all(&keys).unwrap();
        // The gateway signs with the test key, so tests can also mint tokens for any role.
        std::fs::write(
            keys.join(format!("{}.pem", xs_kit::testing::TEST_KID)),
            xs_kit::testing::test_key_pem(),
        )
        .unwrap();
        let mut env: HashMap<String, String> = HashMap::new();
        env.insert("XS_ADDR".into(), "127.0.0.1:0".into());
        env.insert(
            "XS_DATA_DIR".into(),
            dir.path().to_string_lossy().into_owned(),
        );
        env.insert("XS_KEYS_DIR".into(), keys.to_string_lossy().into_owned());
        env.insert(
            "XS_ADMIN_PASSWORD".into(),
            "admin-password-for-tests".into(),
        );
        env.insert("XS_WORKERS".into(), "1".into());
        env.insert("XS_DB_POOL_SIZE".into(), "4".into());
        env.insert("XS_RATE_LIMIT_PER_MINUTE".into(), "100000".into());
        let mut dbs = HashMap::new();
        for role in ROLES {
            let db = TestDb::fresh();
            env.insert(
                format!("XS_{}_DATABASE_URL", role.to_uppercase()),
                db.url.clone(),
            );
            env.insert(
                format!("XS_{}_ADDR", role.to_uppercase()),
                "127.0.0.1:0".into(),
            );
            dbs.insert(role, db);
        }
        for (k, v) in overrides {
            env.insert(k.to_string(), v.to_string());
        }
        let cfg = Config::from_map(env).unwrap();
        let stack = stack::start_all(&cfg).await.expect("stack starts");
        TestStack {
            stack,
            client: Client::new(),
            dbs,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.stack.url(), path)
    }

    pub fn req(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.req(Method::GET, path, token).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.req(Method::POST, path, token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Seed the reference data most tests need: districts siming and huli, a subdistrict each,
    /// and a sector.
    pub async fn seed(&self) {
        let admin = admin();
        for (code, name) in [("siming", "思明区"), ("huli", "湖里区")] {
            let r = self
                .post(
                    "/api/v1/districts",
                    &admin,
                    &serde_json::json!({"code": code, "name": name}),
                )
                .await;
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        }
        for (code, district, name) in [
            ("jialian", "siming", "嘉莲街道"),
            ("dianqian", "huli", "殿前街道"),
        ] {
            let r = self
                .post(
                    "/api/v1/subdistricts",
                    &admin,
                    &serde_json::json!({"code": code, "district": district, "name": name, "kind": "subdistrict"}),
                )
                .await;
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        }
        let r = self
            .post(
                "/api/v1/sectors",
                &admin,
                &serde_json::json!({"code": "economy", "name": "经济界"}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }

    pub async fn stop(self) {
        self.stack.stop().await;
    }
}

pub fn admin() -> String {
    xs_kit::testing::token("admin-1", &[Role::Admin], None)
}

pub fn staff(district: &str) -> String {
    xs_kit::testing::token(
        &format!("staff-{district}"),
        &[Role::OfficeStaff],
        Some(district),
    )
}

pub fn member_token(member_id: &str, district: &str) -> String {
    let mut c = xs_kit::testing::claims(
        &format!("user-{member_id}"),
        &[Role::Member],
        Some(district),
    );
    c.member_id = Some(member_id.to_string());
    xs_kit::testing::sign(&c)
}

/// Assert a response is a problem+json with this status, and return its body.
pub async fn problem(r: Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status, "unexpected status");
    let ct = r
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        ct.starts_with("application/problem+json"),
        "content type {ct}"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string());
    assert!(
        body["request_id"].is_string(),
        "problem carries the request id: {body}"
    );
    body
}

/// The fields a validation problem names.
pub fn fields(p: &Value) -> Vec<String> {
    p["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

pub fn new_member(name: &str, district: &str) -> Value {
    serde_json::json!({"name": name, "gender": "female", "district": district, "phone": "13812341234"})
}

/// GET `path` as CSV; assert a 200 CSV download with a byte-order mark and return its records
/// (RFC 4180: quoted cells may hold commas, quotes and line breaks) and the request id.
pub async fn get_csv(t: &TestStack, path: &str, token: &str) -> (Vec<Vec<String>>, String) {
    let r = t
        .req(Method::GET, path, token)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    let status = r.status();
    let request_id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
    let bytes = r.bytes().await.unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(content_type, "text/csv; charset=utf-8");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 byte-order mark");
    let text = std::str::from_utf8(&bytes[3..]).expect("UTF-8");
    let mut records = Vec::new();
    let (mut record, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(cell.is_empty() && record.is_empty(), "ends with CRLF");
    (records, request_id)
}

/// The personal-data reads membership recorded, as an admin lists them (newest first).
pub async fn personal_data_reads(t: &TestStack, query: &str) -> Vec<Value> {
    let r = t
        .get(
            &format!("/api/v1/audit/membership/personal-data-reads{query}"),
            &admin(),
        )
        .await;
    assert_eq!(r.status(), 200);
    let page: Value = r.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}
