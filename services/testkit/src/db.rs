//! A fresh database per test: a temporary SQLite file, or a new PostgreSQL database when
//! `XS_TEST_DATABASE_URL` is set.
//!
//! PostgreSQL: `DROP DATABASE` waits for a checkpoint (about a second each on a busy server),
//! which once made half of a whole-stack test's time. A test therefore does not wait for its
//! databases to go: a background thread of the test process drops them, several at a time, so
//! that they share checkpoints. Their names carry the test process's id; whatever a finished
//! process left behind is dropped by the next test process that starts on that server.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Mutex, OnceLock};

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
                let name = format!(
                    "{PREFIX}{}_{}",
                    std::process::id(),
                    uuid::Uuid::new_v4().simple()
                );
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
        if let Some((admin, name)) = self.pg.take() {
            dropper(&admin).send(name).ok();
        }
    }
}

/// Test databases are named `xs_test_<pid>_<uuid>`.
const PREFIX: &str = "xs_test_";
/// Databases dropped at once (each on its own connection).
const DROP_BATCH: usize = 8;

/// The background dropper for the server at `admin` (one server per test process: the URL is
/// read from the environment). On its first use it also queues the databases that test
/// processes no longer running left behind.
fn dropper(admin: &str) -> Sender<String> {
    static DROPPER: OnceLock<Mutex<Sender<String>>> = OnceLock::new();
    let sender = DROPPER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let admin = admin.to_string();
        for name in left_behind(&admin) {
            tx.send(name).ok();
        }
        std::thread::spawn(move || drop_all(&admin, &rx));
        Mutex::new(tx)
    });
    sender.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

fn drop_all(admin: &str, rx: &Receiver<String>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter().take(DROP_BATCH - 1));
        std::thread::scope(|s| {
            for name in &batch {
                s.spawn(move || {
                    if let Ok(mut conn) = PgConnection::establish(admin) {
                        let _ = conn
                            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                    }
                });
            }
        });
    }
}

/// Test databases on the server whose process has ended (Linux: no `/proc/<pid>`).
fn left_behind(admin: &str) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let Ok(mut conn) = PgConnection::establish(admin) else {
        return Vec::new();
    };
    let names: Vec<Name> =
        diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'xs\\_test\\_%'")
            .load(&mut conn)
            .unwrap_or_default();
    names
        .into_iter()
        .map(|n| n.datname)
        .filter(|name| {
            let pid = name[PREFIX.len()..].split('_').next().unwrap_or("");
            // Only names of this form: older or foreign ones may belong to a live process.
            pid.parse::<u32>().is_ok_and(|pid| {
                pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
            })
        })
        .collect()
}
