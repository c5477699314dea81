use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::Value;
use std::collections::HashMap;
use xieshang::config::Config;
use xieshang::stack::{self, ROLES, Stack};
use xs_testkit::TestDb;
pub use xs_testkit::{admin, problem};

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
            keys.join(format!("{}.pem", xs_testkit::TEST_KID)),
            xs_testkit::test_key_pem(),
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

    /// The test's client goes first, so that its idle keep-alive connections do not hold the
    /// gateway's graceful stop (see `xs_testkit::TestStack::stop`).
    pub async fn stop(self) {
        drop(self.client);
        // Let its connection tasks see the pool gone and close their sockets.
        tokio::task::yield_now().await;
        self.stack.stop().await;
    }
}

pub fn new_member(name: &str, district: &str) -> Value {
    serde_json::json!({"name": name, "gender": "female", "district": district, "phone": "13812341234"})
}

/// GET `path` as CSV: its records and the request id (see `xs_testkit::csv_response`).
pub async fn get_csv(t: &TestStack, path: &str, token: &str) -> (Vec<Vec<String>>, String) {
    let r = t
        .req(Method::GET, path, token)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    xs_testkit::csv_response(r).await
}
