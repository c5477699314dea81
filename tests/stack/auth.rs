//! Services verify tokens themselves: a request that bypasses the gateway gets no further.

use crate::common::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use xs_kit::Role;
use xs_testkit::{claims, sign};

fn b64(v: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

#[actix_web::test]
async fn services_reject_bad_tokens_directly() {
    let t = TestStack::start().await;
    let base = t.stack.service_url("membership").unwrap();
    let get = |token: Option<String>| {
        let mut r = t.client.get(format!("{base}/api/v1/districts"));
        if let Some(tok) = token {
            r = r.bearer_auth(tok);
        }
        r.send()
    };
    assert_eq!(
        get(Some(admin())).await.unwrap().status(),
        200,
        "a good token passes"
    );
    problem(get(None).await.unwrap(), 401).await;

    let c = serde_json::to_value(claims("u", &[Role::Admin], None)).unwrap();
    // alg: none
    let none = format!(
        "{}.{}.",
        b64(&serde_json::json!({"alg": "none", "kid": "test-key"})),
        b64(&c)
    );
    problem(get(Some(none)).await.unwrap(), 401).await;
    // HS256 signed with the public key as the HMAC secret.
    let public = serde_json::to_vec(&xs_testkit::test_key().jwk).unwrap();
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    h.kid = Some("test-key".into());
    let hs =
        jsonwebtoken::encode(&h, &c, &jsonwebtoken::EncodingKey::from_secret(&public)).unwrap();
    problem(get(Some(hs)).await.unwrap(), 401).await;
    // Unknown kid, tampered payload, expired, wrong audience, wrong issuer, not yet valid.
    let good = admin();
    let parts: Vec<&str> = good.split('.').collect();
    let mut header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    header["kid"] = "other-key".into();
    problem(
        get(Some(format!("{}.{}.{}", b64(&header), parts[1], parts[2])))
            .await
            .unwrap(),
        401,
    )
    .await;
    let mut tampered = c.clone();
    tampered["sub"] = "someone-else".into();
    problem(
        get(Some(format!(
            "{}.{}.{}",
            parts[0],
            b64(&tampered),
            parts[2]
        )))
        .await
        .unwrap(),
        401,
    )
    .await;
    let now = chrono::Utc::now().timestamp();
    let mut expired = claims("u", &[Role::Admin], None);
    expired.exp = now - 120;
    problem(get(Some(sign(&expired))).await.unwrap(), 401).await;
    let mut aud = claims("u", &[Role::Admin], None);
    aud.aud = "someone-else".into();
    problem(get(Some(sign(&aud))).await.unwrap(), 401).await;
    let mut iss = claims("u", &[Role::Admin], None);
    iss.iss = "evil".into();
    problem(get(Some(sign(&iss))).await.unwrap(), 401).await;
    let mut nbf = claims("u", &[Role::Admin], None);
    nbf.nbf = Some(now + 600);
    problem(get(Some(sign(&nbf))).await.unwrap(), 401).await;
    // Within the leeway, a just-expired token still passes (clock skew).
    let mut skew = claims("u", &[Role::Admin], None);
    skew.exp = now - 5;
    assert_eq!(get(Some(sign(&skew))).await.unwrap().status(), 200);
    t.stop().await;
}

/// A service in one-role mode fetches the gateway's JWKS, caches it, and refetches (bounded)
/// only when it meets a key id it does not know.
#[actix_web::test]
async fn a_service_can_take_its_keys_from_the_gateway_jwks() {
    let t = TestStack::start().await;
    let db = xs_testkit::TestDb::fresh();
    let mut settings = xs_kit::service::Settings::new(
        "127.0.0.1:0".parse().unwrap(),
        db.url.clone(),
        xs_kit::auth::KeySource::Url(t.url("/.well-known/jwks.json")),
    );
    settings.workers = 1;
    let service = xs_kit::service::start(&xs_membership::SPEC, settings)
        .await
        .unwrap();
    let get = |token: String| {
        t.client
            .get(format!("{}/api/v1/districts", service.url()))
            .bearer_auth(token)
            .send()
    };
    // The gateway signs with the test key, so its JWKS carries it.
    assert_eq!(get(admin()).await.unwrap().status(), 200);
    // A token under an unknown key id is refused, and a burst of them does not become a burst
    // of JWKS fetches: the answer stays a prompt 401.
    let parts: Vec<String> = admin().split('.').map(str::to_owned).collect();
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT","kid":"rotated-away"}"#);
    let forged = format!("{header}.{}.{}", parts[1], parts[2]);
    for _ in 0..5 {
        problem(get(forged.clone()).await.unwrap(), 401).await;
    }
    assert_eq!(get(admin()).await.unwrap().status(), 200);
    // The gateway's own metrics say how often the JWKS was fetched: once at first use, at most
    // once more for the unknown key id.
    let metrics = t
        .client
        .get(t.url("/metrics"))
        .bearer_auth(admin())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let fetches: f64 = metrics
        .lines()
        .filter(|l| {
            l.starts_with("xieshang_http_requests_total")
                && l.contains("route=\"/.well-known/jwks.json\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(
        (1.0..=2.0).contains(&fetches),
        "JWKS fetched {fetches} times"
    );
    service.stop().await;
    t.stop().await;
}

/// Signing in through the gateway's token endpoint, form-encoded.
async fn sign_in(t: &TestStack, username: &str, password: &str) -> String {
    let r = t
        .client
        .post(t.url("/auth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            serde_urlencoded::to_string([
                ("grant_type", "password"),
                ("username", username),
                ("password", password),
            ])
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "sign in {username}");
    let body: serde_json::Value = r.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

/// A demotion, a password reset and disabling each void the account's live access tokens at
/// once, at the gateway and at a service called directly (which used to accept them until
/// they expired).
#[actix_web::test]
async fn revoked_powers_end_at_once_at_the_gateway_and_every_service() {
    let t = TestStack::start().await;
    t.seed().await;
    let members = format!(
        "{}/api/v1/members",
        t.stack.service_url("membership").unwrap()
    );
    let direct = |token: String| t.client.get(&members).bearer_auth(token).send();
    let through = |token: String| {
        t.client
            .get(t.url("/api/v1/members"))
            .bearer_auth(token)
            .send()
    };
    for (n, change) in [
        serde_json::json!({"roles": ["resident"]}),
        serde_json::json!({"password": "a-new-password-456"}),
        serde_json::json!({"disabled": true}),
    ]
    .into_iter()
    .enumerate()
    {
        let username = format!("staff.revoked{n}");
        let r = t
            .post(
                "/api/v1/accounts",
                &admin(),
                &serde_json::json!({"username": username, "password": "password-123",
                                    "roles": ["office_staff"], "district": "siming"}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let account: serde_json::Value = r.json().await.unwrap();
        let token = sign_in(&t, &username, "password-123").await;
        assert_eq!(direct(token.clone()).await.unwrap().status(), 200);
        assert_eq!(through(token.clone()).await.unwrap().status(), 200);
        let r = t
            .client
            .patch(t.url(&format!(
                "/api/v1/accounts/{}",
                account["id"].as_str().unwrap()
            )))
            .bearer_auth(admin())
            .header("if-match", "\"1\"")
            .json(&change)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{change}");
        problem(direct(token.clone()).await.unwrap(), 401).await;
        problem(through(token.clone()).await.unwrap(), 401).await;
        if n == 0 {
            // Signing in again gives a token with the new powers only: a resident does not
            // read the register.
            let fresh = sign_in(&t, &username, "password-123").await;
            problem(direct(fresh).await.unwrap(), 403).await;
        }
    }
    t.stop().await;
}
