//! The test harness: a fresh database per test (a temporary SQLite file, or a new PostgreSQL
//! database when `XS_TEST_DATABASE_URL` is set), a test signing key, and services started on
//! a random free port.

use crate::auth::{Claims, KeySource, Role};
use crate::keys::SigningKey;
use crate::service::{self, DEFAULT_AUDIENCE, DEFAULT_ISSUER, Running, ServiceSpec, Settings};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use std::sync::OnceLock;

/// A database that exists for one test and is dropped after it.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub fn fresh() -> TestDb {
        match std::env::var("XS_TEST_DATABASE_URL") {
            Ok(admin) if !admin.is_empty() => {
                let name = format!("xs_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = diesel::PgConnection::establish(&admin)
                    .unwrap_or_else(|e| panic!("XS_TEST_DATABASE_URL unreachable: {e}"));
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .unwrap_or_else(|e| panic!("creating test database: {e}"));
                let mut url = url::Url::parse(&admin).expect("XS_TEST_DATABASE_URL is a URL");
                url.set_path(&format!("/{name}"));
                TestDb {
                    url: url.to_string(),
                    _dir: None,
                    pg: Some((admin, name)),
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = dir.path().join("test.db").to_string_lossy().into_owned();
                TestDb {
                    url,
                    _dir: Some(dir),
                    pg: None,
                }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// The server-level URL for PostgreSQL tests that need to act on the database itself.
    pub fn admin_url(&self) -> Option<(&str, &str)> {
        self.pg.as_ref().map(|(a, n)| (a.as_str(), n.as_str()))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg
            && let Ok(mut conn) = diesel::PgConnection::establish(admin)
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// One RSA key for the whole test process (generating one is slow), as PKCS#8 PEM: write it
/// into a gateway's keys directory and the gateway signs with it too.
pub fn test_key_pem() -> &'static str {
    static PEM: OnceLock<String> = OnceLock::new();
    PEM.get_or_init(|| SigningKey::generate_pem().expect("generate test key"))
}

pub const TEST_KID: &str = "test-key";

pub fn test_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| {
        SigningKey::from_pem(TEST_KID, test_key_pem().as_bytes()).expect("load test key")
    })
}

pub fn test_key_source() -> KeySource {
    KeySource::Static(crate::keys::jwks(std::slice::from_ref(test_key())))
}

/// Claims for a test caller; adjust fields before signing.
pub fn claims(sub: &str, roles: &[Role], district: Option<&str>) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        sub: sub.into(),
        roles: roles.to_vec(),
        district: district.map(str::to_owned),
        member_id: None,
        iss: DEFAULT_ISSUER.into(),
        aud: DEFAULT_AUDIENCE.into(),
        iat: now,
        exp: now + 900,
        nbf: None,
        jti: uuid::Uuid::new_v4().to_string(),
    }
}

/// Sign claims with the test key.
pub fn sign(claims: &Claims) -> String {
    let key = test_key();
    let mut header = jsonwebtoken::Header::new(crate::keys::ALGORITHM);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding).expect("sign test token")
}

/// A token for a caller with these roles and district.
pub fn token(sub: &str, roles: &[Role], district: Option<&str>) -> String {
    sign(&claims(sub, roles, district))
}

/// A service running for one test, with its own database.
pub struct TestService {
    pub url: String,
    pub running: Running,
    pub db: TestDb,
}

impl TestService {
    pub async fn start(spec: &'static ServiceSpec) -> TestService {
        let db = TestDb::fresh();
        let running = start_on(spec, &db).await;
        TestService {
            url: running.url(),
            running,
            db,
        }
    }
}

/// Start a service on a random free port against `db`, verifying tokens with the test key.
pub async fn start_on(spec: &'static ServiceSpec, db: &TestDb) -> Running {
    let mut settings = Settings::new(
        "127.0.0.1:0".parse().expect("address"),
        db.url.clone(),
        test_key_source(),
    );
    settings.workers = 1;
    settings.pool.max_size = 4;
    service::start(spec, settings)
        .await
        .unwrap_or_else(|e| panic!("starting {}: {e:#}", spec.name))
}
