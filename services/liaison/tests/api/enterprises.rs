//! Taiwan enterprises, youth bases and associations: linked members checked through
//! membership, scope, filters and versions.

use crate::common::*;
use serde_json::json;

#[actix_web::test]
async fn enterprises_and_youth_bases_are_registered_with_their_members() {
    let t = TestStack::start().await;
    let m = t.member("陈委员", "huli").await;
    let far = t.member("林委员", "siming").await;
    let body = json!({"kind": "youth_base", "name": "湖里台青创业基地", "district": "huli",
                      "address": "湖里区殿前路8号", "sector": "文创", "contact_person": "李经理",
                      "members": [m]});
    let base = json_of(
        t.post("/api/v1/taiwan-enterprises", &staff("huli"), &body)
            .await,
        201,
    )
    .await;
    assert_eq!(base["kind"], "youth_base");
    assert_eq!(base["members"], json!([m]));
    let mut other = body.clone();
    other["kind"] = json!("enterprise");
    other["name"] = json!("台资电子厂");
    other["members"] = json!([]);
    json_of(
        t.post("/api/v1/taiwan-enterprises", &admin(), &other).await,
        201,
    )
    .await;

    // Linked members must be of the district; the district must exist.
    let mut bad = body.clone();
    bad["members"] = json!([m, far, "nope"]);
    let p = problem(
        t.post("/api/v1/taiwan-enterprises", &admin(), &bad).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["members[1]", "members[2]"]);
    let mut bad = body.clone();
    bad["district"] = json!("nowhere");
    bad["members"] = json!([]);
    let p = problem(
        t.post("/api/v1/taiwan-enterprises", &admin(), &bad).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["district"]);
    let mut bad = body.clone();
    bad["kind"] = json!("factory");
    problem(
        t.post("/api/v1/taiwan-enterprises", &admin(), &bad).await,
        400,
    )
    .await;
    problem(
        t.post(
            "/api/v1/taiwan-enterprises",
            &member_token(&m, "huli"),
            &body,
        )
        .await,
        403,
    )
    .await;

    // Youth bases are the kind youth_base; members find those they visit.
    let bases = json_of(
        t.get(
            "/api/v1/taiwan-enterprises?kind=youth_base",
            &member_token(&m, "huli"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(bases["items"].as_array().unwrap().len(), 1);
    let visits = json_of(
        t.get(
            &format!("/api/v1/taiwan-enterprises?member={m}"),
            &staff("huli"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(visits["items"][0]["id"], base["id"]);
    let all = json_of(
        t.get(
            "/api/v1/taiwan-enterprises",
            &token("dash", &[Role::Dashboard], None),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let none = json_of(
        t.get("/api/v1/taiwan-enterprises", &staff("siming")).await,
        200,
    )
    .await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
    let path = format!("/api/v1/taiwan-enterprises/{}", id(&base));
    problem(t.get(&path, &staff("siming")).await, 403).await;
    problem(t.get(&path, &resident("r1", "huli")).await, 403).await;

    // Versioned changes; members replaced.
    problem(
        t.patch(&path, &staff("huli"), None, &json!({"name": "x"}))
            .await,
        428,
    )
    .await;
    let v = json_of(
        t.patch(
            &path,
            &staff("huli"),
            Some("\"1\""),
            &json!({"members": [], "sector": null}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["members"], json!([]));
    assert_eq!(v["sector"], serde_json::Value::Null);
    problem(
        t.patch(&path, &staff("huli"), Some("\"1\""), &json!({"name": "x"}))
            .await,
        412,
    )
    .await;
    problem(
        t.patch(
            &path,
            &staff("siming"),
            Some("\"2\""),
            &json!({"name": "x"}),
        )
        .await,
        403,
    )
    .await;
    let p = problem(
        t.patch(&path, &admin(), Some("\"2\""), &json!({"members": [far]}))
            .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["members[0]"]);
    t.stop().await;
}
