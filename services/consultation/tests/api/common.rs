use reqwest::Response;
use serde_json::{Value, json};
pub use xs_kit::Role;
pub use xs_testkit::{admin, fields, member_token, problem, staff, token};

/// Consultation and membership behind the gateway, with membership's reference data seeded:
/// districts siming and huli, subdistricts jialian (siming, with community lianhua) and
/// dianqian (huli).
pub struct Stack(pub xs_testkit::TestStack);

impl std::ops::Deref for Stack {
    type Target = xs_testkit::TestStack;
    fn deref(&self) -> &xs_testkit::TestStack {
        &self.0
    }
}

impl std::ops::DerefMut for Stack {
    fn deref_mut(&mut self) -> &mut xs_testkit::TestStack {
        &mut self.0
    }
}

impl Stack {
    pub async fn start() -> Stack {
        let t = Stack(
            xs_testkit::TestStack::with_peers(&xs_consultation::SPEC, &[&xs_membership::SPEC])
                .await,
        );
        let admin = admin();
        for (code, name) in [("siming", "思明区"), ("huli", "湖里区")] {
            ok(
                t.post(
                    "/api/v1/districts",
                    &admin,
                    &json!({"code": code, "name": name}),
                )
                .await,
                201,
            )
            .await;
        }
        for (code, district, name) in [
            ("jialian", "siming", "嘉莲街道"),
            ("dianqian", "huli", "殿前街道"),
        ] {
            ok(
                t.post(
                    "/api/v1/subdistricts",
                    &admin,
                    &json!({"code": code, "district": district, "name": name, "kind": "subdistrict"}),
                )
                .await,
                201,
            )
            .await;
        }
        ok(
            t.post(
                "/api/v1/communities",
                &admin,
                &json!({"code": "lianhua", "subdistrict": "jialian", "name": "莲花社区"}),
            )
            .await,
            201,
        )
        .await;
        t
    }

    pub async fn stop(self) {
        self.0.stop().await;
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Response {
        self.req(reqwest::Method::PATCH, path, token)
            .json(body)
            .send()
            .await
            .unwrap()
    }
}

/// Assert the status and return the JSON body.
pub async fn ok(r: Response, status: u16) -> Value {
    let got = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

pub fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

pub fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

pub fn days_ago(n: u64) -> String {
    (chrono::Utc::now().date_naive() - chrono::Days::new(n)).to_string()
}

pub fn days_ahead(n: u64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Days::new(n)).to_string()
}

pub fn resident(sub: &str) -> String {
    token(sub, &[Role::Resident], None)
}

pub fn coordinator(district: &str) -> String {
    token(
        &format!("coord-{district}"),
        &[Role::Coordinator],
        Some(district),
    )
}

pub fn dashboard() -> String {
    token("dash-1", &[Role::Dashboard], None)
}

/// A member of `district` in membership; its id.
pub async fn member(t: &Stack, name: &str, district: &str) -> String {
    let v = ok(
        t.post(
            "/api/v1/members",
            &admin(),
            &json!({"name": name, "gender": "female", "district": district, "phone": "13812341234"}),
        )
        .await,
        201,
    )
    .await;
    id(&v)
}

fn essentials() -> Value {
    let one = json!({"met": true});
    json!({"venue": one, "team": one, "rules": one, "signage": one, "duty_list": one, "funding": one})
}

/// A workroom in membership, left `applied`; its id.
pub async fn applied_workroom(t: &Stack, name: &str, district: &str, subdistrict: &str) -> String {
    let v = ok(
        t.post(
            "/api/v1/workrooms",
            &admin(),
            &json!({"name": name, "kind": "haoshangliang_studio", "district": district,
                    "subdistrict": subdistrict, "address": "莲花路1号", "latitude": 24.47,
                    "longitude": 118.11, "reception_days": ["monday"], "essentials": essentials()}),
        )
        .await,
        201,
    )
    .await;
    id(&v)
}

/// An active workroom (plaque awarded) in membership; its id.
pub async fn workroom(t: &Stack, name: &str, district: &str, subdistrict: &str) -> String {
    let w = applied_workroom(t, name, district, subdistrict).await;
    for step in [
        json!({"action": "inspect", "date": today(), "inspector": "专委会办公室", "passed": true}),
        json!({"action": "approve", "approved_by": "区政协党组", "date": today()}),
        json!({"action": "award_plaque", "date": today()}),
    ] {
        ok(
            t.post(
                &format!("/api/v1/workrooms/{w}/transitions"),
                &admin(),
                &step,
            )
            .await,
            200,
        )
        .await;
    }
    w
}

pub fn new_topic(title: &str, origin: &str) -> Value {
    json!({"title": title, "description": format!("{title}，居民反映较多"), "district": "siming",
           "subdistrict": "jialian", "category": "livelihood", "origin": origin})
}

/// Raise a topic as `token`; the created topic.
pub async fn raise(t: &Stack, token: &str, body: Value) -> Value {
    ok(t.post("/api/v1/topics", token, &body).await, 201).await
}

pub async fn topic_move(t: &Stack, token: &str, topic: &str, body: Value) -> Response {
    t.post(&format!("/api/v1/topics/{topic}/transitions"), token, &body)
        .await
}

/// The items of a list page.
pub async fn items(t: &Stack, path: &str, token: &str) -> Vec<Value> {
    let v = ok(t.get(path, token).await, 200).await;
    v["items"].as_array().unwrap().clone()
}

/// The ids of a list page's items.
pub async fn ids(t: &Stack, path: &str, token: &str) -> Vec<String> {
    items(t, path, token).await.iter().map(id).collect()
}

/// The personal-data reads the consultation service recorded, as an admin lists them.
pub async fn personal_data_reads(t: &Stack) -> Vec<Value> {
    items(
        t,
        "/api/v1/audit/consultation/personal-data-reads",
        &admin(),
    )
    .await
}

/// 422 naming `field` in its detail.
pub async fn refused_reference(r: Response, field: &str) {
    let p = problem(r, 422).await;
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.starts_with(&format!("{field}:")), "{detail}");
}

/// Plan a consultation in siming taking up `topics` with `members`; the created consultation.
pub async fn plan(t: &Stack, topics: &[&str], members: &[&str]) -> Value {
    ok(
        t.post(
            "/api/v1/consultations",
            &staff("siming"),
            &json!({"title": "停车难微协商", "district": "siming", "topics": topics,
                    "scheduled_on": today(), "place": "莲花社区议事厅", "format": "on_site",
                    "host": "莲花好商量工作室", "members": members, "residents_count": 12,
                    "resident_names": ["王小明", "欧阳娜娜"], "grassroots_units": ["莲花社区居委会"],
                    "departments": ["区交通运输局"]}),
        )
        .await,
        201,
    )
    .await
}

pub async fn consultation_move(t: &Stack, consultation: &str, body: Value) -> Response {
    t.post(
        &format!("/api/v1/consultations/{consultation}/transitions"),
        &staff("siming"),
        &body,
    )
    .await
}

/// A well-formed request for each consultation action, dated `on`.
pub fn consultation_action(name: &str, on: &str) -> Value {
    match name {
        "hold" => json!({"action": "hold", "date": on, "minutes": "居民、物业、交警共商",
                         "opinions": [{"text": "增设夜间临时停车位", "responsible_body": "区交通运输局"},
                                      {"text": "规范小区内部停车管理", "responsible_body": "莲花社区居委会"}]}),
        "submit" => json!({"action": "submit", "date": on,
                           "recipients": [{"body": "government", "due_on": on}],
                           "copies": [{"name": "区交通运输局"}]}),
        "follow_up" => json!({"action": "follow_up"}),
        "implement" => json!({"action": "implement", "date": on, "note": "已落实"}),
        "close_unresolved" => json!({"action": "close_unresolved", "date": on}),
        "cancel" => json!({"action": "cancel", "note": "改期"}),
        other => panic!("no action {other}"),
    }
}

/// The member's activity records in membership, as an admin lists them.
pub async fn credits(t: &Stack, member: &str) -> Vec<Value> {
    items(t, &format!("/api/v1/activities?member={member}"), &admin()).await
}

/// Wait until the member has `n` activity records (the relay delivers asynchronously).
pub async fn wait_for_credits(t: &Stack, member: &str, n: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let got = credits(t, member).await;
        if got.len() >= n {
            return got;
        }
        assert!(std::time::Instant::now() < deadline, "{member} has {got:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
