//! The database: one pool type over SQLite (embedded default) and PostgreSQL (production).
//!
//! The backend is chosen from the URL scheme (`postgres://` or `postgresql://` selects
//! PostgreSQL; anything else is a SQLite path), never by trial connection. All diesel work
//! runs on the blocking thread pool, off the async executor.

use crate::error::{ApiError, ApiResult};
use anyhow::Context;
use chrono::Timelike;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A connection to either backend. Queries written against `DbConn` run on both; SQL that
/// must differ goes in a `match` on the variant.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// A service's migrations, one directory per backend (`migrations/sqlite`, `migrations/postgres`).
pub struct Migrations {
    pub sqlite: EmbeddedMigrations,
    pub postgres: EmbeddedMigrations,
}

/// Tables the kit itself needs in every service database (idempotency records, outbox).
pub const KIT_MIGRATIONS: Migrations = Migrations {
    sqlite: diesel_migrations::embed_migrations!("migrations/sqlite"),
    postgres: diesel_migrations::embed_migrations!("migrations/postgres"),
};

/// Lends embedded migrations to the harness, which wants a source by value.
struct Source<'a>(&'a EmbeddedMigrations);

impl<DB: diesel::backend::Backend> diesel::migration::MigrationSource<DB> for Source<'_> {
    fn migrations(
        &self,
    ) -> diesel::migration::Result<Vec<Box<dyn diesel::migration::Migration<DB>>>> {
        diesel::migration::MigrationSource::<DB>::migrations(self.0)
    }
}

/// Builds connections for the pool, tuning SQLite as it connects.
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
    backend: Backend,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        match self.backend {
            Backend::Postgres => diesel::PgConnection::establish(&self.url)
                .map(DbConn::Pg)
                .map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(&self.url)
                    .map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    /// A connection left inside a transaction (a panicking handler) must not be reused.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        use diesel::connection::TransactionManager;
        <DbConn as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

pub type Pool = r2d2::Pool<Manager>;

#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    /// How long a request waits for a connection before it gets a 503.
    pub checkout_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_size: 10,
            checkout_timeout: Duration::from_secs(3),
        }
    }
}

/// The handle services hold: a pool plus what the backend needs to be used safely.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    /// SQLite allows one writer; a deferred transaction that reads and then writes fails at
    /// once with SQLITE_BUSY if another connection wrote in between. Each SQLite file is owned
    /// by one process, so serialising writers here is exact and avoids that failure.
    write_lock: Option<Arc<Mutex<()>>>,
}

impl Db {
    /// Open a pool. It does not fail when the database is down: the first use does, with a
    /// 503, and the pool reconnects by itself when the database returns.
    pub fn connect(url: &str, opts: &PoolOptions) -> anyhow::Result<Db> {
        let backend = Backend::from_url(url);
        if backend == Backend::Sqlite
            && let Some(parent) = std::path::Path::new(url.trim_start_matches("sqlite://"))
                .parent()
                .filter(|p| !p.as_os_str().is_empty() && !url.starts_with("file:"))
        {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let manager = Manager {
            url: url.trim_start_matches("sqlite://").to_string(),
            backend,
        };
        let pool = r2d2::Pool::builder()
            .max_size(opts.max_size)
            .min_idle(Some(1))
            .connection_timeout(opts.checkout_timeout)
            .test_on_check_out(true)
            .build_unchecked(manager);
        Ok(Db {
            pool,
            backend,
            write_lock: (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(()))),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Apply the kit's and then the service's pending migrations, then index what they left for
    /// search (`kit::search::index_pending`).
    /// On PostgreSQL an advisory lock keeps replicas starting together from racing.
    pub fn migrate(&self, service: &Migrations) -> anyhow::Result<()> {
        let mut conn = self
            .pool
            .get_timeout(Duration::from_secs(30))
            .context("connecting to the database to migrate")?;
        let run = |conn: &mut DbConn| -> anyhow::Result<()> {
            for m in [&KIT_MIGRATIONS, service] {
                match conn {
                    DbConn::Pg(c) => c.run_pending_migrations(Source(&m.postgres)).map(drop),
                    DbConn::Sqlite(c) => c.run_pending_migrations(Source(&m.sqlite)).map(drop),
                }
                .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
            }
            // Rows a migration made searchable are tokenised in Rust, so not by the SQL.
            let indexed = crate::search::index_pending(conn)
                .map_err(|e| anyhow::anyhow!("indexing for search failed: {e}"))?;
            if indexed > 0 {
                tracing::info!(documents = indexed, "indexed for search after migrating");
            }
            Ok(())
        };
        match &mut *conn {
            DbConn::Pg(c) => {
                c.batch_execute("SELECT pg_advisory_lock(7345021)")?;
                let result = run(&mut conn);
                conn.batch_execute("SELECT pg_advisory_unlock(7345021)")?;
                result
            }
            DbConn::Sqlite(_) => run(&mut conn),
        }
    }

    /// Run read-only work on a pooled connection, off the executor.
    pub async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        blocking(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
    }

    /// Run work in one transaction: all of it lands or none of it does.
    pub async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        let lock = self.write_lock.clone();
        blocking(move || {
            // Wait for the writer lock before taking a connection, so waiting writers do not
            // hold pool connections that readers need.
            let _guard = lock
                .as_ref()
                .map(|l| l.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
            let mut conn = pool.get()?;
            in_transaction(&mut conn, f)
        })
        .await
    }

    /// Readiness: can we get a connection and run a query, quickly?
    pub async fn ping(&self, timeout: Duration) -> ApiResult<()> {
        let pool = self.pool.clone();
        blocking(move || {
            let mut conn = pool.get_timeout(timeout)?;
            conn.batch_execute("SELECT 1")
                .map_err(|_| ApiError::Unavailable("database unavailable".into()))
        })
        .await
    }

    /// The pool, for tools and tests that need a raw connection.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

/// Run `f` in a transaction. On SQLite it is `BEGIN IMMEDIATE`: taking the write lock up front
/// makes a wait for another writer go through the busy timeout, where a deferred transaction
/// upgrading from read to write would fail at once with SQLITE_BUSY.
fn in_transaction<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> ApiResult<T>,
) -> ApiResult<T> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Tm = <DbConn as Connection>::TransactionManager;
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Pg(_) => Tm::begin_transaction(conn)?,
    }
    let result = f(conn).and_then(|v| {
        Tm::commit_transaction(conn)
            .map(|()| v)
            .map_err(ApiError::from)
    });
    let still_open = Tm::transaction_manager_status_mut(conn)
        .transaction_depth()
        .ok()
        .flatten()
        .is_some();
    if result.is_err()
        && still_open
        && let Err(e) = Tm::rollback_transaction(conn)
    {
        tracing::warn!(error = %e, "rollback failed");
    }
    result
}

async fn blocking<T, F>(f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> ApiResult<T> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("database task failed: {e}")))?
}

/// The current instant as stored: UTC, microsecond precision (what both backends keep).
pub fn now() -> chrono::NaiveDateTime {
    let n = chrono::Utc::now().naive_utc();
    n.with_nanosecond((n.nanosecond() / 1000) * 1000)
        .unwrap_or(n)
}

/// A new time-ordered id (UUID v7): ids sort in creation order, which keyset pagination uses.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The backend type queries are built for (e.g. `into_boxed::<DbBackend>()`).
pub type DbBackend = <DbConn as diesel::Connection>::Backend;
