//! Races the kit settles below the HTTP layer: two first requests with one `Idempotency-Key`,
//! and statistics read while others write (`Db::read_consistent`).

use actix_web::FromRequest;
use actix_web::test::TestRequest;
use diesel::prelude::*;
use serde_json::{Value, json};
use std::time::Duration;
use xs_kit::db::{Db, DbConn, KIT_MIGRATIONS, PoolOptions};
use xs_kit::idempotency::{Idempotency, Reply, kit_idempotency};
use xs_kit::outbox::{self, kit_outbox};
use xs_kit::{ApiError, ApiResult};
use xs_testkit::TestDb;

/// A database with the kit's tables only.
async fn kit_db(db: &TestDb) -> Db {
    let d = Db::connect(
        &db.url,
        &PoolOptions {
            max_size: 4,
            checkout_timeout: Duration::from_secs(5),
            ..Default::default()
        },
    )
    .unwrap();
    let m = d.clone();
    tokio::task::spawn_blocking(move || m.migrate(&KIT_MIGRATIONS))
        .await
        .unwrap()
        .unwrap();
    d
}

async fn idempotency(key: &str) -> Idempotency {
    let req = TestRequest::post()
        .uri("/things")
        .insert_header(("Idempotency-Key", key))
        .to_http_request();
    Idempotency::extract(&req).await.unwrap()
}

/// What the kit stores for a request body (SHA-256 of its JSON, hex).
fn hash_of(body: &Value) -> String {
    let bytes = serde_json::to_vec(body).unwrap();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Another request with the same key, recorded (and committed) first.
fn record_winner(c: &mut DbConn, key: &str, hash: &str) -> QueryResult<usize> {
    use kit_idempotency::dsl as k;
    diesel::insert_into(k::kit_idempotency)
        .values((
            k::scope.eq("tester POST /things"),
            k::key.eq(key),
            k::request_hash.eq(hash),
            k::status.eq(201),
            k::body.eq(r#"{"id":"winner"}"#),
            k::location.eq(Some("/things/winner")),
            k::created_at.eq(xs_kit::db::now()),
        ))
        .execute(c)
}

async fn outbox_rows(db: &Db) -> i64 {
    db.read(|c| Ok(kit_outbox::table.count().get_result(c)?))
        .await
        .unwrap()
}

/// The loser of a race for a key learns it from the key's unique index (not from an error's
/// wording), its own write is rolled back, and it answers with the winner's reply.
#[actix_web::test]
async fn the_loser_of_a_key_race_replays_the_winners_reply() {
    let test_db = TestDb::fresh();
    let db = kit_db(&test_db).await;
    let body = json!({"name": "x"});
    let hash = hash_of(&body);

    // The winner's key appears inside the loser's own transaction (both backends): the
    // loser's insert of the key fails, its write is undone, and nothing stored remains to
    // replay, so it is told the key is busy rather than given a 500.
    let h = hash.clone();
    let r = idempotency("k-same-tx")
        .await
        .run(&db, "tester", &body, move |c| {
            outbox::enqueue(c, "fake:/x", &json!({"n": 1}))?;
            record_winner(c, "k-same-tx", &h)?;
            Reply::created(&json!({"id": "loser"}), "/things/loser".into())
        })
        .await;
    match r {
        Err(ApiError::Conflict(m)) => assert!(m.contains("in progress"), "{m}"),
        other => panic!("expected a 409, got {other:?}"),
    }
    assert_eq!(
        outbox_rows(&db).await,
        0,
        "the loser's write was rolled back"
    );

    if test_db.is_postgres() {
        // A real race: the winner commits on another connection while the loser works.
        let pool = db.pool().clone();
        let h = hash.clone();
        let res = idempotency("k-race")
            .await
            .run(&db, "tester", &body, move |c| {
                outbox::enqueue(c, "fake:/x", &json!({"n": 2}))?;
                let mut other = pool.get()?;
                record_winner(&mut other, "k-race", &h)?;
                Reply::created(&json!({"id": "loser"}), "/things/loser".into())
            })
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        assert_eq!(res.headers().get("idempotent-replayed").unwrap(), "true");
        assert_eq!(res.headers().get("location").unwrap(), "/things/winner");
        let bytes = actix_web::body::to_bytes(res.into_body()).await.unwrap();
        let got: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(got, json!({"id": "winner"}));
        assert_eq!(
            outbox_rows(&db).await,
            0,
            "the loser's write was rolled back"
        );
    }
}

/// A request whose key is held by a transaction that does not finish (its replica hangs)
/// answers 409 "in progress" at once instead of queueing behind it; once the first commits,
/// the key replays its reply.
#[actix_web::test]
async fn a_key_held_by_an_unfinished_request_answers_in_progress_at_once() {
    let test_db = TestDb::fresh();
    let db = kit_db(&test_db).await;
    let body = json!({"name": "x"});
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let first = {
        let db = db.clone();
        let body = body.clone();
        actix_web::rt::spawn(async move {
            idempotency("k-hung")
                .await
                .run(&db, "tester", &body, move |c| {
                    outbox::enqueue(c, "fake:/x", &json!({"n": 1}))?;
                    started_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                    Reply::created(&json!({"id": "first"}), "/things/first".into())
                })
                .await
                .map(|r| r.status())
        })
    };
    tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
        .await
        .unwrap();
    if test_db.is_postgres() {
        let second = idempotency("k-hung")
            .await
            .run(&db, "tester", &body, |_| {
                panic!("the second request must not run while the first holds the key")
            })
            .await;
        match second {
            Err(ApiError::Conflict(m)) => assert!(m.contains("in progress"), "{m}"),
            other => panic!("expected a 409, got {other:?}"),
        }
    }
    // (SQLite has one writer: a second request would wait for the first, then replay it.)
    release_tx.send(()).unwrap();
    assert_eq!(first.await.unwrap().unwrap(), 201);
    let third = idempotency("k-hung")
        .await
        .run(&db, "tester", &body, |_| panic!("a replay runs nothing"))
        .await
        .unwrap();
    assert_eq!(third.headers().get("idempotent-replayed").unwrap(), "true");
    assert_eq!(outbox_rows(&db).await, 1);
}

/// Counts taken in one `read_consistent` agree even when a row is added between them;
/// a plain `read` sees the new row at once.
#[actix_web::test]
async fn a_consistent_read_sees_one_snapshot() {
    let test_db = TestDb::fresh();
    let db = kit_db(&test_db).await;
    db.write(|c| outbox::enqueue(c, "fake:/x", &json!({"n": 0})))
        .await
        .unwrap();

    // Count, let another connection add a row (committed at once), count again.
    fn count_twice(c: &mut DbConn, pool: &xs_kit::db::Pool) -> ApiResult<(i64, i64)> {
        let before: i64 = kit_outbox::table.count().get_result(c)?;
        let mut other = pool.get()?;
        outbox::enqueue(&mut other, "fake:/x", &json!({"n": 1}))?;
        let after: i64 = kit_outbox::table.count().get_result(c)?;
        Ok((before, after))
    }
    let pool = db.pool().clone();
    let consistent = db
        .read_consistent(move |c| count_twice(c, &pool))
        .await
        .unwrap();
    assert_eq!(consistent, (1, 1), "one snapshot for the whole read");
    let pool = db.pool().clone();
    let plain = db.read(move |c| count_twice(c, &pool)).await.unwrap();
    assert_eq!(
        plain,
        (2, 3),
        "without a transaction each query sees the latest"
    );

    // Nothing is written through a consistent read on PostgreSQL (READ ONLY); on both the
    // connection is left clean for the next user.
    let tried = db
        .read_consistent(|c| outbox::enqueue(c, "fake:/x", &json!({"n": 2})))
        .await;
    if test_db.is_postgres() {
        assert!(
            tried.is_err(),
            "a consistent read is read-only on PostgreSQL"
        );
    }
    let n = outbox_rows(&db).await;
    assert!(n == 3 || (n == 4 && !test_db.is_postgres()), "{n}");
}
