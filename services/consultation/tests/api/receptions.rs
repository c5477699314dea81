//! Visitor receptions through the gateway: recording (became_topic in the same request,
//! became_report checked with a fake reports service), credits, visitor masking, scope, and
//! the internal reference endpoint.

use crate::common::*;
use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

/// A stand-in for the reports service's internal endpoint: `r-siming` is a siming report,
/// `r-huli` a huli one, anything else 404.
async fn fake_reports() -> (String, actix_web::dev::ServerHandle) {
    async fn report(id: web::Path<String>) -> HttpResponse {
        let district = match id.as_str() {
            "r-siming" => "siming",
            "r-huli" => "huli",
            _ => return HttpResponse::NotFound().finish(),
        };
        HttpResponse::Ok().json(json!({"id": id.as_str(), "title": "关于停车难的建议",
                                       "district": district, "status": "draft"}))
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server =
        HttpServer::new(|| App::new().route("/internal/v1/reports/{id}", web::get().to(report)))
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (url, handle)
}

fn reception(workroom: &str, members: &[&str], handling: &str) -> Value {
    json!({"workroom": workroom, "date": today(), "members": members,
           "visitor": {"name": "王小明", "contact": "13900001111"},
           "channel": "visit", "category": "legal_consultation",
           "concern": "工伤赔偿如何申请", "handling": handling})
}

#[actix_web::test]
async fn receptions_are_recorded_credited_and_masked() {
    let t = Stack::start().await;
    let w = workroom(&t, "莲花好商量", "siming", "jialian").await;
    let m1 = member(&t, "林委员", "siming").await;
    let m2 = member(&t, "黄委员", "siming").await;
    let huli_member = member(&t, "陈委员", "huli").await;

    // Answered, by staff.
    let r = ok(
        t.post(
            "/api/v1/receptions",
            &staff("siming"),
            &reception(&w, &[&m1], "answered"),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(r["district"], "siming");
    assert_eq!(r["subdistrict"], "jialian");
    assert_eq!(r["visitor_contact"], "13900001111");
    // Became a topic, recorded by a receiving member: the topic exists with it.
    let mut body = reception(&w, &[&m1, &m2], "became_topic");
    body["topic"] = json!({"title": "工伤认定难", "category": "legal"});
    body["channel"] = json!("hotline");
    let r2 = ok(
        t.post("/api/v1/receptions", &member_token(&m2, "siming"), &body)
            .await,
        201,
    )
    .await;
    let topic = r2["topic"].as_str().unwrap().to_string();
    let v = ok(
        t.get(&format!("/api/v1/topics/{topic}"), &staff("siming"))
            .await,
        200,
    )
    .await;
    assert_eq!(v["origin"], "public");
    assert_eq!(v["workroom"], w.as_str());
    assert_eq!(v["contact_name"], "王小明");
    assert_eq!(v["description"], "工伤赔偿如何申请");
    assert_eq!(v["status"], "open");

    // Credits: one per receiving member per reception.
    assert_eq!(wait_for_credits(&t, &m1, 2).await.len(), 2);
    let got = wait_for_credits(&t, &m2, 1).await;
    assert_eq!(got[0]["type"], "reception");

    // Who may record: staff of the district, or a member among those receiving.
    problem(
        t.post(
            "/api/v1/receptions",
            &member_token(&m1, "siming"),
            &reception(&w, &[&m2], "answered"),
        )
        .await,
        403,
    )
    .await;
    problem(
        t.post(
            "/api/v1/receptions",
            &staff("huli"),
            &reception(&w, &[&m1], "answered"),
        )
        .await,
        403,
    )
    .await;
    problem(
        t.post(
            "/api/v1/receptions",
            &resident("r"),
            &reception(&w, &[&m1], "answered"),
        )
        .await,
        403,
    )
    .await;
    problem(
        t.post(
            "/api/v1/receptions",
            &dashboard(),
            &reception(&w, &[&m1], "answered"),
        )
        .await,
        403,
    )
    .await;
    // References.
    refused_reference(
        t.post(
            "/api/v1/receptions",
            &staff("siming"),
            &reception("nowhere", &[&m1], "answered"),
        )
        .await,
        "workroom",
    )
    .await;
    refused_reference(
        t.post(
            "/api/v1/receptions",
            &staff("siming"),
            &reception(&w, &[&m1, &huli_member], "answered"),
        )
        .await,
        "members[1]",
    )
    .await;
    // Handling needs its detail, and only its own.
    let p = problem(
        t.post(
            "/api/v1/receptions",
            &staff("siming"),
            &reception(&w, &[&m1], "referred"),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["referred_to"]);
    let mut body = reception(&w, &[&m1], "answered");
    body["report"] = json!("r-siming");
    body["date"] = json!(days_ahead(3));
    let p = problem(
        t.post("/api/v1/receptions", &staff("siming"), &body).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["date", "report"]);
    let mut body = reception(&w, &[&m1], "referred");
    body["referred_to"] = json!("区人社局");
    body["channel"] = json!("mailbox");
    body["category"] = json!("dispute");
    ok(
        t.post("/api/v1/receptions", &staff("siming"), &body).await,
        201,
    )
    .await;

    // The visitor: whole for staff and the receiving members, masked for integrations.
    let rid = id(&r);
    let v = ok(
        t.get(
            &format!("/api/v1/receptions/{rid}"),
            &member_token(&m1, "siming"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["visitor_name"], "王小明");
    let v = ok(
        t.get(&format!("/api/v1/receptions/{rid}"), &dashboard())
            .await,
        200,
    )
    .await;
    assert_eq!(v["visitor_name"], "王**");
    assert_eq!(v["visitor_contact"], "139****1111");
    assert_eq!(v["visitor_masked"], true);
    let before = personal_data_reads(&t).await.len();
    ok(
        t.get(&format!("/api/v1/receptions/{rid}"), &coordinator("siming"))
            .await,
        200,
    )
    .await;
    let reads = personal_data_reads(&t).await;
    assert_eq!(reads.len(), before + 1);
    assert_eq!(reads[0]["subject_kind"], "reception_visitor");

    // Scope: members see the receptions they took part in; other districts nothing.
    problem(
        t.get(
            &format!("/api/v1/receptions/{rid}"),
            &member_token(&m2, "siming"),
        )
        .await,
        403,
    )
    .await;
    problem(
        t.get(&format!("/api/v1/receptions/{rid}"), &staff("huli"))
            .await,
        403,
    )
    .await;
    problem(
        t.get("/api/v1/receptions?district=siming", &staff("huli"))
            .await,
        403,
    )
    .await;
    problem(
        t.get(
            &format!("/api/v1/receptions?member={m1}"),
            &member_token(&m2, "siming"),
        )
        .await,
        403,
    )
    .await;
    problem(
        t.get("/api/v1/receptions/nothing", &staff("siming")).await,
        404,
    )
    .await;
    assert_eq!(
        ids(&t, "/api/v1/receptions", &member_token(&m2, "siming")).await,
        [id(&r2)]
    );
    assert_eq!(
        ids(&t, "/api/v1/receptions", &staff("siming")).await.len(),
        3
    );
    assert!(
        ids(&t, "/api/v1/receptions", &staff("huli"))
            .await
            .is_empty()
    );
    assert_eq!(
        ids(&t, "/api/v1/receptions?channel=hotline", &admin()).await,
        [id(&r2)]
    );
    assert_eq!(
        ids(
            &t,
            "/api/v1/receptions?handling=became_topic&category=legal_consultation",
            &dashboard()
        )
        .await,
        [id(&r2)]
    );
    assert_eq!(
        ids(
            &t,
            &format!("/api/v1/receptions?from={}", days_ahead(1)),
            &admin()
        )
        .await
        .len(),
        0
    );

    // The internal reference: service tokens only, no visitor data.
    let internal = format!("{}/internal/v1/receptions/{rid}", t.service_url());
    let svc = token("service:reports", &[Role::Service], None);
    let v: Value = ok(
        t.client
            .get(&internal)
            .bearer_auth(&svc)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(
        v,
        json!({"id": rid, "district": "siming", "workroom": w, "date": today(), "members": [m1]})
    );
    problem(
        t.client
            .get(&internal)
            .bearer_auth(staff("siming"))
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    let missing = format!("{}/internal/v1/receptions/nothing", t.service_url());
    problem(
        t.client
            .get(&missing)
            .bearer_auth(&svc)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    // The gateway does not route /internal.
    assert_eq!(
        t.get(&format!("/internal/v1/receptions/{rid}"), &svc)
            .await
            .status(),
        404
    );
    t.stop().await;
}

#[actix_web::test]
async fn a_reception_that_became_a_report_is_checked_with_the_reports_service() {
    let t = Stack::start().await;
    let w = workroom(&t, "莲花好商量", "siming", "jialian").await;
    let m = member(&t, "林委员", "siming").await;
    let mut body = reception(&w, &[&m], "became_report");
    body["report"] = json!("r-siming");
    // No reports service reachable: 503, nothing written.
    problem(
        t.post("/api/v1/receptions", &staff("siming"), &body).await,
        503,
    )
    .await;
    assert!(ids(&t, "/api/v1/receptions", &admin()).await.is_empty());

    let (url, server) = fake_reports().await;
    t.targets.set("reports", vec![url]);
    let r = ok(
        t.post("/api/v1/receptions", &staff("siming"), &body).await,
        201,
    )
    .await;
    assert_eq!(r["report"], "r-siming");
    assert_eq!(r["handling"], "became_report");
    body["report"] = json!("r-huli");
    refused_reference(
        t.post("/api/v1/receptions", &staff("siming"), &body).await,
        "report",
    )
    .await;
    body["report"] = json!("r-none");
    refused_reference(
        t.post("/api/v1/receptions", &staff("siming"), &body).await,
        "report",
    )
    .await;
    server.stop(true).await;
    t.stop().await;
}
