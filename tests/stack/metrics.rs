//! What operators see on `/metrics` beyond requests: the database pool and the outbox on every
//! service, and the upstreams' circuits, attempts and retries on the gateway.

use crate::common::*;

async fn scrape(t: &TestStack, base: &str) -> String {
    t.client
        .get(format!("{base}/metrics"))
        .bearer_auth(admin())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[actix_web::test]
async fn metrics_cover_pools_outbox_and_upstreams() {
    let t = TestStack::start().await;
    // Some traffic through the gateway first.
    let r = t
        .client
        .get(t.url("/api/v1/districts"))
        .bearer_auth(admin())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for s in &t.stack.services {
        let text = scrape(&t, &s.url()).await;
        for family in [
            "xieshang_db_pool_in_use",
            "xieshang_db_pool_idle",
            "xieshang_db_pool_waiting",
            "xieshang_db_down",
            "xieshang_outbox_backlog",
            "xieshang_outbox_oldest_age_seconds",
            "xieshang_outbox_deliveries_total{service=",
        ] {
            assert!(text.contains(family), "{}: {family} in\n{text}", s.name);
        }
        assert!(text.contains("outcome=\"delivered\""), "{text}");
    }
    let text = scrape(&t, &t.stack.url()).await;
    for family in [
        "xieshang_db_pool_in_use",
        "xieshang_upstream_state{service=\"gateway\",target=\"membership\"",
        "xieshang_upstream_ready",
        "xieshang_upstream_outstanding",
        "xieshang_upstream_attempts_total",
        "xieshang_upstream_ejections_total",
        "xieshang_upstream_failures_total",
        "xieshang_upstream_retries_total{service=\"gateway\",target=\"membership\"} 0",
    ] {
        assert!(text.contains(family), "gateway: {family} in\n{text}");
    }
    t.stop().await;
}
