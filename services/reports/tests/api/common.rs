use actix_web::{App, HttpResponse, HttpServer, web};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
pub use xs_testkit::{admin, fields, member_token, problem, staff, token};

/// Reports behind the gateway, membership beside it (`xs_testkit::TestStack::with_peers`).
pub struct TestStack(pub xs_testkit::TestStack);

impl std::ops::Deref for TestStack {
    type Target = xs_testkit::TestStack;
    fn deref(&self) -> &xs_testkit::TestStack {
        &self.0
    }
}

impl std::ops::DerefMut for TestStack {
    fn deref_mut(&mut self) -> &mut xs_testkit::TestStack {
        &mut self.0
    }
}

/// Members created in membership by [`TestStack::seed`].
pub struct Seeded {
    /// Two members of siming.
    pub a: String,
    pub b: String,
    /// A member of huli.
    pub h: String,
}

impl TestStack {
    pub async fn start() -> TestStack {
        TestStack(
            xs_testkit::TestStack::with_peers(&xs_reports::SPEC, &[&xs_membership::SPEC]).await,
        )
    }

    /// With consultation as a real peer too (topics a report came from).
    pub async fn with_consultation() -> TestStack {
        TestStack(
            xs_testkit::TestStack::with_peers(
                &xs_reports::SPEC,
                &[&xs_membership::SPEC, &xs_consultation::SPEC],
            )
            .await,
        )
    }

    /// Districts siming and huli in membership, two members of siming and one of huli.
    pub async fn seed(&self) -> Seeded {
        for (code, name) in [("siming", "思明区"), ("huli", "湖里区")] {
            let r = self
                .post(
                    "/api/v1/districts",
                    &admin(),
                    &json!({"code": code, "name": name}),
                )
                .await;
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        }
        Seeded {
            a: self.member("林委员", "siming").await,
            b: self.member("陈委员", "siming").await,
            h: self.member("黄委员", "huli").await,
        }
    }

    /// A new active member of `district`; its id.
    pub async fn member(&self, name: &str, district: &str) -> String {
        self.member_in(name, district, None).await
    }

    /// A new active member of `district` in `sector` (made with [`TestStack::sector`]).
    pub async fn member_in(&self, name: &str, district: &str, sector: Option<&str>) -> String {
        let r = self
            .post(
                "/api/v1/members",
                &admin(),
                &json!({"name": name, "gender": "female", "district": district,
                        "sector": sector}),
            )
            .await;
        let v: Value = r.json().await.unwrap();
        v["id"]
            .as_str()
            .unwrap_or_else(|| panic!("a member: {v}"))
            .to_string()
    }

    /// A sector (界别) in membership's reference data.
    pub async fn sector(&self, code: &str, name: &str) {
        let r = self
            .post(
                "/api/v1/sectors",
                &admin(),
                &json!({"code": code, "name": name}),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }

    /// A subdistrict of `district` in membership's reference data.
    pub async fn subdistrict(&self, code: &str, district: &str, name: &str) {
        let r = self
            .post(
                "/api/v1/subdistricts",
                &admin(),
                &json!({"code": code, "district": district, "name": name,
                        "kind": "subdistrict"}),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.req(Method::PATCH, path, token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Create a report (201 expected); its JSON.
    pub async fn report(&self, token: &str, body: &Value) -> Value {
        let r = self.post("/api/v1/reports", token, body).await;
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert_eq!(status, 201, "{v}");
        v
    }

    /// Apply a transition (200 expected); the report after it.
    pub async fn step(&self, id: &str, token: &str, body: Value) -> Value {
        let r = self
            .post(&format!("/api/v1/reports/{id}/transitions"), token, &body)
            .await;
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "{body} → {v}");
        v
    }

    pub async fn json(&self, path: &str, token: &str) -> Value {
        let r = self.get(path, token).await;
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "{path}: {v}");
        v
    }

    /// Take a report from draft to accepted (by the office of siming).
    pub async fn accepted(&self, id: &str) -> Value {
        let office = staff("siming");
        self.step(id, &office, json!({"action": "submit"})).await;
        self.step(id, &office, json!({"action": "start_review"}))
            .await;
        self.step(id, &office, json!({"action": "accept"})).await
    }

    pub async fn stop(self) {
        self.0.stop().await;
    }
}

/// A report body for `POST /reports`.
pub fn new_report(title: &str, district: &str, authors: &[&str]) -> Value {
    json!({"title": title, "body": format!("{title}：社区居民反映的情况和建议。"),
           "category": "livelihood", "district": district, "source_channel": "member_research",
           "authors": authors})
}

/// The ids of a page's items.
pub fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
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

/// The member's activity records in membership, as an admin lists them.
pub async fn activities(t: &TestStack, member: &str) -> Vec<Value> {
    let v = t
        .json(&format!("/api/v1/activities?member={member}"), &admin())
        .await;
    v["items"].as_array().unwrap().clone()
}

/// Poll until `member` has `n` activity records (or fail after 20 s).
pub async fn wait_for_activities(t: &TestStack, member: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = activities(t, member).await;
        if got.len() >= n {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{member} has {} activities, expected {n}",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The consultation and liaison services as this service sees them: a reception `rec-siming`
/// (and `rec-huli`), and a suggestion `sug-siming` raised at event `ev-1` (and `sug-huli`).
/// Anything else is 404. Registered in the service's targets.
pub async fn fake_sources(t: &TestStack) -> actix_web::dev::ServerHandle {
    async fn reception(id: web::Path<String>) -> HttpResponse {
        let district = match id.as_str() {
            "rec-siming" => "siming",
            "rec-huli" => "huli",
            _ => return HttpResponse::NotFound().finish(),
        };
        HttpResponse::Ok().json(json!({"id": id.as_str(), "district": district,
            "workroom": "w-1", "date": "2026-06-01", "members": []}))
    }
    async fn suggestion(id: web::Path<String>) -> HttpResponse {
        let district = match id.as_str() {
            "sug-siming" => "siming",
            "sug-huli" => "huli",
            _ => return HttpResponse::NotFound().finish(),
        };
        HttpResponse::Ok().json(json!({"id": id.as_str(), "event": "ev-1",
            "district": district, "report": null}))
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(|| {
        App::new()
            .route("/internal/v1/receptions/{id}", web::get().to(reception))
            .route(
                "/internal/v1/liaison-suggestions/{id}",
                web::get().to(suggestion),
            )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    t.targets.set("consultation", vec![url.clone()]);
    t.targets.set("liaison", vec![url]);
    handle
}
