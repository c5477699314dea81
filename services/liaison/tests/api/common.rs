use reqwest::{Method, Response};
use serde_json::{Value, json};
pub use xs_kit::Role;
pub use xs_testkit::{admin, fields, member_token, problem, staff, token};

/// Liaison with membership beside it, behind the gateway.
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

impl TestStack {
    /// Start liaison and membership, and seed membership's reference data: districts huli and
    /// siming, a subdistrict each.
    pub async fn start() -> TestStack {
        let t = TestStack(
            xs_testkit::TestStack::with_peers(&xs_liaison::SPEC, &[&xs_membership::SPEC]).await,
        );
        t.seed().await;
        t
    }

    /// Seed membership's reference data: districts huli and siming, a subdistrict each.
    pub async fn seed(&self) {
        let admin = admin();
        for (code, name) in [("huli", "湖里区"), ("siming", "思明区")] {
            let r = self
                .post(
                    "/api/v1/districts",
                    &admin,
                    &json!({"code": code, "name": name}),
                )
                .await;
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        }
        for (code, district, name) in [
            ("dianqian", "huli", "殿前街道"),
            ("jialian", "siming", "嘉莲街道"),
        ] {
            let r = self
                .post(
                    "/api/v1/subdistricts",
                    &admin,
                    &json!({"code": code, "district": district, "name": name, "kind": "subdistrict"}),
                )
                .await;
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        }
    }

    pub async fn stop(self) {
        self.0.stop().await;
    }

    pub async fn patch(
        &self,
        path: &str,
        token: &str,
        if_match: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut r = self.req(Method::PATCH, path, token).json(body);
        if let Some(v) = if_match {
            r = r.header("If-Match", v);
        }
        r.send().await.unwrap()
    }

    /// A member of `district` in membership; its id.
    pub async fn member(&self, name: &str, district: &str) -> String {
        let body = json!({"name": name, "gender": "male", "district": district,
                          "phone": "13812341234", "taiwan_origin": true});
        id(&json_of(self.post("/api/v1/members", &admin(), &body).await, 201).await)
    }

    /// A workroom of `kind` in `district` in membership; its id.
    pub async fn workroom(&self, name: &str, district: &str, kind: &str) -> String {
        let subdistrict = if district == "huli" {
            "dianqian"
        } else {
            "jialian"
        };
        let one = json!({"met": true});
        let body = json!({
            "name": name, "kind": kind, "district": district, "subdistrict": subdistrict,
            "address": "湖里大道1号", "latitude": 24.5, "longitude": 118.1,
            "reception_days": ["monday"],
            "essentials": {"venue": one, "team": one, "rules": one, "signage": one,
                           "duty_list": one, "funding": one},
        });
        id(&json_of(self.post("/api/v1/workrooms", &admin(), &body).await, 201).await)
    }

    /// A compatriot of `district`, registered by an admin; its id.
    pub async fn compatriot(&self, name: &str, district: &str) -> String {
        let body = json!({"name": name, "origin": "taichung", "district": district,
                          "contact": "13900001111", "id_number": "A123456789"});
        id(&json_of(self.post("/api/v1/compatriots", &admin(), &body).await, 201).await)
    }
}

pub async fn json_of(r: Response, status: u16) -> Value {
    let got = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

pub fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// A resident's token (an app user without a member record).
pub fn resident(sub: &str, district: &str) -> String {
    token(sub, &[Role::Resident], Some(district))
}

/// The personal-data reads liaison recorded, newest first.
pub async fn personal_data_reads(t: &TestStack, query: &str) -> Vec<Value> {
    let v = json_of(
        t.get(
            &format!("/api/v1/audit/liaison/personal-data-reads{query}"),
            &admin(),
        )
        .await,
        200,
    )
    .await;
    v["items"].as_array().unwrap().clone()
}

/// A past instant (so events can be held): `days` days ago at 10:00 UTC.
pub fn days_ago(days: i64) -> String {
    let d = chrono::Utc::now().date_naive() - chrono::Days::new(days as u64);
    format!("{d}T10:00:00Z")
}

/// A new event of `district` starting `days` days ago.
pub fn new_event(
    district: &str,
    kind: &str,
    days: i64,
    capacity: Option<i32>,
    organisers: &[String],
) -> Value {
    json!({"kind": kind, "title": "两岸青年座谈会", "district": district, "starts_at": days_ago(days),
           "place": "湖里区台胞驿站", "capacity": capacity, "organisers": organisers})
}

impl TestStack {
    /// An event created by an admin; its id.
    pub async fn event(&self, body: &Value) -> String {
        id(&json_of(
            self.post("/api/v1/liaison-events", &admin(), body).await,
            201,
        )
        .await)
    }

    pub async fn transition(&self, event: &str, body: &Value) -> Response {
        self.post(
            &format!("/api/v1/liaison-events/{event}/transitions"),
            &admin(),
            body,
        )
        .await
    }

    /// Move an event with an admin's token; the event after.
    pub async fn drive(&self, event: &str, actions: &[&str]) -> Value {
        let mut last = Value::Null;
        for a in actions {
            last = json_of(self.transition(event, &action(a)).await, 200).await;
        }
        last
    }
}

/// A well-formed request for each event action.
pub fn action(name: &str) -> Value {
    match name {
        "open_registration" => json!({"action": "open_registration"}),
        "hold" => {
            json!({"action": "hold", "people_served": 120, "volunteers": 8, "summary": "交流顺利"})
        }
        "cancel" => json!({"action": "cancel", "reason": "台风"}),
        other => panic!("no action {other}"),
    }
}
