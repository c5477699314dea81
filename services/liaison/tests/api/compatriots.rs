//! Compatriots: masking of contact and document number by role and district, the audit of
//! unmasked reads, residents registering themselves, validation and versions.

use crate::common::*;
use serde_json::json;

#[actix_web::test]
async fn personal_data_is_masked_outside_the_districts_office_and_audited() {
    let t = TestStack::start().await;
    let c = t.compatriot("林台生", "huli").await;
    let path = format!("/api/v1/compatriots/{c}");
    let m = t.member("陈委员", "huli").await;

    // Whole for admins and the district's office staff.
    for (tok, sub) in [(admin(), "admin-1"), (staff("huli"), "staff-huli")] {
        let v = json_of(t.get(&path, &tok).await, 200).await;
        assert_eq!(v["contact"], "13900001111", "{sub}");
        assert_eq!(v["id_number"], "A123456789");
        assert_eq!(v["personal_masked"], false);
        assert_eq!(v["name"], "林台生");
    }
    // Masked for the district's coordinators and members, and for dashboards.
    let coordinator = token("coord-huli", &[Role::Coordinator], Some("huli"));
    let dashboard = token("dash", &[Role::Dashboard], None);
    for tok in [coordinator.clone(), member_token(&m, "huli"), dashboard] {
        let v = json_of(t.get(&path, &tok).await, 200).await;
        assert_eq!(v["contact"], "139****1111");
        assert_eq!(v["id_number"], "A*******89");
        assert_eq!(v["personal_masked"], true);
    }
    // Another district's office is outside its scope altogether; residents are not readers.
    problem(t.get(&path, &staff("siming")).await, 403).await;
    problem(t.get(&path, &resident("res-9", "huli")).await, 403).await;

    // The list masks the same way.
    let list = json_of(t.get("/api/v1/compatriots", &coordinator).await, 200).await;
    assert_eq!(list["items"][0]["contact"], "139****1111");
    let list = json_of(t.get("/api/v1/compatriots", &staff("huli")).await, 200).await;
    assert_eq!(list["items"][0]["contact"], "13900001111");
    problem(
        t.get("/api/v1/compatriots?district=huli", &staff("siming"))
            .await,
        403,
    )
    .await;
    let empty = json_of(t.get("/api/v1/compatriots", &staff("siming")).await, 200).await;
    assert_eq!(empty["items"].as_array().unwrap().len(), 0);

    // Every unmasked read by someone else is on record: two single reads and one list.
    let reads = personal_data_reads(&t, &format!("?subject_kind=compatriot&subject_id={c}")).await;
    let readers: Vec<&str> = reads
        .iter()
        .map(|r| r["reader"].as_str().unwrap())
        .collect();
    assert_eq!(readers, ["staff-huli", "staff-huli", "admin-1"]);
    assert_eq!(reads[0]["fields"], json!(["contact", "id_number"]));
    t.stop().await;
}

#[actix_web::test]
async fn a_resident_registers_and_sees_only_their_own_record() {
    let t = TestStack::start().await;
    let other = t.compatriot("王其他", "huli").await;
    let me = resident("res-1", "huli");
    let body = json!({"name": "张台青", "origin": "kinmen", "district": "huli",
                      "occupation": "设计师", "contact": "13700002222"});
    let created = json_of(t.post("/api/v1/compatriots", &me, &body).await, 201).await;
    assert_eq!(created["contact"], "13700002222");
    assert_eq!(created["self_registered"], true);
    let mine = id(&created);
    // Once only; in their own district only.
    problem(t.post("/api/v1/compatriots", &me, &body).await, 409).await;
    let elsewhere = json!({"name": "x", "origin": "taipei", "district": "siming"});
    problem(
        t.post(
            "/api/v1/compatriots",
            &resident("res-2", "huli"),
            &elsewhere,
        )
        .await,
        403,
    )
    .await;

    // Their own record, whole and unaudited; nobody else's.
    let v = json_of(
        t.get(&format!("/api/v1/compatriots/{mine}"), &me).await,
        200,
    )
    .await;
    assert_eq!(v["contact"], "13700002222");
    problem(
        t.get(&format!("/api/v1/compatriots/{other}"), &me).await,
        403,
    )
    .await;
    let list = json_of(t.get("/api/v1/compatriots", &me).await, 200).await;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [mine.as_str()]);

    // They edit their own record (not its district), not another's.
    let r = t
        .patch(
            &format!("/api/v1/compatriots/{mine}"),
            &me,
            Some("\"1\""),
            &json!({"contact": "13700003333"}),
        )
        .await;
    assert_eq!(json_of(r, 200).await["contact"], "13700003333");
    let r = t
        .patch(
            &format!("/api/v1/compatriots/{mine}"),
            &me,
            Some("\"2\""),
            &json!({"district": "siming"}),
        )
        .await;
    problem(r, 403).await;
    let r = t
        .patch(
            &format!("/api/v1/compatriots/{other}"),
            &me,
            Some("\"1\""),
            &json!({"name": "x"}),
        )
        .await;
    problem(r, 403).await;
    let reads = personal_data_reads(&t, &format!("?subject_id={mine}")).await;
    assert!(
        reads.is_empty(),
        "the compatriot reading their own data is no disclosure: {reads:?}"
    );
    t.stop().await;
}

#[actix_web::test]
async fn input_references_and_versions_are_checked() {
    let t = TestStack::start().await;
    let bad = json!({"name": " ", "origin": "taichung", "district": "huli",
                     "contact": "call me", "id_number": "12"});
    let p = problem(t.post("/api/v1/compatriots", &admin(), &bad).await, 400).await;
    assert_eq!(fields(&p), ["name", "contact", "id_number"]);
    let r = t
        .post(
            "/api/v1/compatriots",
            &admin(),
            &json!({"name": "x", "origin": "okinawa", "district": "huli"}),
        )
        .await;
    problem(r, 400).await;
    let nowhere = json!({"name": "林", "origin": "taichung", "district": "nowhere"});
    let p = problem(t.post("/api/v1/compatriots", &admin(), &nowhere).await, 422).await;
    assert_eq!(fields(&p), ["district"]);
    // Role before input: a member may not register anyone, whatever the body.
    let m = t.member("陈委员", "huli").await;
    problem(
        t.post("/api/v1/compatriots", &member_token(&m, "huli"), &bad)
            .await,
        403,
    )
    .await;
    problem(
        t.post(
            "/api/v1/compatriots",
            &staff("siming"),
            &json!({"name": "林", "origin": "taichung", "district": "huli"}),
        )
        .await,
        403,
    )
    .await;

    let c = t.compatriot("林台生", "huli").await;
    let path = format!("/api/v1/compatriots/{c}");
    problem(
        t.patch(&path, &staff("huli"), None, &json!({"name": "林二"}))
            .await,
        428,
    )
    .await;
    let v = json_of(
        t.patch(
            &path,
            &staff("huli"),
            Some("\"1\""),
            &json!({"name": "林二", "employer": null}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["version"], 2);
    assert_eq!(v["name"], "林二");
    problem(
        t.patch(
            &path,
            &staff("huli"),
            Some("\"1\""),
            &json!({"name": "林三"}),
        )
        .await,
        412,
    )
    .await;
    problem(
        t.patch(
            &path,
            &staff("siming"),
            Some("\"2\""),
            &json!({"name": "林三"}),
        )
        .await,
        403,
    )
    .await;
    let p = problem(
        t.patch(
            &path,
            &admin(),
            Some("\"2\""),
            &json!({"district": "nowhere"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["district"]);
    t.stop().await;
}

#[actix_web::test]
async fn compatriots_and_enterprises_are_found_by_name() {
    let t = TestStack::start().await;
    let lin = t.compatriot("林志明", "huli").await;
    t.compatriot("王小美", "huli").await;
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    };
    let found = json_of(
        t.get("/api/v1/compatriots?q=志明", &staff("huli")).await,
        200,
    )
    .await;
    assert_eq!(names(&found), ["林志明"]);
    // Renamed: found by the new name only.
    t.patch(
        &format!("/api/v1/compatriots/{lin}"),
        &admin(),
        Some("\"1\""),
        &json!({"name": "林建国"}),
    )
    .await;
    let found = json_of(
        t.get("/api/v1/compatriots?q=志明", &staff("huli")).await,
        200,
    )
    .await;
    assert!(names(&found).is_empty());
    let found = json_of(
        t.get("/api/v1/compatriots?q=建国", &staff("huli")).await,
        200,
    )
    .await;
    assert_eq!(names(&found), ["林建国"]);
    // Scope still applies to a search.
    let found = json_of(
        t.get("/api/v1/compatriots?q=建国", &staff("siming")).await,
        200,
    )
    .await;
    assert!(names(&found).is_empty());
    // Nothing to search for: schema-valid, so 422.
    let p = problem(
        t.get("/api/v1/compatriots?q=%20-", &staff("huli")).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["q"]);

    for name in ["湖里台青创业基地", "台资电子厂"] {
        let body =
            json!({"kind": "youth_base", "name": name, "district": "huli", "address": "湖里区1号"});
        json_of(
            t.post("/api/v1/taiwan-enterprises", &admin(), &body).await,
            201,
        )
        .await;
    }
    let found = json_of(
        t.get("/api/v1/taiwan-enterprises?q=台青", &staff("huli"))
            .await,
        200,
    )
    .await;
    assert_eq!(names(&found), ["湖里台青创业基地"]);
    t.stop().await;
}
