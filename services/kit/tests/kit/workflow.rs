//! The kit's workflow pieces on the notebook's database (SQLite, or PostgreSQL when
//! `XS_TEST_DATABASE_URL` is set): row locks under concurrency, versioned updates, and
//! lifecycle moves whose history and event land with the change or not at all.
use diesel::prelude::*;
use futures_util::future::join_all;
use std::time::Duration;
use xs_kit::db::PoolOptions;
use xs_kit::lifecycle::{self, Lifecycle, Move, Publish};
use xs_kit::{ApiError, Db, DbConn, rows};
use xs_testkit::TestDb;

diesel::table! {
    widgets (id) {
        id -> Text,
        district -> Text,
        status -> Text,
        capacity -> Integer,
        taken -> Integer,
        version -> BigInt,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

xs_kit::text_enum! {
    pub enum WidgetStatus {
        Pending = "pending",
        Approved = "approved",
        Retired = "retired",
    }
}

xs_kit::text_enum! {
    pub enum WidgetAction {
        Approve = "approve",
        Retire = "retire",
    }
}

impl Lifecycle for WidgetStatus {
    type Action = WidgetAction;
    type Guards = ();
    const SUBJECT: &'static str = "widget";

    fn target(self, action: WidgetAction, _: &()) -> Option<WidgetStatus> {
        match (self, action) {
            (WidgetStatus::Pending, WidgetAction::Approve) => Some(WidgetStatus::Approved),
            (WidgetStatus::Pending | WidgetStatus::Approved, WidgetAction::Retire) => {
                Some(WidgetStatus::Retired)
            }
            _ => None,
        }
    }
}

async fn setup() -> (TestDb, Db) {
    let test_db = TestDb::fresh();
    let opts = PoolOptions {
        max_size: 12,
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

async fn add_widget(db: &Db, id: &str, capacity: i32) {
    let id = id.to_string();
    db.write(move |c| {
        diesel::insert_into(widgets::table)
            .values((
                widgets::id.eq(id),
                widgets::district.eq("siming"),
                widgets::status.eq(WidgetStatus::Pending.as_str()),
                widgets::capacity.eq(capacity),
                widgets::taken.eq(0),
                widgets::version.eq(1),
                widgets::updated_at.eq(xs_kit::db::now()),
                widgets::updated_by.eq("test"),
            ))
            .execute(c)?;
        Ok(())
    })
    .await
    .unwrap();
}

fn read(c: &mut DbConn, id: &str) -> (String, i32, i64) {
    widgets::table
        .find(id)
        .select((widgets::status, widgets::taken, widgets::version))
        .first(c)
        .unwrap()
}

#[actix_web::test]
async fn a_row_lock_admits_exactly_the_capacity() {
    let (_guard, db) = setup().await;
    add_widget(&db, "w1", 5).await;
    // Twenty writers race for five places; each reads what is taken, dawdles (widening the
    // window in which an unlocked read would go stale), then takes a place if one is left.
    let attempts = (0..20).map(|_| {
        let db = db.clone();
        async move {
            db.write(move |c| {
                assert!(rows::lock(c, "widgets", "w1")?);
                let (_, taken, _) = read(c, "w1");
                std::thread::sleep(Duration::from_millis(5));
                if taken >= 5 {
                    return Ok(false);
                }
                diesel::update(widgets::table.find("w1"))
                    .set(widgets::taken.eq(taken + 1))
                    .execute(c)?;
                Ok(true)
            })
            .await
        }
    });
    let results = join_all(attempts).await;
    let admitted = results.iter().filter(|r| matches!(r, Ok(true))).count();
    let refused = results.iter().filter(|r| matches!(r, Ok(false))).count();
    assert_eq!((admitted, refused), (5, 15), "{results:?}");
    let (_, taken, _) = db.read(|c| Ok(read(c, "w1"))).await.unwrap();
    assert_eq!(taken, 5);
}

#[actix_web::test]
async fn locks_report_which_rows_exist() {
    let (_guard, db) = setup().await;
    add_widget(&db, "a", 1).await;
    add_widget(&db, "b", 1).await;
    let found = db
        .write(|c| {
            Ok((
                rows::lock_all(c, "widgets", &["b", "a", "missing", "a"])?,
                rows::lock(c, "widgets", "missing")?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(found, (2, false));
}

#[actix_web::test]
async fn a_versioned_update_changes_only_the_version_it_read() {
    let (_guard, db) = setup().await;
    add_widget(&db, "w1", 3).await;
    let update = |expected: i64, id: &'static str| {
        let db = db.clone();
        async move {
            db.write(move |c| {
                let changed = xs_kit::update_versioned!(
                    c,
                    widgets,
                    id = id,
                    expected,
                    widgets::capacity.eq(9),
                    "editor",
                    xs_kit::db::now()
                )?;
                xs_kit::concurrency::check_updated(
                    changed,
                    || Ok(rows::lock(c, "widgets", id)?),
                    "widget",
                )
            })
            .await
        }
    };
    update(1, "w1").await.unwrap();
    let (_, _, version) = db.read(|c| Ok(read(c, "w1"))).await.unwrap();
    assert_eq!(version, 2);
    // The same stale version again: someone else's change would be overwritten.
    assert!(matches!(
        update(1, "w1").await,
        Err(ApiError::PreconditionFailed(_))
    ));
    assert!(matches!(
        update(2, "nope").await,
        Err(ApiError::NotFound(_))
    ));
    let by: String = db
        .read(|c| {
            Ok(widgets::table
                .find("w1")
                .select(widgets::updated_by)
                .first(c)?)
        })
        .await
        .unwrap();
    assert_eq!(by, "editor");
}

/// Approve (or try to) the widget: lock, read, apply the table, write, record.
fn transition(
    c: &mut DbConn,
    id: &str,
    action: WidgetAction,
    fail_after: bool,
) -> xs_kit::ApiResult<()> {
    if !rows::lock(c, "widgets", id)? {
        return Err(ApiError::not_found("widget"));
    }
    let (status, _, version) = read(c, id);
    let from = xs_kit::enums::stored::<WidgetStatus>("widget status", &status)?;
    let to = lifecycle::apply(from, action, &())?;
    let now = xs_kit::db::now();
    let changed = xs_kit::update_versioned!(
        c,
        widgets,
        id = id,
        version,
        widgets::status.eq(to.as_str()),
        "tester",
        now
    )?;
    assert_eq!(changed, 1);
    Move {
        subject_id: id.to_string(),
        from: Some(from),
        action: action.as_str().into(),
        to,
        details: serde_json::json!({"note": "checked"}),
        by: "tester".into(),
        at: now,
    }
    .record(
        c,
        Publish {
            district: Some("siming".into()),
            subject: format!("/api/v1/widgets/{id}"),
            data: serde_json::json!({"id": id, "status": to.as_str()}),
        },
    )?;
    if fail_after {
        return Err(ApiError::Conflict("something after the move failed".into()));
    }
    Ok(())
}

#[actix_web::test]
async fn a_move_its_history_and_its_event_land_together_or_not_at_all() {
    let (_guard, db) = setup().await;
    add_widget(&db, "w1", 1).await;
    // A transaction that fails after recording the move leaves nothing behind.
    let failed = db
        .write(|c| transition(c, "w1", WidgetAction::Approve, true))
        .await;
    assert!(matches!(failed, Err(ApiError::Conflict(_))));
    let (status, history, events) = db
        .read(|c| {
            Ok((
                read(c, "w1").0,
                lifecycle::history::<WidgetStatus>(c, "w1", None, 10)?,
                xs_kit::events::list(c, None, None, 10)?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(status, "pending");
    assert!(history.is_empty() && events.is_empty());

    db.write(|c| transition(c, "w1", WidgetAction::Approve, false))
        .await
        .unwrap();
    let (status, history, events) = db
        .read(|c| {
            Ok((
                read(c, "w1").0,
                lifecycle::history::<WidgetStatus>(c, "w1", None, 10)?,
                xs_kit::events::list(c, None, Some("siming"), 10)?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(status, "approved");
    assert_eq!(history.len(), 1);
    let h = &history[0];
    assert_eq!(
        (
            h.action.as_str(),
            h.from_state.as_deref(),
            h.to_state.as_str()
        ),
        ("approve", Some("pending"), "approved")
    );
    assert_eq!(h.created_by, "tester");
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.event_type, "widget.approved");
    assert_eq!(e.subject, "/api/v1/widgets/w1");
    assert_eq!(e.data["status"], "approved");
    let envelope = serde_json::to_value(e).unwrap();
    assert_eq!(envelope["type"], "widget.approved");
    assert!(envelope["occurred_at"].as_str().unwrap().ends_with('Z'));

    // An illegal move is a 409 naming what is allowed, and leaves no trace.
    match db
        .write(|c| transition(c, "w1", WidgetAction::Approve, false))
        .await
    {
        Err(ApiError::IllegalTransition { allowed, .. }) => assert_eq!(allowed, ["retire"]),
        other => panic!("{other:?}"),
    }
    let count = db
        .read(|c| Ok(lifecycle::history::<WidgetStatus>(c, "w1", None, 10)?.len()))
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[actix_web::test]
async fn racing_moves_from_one_state_let_exactly_one_through() {
    let (_guard, db) = setup().await;
    add_widget(&db, "w1", 1).await;
    let racers = (0..10).map(|_| {
        let db = db.clone();
        async move {
            db.write(|c| transition(c, "w1", WidgetAction::Approve, false))
                .await
        }
    });
    let results = join_all(racers).await;
    let through = results.iter().filter(|r| r.is_ok()).count();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(ApiError::IllegalTransition { .. })))
        .count();
    assert_eq!((through, refused), (1, 9), "{results:?}");
    let history = db
        .read(|c| Ok(lifecycle::history::<WidgetStatus>(c, "w1", None, 10)?))
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
}
