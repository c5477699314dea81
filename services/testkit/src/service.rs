//! One service on a random free port, with its own database.

use crate::db::TestDb;
use crate::tokens::test_key_source;
use xs_kit::service::{self, Running, ServiceSpec, Settings};

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

/// The settings tests start a service with: a random free port, `db`, tokens verified with
/// the test key, one worker, a small pool, no other services.
pub fn settings(db: &TestDb) -> Settings {
    let mut settings = Settings::new(
        "127.0.0.1:0".parse().expect("address"),
        db.url.clone(),
        test_key_source(),
    );
    settings.workers = 1;
    settings.pool.max_size = 4;
    settings
}

/// Start a service on a random free port against `db`, verifying tokens with the test key.
pub async fn start_on(spec: &'static ServiceSpec, db: &TestDb) -> Running {
    service::start(spec, settings(db))
        .await
        .unwrap_or_else(|e| panic!("starting {}: {e:#}", spec.name))
}
