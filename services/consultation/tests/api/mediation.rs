//! Mediation cases through the gateway: the lifecycle and every illegal move, sessions, days
//! taken, mediators' credits, parties masked outside the district's staff and mediators.

use crate::common::*;
use serde_json::{Value, json};

fn new_case(mediators: &[&str], received_on: &str) -> Value {
    json!({"district": "siming", "dispute_type": "work_injury", "summary": "装修工人工伤赔偿纠纷",
           "parties": [{"name": "张三", "contact": "13811112222", "role": "applicant"},
                       {"name": "欧阳娜娜", "contact": "13933334444", "role": "respondent"}],
           "mediators": mediators, "received_on": received_on})
}

async fn case_move(t: &Stack, token: &str, case: &str, body: Value) -> reqwest::Response {
    t.post(
        &format!("/api/v1/mediation-cases/{case}/transitions"),
        token,
        &body,
    )
    .await
}

fn action(name: &str, on: &str) -> Value {
    match name {
        "start" => json!({"action": "start", "date": on}),
        "sign_agreement" => {
            json!({"action": "sign_agreement", "date": on, "summary": "一次性赔偿8万元"})
        }
        "fail" => json!({"action": "fail", "date": on, "note": "双方分歧过大"}),
        "refer" => json!({"action": "refer", "date": on, "referred_to": "arbitration"}),
        other => panic!("no action {other}"),
    }
}

#[actix_web::test]
async fn a_work_injury_dispute_mediated_in_five_days() {
    let t = Stack::start().await;
    let w = workroom(&t, "政协+调解室", "siming", "jialian").await;
    let m1 = member(&t, "林委员", "siming").await;
    let m2 = member(&t, "黄委员", "siming").await;
    let other = member(&t, "郑委员", "siming").await;
    let mut body = new_case(&[&m1, &m2], &days_ago(5));
    body["workroom"] = json!(w);
    let c = ok(
        t.post("/api/v1/mediation-cases", &staff("siming"), &body)
            .await,
        201,
    )
    .await;
    let cid = id(&c);
    assert_eq!(c["status"], "received");
    assert_eq!(c["subdistrict"], "jialian");
    assert_eq!(c["allowed_actions"], json!(["start", "refer"]));
    assert_eq!(c["parties"][0]["name"], "张三");

    // A mediator starts it and records a session; a member who is not one may not.
    ok(
        case_move(
            &t,
            &member_token(&m1, "siming"),
            &cid,
            action("start", &days_ago(5)),
        )
        .await,
        200,
    )
    .await;
    let session = json!({"date": days_ago(3), "note": "双方当面协商"});
    problem(
        t.post(
            &format!("/api/v1/mediation-cases/{cid}/sessions"),
            &member_token(&other, "siming"),
            &session,
        )
        .await,
        403,
    )
    .await;
    let v = ok(
        t.post(
            &format!("/api/v1/mediation-cases/{cid}/sessions"),
            &member_token(&m2, "siming"),
            &session,
        )
        .await,
        201,
    )
    .await;
    assert_eq!(v["sessions"][0]["note"], "双方当面协商");
    problem(
        t.post(
            &format!("/api/v1/mediation-cases/{cid}/sessions"),
            &admin(),
            &json!({"date": days_ago(9), "note": "x"}),
        )
        .await,
        // Before the case was received: a stored date decides, so 422.
        422,
    )
    .await;
    // Agreement signed today: five days taken, each mediator credited once.
    let v = ok(
        case_move(
            &t,
            &staff("siming"),
            &cid,
            action("sign_agreement", &today()),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["status"], "agreement_signed");
    assert_eq!(v["days_taken"], 5);
    assert_eq!(v["agreement_summary"], "一次性赔偿8万元");
    assert_eq!(v["allowed_actions"], json!([]));
    for m in [&m1, &m2] {
        let got = wait_for_credits(&t, m, 1).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["type"], "mediation");
        assert_eq!(got[0]["problems_solved"], 1);
        assert_eq!(got[0]["beneficiaries"], 2);
    }
    assert!(credits(&t, &other).await.is_empty());
    problem(
        t.post(
            &format!("/api/v1/mediation-cases/{cid}/sessions"),
            &admin(),
            &session,
        )
        .await,
        409,
    )
    .await;
    problem(
        t.patch(
            &format!("/api/v1/mediation-cases/{cid}"),
            &admin(),
            &json!({"summary": "x", "version": 4}),
        )
        .await,
        409,
    )
    .await;

    // The history: every step, never the parties.
    let h = items(
        &t,
        &format!("/api/v1/mediation-cases/{cid}/history"),
        &staff("siming"),
    )
    .await;
    let steps: Vec<&str> = h.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(steps, ["receive", "start", "sign_agreement"]);
    let text = serde_json::to_string(&h).unwrap();
    assert!(
        !text.contains("张三") && !text.contains("13811112222"),
        "{text}"
    );
    t.stop().await;
}

#[actix_web::test]
async fn every_illegal_mediation_transition_is_409() {
    let t = Stack::start().await;
    let m = member(&t, "林委员", "siming").await;
    const ACTIONS: [&str; 4] = ["start", "sign_agreement", "fail", "refer"];
    let cases: [(&str, &[&str], &[&str]); 5] = [
        ("received", &[], &["start", "refer"]),
        (
            "in_mediation",
            &["start"],
            &["sign_agreement", "fail", "refer"],
        ),
        ("agreement_signed", &["start", "sign_agreement"], &[]),
        ("failed", &["start", "fail"], &[]),
        ("referred", &["refer"], &[]),
    ];
    for (state, path, allowed) in cases {
        let cid = id(&ok(
            t.post(
                "/api/v1/mediation-cases",
                &staff("siming"),
                &new_case(&[&m], &days_ago(2)),
            )
            .await,
            201,
        )
        .await);
        for step in path {
            ok(
                case_move(&t, &staff("siming"), &cid, action(step, &today())).await,
                200,
            )
            .await;
        }
        let v = ok(
            t.get(&format!("/api/v1/mediation-cases/{cid}"), &admin())
                .await,
            200,
        )
        .await;
        assert_eq!(v["status"], state);
        for a in ACTIONS {
            if allowed.contains(&a) {
                continue;
            }
            let p = problem(
                case_move(&t, &staff("siming"), &cid, action(a, &today())).await,
                409,
            )
            .await;
            assert_eq!(p["allowed_actions"], json!(allowed), "{state} --{a}");
        }
        if state == "referred" {
            assert_eq!(v["referred_to"], "arbitration");
            assert_eq!(v["days_taken"], 2);
        }
    }
    // Fields each action needs; dates not before the case.
    let cid = id(&ok(
        t.post(
            "/api/v1/mediation-cases",
            &staff("siming"),
            &new_case(&[&m], &days_ago(2)),
        )
        .await,
        201,
    )
    .await);
    let p = problem(
        case_move(
            &t,
            &staff("siming"),
            &cid,
            json!({"action": "refer", "date": today()}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["referred_to"]);
    problem(
        case_move(&t, &staff("siming"), &cid, action("start", &days_ago(4))).await,
        422,
    )
    .await;
    problem(
        case_move(&t, &staff("huli"), &cid, action("start", &today())).await,
        403,
    )
    .await;
    problem(
        case_move(
            &t,
            &member_token(&m, "siming"),
            "nothing",
            action("start", &today()),
        )
        .await,
        404,
    )
    .await;
    problem(
        case_move(&t, &resident("r"), &cid, action("start", &today())).await,
        403,
    )
    .await;
    t.stop().await;
}

#[actix_web::test]
async fn parties_are_masked_outside_the_districts_staff_and_mediators() {
    let t = Stack::start().await;
    let mediator = member(&t, "林委员", "siming").await;
    let other = member(&t, "郑委员", "siming").await;
    let huli_member = member(&t, "陈委员", "huli").await;
    let huli_room = workroom(&t, "殿前工作室", "huli", "dianqian").await;
    let c = ok(
        t.post(
            "/api/v1/mediation-cases",
            &coordinator("siming"),
            &new_case(&[&mediator], &today()),
        )
        .await,
        201,
    )
    .await;
    let cid = id(&c);
    let path = format!("/api/v1/mediation-cases/{cid}");

    let whole = |v: &Value| {
        v["parties"][1]["name"] == "欧阳娜娜" && v["parties"][1]["contact"] == "13933334444"
    };
    assert!(whole(&ok(t.get(&path, &staff("siming")).await, 200).await));
    assert!(whole(
        &ok(t.get(&path, &member_token(&mediator, "siming")).await, 200).await
    ));
    let before = personal_data_reads(&t).await.len();
    assert!(whole(&ok(t.get(&path, &admin()).await, 200).await));
    let reads = personal_data_reads(&t).await;
    assert_eq!(reads.len(), before + 1);
    assert_eq!(reads[0]["subject_kind"], "mediation_parties");
    assert_eq!(reads[0]["subject_id"], cid.as_str());
    for token in [member_token(&other, "siming"), dashboard()] {
        let v = ok(t.get(&path, &token).await, 200).await;
        assert_eq!(v["parties"][0]["name"], "张*");
        assert_eq!(v["parties"][1]["name"], "欧阳**");
        assert_eq!(v["parties"][1]["contact"], "139****4444");
        assert_eq!(v["parties_masked"], true);
        assert_eq!(v["allowed_actions"], json!([]));
        let listed = items(&t, "/api/v1/mediation-cases", &token).await;
        assert_eq!(listed[0]["parties"][0]["name"], "张*");
    }
    assert_eq!(personal_data_reads(&t).await.len(), before + 1);

    // Scope.
    problem(t.get(&path, &staff("huli")).await, 403).await;
    problem(t.get(&path, &resident("r")).await, 403).await;
    problem(
        t.get("/api/v1/mediation-cases?district=siming", &staff("huli"))
            .await,
        403,
    )
    .await;
    assert!(
        ids(&t, "/api/v1/mediation-cases", &staff("huli"))
            .await
            .is_empty()
    );
    assert_eq!(
        ids(
            &t,
            &format!("/api/v1/mediation-cases?mediator={mediator}"),
            &admin()
        )
        .await,
        std::slice::from_ref(&cid)
    );
    assert_eq!(
        ids(
            &t,
            "/api/v1/mediation-cases?dispute_type=work_injury&status=received",
            &admin()
        )
        .await,
        std::slice::from_ref(&cid)
    );
    problem(
        t.get("/api/v1/mediation-cases/nothing", &admin()).await,
        404,
    )
    .await;

    // References and input.
    refused_reference(
        t.post(
            "/api/v1/mediation-cases",
            &staff("siming"),
            &new_case(&[&huli_member], &today()),
        )
        .await,
        "mediators[0]",
    )
    .await;
    let mut body = new_case(&[&mediator], &today());
    body["workroom"] = json!(huli_room);
    refused_reference(
        t.post("/api/v1/mediation-cases", &staff("siming"), &body)
            .await,
        "workroom",
    )
    .await;
    let mut body = new_case(&[], &days_ahead(2));
    body["parties"] = json!([{"name": "张三", "contact": "abc"}]);
    let p = problem(
        t.post("/api/v1/mediation-cases", &staff("siming"), &body)
            .await,
        400,
    )
    .await;
    assert_eq!(
        fields(&p),
        ["received_on", "parties[0].contact", "mediators"]
    );
    problem(
        t.post(
            "/api/v1/mediation-cases",
            &member_token(&mediator, "siming"),
            &new_case(&[&mediator], &today()),
        )
        .await,
        403,
    )
    .await;

    // Edits: versioned, by staff and mediators.
    problem(
        t.patch(
            &path,
            &member_token(&other, "siming"),
            &json!({"summary": "x", "version": 1}),
        )
        .await,
        403,
    )
    .await;
    problem(
        t.patch(&path, &staff("siming"), &json!({"summary": "x"}))
            .await,
        428,
    )
    .await;
    let v = ok(t.patch(&path, &member_token(&mediator, "siming"), &json!({"summary": "工伤赔偿纠纷（补充）", "mediators": [mediator, other], "version": 1})).await, 200).await;
    assert_eq!(v["mediators"].as_array().unwrap().len(), 2);
    problem(
        t.patch(
            &path,
            &staff("siming"),
            &json!({"summary": "x", "version": 1}),
        )
        .await,
        412,
    )
    .await;
    t.stop().await;
}
