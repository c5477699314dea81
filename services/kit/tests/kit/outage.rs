//! PostgreSQL going down and coming back, on a server of the test's own: once the database is
//! known to be down, requests get their 503 at once rather than each waiting out the pool's
//! checkout timeout, and the pool recovers by itself when the server returns.

use diesel::connection::SimpleConnection;
use std::time::Duration;
use xs_kit::ApiError;
use xs_kit::db::{Db, PoolOptions};
use xs_testkit::pg::PgInstance;

async fn select_one(db: &Db) -> Result<(), ApiError> {
    db.read(|c| c.batch_execute("SELECT 1").map_err(ApiError::from))
        .await
}

#[actix_web::test]
async fn a_database_known_down_answers_503_at_once_and_recovers_by_itself() {
    let Some(pg) = PgInstance::start() else {
        return;
    };
    // A checkout timeout far longer than the test waits below: a request that waited for it
    // instead of failing fast would not be answered in time.
    let db = Db::connect(
        &pg.url,
        &PoolOptions {
            max_size: 4,
            checkout_timeout: Duration::from_secs(120),
            ..Default::default()
        },
    )
    .unwrap();
    select_one(&db).await.unwrap();
    assert!(!db.is_down());

    pg.stop_server();
    // The first failure (here the readiness check's own short timeout) finds it down.
    let first = db.ping(Duration::from_secs(2)).await;
    assert!(matches!(first, Err(ApiError::Unavailable(_))), "{first:?}");
    assert!(db.is_down());
    assert!(db.pool_stats().down);
    for _ in 0..20 {
        let read = tokio::time::timeout(Duration::from_secs(30), select_one(&db))
            .await
            .expect("answered without waiting for the checkout timeout");
        assert!(matches!(read, Err(ApiError::Unavailable(_))), "{read:?}");
        let write = tokio::time::timeout(
            Duration::from_secs(30),
            db.write(|c| c.batch_execute("SELECT 1").map_err(ApiError::from)),
        )
        .await
        .expect("answered without waiting for the checkout timeout");
        assert!(matches!(write, Err(ApiError::Unavailable(_))), "{write:?}");
    }

    pg.start_server();
    // The background probe notices; nobody has to call.
    for _ in 0..600 {
        if !db.is_down() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!db.is_down(), "recovered by itself");
    select_one(&db).await.unwrap();
    db.write(|c| {
        c.batch_execute("CREATE TABLE IF NOT EXISTS t (x INT); INSERT INTO t VALUES (1)")
            .map_err(ApiError::from)
    })
    .await
    .unwrap();
}

/// A saturated pool (every connection busy) is not a database that is down.
#[actix_web::test]
async fn a_busy_pool_is_not_a_database_down() {
    let Some(pg) = PgInstance::start() else {
        return;
    };
    let db = Db::connect(
        &pg.url,
        &PoolOptions {
            max_size: 1,
            checkout_timeout: Duration::from_millis(300),
            ..Default::default()
        },
    )
    .unwrap();
    let (held_tx, held_rx) = tokio::sync::oneshot::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let holder = db.clone();
    let hold = tokio::spawn(async move {
        holder
            .read(move |_| {
                let _ = held_tx.send(());
                let _ = release_rx.recv();
                Ok(())
            })
            .await
    });
    held_rx.await.unwrap();
    let busy = select_one(&db).await;
    assert!(matches!(busy, Err(ApiError::Unavailable(_))), "{busy:?}");
    assert!(!db.is_down(), "busy, not down");
    release_tx.send(()).unwrap();
    hold.await.unwrap().unwrap();
    select_one(&db).await.unwrap();
}
