//! The events feed of one service (`xs_kit::events`): positions are given after commit, so a
//! reader paging by position never skips an event whose transaction committed after a later
//! id's, and never sees one twice — on SQLite, and on PostgreSQL (XS_TEST_DATABASE_URL) also
//! with a transaction really held open across a publish.
use diesel::prelude::*;
use std::collections::HashSet;
use std::time::Duration;
use xs_kit::db::PoolOptions;
use xs_kit::events::{self, Event, FeedFilter, Positioned};
use xs_kit::{Db, DbConn};
use xs_testkit::TestDb;

async fn setup() -> (TestDb, Db) {
    let test_db = TestDb::fresh();
    let opts = PoolOptions {
        max_size: 8,
        checkout_timeout: Duration::from_secs(10),
        ..Default::default()
    };
    let db = Db::connect(&test_db.url, &opts).unwrap();
    let migrate = db.clone();
    tokio::task::spawn_blocking(move || migrate.migrate(&crate::notebook::MIGRATIONS))
        .await
        .unwrap()
        .unwrap();
    (test_db, db)
}

fn event(id: &str, event_type: &str, district: &str) -> Event {
    Event {
        id: id.to_string(),
        event_type: event_type.to_string(),
        occurred_at: xs_kit::db::now(),
        district: Some(district.to_string()),
        subject: format!("/api/v1/widgets/{id}"),
        data: serde_json::json!({"id": id}),
    }
}

async fn write(db: &Db, e: Event) {
    db.write(move |c| Ok(events::record(c, &e)?)).await.unwrap();
}

async fn read(db: &Db, after: i64, filter: FeedFilter, limit: i64) -> Vec<Positioned> {
    events::publish_all(db).await.unwrap();
    db.read(move |c| Ok(events::feed(c, after, &filter, limit)?))
        .await
        .unwrap()
}

fn ids(page: &[Positioned]) -> Vec<&str> {
    page.iter().map(|p| p.event.id.as_str()).collect()
}

#[actix_web::test]
async fn an_event_that_commits_late_with_an_early_id_is_not_skipped() {
    let (_guard, db) = setup().await;
    // Ids are taken before commit: A's is earlier, but B commits first.
    let a = xs_kit::db::new_id();
    let b = xs_kit::db::new_id();
    assert!(a < b);
    write(&db, event(&b, "widget.approved", "siming")).await;
    let first = read(&db, 0, FeedFilter::default(), 10).await;
    assert_eq!(ids(&first), [b.as_str()]);
    assert_eq!(first[0].position, 1);

    write(&db, event(&a, "widget.approved", "siming")).await;
    // Paging "after B's id" would skip A for good ...
    let by_id = db
        .read({
            let b = b.clone();
            move |c| Ok(events::list(c, Some(&b), None, 10)?)
        })
        .await
        .unwrap();
    assert!(by_id.is_empty());
    // ... paging after B's position does not.
    let next = read(&db, first[0].position, FeedFilter::default(), 10).await;
    assert_eq!(ids(&next), [a.as_str()]);
    assert_eq!(next[0].position, 2);
    // Nothing more, and reading again repeats nothing.
    assert!(read(&db, 2, FeedFilter::default(), 10).await.is_empty());
    assert_eq!(
        ids(&read(&db, 0, FeedFilter::default(), 10).await),
        [b.as_str(), a.as_str()]
    );
}

#[actix_web::test]
async fn the_feed_filters_by_type_and_district() {
    let (_guard, db) = setup().await;
    write(&db, event("e1", "widget.approved", "siming")).await;
    write(&db, event("e2", "widget.retired", "siming")).await;
    write(&db, event("e3", "widget.approved", "huli")).await;
    let approved = read(
        &db,
        0,
        FeedFilter {
            types: vec!["widget.approved".into()],
            district: None,
        },
        10,
    )
    .await;
    assert_eq!(ids(&approved), ["e1", "e3"]);
    let huli = read(
        &db,
        0,
        FeedFilter {
            types: vec![],
            district: Some("huli".into()),
        },
        10,
    )
    .await;
    assert_eq!(ids(&huli), ["e3"]);
    assert_eq!(huli[0].position, 3);
}

/// Writers record events while a reader pages with a small limit: every event appears once,
/// positions strictly increase.
#[actix_web::test]
async fn paging_while_writers_run_sees_every_event_once() {
    let (_guard, db) = setup().await;
    const WRITERS: usize = 6;
    const EACH: usize = 15;
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let db = db.clone();
            tokio::spawn(async move {
                for i in 0..EACH {
                    // Taken before the write waits for its turn, as handlers do.
                    let id = xs_kit::db::new_id();
                    tokio::task::yield_now().await;
                    let e = event(&id, "widget.approved", "siming");
                    db.write(move |c| {
                        events::record(c, &e)?;
                        Ok(())
                    })
                    .await
                    .unwrap();
                    if i % 4 == w % 4 {
                        tokio::time::sleep(Duration::from_millis(3)).await;
                    }
                }
            })
        })
        .collect();
    let mut seen: Vec<Positioned> = Vec::new();
    let mut after = 0;
    let mut done = false;
    loop {
        let page = read(&db, after, FeedFilter::default(), 4).await;
        if let Some(last) = page.last() {
            after = last.position;
        }
        let empty = page.is_empty();
        seen.extend(page);
        if done && empty {
            break;
        }
        if !done && writers.iter().all(|w| w.is_finished()) {
            done = true;
        }
    }
    for w in writers {
        w.await.unwrap();
    }
    assert_eq!(seen.len(), WRITERS * EACH);
    let unique: HashSet<&str> = seen.iter().map(|p| p.event.id.as_str()).collect();
    assert_eq!(unique.len(), WRITERS * EACH, "an event was served twice");
    assert!(seen.windows(2).all(|w| w[0].position < w[1].position));
    let stored: i64 = db
        .read(|c| Ok(events::kit_events::table.count().get_result::<i64>(c)?))
        .await
        .unwrap();
    assert_eq!(stored as usize, WRITERS * EACH);
}

/// PostgreSQL: a transaction holding an event stays open while a later event commits and is
/// published and read; when it commits, its event comes next.
#[actix_web::test]
async fn postgres_a_transaction_held_open_across_a_publish() {
    let (guard, db) = setup().await;
    if !guard.is_postgres() {
        return;
    }
    let (inserted_tx, inserted_rx) = std::sync::mpsc::channel::<()>();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let early = xs_kit::db::new_id();
    let held = {
        let db = db.clone();
        let early = early.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.pool().get().unwrap();
            let c: &mut DbConn = &mut conn;
            c.transaction::<_, diesel::result::Error, _>(|c| {
                events::record(c, &event(&early, "widget.approved", "siming"))?;
                inserted_tx.send(()).unwrap();
                go_rx.recv().unwrap();
                Ok(())
            })
            .unwrap();
        })
    };
    tokio::task::spawn_blocking(move || inserted_rx.recv().unwrap())
        .await
        .unwrap();
    let late = xs_kit::db::new_id();
    write(&db, event(&late, "widget.approved", "siming")).await;
    let first = read(&db, 0, FeedFilter::default(), 10).await;
    assert_eq!(ids(&first), [late.as_str()]);
    go_tx.send(()).unwrap();
    held.await.unwrap();
    let next = read(&db, first[0].position, FeedFilter::default(), 10).await;
    assert_eq!(ids(&next), [early.as_str()]);
}
