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
use diesel::sql_types::Integer;

/// Update `$table` (a `diesel::table!` module in scope, with `id`, `version`, `updated_at` and
/// `updated_by` columns) where `id = $id AND version = $expected`: apply `$changes` (an
/// `AsChangeset`), set `version = $expected + 1`, `updated_at = $at`, `updated_by = $by`.
/// Evaluates to `QueryResult<usize>`, the rows changed (0 or 1).
#[macro_export]
macro_rules! update_versioned {
    ($conn:expr, $table:ident, $id:expr, $expected:expr, $changes:expr, $by:expr, $at:expr) => {{
        let expected: i64 = $expected;
        ::diesel::RunQueryDsl::execute(
            ::diesel::update(::diesel::QueryDsl::filter(
                ::diesel::QueryDsl::filter(
                    $table::table,
                    ::diesel::ExpressionMethods::eq($table::id, $id),
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
    #[diesel(sql_type = Integer)]
    #[allow(dead_code)]
    found: i32,
}

/// Lock the row of `table` whose `id` column is `id` until the transaction ends; `false` if
/// there is no such row. Call it inside `Db::write`, before reading what the decision depends on.
///
/// PostgreSQL takes a row lock (`SELECT … FOR UPDATE`): a second transaction locking the same
/// row waits until the first commits, then reads what it wrote. SQLite has no row locks; there
/// a write transaction already holds the database's write lock from its first statement
/// (`BEGIN IMMEDIATE`, see `Db::write`), which serialises writers at least as strictly.
///
/// `table` must be a table name from the code, never from a request.
pub fn lock(conn: &mut DbConn, table: &'static str, id: &str) -> QueryResult<bool> {
    debug_assert!(table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    let rows = match conn {
        DbConn::Pg(c) => diesel::sql_query(format!(
            "SELECT 1 AS found FROM {table} WHERE id = $1 FOR UPDATE"
        ))
        .bind::<diesel::sql_types::Text, _>(id)
        .load::<Found>(c)?,
        DbConn::Sqlite(c) => {
            diesel::sql_query(format!("SELECT 1 AS found FROM {table} WHERE id = ?"))
                .bind::<diesel::sql_types::Text, _>(id)
                .load::<Found>(c)?
        }
    };
    Ok(!rows.is_empty())
}
