use crate::common::*;
use std::time::Duration;

#[actix_web::test]
async fn every_service_answers_health_readiness_and_metrics() {
    let t = TestStack::start().await;
    let mut urls: Vec<String> = t.stack.services.iter().map(|s| s.url()).collect();
    urls.push(t.stack.url());
    for base in urls {
        let r = t
            .client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{base}/healthz");
        let r = t.client.get(format!("{base}/readyz")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{base}/readyz");
        assert!(r.headers().contains_key("x-request-id"));
        let r = t
            .client
            .get(format!("{base}/metrics"))
            // The gateway's metrics are for operators; services' are on the internal network.
            .bearer_auth(admin())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        assert!(
            text.contains("xieshang_http_requests_total"),
            "{base}/metrics: {text}"
        );
        assert!(
            text.contains("route=\"/readyz\""),
            "{base}/metrics counts by route"
        );
    }
    t.stop().await;
}

#[actix_web::test]
async fn request_ids_are_kept_when_sane_and_replaced_otherwise() {
    let t = TestStack::start().await;
    let membership = t.stack.service_url("membership").unwrap();
    let r = t
        .client
        .get(format!("{membership}/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    let r = t
        .client
        .get(format!("{membership}/healthz"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(r.headers()["x-request-id"], "bad id with spaces");
    t.stop().await;
}

/// A service whose database goes away answers /readyz 503 promptly, and is ready again once
/// the database is back, without a restart. (PostgreSQL only: an open SQLite file cannot be
/// taken away from the process that holds it.)
#[actix_web::test]
async fn readiness_follows_the_database() {
    let t = TestStack::start().await;
    let Some((admin_url, db_name)) = t.dbs["membership"].admin_url() else {
        t.stop().await;
        return;
    };
    use diesel::Connection;
    use diesel::connection::SimpleConnection;
    let mut server = diesel::PgConnection::establish(admin_url).unwrap();
    let readyz = format!("{}/readyz", t.stack.service_url("membership").unwrap());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    assert_eq!(client.get(&readyz).send().await.unwrap().status(), 200);

    server
        .batch_execute(&format!(
            "ALTER DATABASE {db_name} ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db_name}';"
        ))
        .unwrap();
    // The client timeout bounds "promptly": the answer must come well within it.
    let r = client
        .get(&readyz)
        .send()
        .await
        .expect("answers while the database is gone");
    problem(r, 503).await;
    // A request that needs the database also fails fast with 503, not a hang or a 500.
    let r = t.get("/api/v1/districts", &admin()).await;
    problem(r, 503).await;

    server
        .batch_execute(&format!("ALTER DATABASE {db_name} ALLOW_CONNECTIONS true"))
        .unwrap();
    let mut ready = false;
    for _ in 0..40 {
        if client
            .get(&readyz)
            .send()
            .await
            .map(|r| r.status() == 200)
            .unwrap_or(false)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(ready, "readiness recovers when the database returns");
    assert_eq!(t.get("/api/v1/districts", &admin()).await.status(), 200);
    t.stop().await;
}
