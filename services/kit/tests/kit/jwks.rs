//! Token keys fetched from the gateway's JWKS: right after a service starts, a burst of
//! requests with a key id it has not seen yet all wait for one fetch and all pass.

use actix_web::{App, HttpResponse, HttpServer, web};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use xs_kit::auth::{KeySource, Verifier};
use xs_kit::service::{DEFAULT_AUDIENCE, DEFAULT_ISSUER, Running};
use xs_testkit::{admin, test_key};

/// A JWKS endpoint that is slow to answer (so that requests overlap the fetch), counting
/// fetches.
async fn slow_jwks() -> (Running, Arc<AtomicUsize>) {
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = web::Data::from(fetches.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(counter.clone())
            .default_service(web::to(|n: web::Data<AtomicUsize>| async move {
                n.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(300)).await;
                HttpResponse::Ok().json(xs_kit::keys::jwks(std::slice::from_ref(test_key())))
            }))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    (Running::spawn("jwks", addr, server), fetches)
}

#[actix_web::test]
async fn concurrent_first_requests_wait_for_one_jwks_fetch() {
    let (server, fetches) = slow_jwks().await;
    let verifier = Arc::new(Verifier::new(
        KeySource::Url(format!("{}/.well-known/jwks.json", server.url())),
        DEFAULT_ISSUER,
        DEFAULT_AUDIENCE,
    ));
    let checks = (0..32).map(|_| {
        let verifier = verifier.clone();
        // Distinct tokens, so none is answered from the verified-token memory.
        let token = admin();
        tokio::spawn(async move { verifier.verify(&token).await })
    });
    let results = futures_util::future::join_all(checks).await;
    for r in results {
        r.unwrap().expect("every request of the burst is verified");
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "one fetch for the burst");
    server.stop().await;
}
