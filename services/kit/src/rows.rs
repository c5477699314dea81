//! Writing one row safely under concurrency, the same way on both backends.
//!
//! - [`update_versioned!`](crate::update_versioned): optimistic concurrency. The update names the
//!   version it was based on; it changes the row only if that is still the version, bumps it and
//!   stamps who and when. Zero rows changed means gone (404) or changed by someone else (412):
//!   [`crate::concurrency::check_updated`] tells which.
//! - [`lock`]: pessimistic, for read-decide-write on one row that must not interleave with
//!   another writer (event capacity and waiting lists, state machines): the row is locked until
//!   the transaction ends.

use crate::db::DbConn;
use diesel::QueryableByName;
use diesel::prelude::*;
use diesel::sql_types::Text;

/// Update the row of `$table` (a `diesel::table!` module in scope, with `version`, `updated_at`
/// and `updated_by` columns) whose key column `$key` is `$id` and whose version is still
/// `$expected`: apply `$changes` (an `AsChangeset`, e.g. a changes struct or a tuple of
/// `col.eq(..)`), set `version = $expected + 1`, `updated_at = $at`, `updated_by = $by`.
/// Evaluates to `QueryResult<usize>`, the rows changed (0 or 1):
///
/// ```ignore
/// xs_kit::update_versioned!(conn, workrooms, id = id, expected, &changes, by, at)
/// ```
#[macro_export]
macro_rules! update_versioned {
    ($conn:expr, $table:ident, $key:ident = $id:expr, $expected:expr, $changes:expr, $by:expr, $at:expr) => {{
        let expected: i64 = $expected;
        ::diesel::RunQueryDsl::execute(
            ::diesel::update(::diesel::QueryDsl::filter(
                ::diesel::QueryDsl::filter(
                    $table::table,
                    ::diesel::ExpressionMethods::eq($table::$key, $id),
                ),
                ::diesel::ExpressionMethods::eq($table::version, expected),
            ))
            .set((
                $changes,
                ::diesel::ExpressionMethods::eq($table::version, expected + 1),
                ::diesel::ExpressionMethods::eq($table::updated_at, $at),
                ::diesel::ExpressionMethods::eq($table::updated_by, $by),
            )),
            $conn,
        )
    }};
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = Text)]
    #[allow(dead_code)]
    id: String,
}

/// Lock the rows of `table` whose `id` column is one of `ids` until the transaction ends, in
/// id order (so two writers locking overlapping sets cannot deadlock); returns how many of them
/// exist. Call it inside `Db::write`, before reading what the decision depends on (remaining
/// capacity, the current state).
///
/// PostgreSQL takes row locks (`SELECT … FOR NO KEY UPDATE`): a second transaction locking the
/// same row waits until the first commits, then reads what it wrote. `NO KEY UPDATE` does not
/// block inserts that merely refer to the row (their foreign-key checks take `KEY SHARE`), so
/// child rows can still be added meanwhile. SQLite has no row locks; there a write transaction
/// holds the database's write lock from its first statement (`BEGIN IMMEDIATE`, see
/// `Db::write`), which serialises writers at least as strictly.
///
/// `table` must be a table name from the code, never from a request.
pub fn lock_all(conn: &mut DbConn, table: &'static str, ids: &[&str]) -> QueryResult<usize> {
    assert!(
        table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "lock_all takes a table name from the code"
    );
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(0);
    }
    // One statement; rows are locked as the sorted result is produced, so in id order.
    let placeholders = |pg: bool| -> String {
        (1..=ids.len())
            .map(|i| if pg { format!("${i}") } else { "?".to_string() })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rows = match conn {
        DbConn::Pg(c) => {
            let sql = format!(
                "SELECT id FROM {table} WHERE id IN ({}) ORDER BY id FOR NO KEY UPDATE",
                placeholders(true)
            );
            let mut q = diesel::sql_query(sql).into_boxed::<diesel::pg::Pg>();
            for id in &ids {
                q = q.bind::<Text, _>(*id);
            }
            q.load::<Found>(c)?
        }
        DbConn::Sqlite(c) => {
            let sql = format!(
                "SELECT id FROM {table} WHERE id IN ({})",
                placeholders(false)
            );
            let mut q = diesel::sql_query(sql).into_boxed::<diesel::sqlite::Sqlite>();
            for id in &ids {
                q = q.bind::<Text, _>(*id);
            }
            q.load::<Found>(c)?
        }
    };
    Ok(rows.len())
}

/// Lock one row (see [`lock_all`]); `false` if there is no such row.
pub fn lock(conn: &mut DbConn, table: &'static str, id: &str) -> QueryResult<bool> {
    Ok(lock_all(conn, table, &[id])? == 1)
}
