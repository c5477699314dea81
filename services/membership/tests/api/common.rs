use reqwest::Method;
use serde_json::Value;
pub use xs_testkit::{admin, fields, member_token, problem, staff};

/// Membership behind the gateway (`xs_testkit::TestStack` with membership's seed data).
pub struct TestStack(pub xs_testkit::TestStack);

impl std::ops::Deref for TestStack {
    type Target = xs_testkit::TestStack;
    fn deref(&self) -> &xs_testkit::TestStack {
        &self.0
    }
}

impl TestStack {
    pub async fn start() -> TestStack {
        TestStack(xs_testkit::TestStack::with(&xs_membership::SPEC).await)
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
        self.0.stop().await;
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
