//! The gateway end to end: each test starts its own gateway (fresh database, fresh keys) in
//! front of small fake services, and talks to it over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use xs_gateway::{Gateway, GatewaySettings};
use xs_testkit::TestDb;

const ADMIN_PASSWORD: &str = "admin-password-1";

// ---------------------------------------------------------------------------------------------
// A fake service: echoes what it got; `/api/v1/members/slow` sleeps; `/readyz` can be turned off.

struct Fake {
    url: String,
    handle: ServerHandle,
    ready: Arc<AtomicBool>,
}

async fn echo(req: HttpRequest, body: web::Bytes, name: web::Data<String>) -> HttpResponse {
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in req.headers() {
        headers
            .entry(k.as_str().to_string())
            .or_default()
            .push(v.to_str().unwrap_or("?").to_string());
    }
    HttpResponse::Ok()
        .insert_header(("x-upstream", name.as_str()))
        .insert_header(("keep-alive", "timeout=99"))
        .insert_header(("proxy-authenticate", "Basic realm=x"))
        .insert_header(("access-control-allow-origin", "https://evil.example"))
        .json(json!({
            "upstream": name.as_str(),
            "method": req.method().as_str(),
            "path": req.uri().to_string(),
            "headers": headers,
            "body": String::from_utf8_lossy(&body),
        }))
}

/// Membership's internal member reference: `m-huli-*` are of huli, other `m-*` of siming.
async fn fake_member(id: web::Path<String>) -> HttpResponse {
    let district = match id.as_str() {
        i if i.starts_with("m-huli") => "huli",
        i if i.starts_with("m-") => "siming",
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok().json(
        json!({"id": id.as_str(), "name": "委员", "district": district,
                                   "status": "active", "taiwan_origin": false}),
    )
}

/// Membership's districts: the five of the seed.
async fn fake_district(code: web::Path<String>) -> HttpResponse {
    if ["siming", "huli", "jimei", "haicang", "tongan"].contains(&code.as_str()) {
        HttpResponse::Ok().json(json!({"code": code.as_str(), "name": "区"}))
    } else {
        HttpResponse::NotFound().finish()
    }
}

async fn slow() -> HttpResponse {
    tokio::time::sleep(Duration::from_secs(3)).await;
    HttpResponse::Ok().json(json!({"slow": true}))
}

/// Like a long export: `?chunks=N&gap_ms=M` sends N lines, one every M ms.
async fn trickle(q: web::Query<BTreeMap<String, u64>>) -> HttpResponse {
    let chunks = q.get("chunks").copied().unwrap_or(10);
    let gap = Duration::from_millis(q.get("gap_ms").copied().unwrap_or(100));
    let body = futures_util::stream::unfold(0, move |i| async move {
        if i == chunks {
            return None;
        }
        tokio::time::sleep(gap).await;
        Some((
            Ok::<_, std::io::Error>(web::Bytes::from(format!("row {i}\n"))),
            i + 1,
        ))
    });
    HttpResponse::Ok().content_type("text/csv").streaming(body)
}

/// Sends its head and one line, then goes silent for longer than any test's timeout.
async fn stall() -> HttpResponse {
    let body = futures_util::stream::unfold(0, |i| async move {
        match i {
            0 => Some((Ok::<_, std::io::Error>(web::Bytes::from("row 0\n")), 1)),
            1 => {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Some((Ok(web::Bytes::from("row 1\n")), 2))
            }
            _ => None,
        }
    });
    HttpResponse::Ok().content_type("text/csv").streaming(body)
}

async fn fake(name: &str) -> Fake {
    let name = web::Data::new(name.to_string());
    let ready = Arc::new(AtomicBool::new(true));
    let flag = web::Data::from(ready.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(name.clone())
            .app_data(flag.clone())
            .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
            .route(
                "/readyz",
                web::get().to(|flag: web::Data<AtomicBool>| async move {
                    if flag.load(Ordering::SeqCst) {
                        HttpResponse::Ok().json(json!({"status": "ready"}))
                    } else {
                        HttpResponse::ServiceUnavailable().finish()
                    }
                }),
            )
            .route("/internal/v1/members/{id}", web::get().to(fake_member))
            .route("/api/v1/districts/{code}", web::get().to(fake_district))
            .route("/api/v1/members/slow", web::route().to(slow))
            .route("/api/v1/members/trickle", web::get().to(trickle))
            .route("/api/v1/members/stall", web::get().to(stall))
            .default_service(web::to(echo))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .expect("bind fake");
    let url = format!("http://{}", server.addrs()[0]);
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    Fake { url, handle, ready }
}

/// A URL where nothing listens.
fn closed_port_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    drop(l);
    format!("http://{addr}")
}

// ---------------------------------------------------------------------------------------------
// A gateway per test

struct Env {
    gw: Gateway,
    url: String,
    http: reqwest::Client,
    keys: tempfile::TempDir,
    fakes: Vec<Fake>,
    _db: TestDb,
}

impl Env {
    async fn start() -> Env {
        Env::with(|_| {}).await
    }

    /// A gateway with `membership` and `consultation` fakes; `adjust` changes settings first.
    async fn with(adjust: impl FnOnce(&mut GatewaySettings)) -> Env {
        let membership = fake("membership").await;
        let consultation = fake("consultation").await;
        let db = TestDb::fresh();
        let keys = tempfile::tempdir().expect("keys dir");
        let mut s = GatewaySettings::new(
            "127.0.0.1:0".parse().expect("addr"),
            db.url.clone(),
            keys.path().to_path_buf(),
        );
        s.upstreams
            .insert("membership".into(), vec![membership.url.clone()]);
        s.upstreams
            .insert("consultation".into(), vec![consultation.url.clone()]);
        s.admin_password = Some(ADMIN_PASSWORD.into());
        s.workers = 1;
        adjust(&mut s);
        let gw = xs_gateway::start(s).await.expect("gateway starts");
        Env {
            url: gw.url(),
            gw,
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client"),
            keys,
            fakes: vec![membership, consultation],
            _db: db,
        }
    }

    fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    async fn form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.at(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(fields).unwrap())
            .send()
            .await
            .unwrap()
    }

    async fn login(&self, username: &str, password: &str) -> Value {
        let res = self
            .form(
                "/auth/token",
                &[
                    ("grant_type", "password"),
                    ("username", username),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "login {username}");
        res.json().await.unwrap()
    }

    async fn token(&self, username: &str, password: &str) -> String {
        self.login(username, password).await["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn admin(&self) -> String {
        self.token("admin", ADMIN_PASSWORD).await
    }

    async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(self.at(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    async fn post_json(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(self.at(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    async fn patch_json(
        &self,
        path: &str,
        token: &str,
        if_match: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let mut r = self.http.patch(self.at(path)).bearer_auth(token).json(body);
        if let Some(m) = if_match {
            r = r.header("if-match", m);
        }
        r.send().await.unwrap()
    }

    /// Create a user account as admin; returns the account.
    async fn create_user(
        &self,
        admin: &str,
        username: &str,
        roles: &[&str],
        district: Option<&str>,
    ) -> Value {
        let res = self
            .post_json(
                "/api/v1/accounts",
                admin,
                &json!({"username": username, "password": "password-123", "roles": roles, "district": district}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "create {username}");
        res.json().await.unwrap()
    }

    /// The gateway's signing key, read from its key directory.
    fn signing_key(&self) -> xs_kit::keys::SigningKey {
        xs_kit::keys::load_or_create_dir(self.keys.path())
            .expect("keys")
            .pop()
            .expect("a key")
    }

    /// The test's client goes first, so that its idle keep-alive connections do not hold the
    /// gateway's graceful stop.
    async fn stop(self) {
        drop(self.http);
        tokio::task::yield_now().await;
        self.gw.stop().await;
        for f in self.fakes {
            f.handle.stop(false).await;
        }
    }
}

async fn problem(res: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(res.status(), status);
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        ct.starts_with("application/problem+json"),
        "content type {ct}"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status.as_u16());
    body
}

async fn oauth_error(res: reqwest::Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(res.status(), status);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "application/json"
    );
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
    assert!(body["error_description"].is_string());
    body
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn header_of(token: &str) -> Value {
    let h = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Accounts and tokens

#[actix_web::test]
async fn password_grant_accepts_form_and_json() {
    let env = Env::start().await;
    let form = env
        .form(
            "/auth/token",
            &[
                ("grant_type", "password"),
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(form.status(), StatusCode::OK);
    assert_eq!(form.headers().get("cache-control").unwrap(), "no-store");
    let form: Value = form.json().await.unwrap();
    assert_eq!(form["token_type"], "Bearer");
    assert_eq!(form["expires_in"], 900);
    assert!(form["refresh_token"].as_str().unwrap().len() >= 40);

    let json_res = env
        .http
        .post(env.at("/auth/token"))
        .json(&json!({"grant_type": "password", "username": "ADMIN", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_res.status(), StatusCode::OK);
    let body: Value = json_res.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap();

    // RS256 with the key id the JWKS publishes; the kit's claims.
    let header = header_of(token);
    assert_eq!(header["alg"], "RS256");
    let jwks: Value = env
        .http
        .get(env.at("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kid"], header["kid"]);
    assert!(jwks["keys"][0].get("d").is_none(), "no private parts");
    let claims = claims_of(token);
    assert_eq!(claims["roles"], json!(["admin"]));
    assert_eq!(claims["iss"], xs_kit::service::DEFAULT_ISSUER);
    assert_eq!(claims["aud"], xs_kit::service::DEFAULT_AUDIENCE);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
    assert!(claims["jti"].is_string());
    let parsed: xs_kit::auth::Claims = serde_json::from_value(claims.clone()).unwrap();

    // A service in the same process verifies it through the gateway's key source.
    let verifier = xs_kit::auth::Verifier::new(
        env.gw.key_source(),
        xs_kit::service::DEFAULT_ISSUER,
        xs_kit::service::DEFAULT_AUDIENCE,
    );
    assert_eq!(verifier.verify(token).await.unwrap(), parsed);

    // And it opens the API.
    let res = env.get("/api/v1/members", token).await;
    assert_eq!(res.status(), StatusCode::OK);
    env.stop().await;
}

#[actix_web::test]
async fn wrong_password_and_unknown_user_look_alike_and_lock_out() {
    let env = Env::start().await;
    let admin = env.admin().await;
    env.create_user(&admin, "other.user", &["member"], None)
        .await;
    let attempt = |user: &'static str| {
        let env = &env;
        async move {
            let started = Instant::now();
            let res = env
                .form(
                    "/auth/token",
                    &[
                        ("grant_type", "password"),
                        ("username", user),
                        ("password", "not-the-password"),
                    ],
                )
                .await;
            (started.elapsed(), res)
        }
    };
    // Fastest of three each, so a stall on a busy machine does not decide the comparison.
    let mut wrong_time = Duration::MAX;
    let mut unknown_time = Duration::MAX;
    let mut bodies = Vec::new();
    for _ in 0..3 {
        let (t, res) = attempt("admin").await;
        wrong_time = wrong_time.min(t);
        bodies.push(oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await);
        let (t, res) = attempt("nobody").await;
        unknown_time = unknown_time.min(t);
        bodies.push(oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await);
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "no difference an attacker can read"
    );
    // An unknown user is hashed against a dummy hash: comparable time, not an instant answer.
    assert!(
        unknown_time * 3 >= wrong_time,
        "unknown {unknown_time:?} vs wrong {wrong_time:?}"
    );

    // 10 failures for one account in 15 minutes lock it out, even with the right password.
    for _ in 0..7 {
        let (_, r) = attempt("admin").await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
    let locked = env
        .form(
            "/auth/token",
            &[
                ("grant_type", "password"),
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert!(locked.headers().get("retry-after").is_some());
    problem(locked, StatusCode::TOO_MANY_REQUESTS).await;
    // Other accounts still sign in from this address...
    env.token("other.user", "password-123").await;
    // ...until the address itself has failed 30 times.
    for i in 0..17 {
        let res = env
            .form(
                "/auth/token",
                &[
                    ("grant_type", "password"),
                    ("username", &format!("guess{i}")),
                    ("password", "nope-nope"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }
    let res = env
        .form(
            "/auth/token",
            &[
                ("grant_type", "password"),
                ("username", "other.user"),
                ("password", "password-123"),
            ],
        )
        .await;
    problem(res, StatusCode::TOO_MANY_REQUESTS).await;
    env.stop().await;
}

#[actix_web::test]
async fn token_endpoint_errors_follow_rfc6749() {
    let env = Env::start().await;
    oauth_error(
        env.form("/auth/token", &[("grant_type", "implicit")]).await,
        StatusCode::BAD_REQUEST,
        "unsupported_grant_type",
    )
    .await;
    oauth_error(
        env.form("/auth/token", &[("username", "admin")]).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    oauth_error(
        env.form(
            "/auth/token",
            &[("grant_type", "password"), ("username", "admin")],
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    let text = env
        .http
        .post(env.at("/auth/token"))
        .header("content-type", "text/plain")
        .body("grant_type=password")
        .send()
        .await
        .unwrap();
    oauth_error(text, StatusCode::BAD_REQUEST, "invalid_request").await;
    oauth_error(
        env.form(
            "/auth/token",
            &[("grant_type", "refresh_token"), ("refresh_token", "bogus")],
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    env.stop().await;
}

#[actix_web::test]
async fn client_credentials_grant() {
    let env = Env::start().await;
    let admin = env.admin().await;
    let res = env
        .post_json(
            "/api/v1/clients",
            &admin,
            &json!({"name": "Siming information centre", "roles": ["integrator"], "district": "siming"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let client: Value = res.json().await.unwrap();
    let (id, secret) = (
        client["client_id"].as_str().unwrap(),
        client["client_secret"].as_str().unwrap(),
    );
    // Only integrator/dashboard/service may be client roles.
    let bad = env
        .post_json(
            "/api/v1/clients",
            &admin,
            &json!({"name": "x", "roles": ["admin"]}),
        )
        .await;
    problem(bad, StatusCode::BAD_REQUEST).await;

    let res = env
        .form(
            "/auth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert!(body.get("refresh_token").is_none());
    let token = body["access_token"].as_str().unwrap();
    let claims = claims_of(token);
    assert_eq!(claims["roles"], json!(["integrator"]));
    assert_eq!(claims["district"], "siming");
    assert_eq!(claims["sub"], client["id"]);
    assert_eq!(
        env.get("/api/v1/members", token).await.status(),
        StatusCode::OK
    );

    // HTTP Basic client authentication works too.
    let basic = env
        .http
        .post(env.at("/auth/token"))
        .basic_auth(id, Some(secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::OK);

    let wrong = env
        .form(
            "/auth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", "wrong"),
            ],
        )
        .await;
    oauth_error(wrong, StatusCode::UNAUTHORIZED, "invalid_client").await;
    // A client is not a user: no password grant with its credentials.
    let as_user = env
        .form(
            "/auth/token",
            &[
                ("grant_type", "password"),
                ("username", id),
                ("password", secret),
            ],
        )
        .await;
    oauth_error(as_user, StatusCode::BAD_REQUEST, "invalid_grant").await;
    env.stop().await;
}

async fn refresh(env: &Env, token: &str) -> reqwest::Response {
    env.form(
        "/auth/token",
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await
}

#[actix_web::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let env = Env::start().await;
    let first = env.login("admin", ADMIN_PASSWORD).await;
    let r1 = first["refresh_token"].as_str().unwrap().to_string();
    let res = refresh(&env, &r1).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let second: Value = res.json().await.unwrap();
    let r2 = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2, "rotated");
    assert_eq!(
        claims_of(second["access_token"].as_str().unwrap())["roles"],
        json!(["admin"])
    );
    // A second sign-in is another family, untouched by what follows.
    let other = env.login("admin", ADMIN_PASSWORD).await;

    // r1 again: reuse. Refused, and the family (r2 too) is revoked.
    oauth_error(
        refresh(&env, &r1).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    oauth_error(
        refresh(&env, &r2).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    let res = refresh(&env, other["refresh_token"].as_str().unwrap()).await;
    assert_eq!(res.status(), StatusCode::OK);
    env.stop().await;
}

#[actix_web::test]
async fn revoke_ends_the_family() {
    let env = Env::start().await;
    let session = env.login("admin", ADMIN_PASSWORD).await;
    let r1 = session["refresh_token"].as_str().unwrap();
    let rotated: Value = refresh(&env, r1).await.json().await.unwrap();
    let r2 = rotated["refresh_token"].as_str().unwrap();
    // Revoking the older token of the family revokes the newer too.
    let res = env.form("/auth/revoke", &[("token", r1)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    oauth_error(
        refresh(&env, r2).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    // Unknown tokens are fine (RFC 7009 §2.2); a missing one is not.
    let res = env
        .http
        .post(env.at("/auth/revoke"))
        .json(&json!({"token": "never-issued"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    oauth_error(
        env.form("/auth/revoke", &[]).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    env.stop().await;
}

#[actix_web::test]
async fn me_shows_the_callers_account() {
    let env = Env::start().await;
    let admin = env.admin().await;
    let res = env.get("/auth/me", &admin).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get("etag").unwrap(), "\"1\"");
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["username"], "admin");
    assert_eq!(me["roles"], json!(["admin"]));
    assert!(me.get("password_hash").is_none());
    let anonymous = env.http.get(env.at("/auth/me")).send().await.unwrap();
    problem(anonymous, StatusCode::UNAUTHORIZED).await;
    let garbage = env.get("/auth/me", "not.a.token").await;
    problem(garbage, StatusCode::UNAUTHORIZED).await;
    env.stop().await;
}

#[actix_web::test]
async fn register_creates_a_resident_and_is_limited_per_ip() {
    let env = Env::start().await;
    let res = env
        .http
        .post(env.at("/auth/register"))
        .json(&json!({"username": "Lin.Mei", "password": "resident-pass", "display_name": "林梅"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let account: Value = res.json().await.unwrap();
    assert_eq!(account["username"], "lin.mei");
    assert_eq!(account["roles"], json!(["resident"]));
    let token = env.token("lin.mei", "resident-pass").await;
    assert_eq!(claims_of(&token)["roles"], json!(["resident"]));

    let dup = env
        .http
        .post(env.at("/auth/register"))
        .json(&json!({"username": "lin.mei", "password": "resident-pass"}))
        .send()
        .await
        .unwrap();
    problem(dup, StatusCode::CONFLICT).await;
    let invalid = env
        .http
        .post(env.at("/auth/register"))
        .json(&json!({"username": "x", "password": "short"}))
        .send()
        .await
        .unwrap();
    let p = problem(invalid, StatusCode::BAD_REQUEST).await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["username", "password"]);
    // A resident cannot register as anything else.
    let sneaky = env
        .http
        .post(env.at("/auth/register"))
        .json(&json!({"username": "boss", "password": "resident-pass", "roles": ["admin"]}))
        .send()
        .await
        .unwrap();
    problem(sneaky, StatusCode::BAD_REQUEST).await;

    // 10 registrations per IP per hour (the duplicate above counted too).
    let mut statuses = Vec::new();
    for i in 0..10 {
        let res = env
            .http
            .post(env.at("/auth/register"))
            .json(&json!({"username": format!("resident{i}"), "password": "resident-pass"}))
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        8,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );
    env.stop().await;
}

#[actix_web::test]
async fn admin_accounts_api() {
    let env = Env::start().await;
    let admin = env.admin().await;
    let staff = env
        .create_user(&admin, "staff.siming", &["office_staff"], Some("siming"))
        .await;
    let member = env
        .create_user(&admin, "member.siming", &["member"], Some("siming"))
        .await;
    let huli = env
        .create_user(&admin, "member.huli", &["member"], Some("huli"))
        .await;
    assert_eq!(staff["version"], 1);

    // Idempotent create: the same key replays, a different body with it is refused.
    let body = json!({"username": "coord", "password": "password-123", "roles": ["coordinator"], "district": "siming"});
    let send = |b: Value| {
        env.http
            .post(env.at("/api/v1/accounts"))
            .bearer_auth(&admin)
            .header("idempotency-key", "create-coord-1")
            .json(&b)
            .send()
    };
    let first = send(body.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let location = first
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let first: Value = first.json().await.unwrap();
    let again = send(body.clone()).await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
    assert_eq!(again.json::<Value>().await.unwrap()["id"], first["id"]);
    let mut other = body.clone();
    other["username"] = json!("coord2");
    problem(send(other).await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        location,
        format!("/api/v1/accounts/{}", first["id"].as_str().unwrap())
    );

    // Admin lists everything, page by page.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/accounts?limit=2&cursor={c}"),
            None => "/api/v1/accounts?limit=2".to_string(),
        };
        let page: Value = env.get(&path, &admin).await.json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["username"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        vec![
            "admin",
            "coord",
            "member.huli",
            "member.siming",
            "staff.siming"
        ]
    );

    // Office staff see their own district only.
    let staff_token = env.token("staff.siming", "password-123").await;
    let page: Value = env
        .get("/api/v1/accounts", &staff_token)
        .await
        .json()
        .await
        .unwrap();
    let mut names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, vec!["coord", "member.siming", "staff.siming"]);
    let own = env
        .get(
            &format!("/api/v1/accounts/{}", member["id"].as_str().unwrap()),
            &staff_token,
        )
        .await;
    assert_eq!(own.status(), StatusCode::OK);
    let foreign = env
        .get(
            &format!("/api/v1/accounts/{}", huli["id"].as_str().unwrap()),
            &staff_token,
        )
        .await;
    // Out of scope is 403, like the list of that district below; an unknown id 404.
    problem(foreign, StatusCode::FORBIDDEN).await;
    problem(
        env.get("/api/v1/accounts?district=huli", &staff_token)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // Staff may not create or change accounts; members may not even list.
    let create = env
        .post_json(
            "/api/v1/accounts",
            &staff_token,
            &json!({"username": "x1x", "password": "password-123", "roles": ["admin"]}),
        )
        .await;
    problem(create, StatusCode::FORBIDDEN).await;
    let member_token = env.token("member.siming", "password-123").await;
    problem(
        env.get("/api/v1/accounts", &member_token).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        env.post_json(
            "/api/v1/clients",
            &member_token,
            &json!({"name": "x", "roles": ["dashboard"]}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;

    // Updates need the version read: stale is 412, none is 428.
    let path = format!("/api/v1/accounts/{}", member["id"].as_str().unwrap());
    let res = env
        .patch_json(
            &path,
            &admin,
            Some("\"1\""),
            &json!({"roles": ["member", "coordinator"], "member_id": "m-42"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get("etag").unwrap(), "\"2\"");
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["roles"], json!(["coordinator", "member"]));
    assert_eq!(updated["member_id"], "m-42");
    assert_eq!(updated["district"], "siming", "absent fields are kept");
    let stale = env
        .patch_json(&path, &admin, Some("\"1\""), &json!({"district": "huli"}))
        .await;
    problem(stale, StatusCode::PRECONDITION_FAILED).await;
    let none = env
        .patch_json(&path, &admin, None, &json!({"district": "huli"}))
        .await;
    problem(none, StatusCode::PRECONDITION_REQUIRED).await;
    let by_body = env
        .patch_json(
            &path,
            &admin,
            None,
            &json!({"version": 2, "display_name": null}),
        )
        .await;
    assert_eq!(by_body.status(), StatusCode::OK);
    assert!(by_body.json::<Value>().await.unwrap()["display_name"].is_null());
    let staff_patch = env
        .patch_json(
            &path,
            &staff_token,
            Some("\"3\""),
            &json!({"disabled": true}),
        )
        .await;
    problem(staff_patch, StatusCode::FORBIDDEN).await;
    // The new claims show in the next token.
    let token = env.token("member.siming", "password-123").await;
    assert_eq!(claims_of(&token)["member_id"], "m-42");

    // Password reset by an admin.
    let res = env
        .patch_json(
            &path,
            &admin,
            Some("\"3\""),
            &json!({"password": "new-password-9"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    env.token("member.siming", "new-password-9").await;
    problem(
        env.get("/api/v1/accounts/no-such-id", &admin).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    env.stop().await;
}

#[actix_web::test]
async fn disabled_account_is_refused_at_once() {
    let env = Env::start().await;
    let admin = env.admin().await;
    let user = env
        .create_user(&admin, "wang.wei", &["member"], Some("tongan"))
        .await;
    let session = env.login("wang.wei", "password-123").await;
    let token = session["access_token"].as_str().unwrap();
    assert_eq!(
        env.get("/api/v1/members", token).await.status(),
        StatusCode::OK
    );

    let path = format!("/api/v1/accounts/{}", user["id"].as_str().unwrap());
    let res = env
        .patch_json(&path, &admin, Some("\"1\""), &json!({"disabled": true}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // Its still-valid access token is refused, its refresh token revoked, sign-in refused.
    let p = problem(
        env.get("/api/v1/members", token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("disabled"), "{p}");
    problem(env.get("/auth/me", token).await, StatusCode::UNAUTHORIZED).await;
    oauth_error(
        refresh(&env, session["refresh_token"].as_str().unwrap()).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    let login = env
        .form(
            "/auth/token",
            &[
                ("grant_type", "password"),
                ("username", "wang.wei"),
                ("password", "password-123"),
            ],
        )
        .await;
    oauth_error(login, StatusCode::BAD_REQUEST, "invalid_grant").await;

    // Enabled again: tokens from before the disabling stay void; signing in again works.
    let res = env
        .patch_json(&path, &admin, Some("\"2\""), &json!({"disabled": false}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    problem(
        env.get("/api/v1/members", token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let fresh = env.token("wang.wei", "password-123").await;
    assert_eq!(
        env.get("/api/v1/members", &fresh).await.status(),
        StatusCode::OK
    );
    env.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Token checks on /api/v1

fn valid_claims() -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "sub": "someone",
        "roles": ["admin"],
        "iss": xs_kit::service::DEFAULT_ISSUER,
        "aud": xs_kit::service::DEFAULT_AUDIENCE,
        "iat": now,
        "exp": now + 600,
        "jti": "j1",
    })
}

fn sign_with(
    key: &xs_kit::keys::SigningKey,
    alg: jsonwebtoken::Algorithm,
    claims: &Value,
) -> String {
    let mut header = jsonwebtoken::Header::new(alg);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding).unwrap()
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

async fn assert_rejected(env: &Env, token: &str, case: &str) {
    let res = env.get("/api/v1/members", token).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{case}");
    assert!(res.headers().get("www-authenticate").is_some(), "{case}");
    problem(res, StatusCode::UNAUTHORIZED).await;
}

#[actix_web::test]
async fn forged_and_foreign_tokens_are_refused() {
    let env = Env::start().await;
    let key = env.signing_key();
    // The gateway's own key with valid claims passes: the cases below differ in one thing.
    let good = sign_with(&key, jsonwebtoken::Algorithm::RS256, &valid_claims());
    assert_eq!(
        env.get("/api/v1/members", &good).await.status(),
        StatusCode::OK
    );

    // alg none, unsigned.
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT", "kid": key.kid})),
        b64(&valid_claims())
    );
    assert_rejected(&env, &none, "alg none").await;
    // HS256 keyed with the public key (the JWKS text and the key modulus).
    let jwks = serde_json::to_vec(&xs_kit::keys::jwks(std::slice::from_ref(&key))).unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(key.kid.clone());
    for secret in [jwks.clone(), serde_json::to_vec(&key.jwk).unwrap()] {
        let hs = jsonwebtoken::encode(
            &header,
            &valid_claims(),
            &jsonwebtoken::EncodingKey::from_secret(&secret),
        )
        .unwrap();
        assert_rejected(&env, &hs, "HS256 with public key").await;
    }
    // A real signature by the right key, but with an algorithm the key is not published for.
    for alg in [
        jsonwebtoken::Algorithm::RS512,
        jsonwebtoken::Algorithm::PS256,
    ] {
        assert_rejected(
            &env,
            &sign_with(&key, alg, &valid_claims()),
            "alg differs from key",
        )
        .await;
    }
    // Someone else's key.
    let foreign = xs_testkit::sign(&serde_json::from_value(valid_claims()).unwrap());
    assert_rejected(&env, &foreign, "unknown kid").await;
    // Tampered payload: valid signature over different claims.
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut claims = valid_claims();
    claims["sub"] = json!("someone-else");
    parts[1] = b64(&claims);
    assert_rejected(&env, &parts.join("."), "tampered").await;
    assert_rejected(&env, "garbage", "malformed").await;
    let anonymous = env
        .http
        .get(env.at("/api/v1/members"))
        .send()
        .await
        .unwrap();
    problem(anonymous, StatusCode::UNAUTHORIZED).await;
    env.stop().await;
}

#[actix_web::test]
async fn tokens_with_bad_claims_are_refused() {
    let env = Env::start().await;
    let key = env.signing_key();
    let now = chrono::Utc::now().timestamp();
    let mut cases: Vec<(&str, Value)> = Vec::new();
    let mut c = valid_claims();
    c.as_object_mut().unwrap().remove("exp");
    cases.push(("missing exp", c));
    let mut c = valid_claims();
    c["exp"] = json!(now - 3600);
    c["iat"] = json!(now - 7200);
    cases.push(("expired", c));
    let mut c = valid_claims();
    c["nbf"] = json!(now + 3600);
    cases.push(("nbf in the future", c));
    let mut c = valid_claims();
    c["iss"] = json!("someone-else");
    cases.push(("wrong iss", c));
    let mut c = valid_claims();
    c.as_object_mut().unwrap().remove("iss");
    cases.push(("missing iss", c));
    let mut c = valid_claims();
    c["aud"] = json!("another-system");
    cases.push(("wrong aud", c));
    let mut c = valid_claims();
    c.as_object_mut().unwrap().remove("aud");
    cases.push(("missing aud", c));
    for (case, claims) in cases {
        let token = sign_with(&key, jsonwebtoken::Algorithm::RS256, &claims);
        assert_rejected(&env, &token, case).await;
    }
    env.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Proxying

fn header_values(echo: &Value, name: &str) -> Vec<String> {
    echo["headers"][name]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

#[actix_web::test]
async fn routes_to_the_owning_service_and_rewrites_headers() {
    let env = Env::start().await;
    let admin = env.admin().await;
    let res = env
        .http
        .get(env.at("/api/v1/members/42?district=siming&limit=5"))
        .bearer_auth(&admin)
        .header("connection", "x-hop")
        .header("x-hop", "one hop only")
        .header("keep-alive", "timeout=5")
        .header("proxy-authorization", "Basic c2VjcmV0")
        .header("x-forwarded-for", "203.0.113.7")
        .header("x-forwarded-proto", "https")
        .header("x-request-id", "rid-gateway-test-1")
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get("x-upstream").unwrap(), "membership");
    assert_eq!(
        res.headers().get("x-request-id").unwrap(),
        "rid-gateway-test-1"
    );
    for hop in ["keep-alive", "proxy-authenticate"] {
        assert!(res.headers().get(hop).is_none(), "response {hop} stripped");
    }
    assert!(
        res.headers().get("access-control-allow-origin").is_none(),
        "services do not set CORS"
    );
    let echo: Value = res.json().await.unwrap();
    assert_eq!(echo["method"], "GET");
    assert_eq!(echo["path"], "/api/v1/members/42?district=siming&limit=5");
    for hop in [
        "x-hop",
        "keep-alive",
        "proxy-authorization",
        "te",
        "upgrade",
    ] {
        assert!(
            echo["headers"].get(hop).is_none(),
            "request {hop} stripped: {echo}"
        );
    }
    // The client is not a trusted proxy: its forwarded headers are replaced.
    assert_eq!(header_values(&echo, "x-forwarded-for"), vec!["127.0.0.1"]);
    assert_eq!(header_values(&echo, "x-forwarded-proto"), vec!["http"]);
    assert_eq!(
        header_values(&echo, "x-forwarded-host"),
        vec![env.url.trim_start_matches("http://").to_string()]
    );
    assert_eq!(
        header_values(&echo, "x-request-id"),
        vec!["rid-gateway-test-1"]
    );
    assert_eq!(
        header_values(&echo, "authorization"),
        vec![format!("Bearer {admin}")]
    );
    assert_eq!(header_values(&echo, "accept-language"), vec!["zh-CN"]);

    // Without a request id the gateway makes one and passes the same one on.
    let res = env.get("/api/v1/members", &admin).await;
    let rid = res
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let echo: Value = res.json().await.unwrap();
    assert_eq!(header_values(&echo, "x-request-id"), vec![rid]);

    // Longest prefix wins; other services get theirs.
    let echo: Value = env
        .get("/api/v1/stats/membership", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(echo["upstream"], "membership");
    let echo: Value = env
        .get("/api/v1/topics/7/opinions", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(echo["upstream"], "consultation");
    let echo: Value = env
        .get("/api/v1/stats/consultation", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(echo["upstream"], "consultation");

    // Bodies stream through, with and without a length.
    let res = env
        .post_json("/api/v1/members", &admin, &json!({"name": "陈委员"}))
        .await;
    let echo: Value = res.json().await.unwrap();
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["body"], json!({"name": "陈委员"}).to_string());
    let chunks = vec![Ok::<_, std::io::Error>("part one, "), Ok("part two")];
    let res = env
        .http
        .put(env.at("/api/v1/members/42"))
        .bearer_auth(&admin)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    let echo: Value = res.json().await.unwrap();
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["body"], "part one, part two");
    env.stop().await;
}

#[actix_web::test]
async fn client_identity_headers_are_not_passed() {
    let env = Env::start().await;
    let token = {
        let admin = env.admin().await;
        env.create_user(&admin, "resident.a", &["resident"], None)
            .await;
        env.token("resident.a", "password-123").await
    };
    let res = env
        .http
        .get(env.at("/api/v1/members"))
        .bearer_auth(&token)
        .header("x-user-id", "admin")
        .header("x-user-roles", "admin")
        .header("x-forwarded-user", "admin")
        .header("x-auth-request-user", "admin")
        .header("x-roles", "admin")
        .header("x-district", "siming")
        .header("x-remote-user", "admin")
        .header("forwarded", "for=10.0.0.1;by=10.0.0.2")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let echo: Value = res.json().await.unwrap();
    let headers = echo["headers"].as_object().unwrap();
    for name in [
        "x-user-id",
        "x-user-roles",
        "x-forwarded-user",
        "x-auth-request-user",
        "x-roles",
        "x-district",
        "x-remote-user",
        "forwarded",
    ] {
        assert!(!headers.contains_key(name), "{name} passed: {echo}");
    }
    env.stop().await;
}

#[actix_web::test]
async fn forwarded_headers_from_a_trusted_proxy_are_kept() {
    let env = Env::with(|s| s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let admin = env.admin().await;
    let res = env
        .http
        .get(env.at("/api/v1/members"))
        .bearer_auth(&admin)
        .header("x-forwarded-for", "203.0.113.7")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "api.xieshang.example")
        .send()
        .await
        .unwrap();
    let echo: Value = res.json().await.unwrap();
    assert_eq!(
        header_values(&echo, "x-forwarded-for"),
        vec!["203.0.113.7, 127.0.0.1"]
    );
    assert_eq!(header_values(&echo, "x-forwarded-proto"), vec!["https"]);
    assert_eq!(
        header_values(&echo, "x-forwarded-host"),
        vec!["api.xieshang.example"]
    );
    env.stop().await;
}

/// A GET sent byte for byte: HTTP clients normalise `..` away before sending.
async fn raw_get_status(base: &str, path: &str, token: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text = String::from_utf8_lossy(&response);
    text.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[actix_web::test]
async fn unknown_resource_is_404() {
    let env = Env::start().await;
    let admin = env.admin().await;
    let p = problem(
        env.get("/api/v1/nothing-here/1", &admin).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(p["instance"], "/api/v1/nothing-here/1");
    assert!(p["request_id"].is_string());
    problem(
        env.get("/api/v1/membersx", &admin).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        env.get("/no/such/path", &admin).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Dot segments would climb out of /api/v1 once the upstream URL is normalised.
    for path in [
        "/api/v1/members/../../internal/v1/activities",
        "/api/v1/members/%2e%2e/%2E%2E/internal/v1/activities",
        "/api/v1/members/x\\..\\..\\..\\internal\\v1\\activities",
        "/api/v1/members/x\\..\\..\\..\\metrics",
    ] {
        let status = raw_get_status(&env.url, path, &admin).await;
        assert_eq!(status, 404, "{path}");
    }
    // Routed but not configured here (no reports upstream): unavailable, not a hang.
    problem(
        env.get("/api/v1/reports", &admin).await,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    env.stop().await;
}

#[actix_web::test]
async fn oversized_bodies_are_413() {
    let env = Env::with(|s| s.body_limit = 1024).await;
    let admin = env.admin().await;
    let big = "x".repeat(2000);
    let declared = env
        .http
        .post(env.at("/api/v1/members"))
        .bearer_auth(&admin)
        .header("content-type", "text/plain")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    problem(declared, StatusCode::PAYLOAD_TOO_LARGE).await;
    // No Content-Length: caught while streaming.
    let chunks: Vec<Result<String, std::io::Error>> = (0..4).map(|_| Ok("y".repeat(500))).collect();
    let streamed = env
        .http
        .post(env.at("/api/v1/members"))
        .bearer_auth(&admin)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    problem(streamed, StatusCode::PAYLOAD_TOO_LARGE).await;
    // The gateway's own JSON endpoints too.
    let own = env
        .post_json(
            "/api/v1/accounts",
            &admin,
            &json!({"username": "abc", "password": big, "roles": ["member"]}),
        )
        .await;
    problem(own, StatusCode::PAYLOAD_TOO_LARGE).await;
    let small = env
        .http
        .post(env.at("/api/v1/members"))
        .bearer_auth(&admin)
        .body("x".repeat(1000))
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), StatusCode::OK);
    env.stop().await;
}

#[actix_web::test]
async fn rate_limit_is_exact_under_concurrency() {
    let env = Env::with(|s| {
        s.rate_limit_per_minute = 5;
        s.workers = 2;
    })
    .await;
    // Sign in (anonymous: counts against the IP, not the account).
    let token = env.admin().await;
    let requests = (0..20).map(|_| env.get("/api/v1/members", &token));
    let responses = futures_util::future::join_all(requests).await;
    let mut ok = 0;
    let mut refused = 0;
    for res in responses {
        for h in ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"] {
            assert!(res.headers().get(h).is_some(), "{h} on every response");
        }
        assert_eq!(res.headers().get("ratelimit-limit").unwrap(), "5");
        match res.status() {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                refused += 1;
                assert_eq!(res.headers().get("ratelimit-remaining").unwrap(), "0");
                let retry: u64 = res
                    .headers()
                    .get("retry-after")
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=60).contains(&retry));
                problem(res, StatusCode::TOO_MANY_REQUESTS).await;
            }
            other => panic!(
                "unexpected {other}: {}",
                res.text().await.unwrap_or_default()
            ),
        }
    }
    assert_eq!((ok, refused), (5, 15));
    // Another caller has their own budget.
    let anonymous = env.http.get(env.at("/openapi.json")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::OK);
    assert_eq!(anonymous.headers().get("ratelimit-remaining").unwrap(), "3");
    env.stop().await;
}

#[actix_web::test]
async fn unreachable_upstream_is_502() {
    let dead = closed_port_url();
    let env = Env::with(|s| {
        s.upstreams.insert("membership".into(), vec![dead]);
    })
    .await;
    let admin = env.admin().await;
    let started = Instant::now();
    let p = problem(
        env.get("/api/v1/members", &admin).await,
        StatusCode::BAD_GATEWAY,
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(p["detail"].as_str().unwrap().contains("membership"));
    env.stop().await;
}

#[actix_web::test]
async fn slow_upstream_is_504_within_the_timeout() {
    let env = Env::with(|s| s.upstream_timeout = Duration::from_millis(400)).await;
    let admin = env.admin().await;
    let started = Instant::now();
    problem(
        env.get("/api/v1/members/slow", &admin).await,
        StatusCode::GATEWAY_TIMEOUT,
    )
    .await;
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(400), "{took:?}");
    assert!(took < Duration::from_millis(1500), "{took:?}");
    // The replica still serves what it can.
    assert_eq!(
        env.get("/api/v1/members", &admin).await.status(),
        StatusCode::OK
    );
    env.stop().await;
}

/// The upstream timeout is for silence, not for the whole response: an export that keeps
/// sending passes however long it takes in all.
#[actix_web::test]
async fn a_long_stream_with_short_gaps_is_not_cut() {
    let env = Env::with(|s| s.upstream_timeout = Duration::from_millis(400)).await;
    let admin = env.admin().await;
    // 12 gaps of 150 ms: 1.8 s in all, 4.5 times the timeout.
    let res = env
        .get("/api/v1/members/trickle?chunks=12&gap_ms=150", &admin)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.expect("the whole body arrives");
    let expected: String = (0..12).map(|i| format!("row {i}\n")).collect();
    assert_eq!(body, expected);
    env.stop().await;
}

/// Silence before the head is a 504; silence after it cuts the body short, never a body that
/// looks complete.
#[actix_web::test]
async fn a_silent_upstream_is_cut_before_or_during_the_body() {
    let env = Env::with(|s| s.upstream_timeout = Duration::from_millis(400)).await;
    let admin = env.admin().await;
    let p = problem(
        env.get("/api/v1/members/slow", &admin).await,
        StatusCode::GATEWAY_TIMEOUT,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("membership"));
    let res = env.get("/api/v1/members/stall", &admin).await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut stream = res.bytes_stream();
    let mut got = Vec::new();
    let mut cut = false;
    while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
        match chunk {
            Ok(b) => got.extend_from_slice(&b),
            Err(_) => {
                cut = true;
                break;
            }
        }
    }
    assert!(cut, "the body must end in an error, not look complete");
    assert_eq!(got, b"row 0\n");
    env.stop().await;
}

#[actix_web::test]
async fn timeouts_retry_idempotent_requests_once() {
    let second = fake("membership-2").await;
    let second_url = second.url.clone();
    let mut env = Env::with(|s| {
        s.attempt_timeout = Duration::from_millis(400);
        s.upstream_timeout = Duration::from_secs(2);
        s.upstreams.get_mut("membership").unwrap().push(second_url);
    })
    .await;
    env.fakes.push(second);
    let admin = env.admin().await;
    // GET: one attempt on each replica, then 504; never a third.
    let started = Instant::now();
    problem(
        env.get("/api/v1/members/slow", &admin).await,
        StatusCode::GATEWAY_TIMEOUT,
    )
    .await;
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(800), "retried once: {took:?}");
    assert!(
        took < Duration::from_millis(1150),
        "no third attempt: {took:?}"
    );
    // POST is not idempotent: no retry.
    let started = Instant::now();
    problem(
        env.post_json("/api/v1/members/slow", &admin, &json!({}))
            .await,
        StatusCode::GATEWAY_TIMEOUT,
    )
    .await;
    let took = started.elapsed();
    assert!(took < Duration::from_millis(800), "not retried: {took:?}");
    env.stop().await;
}

#[actix_web::test]
async fn a_dead_replica_is_skipped() {
    let live = fake("membership-live").await;
    let dead = closed_port_url();
    let live_url = live.url.clone();
    let mut env = Env::with(|s| {
        s.upstreams
            .insert("membership".into(), vec![dead, live_url]);
    })
    .await;
    env.fakes.push(live);
    let admin = env.admin().await;
    for i in 0..6 {
        let res = env.get("/api/v1/members", &admin).await;
        assert_eq!(res.status(), StatusCode::OK, "request {i}");
        let echo: Value = res.json().await.unwrap();
        assert_eq!(echo["upstream"], "membership-live");
    }
    // A write with a body fails over too: the body was not sent to the dead one.
    let echo: Value = env
        .post_json("/api/v1/members", &admin, &json!({"n": 1}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(echo["body"], "{\"n\":1}");
    env.stop().await;
}

// ---------------------------------------------------------------------------------------------
// CORS, health, docs

#[actix_web::test]
async fn cors_allows_listed_origins_only() {
    let env = Env::with(|s| s.cors_origins = vec!["https://app.xieshang.example".into()]).await;
    let preflight = |origin: &'static str| {
        env.http
            .request(reqwest::Method::OPTIONS, env.at("/api/v1/members"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let ok = preflight("https://app.xieshang.example").await.unwrap();
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        ok.headers().get("access-control-allow-origin").unwrap(),
        "https://app.xieshang.example"
    );
    assert!(
        ok.headers()
            .get("access-control-allow-methods")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("PATCH")
    );
    assert!(
        ok.headers()
            .get("access-control-allow-headers")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("authorization")
    );
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    problem(refused, StatusCode::FORBIDDEN).await;

    let admin = env.admin().await;
    let res = env
        .http
        .get(env.at("/api/v1/members"))
        .bearer_auth(&admin)
        .header("origin", "https://app.xieshang.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers().get("access-control-allow-origin").unwrap(),
        "https://app.xieshang.example"
    );
    assert!(res.headers().get("access-control-expose-headers").is_some());
    let other = env
        .http
        .get(env.at("/api/v1/members"))
        .bearer_auth(&admin)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    env.stop().await;
}

#[actix_web::test]
async fn readyz_reports_each_service() {
    let env = Env::start().await;
    let res = env.http.get(env.at("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["services"]["membership"]["status"], "ok");
    assert_eq!(body["services"]["consultation"]["status"], "ok");

    env.fakes[1].ready.store(false, Ordering::SeqCst);
    let res = env.http.get(env.at("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "application/json"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["services"]["membership"]["status"], "ok");
    assert_eq!(body["services"]["consultation"]["status"], "down");

    let healthz = env.http.get(env.at("/healthz")).send().await.unwrap();
    assert_eq!(healthz.status(), StatusCode::OK);
    let metrics = env
        .http
        .get(env.at("/metrics"))
        .bearer_auth(env.admin().await)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("xieshang_http_requests_total"),
        "{metrics}"
    );
    env.stop().await;
}

#[actix_web::test]
async fn readyz_is_503_when_an_upstream_is_down() {
    let dead = closed_port_url();
    let env = Env::with(|s| {
        s.upstreams.insert("reports".into(), vec![dead]);
    })
    .await;
    let res = env.http.get(env.at("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["services"]["reports"]["status"], "down");
    assert_eq!(body["services"]["reports"]["replicas"][0]["ready"], false);
    env.stop().await;
}

fn service_doc() -> utoipa::openapi::OpenApi {
    serde_json::from_value(json!({
        "openapi": "3.1.0",
        "info": {"title": "Xieshang membership service", "version": "1.0.0"},
        "paths": {
            "/api/v1/members": {"get": {"operationId": "list_members", "responses": {"200": {"description": "members"}}}},
            "/internal/v1/members/lookup": {"get": {"operationId": "lookup", "responses": {"200": {"description": "x"}}}}
        },
        "components": {"schemas": {"Member": {"type": "object", "properties": {"name": {"type": "string"}}}}}
    }))
    .unwrap()
}

#[actix_web::test]
async fn openapi_merges_the_service_documents() {
    let doc = xs_gateway::openapi(&[service_doc()]);
    let v = serde_json::to_value(&doc).unwrap();
    assert!(v["paths"].get("/api/v1/members").is_some());
    assert!(v["paths"].get("/internal/v1/members/lookup").is_none());
    let env = Env::with(|s| s.service_docs = vec![service_doc()]).await;
    let v: Value = env
        .http
        .get(env.at("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/auth/token",
        "/auth/revoke",
        "/auth/me",
        "/auth/register",
        "/.well-known/jwks.json",
        "/api/v1/accounts",
        "/api/v1/accounts/{id}",
        "/api/v1/clients",
        "/readyz",
        "/api/v1/members",
    ] {
        assert!(v["paths"].get(path).is_some(), "{path} documented");
    }
    assert!(v["paths"]["/api/v1/accounts/{id}"].get("patch").is_some());
    assert!(v["paths"].get("/internal/v1/members/lookup").is_none());
    assert!(v["components"]["schemas"].get("Member").is_some());
    assert!(v["components"]["schemas"].get("Account").is_some());
    assert!(v["components"]["schemas"].get("Problem").is_some());
    assert_eq!(
        v["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    env.stop().await;
}

#[actix_web::test]
async fn docs_serve_swagger_ui() {
    let env = Env::start().await;
    let res = env.http.get(env.at("/docs")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(html.to_lowercase().contains("swagger"), "{html}");
    let init = env
        .http
        .get(env.at("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains("/openapi.json"), "{init}");
    env.stop().await;
}

#[actix_web::test]
async fn concurrent_wrong_guesses_do_not_slip_past_the_login_limit() {
    let env = Env::start().await;
    let env = &env;
    let guesses = (0..20).map(|i| {
        let password = format!("wrong-{i}");
        async move {
            env.form(
                "/auth/token",
                &[
                    ("grant_type", "password"),
                    ("username", "admin"),
                    ("password", password.as_str()),
                ],
            )
            .await
            .status()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::BAD_REQUEST)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(
        (checked, refused),
        (
            xs_gateway::tokens::LOGIN_FAILURES,
            20 - xs_gateway::tokens::LOGIN_FAILURES
        ),
        "{statuses:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Found when the stack was tried from outside (issue 8)

/// A NUL byte in a sign-in form used to reach PostgreSQL's text comparison and answer 500.
#[actix_web::test]
async fn nul_in_a_sign_in_is_a_400_problem() {
    let env = Env::start().await;
    let res = env
        .form(
            "/auth/token",
            &[
                ("grant_type", "password"),
                ("username", "ad\0min"),
                ("password", "whatever-123"),
            ],
        )
        .await;
    let p = problem(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(p["errors"][0]["field"], "username", "{p}");
    let res = env
        .http
        .get(env.at("/api/v1/members?q=%00"))
        .bearer_auth(env.admin().await)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::BAD_REQUEST).await;
    env.stop().await;
}

async fn sign_in_from(
    env: &Env,
    address: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    env.http
        .post(env.at("/auth/token"))
        .header("x-forwarded-for", address)
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
        .unwrap()
}

/// Failed sign-ins lock out the guessing address for that account, not the account: anyone
/// could otherwise lock `admin` out by guessing ten times.
#[actix_web::test]
async fn failed_sign_ins_do_not_lock_the_owner_out() {
    let env = Env::with(|s| s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    for _ in 0..xs_gateway::tokens::LOGIN_FAILURES {
        let r = sign_in_from(&env, "203.0.113.7", "admin", "not-the-password").await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
    // The guessing address is slowed down for this account, even with the right password...
    let r = sign_in_from(&env, "203.0.113.7", "admin", ADMIN_PASSWORD).await;
    assert!(r.headers().get("retry-after").is_some());
    problem(r, StatusCode::TOO_MANY_REQUESTS).await;
    // ...while the owner, from an address with no failures, signs in.
    let r = sign_in_from(&env, "198.51.100.20", "admin", ADMIN_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    env.stop().await;
}

/// The gateway's metrics are for operators: the metrics token or an admin's access token.
#[actix_web::test]
async fn gateway_metrics_are_for_operators_only() {
    let env = Env::with(|s| s.metrics_token = Some("scrape-secret-0123456789".into())).await;
    let anonymous = env.http.get(env.at("/metrics")).send().await.unwrap();
    problem(anonymous, StatusCode::UNAUTHORIZED).await;
    let admin = env.admin().await;
    env.create_user(&admin, "plain.member", &["member"], None)
        .await;
    let member = env.token("plain.member", "password-123").await;
    problem(env.get("/metrics", &member).await, StatusCode::FORBIDDEN).await;
    problem(
        env.get("/metrics", "wrong-scrape-token").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    for token in ["scrape-secret-0123456789", admin.as_str()] {
        let r = env.get("/metrics", token).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("xieshang_http_requests_total")
        );
    }
    env.stop().await;
}

/// An account is bound only to a district that exists and to a member of that district: a
/// siming account bound to a huli member used to see and edit that member's phone.
#[actix_web::test]
async fn accounts_are_bound_to_existing_districts_and_their_own_members() {
    let env = Env::start().await;
    let admin = env.admin().await;
    let create =
        |username: &'static str, district: Option<&'static str>, member: Option<&'static str>| {
            let (env, admin) = (&env, admin.clone());
            async move {
                env.post_json(
                    "/api/v1/accounts",
                    &admin,
                    &json!({"username": username, "password": "password-123", "roles": ["member"],
                        "district": district, "member_id": member}),
                )
                .await
            }
        };
    let field_of = |p: Value| p["errors"][0]["field"].as_str().unwrap_or("").to_string();
    let p = problem(
        create("bind.one", Some("atlantis"), None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(field_of(p), "district");
    let p = problem(
        create("bind.two", Some("siming"), Some("ghost")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(field_of(p), "member_id");
    let p = problem(
        create("bind.three", Some("siming"), Some("m-huli-7")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(field_of(p), "district");
    let p = problem(
        create("bind.four", None, Some("m-huli-7")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(field_of(p), "district");
    let ok = create("bind.five", Some("huli"), Some("m-huli-7")).await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    let siming = env
        .create_user(&admin, "bind.six", &["member"], Some("siming"))
        .await;
    let path = format!("/api/v1/accounts/{}", siming["id"].as_str().unwrap());
    let p = problem(
        env.patch_json(
            &path,
            &admin,
            Some("\"1\""),
            &json!({"member_id": "m-huli-7"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(field_of(p), "district");
    let p = problem(
        env.patch_json(
            &path,
            &admin,
            Some("\"1\""),
            &json!({"district": "atlantis"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(field_of(p), "district");
    let r = env
        .patch_json(&path, &admin, Some("\"1\""), &json!({"member_id": "m-7"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let p = problem(
        env.post_json(
            "/api/v1/clients",
            &admin,
            &json!({"name": "Atlantis centre", "roles": ["integrator"], "district": "atlantis"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(field_of(p), "district");
    env.stop().await;
}
