//! The reference checks other services make (`/internal/v1/members/{id}`,
//! `/internal/v1/workrooms/{id}`), called the way they call them: through the kit's
//! `ServiceClient`.

use crate::common::*;
use serde_json::{Value, json};
use xs_kit::Role;
use xs_kit::client::{ClientConfig, ServiceClient, ServiceTokens, Targets};
use xs_kit::contracts::{MemberRef, WorkroomRef};

/// The client another service (here: consultation) would hold, pointed at this membership.
fn client_of(t: &TestStack) -> ServiceClient {
    let targets = Targets::new();
    targets.set("membership", vec![t.service_url()]);
    ServiceClient::new(
        "consultation",
        ClientConfig::new(
            targets,
            ServiceTokens::Local(xs_testkit::test_signing_key()),
        ),
    )
    .unwrap()
}

async fn created(r: reqwest::Response) -> Value {
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{v}");
    v
}

#[actix_web::test]
async fn other_services_check_members_and_workrooms_by_reference() {
    let t = TestStack::start().await;
    t.seed().await;
    let mut body = new_member("台籍委员", "huli");
    body["taiwan_origin"] = json!(true);
    body["sector"] = json!("economy");
    let m = created(t.post("/api/v1/members", &admin(), &body).await).await;
    let w = created(
        t.post(
            "/api/v1/workrooms",
            &admin(),
            &json!({"name": "嘉莲好商量工作室", "kind": "haoshangliang_studio",
                    "district": "siming", "subdistrict": "jialian", "address": "莲花路1号",
                    "latitude": 24.48, "longitude": 118.13}),
        )
        .await,
    )
    .await;
    let client = client_of(&t);

    let member = client.member(m["id"].as_str().unwrap()).await.unwrap();
    assert_eq!(
        member,
        Some(MemberRef {
            id: m["id"].as_str().unwrap().into(),
            name: "台籍委员".into(),
            district: "huli".into(),
            status: "active".into(),
            taiwan_origin: true,
            sector: Some("economy".into()),
        })
    );
    let workroom = client.workroom(w["id"].as_str().unwrap()).await.unwrap();
    assert_eq!(
        workroom,
        Some(WorkroomRef {
            id: w["id"].as_str().unwrap().into(),
            name: "嘉莲好商量工作室".into(),
            district: "siming".into(),
            subdistrict: "jialian".into(),
            kind: "haoshangliang_studio".into(),
            status: "applied".into(),
        })
    );

    // Missing references are None (the caller's field error), whatever the id looks like.
    for id in ["no-such-member", "..", "a/b", "", "x?y=1"] {
        assert_eq!(client.member(id).await.unwrap(), None, "{id:?}");
        assert_eq!(client.workroom(id).await.unwrap(), None, "{id:?}");
    }
    // The client answers the caller with a field error it builds itself.
    let e = client
        .member("ghost")
        .await
        .unwrap()
        .ok_or_else(|| xs_kit::ApiError::field("member", "no such member"))
        .unwrap_err();
    assert!(matches!(e, xs_kit::ApiError::Validation(_)));
    t.stop().await;
}

#[actix_web::test]
async fn reference_endpoints_answer_service_tokens_only() {
    let t = TestStack::start().await;
    t.seed().await;
    let m = created(
        t.post("/api/v1/members", &admin(), &new_member("林委员", "siming"))
            .await,
    )
    .await;
    let path = format!("/internal/v1/members/{}", m["id"].as_str().unwrap());
    let direct = format!("{}{path}", t.service_url());
    let service = xs_testkit::token("service:reports", &[Role::Service], None);

    let r = t
        .client
        .get(&direct)
        .bearer_auth(&service)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["district"], "siming");
    assert!(v.get("phone").is_none(), "no contact details: {v}");

    let r = t
        .client
        .get(&direct)
        .bearer_auth(admin())
        .send()
        .await
        .unwrap();
    problem(r, 403).await;
    let r = t.client.get(&direct).send().await.unwrap();
    problem(r, 401).await;
    let r = t
        .client
        .get(format!("{}/internal/v1/workrooms/none", t.service_url()))
        .bearer_auth(&service)
        .send()
        .await
        .unwrap();
    problem(r, 404).await;
    // The gateway does not route /internal at all.
    let r = t.get(&path, &service).await;
    problem(r, 404).await;
    t.stop().await;
}
