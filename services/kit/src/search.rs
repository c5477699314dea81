//! Chinese text search, the same on SQLite and PostgreSQL.
//!
//! Most Chinese words are two characters, which a trigram index cannot find, and neither
//! backend can be trusted to split Chinese into words (a PostgreSQL database may run in the
//! C locale). So the kit makes the tokens itself, in Rust, identically for both backends:
//!
//! - a run of Chinese (Han, kana, hangul) characters gives every character and every pair of
//!   neighbours: 小区停车难 → 小 区 停 车 难 小区 区停 停车 车难;
//! - a run of other letters and digits (a word) gives its lower-case prefixes of up to
//!   [`MAX_PREFIX`] characters: `PM25` → `p pm pm2 pm25`;
//! - anything else (spaces, punctuation) separates.
//!
//! A query needs all of its tokens: each pair of neighbouring Chinese characters (a single
//! character alone), and each word (as a prefix). So 停车 finds 小区停车难, 张伟 finds 张伟 and
//! 张伟华 but not 王伟, 伟 finds all three, and `委员33` finds 委员331. Positions are not stored,
//! so a phrase of three or more characters matches text holding each of its pairs somewhere
//! (停车难 also finds "…停车…车难…"); pairs that cross a word boundary are rare enough that
//! this is seldom visible, and it keeps both backends' answers identical.
//!
//! Storage: SQLite keeps the tokens of each document in an FTS5 table (contentless, no
//! positions) with `kit_search_docs` mapping its rowid to the service's `(kind, id)`;
//! PostgreSQL keeps them in `kit_search` as a `bigint[]` of 64-bit token hashes ([`hash`])
//! under a GIN index, matched with `@>`. Hashes rather than `text[]`: checking one document
//! (what a page of a common word does for each row it reads) compares integers instead of
//! ~900 strings and reads an uncompressed array, about three times faster when measured; two
//! tokens sharing a hash is vanishingly unlikely (~10⁻¹³ per query at a million documents).
//!
//! Use: call [`index`] in the same transaction as the write that changes a document's text
//! (and [`remove`] when it goes), filter any query with [`matching`] — it composes with other
//! filters, keyset pagination and scope — and offer [`similar`] for "has this been asked
//! before?". A migration that makes existing rows searchable inserts them into
//! `kit_search_pending (kind, doc_id, body)`; [`crate::Db::migrate`] indexes them right after
//! migrating, before the service serves.

use crate::db::{DbBackend, DbConn};
use diesel::dsl::sql;
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use std::collections::HashSet;

/// Words give prefixes up to this many characters; a longer query word is cut to it.
pub const MAX_PREFIX: usize = 16;

/// A query uses at most this many tokens (the first ones); the rest would only narrow it.
pub const MAX_QUERY_TOKENS: usize = 32;

/// A search matching at most this many documents is collected first and the outer query
/// reads those; one matching more is checked row by row as the outer query walks its own
/// index, which stops once a page is full (see [`Plan`]). Where the two cost the same, from
/// the benchmark (bench/README.md): collecting costs per match, checking per row read.
pub const COLLECT_AT_MOST_SQLITE: i64 = 40_000;
/// As [`COLLECT_AT_MOST_SQLITE`], for PostgreSQL.
pub const COLLECT_AT_MOST_POSTGRES: i64 = 15_000;

/// On PostgreSQL, a query the planner's statistics say matches more than this many times the
/// collect bound is checked row by row without counting (see [`Plan::Auto`]).
const PG_SURELY_MANY: i64 = 4;

/// Documents migrations leave in `kit_search_pending` are indexed this many per transaction.
const PENDING_BATCH: i64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Chinese,
    Word,
    Separator,
}

/// Full-width ASCII (ＡＢＣ１２３) is folded to ASCII, so both spellings find each other.
fn fold(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

fn is_chinese(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF         // CJK extension A
        | 0x4E00..=0x9FFF       // CJK unified ideographs
        | 0xF900..=0xFAFF       // compatibility ideographs
        | 0x20000..=0x3134F     // extensions B–G
        | 0x3007                // 〇
        | 0x3041..=0x30FA       // hiragana, katakana (not the middle dot U+30FB)
        | 0x30FC..=0x30FF
        | 0xAC00..=0xD7AF) // hangul syllables
}

fn class(c: char) -> Class {
    if is_chinese(c) {
        Class::Chinese
    } else if c.is_alphanumeric() {
        Class::Word
    } else {
        Class::Separator
    }
}

/// Split into runs, breaking at separators and where the class changes.
fn runs_of(text: &str) -> Vec<(Class, Vec<char>)> {
    let mut out: Vec<(Class, Vec<char>)> = Vec::new();
    let mut current: Option<(Class, Vec<char>)> = None;
    for c in text.chars().map(fold) {
        let k = class(c);
        match &mut current {
            Some((kind, run)) if *kind == k => push_char(run, k, c),
            _ => {
                if let Some(done) = current.take() {
                    out.push(done);
                }
                if k != Class::Separator {
                    let mut run = Vec::new();
                    push_char(&mut run, k, c);
                    current = Some((k, run));
                }
            }
        }
    }
    out.extend(current);
    out
}

fn push_char(run: &mut Vec<char>, k: Class, c: char) {
    if k == Class::Word {
        run.extend(c.to_lowercase());
    } else {
        run.push(c);
    }
}

/// Tokens in first-seen order, each once.
#[derive(Default)]
struct TokenSet {
    seen: HashSet<String>,
    list: Vec<String>,
}

impl TokenSet {
    fn push(&mut self, t: String) {
        if !self.seen.contains(&t) {
            self.seen.insert(t.clone());
            self.list.push(t);
        }
    }

    fn add_text(&mut self, text: &str) {
        for (k, run) in runs_of(text) {
            match k {
                Class::Chinese => {
                    for c in &run {
                        self.push(c.to_string());
                    }
                    for pair in run.windows(2) {
                        self.push(pair.iter().collect());
                    }
                }
                Class::Word => {
                    for n in 1..=run.len().min(MAX_PREFIX) {
                        self.push(run[..n].iter().collect());
                    }
                }
                Class::Separator => {}
            }
        }
    }
}

/// The tokens a document's text is indexed under, each once.
pub fn tokens(text: &str) -> Vec<String> {
    let mut set = TokenSet::default();
    set.add_text(text);
    set.list
}

/// The tokens a query needs (all of them), each once, at most [`MAX_QUERY_TOKENS`]. Empty when
/// the query has no letter, digit or Chinese character: callers refuse it ([`query_param`],
/// 422), and [`matching`] matches nothing for it.
pub fn query_tokens(query: &str) -> Vec<String> {
    let mut set = TokenSet::default();
    for (k, run) in runs_of(query) {
        match k {
            Class::Chinese if run.len() == 1 => set.push(run[0].to_string()),
            Class::Chinese => {
                for pair in run.windows(2) {
                    set.push(pair.iter().collect());
                }
            }
            Class::Word => set.push(run.iter().take(MAX_PREFIX).collect()),
            Class::Separator => {}
        }
    }
    set.list.truncate(MAX_QUERY_TOKENS);
    set.list
}

/// The longest search text (`q`) a list takes; every `q` parameter states it (`maxLength`).
pub const QUERY_MAX_CHARS: usize = 100;

/// A list's search text (`q`), checked the same way by every list: longer than
/// [`QUERY_MAX_CHARS`] is a 400 (the schema's `maxLength`); blank is no filter (`None`); one
/// without a letter, a digit or a Chinese character has nothing to search for, which no schema
/// can state exactly ("letter" is Unicode's): a 422.
pub fn query_param(
    v: &mut crate::validate::Validator,
    field: &str,
    q: Option<String>,
) -> Option<String> {
    let q = q?;
    v.check(
        q.chars().count() <= QUERY_MAX_CHARS,
        field,
        &format!("must be at most {QUERY_MAX_CHARS} characters"),
    );
    if q.trim().is_empty() {
        return None;
    }
    v.require(
        !query_tokens(&q).is_empty(),
        field,
        "must contain a letter, a digit or a Chinese character",
    );
    Some(q)
}

/// A token's hash as PostgreSQL stores it: 64-bit FNV-1a of its UTF-8 bytes. Fixed forever:
/// changing it means re-indexing every document.
pub fn hash(token: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in token.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h as i64
}

/// Tokens as PostgreSQL binds them: their hashes, space-separated (arrays cannot be bound
/// through the multi-backend connection; the server splits the string).
fn pg_array(tokens: &[String]) -> String {
    tokens
        .iter()
        .map(|t| hash(t).to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The FTS5 query for tokens: each a quoted string, all required.
fn fts_query(tokens: &[String]) -> String {
    tokens
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// Index a document's texts under `(kind, id)`, replacing what it was indexed under before.
/// Call it in the transaction that writes the texts. A document with no tokens is removed.
pub fn index(conn: &mut DbConn, kind: &str, id: &str, texts: &[&str]) -> QueryResult<()> {
    let mut set = TokenSet::default();
    for t in texts {
        set.add_text(t);
    }
    forget_pending(conn, kind, id)?;
    store(conn, kind, id, &set.list)
}

/// Take a document out of the index (nothing happens if it was not in it).
pub fn remove(conn: &mut DbConn, kind: &str, id: &str) -> QueryResult<()> {
    forget_pending(conn, kind, id)?;
    store(conn, kind, id, &[])
}

fn store(conn: &mut DbConn, kind: &str, id: &str, tokens: &[String]) -> QueryResult<()> {
    match conn {
        DbConn::Pg(c) => {
            if tokens.is_empty() {
                diesel::sql_query("DELETE FROM kit_search WHERE kind = $1 AND doc_id = $2")
                    .bind::<Text, _>(kind)
                    .bind::<Text, _>(id)
                    .execute(c)?;
            } else {
                diesel::sql_query(
                    "INSERT INTO kit_search (kind, doc_id, tokens) \
                     VALUES ($1, $2, string_to_array($3, ' ')::bigint[]) \
                     ON CONFLICT (kind, doc_id) DO UPDATE SET tokens = EXCLUDED.tokens",
                )
                .bind::<Text, _>(kind)
                .bind::<Text, _>(id)
                .bind::<Text, _>(pg_array(tokens))
                .execute(c)?;
            }
        }
        DbConn::Sqlite(c) => {
            let rowid: Option<i64> = sql::<BigInt>("SELECT id FROM kit_search_docs WHERE kind = ")
                .bind::<Text, _>(kind)
                .sql(" AND doc_id = ")
                .bind::<Text, _>(id)
                .get_result(c)
                .optional()?;
            if let Some(r) = rowid {
                diesel::sql_query("DELETE FROM kit_search_fts WHERE rowid = ?")
                    .bind::<BigInt, _>(r)
                    .execute(c)?;
            }
            if tokens.is_empty() {
                if let Some(r) = rowid {
                    diesel::sql_query("DELETE FROM kit_search_docs WHERE id = ?")
                        .bind::<BigInt, _>(r)
                        .execute(c)?;
                }
                return Ok(());
            }
            let r = match rowid {
                Some(r) => r,
                None => {
                    diesel::sql_query("INSERT INTO kit_search_docs (kind, doc_id) VALUES (?, ?)")
                        .bind::<Text, _>(kind)
                        .bind::<Text, _>(id)
                        .execute(c)?;
                    diesel::select(sql::<BigInt>("last_insert_rowid()")).get_result(c)?
                }
            };
            diesel::sql_query("INSERT INTO kit_search_fts (rowid, tokens) VALUES (?, ?)")
                .bind::<BigInt, _>(r)
                .bind::<Text, _>(tokens.join(" "))
                .execute(c)?;
        }
    }
    Ok(())
}

/// A write of the document supersedes any back-fill still waiting for it. On PostgreSQL this
/// waits for a back-fill batch holding the row, so the newer text is indexed last.
fn forget_pending(conn: &mut DbConn, kind: &str, id: &str) -> QueryResult<()> {
    let q = "DELETE FROM kit_search_pending WHERE kind = ";
    sql::<Bool>(q)
        .bind::<Text, _>(kind)
        .sql(" AND doc_id = ")
        .bind::<Text, _>(id)
        .execute(conn)
        .map(drop)
}

/// Index what migrations left in `kit_search_pending`, in batches of one transaction each.
/// [`crate::Db::migrate`] calls it after migrating; returns how many documents it indexed.
pub fn index_pending(conn: &mut DbConn) -> QueryResult<usize> {
    let mut done = 0;
    loop {
        let n = conn.transaction(|c| {
            let lock = if matches!(c, DbConn::Pg(_)) {
                " FOR UPDATE"
            } else {
                ""
            };
            let batch: Vec<(i64, String, String, String)> = sql::<(BigInt, Text, Text, Text)>(
                "SELECT seq, kind, doc_id, body FROM kit_search_pending ORDER BY seq LIMIT ",
            )
            .bind::<BigInt, _>(PENDING_BATCH)
            .sql(lock)
            .load(c)?;
            for (seq, kind, id, body) in &batch {
                // Not `index`: that would also drop a later entry for the same document,
                // whose newer text must win.
                let mut set = TokenSet::default();
                set.add_text(body);
                store(c, kind, id, &set.list)?;
                sql::<Bool>("DELETE FROM kit_search_pending WHERE seq = ")
                    .bind::<BigInt, _>(*seq)
                    .execute(c)?;
            }
            QueryResult::Ok(batch.len())
        })?;
        done += n;
        if (n as i64) < PENDING_BATCH {
            return Ok(done);
        }
    }
}

/// Compact the index after a bulk load, and now and then (nightly) where documents change
/// often. On SQLite, FTS5 writes each transaction's tokens as a new segment and merges them
/// gradually; a document check ([`Plan::Probe`]) looks into every segment, so it is many times
/// faster on one merged segment. On PostgreSQL, GIN's pending list is merged into the index
/// (autovacuum does that too).
pub fn optimize(conn: &mut DbConn) -> QueryResult<()> {
    match conn {
        DbConn::Pg(c) => diesel::sql_query("SELECT gin_clean_pending_list('kit_search_tokens')")
            .execute(c)
            .map(drop),
        DbConn::Sqlite(c) => {
            diesel::sql_query("INSERT INTO kit_search_fts (kit_search_fts) VALUES ('optimize')")
                .execute(c)
                .map(drop)
        }
    }
}

/// A search filter for a query over table(s) `QS`, to pass to `.filter(..)`.
pub type Filter<QS> = Box<dyn BoxableExpression<QS, DbBackend, SqlType = Bool>>;

/// How a search filter is evaluated. Neither backend's planner can tell how many documents
/// hold a word (and a phrase's words are far from independent), and a wrong guess costs
/// seconds at a million documents: reading every match of a common word to show a page, or
/// checking a whole district row by row for a rare one. So [`Plan::Auto`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Count the matches through the index, stopping after [`COLLECT_AT_MOST_SQLITE`] or
    /// [`COLLECT_AT_MOST_POSTGRES`], and choose: few are collected, many are probed. On
    /// PostgreSQL, where counting a common word reads its whole posting list, the column's
    /// statistics are asked first: a query they say is common (several times the bound) is
    /// probed without counting.
    Auto,
    /// [`Plan::Auto`] with another bound (tests, tuning).
    AutoUpTo(i64),
    /// `id IN (matching ids)`: best when few documents match, or with no LIMIT.
    Collect,
    /// `EXISTS (this document matches)` for each row the outer query reads: best when many
    /// match and the outer query stops after a page.
    Probe,
    /// `id IN (matching ids)` as a plain subquery, the database's planner choosing the join.
    Planner,
}

/// The planner's estimate of how many documents of `kind` hold all of `arr` (PostgreSQL
/// hashes), from the column's statistics (the most common tokens with their frequencies;
/// `SET STATISTICS 1000` keeps about the 10,000 commonest). Nothing is read but the
/// statistics. For one token it is close to the truth; for several it multiplies their
/// frequencies as if they were independent, and the words of real text go together more
/// often than that, so it errs low: a high estimate means truly many matches.
fn pg_estimate(c: &mut diesel::PgConnection, kind: &str, arr: &str) -> QueryResult<i64> {
    // Written into the statement, so the estimate is for these tokens and not a generic
    // plan's guess: the hashes are integers we made (parsed back to be sure), the kind a
    // service's constant (quoted all the same).
    let literal = arr
        .split(' ')
        .filter_map(|h| h.parse::<i64>().ok())
        .map(|h| h.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let plan: Vec<String> = sql::<Text>(&format!(
        "EXPLAIN SELECT 1 FROM kit_search WHERE kind = '{}' AND tokens @> '{{{literal}}}'::bigint[]",
        kind.replace('\'', "''")
    ))
    .load(c)?;
    Ok(plan.first().and_then(|l| estimated_rows(l)).unwrap_or(0))
}

/// `rows=N` of an EXPLAIN line.
fn estimated_rows(line: &str) -> Option<i64> {
    let rest = &line[line.find(" rows=")? + 6..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// How many documents of `kind` hold all of `arr` (PostgreSQL hashes), counting no further
/// than `bound + 1`. GIN answers only through a bitmap, which is cheap even for a common word;
/// the planner may prefer a sequential scan for a common word, which checks every row it reads
/// (many times slower), so that is switched off for this one statement and put back.
fn pg_count_upto(
    c: &mut diesel::PgConnection,
    kind: &str,
    arr: &str,
    bound: i64,
) -> QueryResult<i64> {
    c.transaction(|c| {
        let before: String =
            diesel::select(sql::<Text>("current_setting('enable_seqscan')")).get_result(c)?;
        diesel::sql_query("SELECT set_config('enable_seqscan', 'off', true)").execute(c)?;
        let n = sql::<BigInt>("SELECT count(*) FROM (SELECT 1 FROM kit_search WHERE kind = ")
            .bind::<Text, _>(kind)
            .sql(" AND tokens @> string_to_array(")
            .bind::<Text, _>(arr)
            .sql(", ' ')::bigint[] LIMIT ")
            .bind::<BigInt, _>(bound + 1)
            .sql(") AS m")
            .get_result(c)?;
        diesel::sql_query("SELECT set_config('enable_seqscan', $1, true)")
            .bind::<Text, _>(before)
            .execute(c)?;
        Ok(n)
    })
}

/// `<id_column> IN (documents of kind matching query)`, for any query: composes with other
/// filters, keyset pagination and scope. `id_column` is SQL naming the outer query's id
/// column (`"members.id"`); it is written into the statement, so it must be a constant, never
/// input. A query without tokens matches nothing (see [`query_tokens`]).
pub fn matching<QS>(
    conn: &mut DbConn,
    kind: &str,
    id_column: &'static str,
    query: &str,
) -> QueryResult<Filter<QS>> {
    matching_with(conn, kind, id_column, query, Plan::Auto)
}

/// [`matching`] with the SQLite plan chosen by the caller (benchmarks, tests).
pub fn matching_with<QS>(
    conn: &mut DbConn,
    kind: &str,
    id_column: &'static str,
    query: &str,
    plan: Plan,
) -> QueryResult<Filter<QS>> {
    let tokens = query_tokens(query);
    if tokens.is_empty() {
        return Ok(Box::new(sql::<Bool>("1 = 0")));
    }
    let kind = kind.to_string();
    Ok(match conn {
        DbConn::Pg(c) => {
            let arr = pg_array(&tokens);
            let bound = match plan {
                Plan::AutoUpTo(n) => Some(n),
                Plan::Auto => Some(COLLECT_AT_MOST_POSTGRES),
                _ => None,
            };
            let plan = match bound {
                // Common words: counting them reads their whole posting lists (every row
                // holding 社区 or 工作), which costs more than checking the few rows a page
                // needs, so the statistics decide without counting.
                Some(n) if pg_estimate(c, &kind, &arr)? > n.saturating_mul(PG_SURELY_MANY) => {
                    Plan::Probe
                }
                Some(n) if pg_count_upto(c, &kind, &arr, n)? > n => Plan::Probe,
                Some(_) => Plan::Collect,
                None => plan,
            };
            match plan {
                // OFFSET 0 keeps the subquery correlated: checked row by row as the outer
                // query reads, never turned into a join that reads every match.
                Plan::Probe => Box::new(
                    sql::<Bool>("EXISTS (SELECT 1 FROM kit_search AS k WHERE k.kind = ")
                        .bind::<Text, _>(kind)
                        .sql(&format!(
                            " AND k.doc_id = {id_column} AND k.tokens @> string_to_array("
                        ))
                        .bind::<Text, _>(arr)
                        .sql(", ' ')::bigint[] OFFSET 0)"),
                ),
                // The matching ids once (the GIN index), then the outer table by its key.
                Plan::Collect => Box::new(
                    sql::<Bool>(&format!(
                        "{id_column} = ANY(ARRAY(SELECT doc_id FROM kit_search WHERE kind = "
                    ))
                    .bind::<Text, _>(kind)
                    .sql(" AND tokens @> string_to_array(")
                    .bind::<Text, _>(arr)
                    .sql(", ' ')::bigint[]))"),
                ),
                Plan::Auto | Plan::AutoUpTo(_) | Plan::Planner => Box::new(
                    sql::<Bool>(&format!(
                        "{id_column} IN (SELECT doc_id FROM kit_search WHERE kind = "
                    ))
                    .bind::<Text, _>(kind)
                    .sql(" AND tokens @> string_to_array(")
                    .bind::<Text, _>(arr)
                    .sql(", ' ')::bigint[])"),
                ),
            }
        }
        DbConn::Sqlite(c) => {
            let expr = fts_query(&tokens);
            // Auto reads the matching rowids (stopping after the bound) and, when they are
            // few, hands them to the outer query, so the index is searched once.
            let bound = match plan {
                Plan::AutoUpTo(n) => n,
                _ => COLLECT_AT_MOST_SQLITE,
            };
            let collected = match plan {
                Plan::Auto | Plan::AutoUpTo(_) => {
                    let (n, rowids): (i64, Option<String>) = sql::<(BigInt, Nullable<Text>)>(
                        "SELECT count(*), group_concat(rowid) FROM (SELECT rowid \
                         FROM kit_search_fts WHERE kit_search_fts MATCH ",
                    )
                    .bind::<Text, _>(&expr)
                    .sql(" LIMIT ")
                    .bind::<BigInt, _>(bound + 1)
                    .sql(")")
                    .get_result(c)?;
                    if n > bound {
                        None
                    } else {
                        Some(format!("[{}]", rowids.unwrap_or_default()))
                    }
                }
                Plan::Probe => None,
                Plan::Collect | Plan::Planner => Some(String::new()),
            };
            match collected {
                None => Box::new(
                    sql::<Bool>(
                        "EXISTS (SELECT 1 FROM kit_search_docs AS d, kit_search_fts \
                         WHERE d.kind = ",
                    )
                    .bind::<Text, _>(kind)
                    .sql(&format!(
                        " AND d.doc_id = {id_column} AND kit_search_fts.rowid = d.id \
                         AND kit_search_fts MATCH "
                    ))
                    .bind::<Text, _>(expr)
                    .sql(")"),
                ),
                Some(rowids) if !rowids.is_empty() => Box::new(
                    sql::<Bool>(&format!(
                        "{id_column} IN (SELECT doc_id FROM kit_search_docs WHERE kind = "
                    ))
                    .bind::<Text, _>(kind)
                    .sql(" AND id IN (SELECT value FROM json_each(")
                    .bind::<Text, _>(rowids)
                    .sql(")))"),
                ),
                Some(_) => Box::new(
                    sql::<Bool>(&format!(
                        "{id_column} IN (SELECT doc_id FROM kit_search_docs WHERE kind = "
                    ))
                    .bind::<Text, _>(kind)
                    .sql(
                        " AND id IN (SELECT rowid FROM kit_search_fts \
                         WHERE kit_search_fts MATCH ",
                    )
                    .bind::<Text, _>(expr)
                    .sql("))"),
                ),
            }
        }
    })
}

/// Documents of `kind` sharing the most query tokens with `text` (its character pairs and
/// words, see [`query_tokens`]), with how many they share: most first, then newest id first.
/// For "has this been raised before?" over titles; the cost grows with how many documents
/// share any token, so pass a title, not a whole body.
pub fn similar(
    conn: &mut DbConn,
    kind: &str,
    text: &str,
    limit: i64,
) -> QueryResult<Vec<(String, i64)>> {
    let tokens = query_tokens(text);
    if tokens.is_empty() || limit <= 0 {
        return Ok(Vec::new());
    }
    match conn {
        DbConn::Pg(c) => sql::<(Text, BigInt)>(
            "SELECT s.doc_id, count(*) AS shared \
             FROM unnest(string_to_array(",
        )
        .bind::<Text, _>(pg_array(&tokens))
        .sql(
            ", ' ')::bigint[]) AS q(token) JOIN kit_search s ON s.tokens @> ARRAY[q.token] \
             WHERE s.kind = ",
        )
        .bind::<Text, _>(kind)
        .sql(" GROUP BY s.doc_id ORDER BY shared DESC, s.doc_id DESC LIMIT ")
        .bind::<BigInt, _>(limit)
        .load(c),
        DbConn::Sqlite(c) => {
            let phrases: Vec<String> = tokens
                .iter()
                .map(|t| fts_query(std::slice::from_ref(t)))
                .collect();
            let json = serde_json::to_string(&phrases).unwrap_or_else(|_| "[]".into());
            sql::<(Text, BigInt)>("SELECT d.doc_id, count(*) AS shared FROM json_each(")
                .bind::<Text, _>(json)
                .sql(
                    ") AS q JOIN kit_search_fts ON kit_search_fts MATCH q.value \
                 JOIN kit_search_docs AS d ON d.id = kit_search_fts.rowid WHERE d.kind = ",
                )
                .bind::<Text, _>(kind)
                .sql(" GROUP BY d.doc_id ORDER BY shared DESC, d.doc_id DESC LIMIT ")
                .bind::<BigInt, _>(limit)
                .load(c)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: Vec<String>) -> Vec<String> {
        let mut v = v;
        v.sort();
        v
    }

    fn strs(v: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn chinese_runs_give_characters_and_pairs() {
        assert_eq!(
            set(tokens("小区停车难")),
            strs(&["小", "区", "停", "车", "难", "小区", "区停", "停车", "车难"])
        );
        assert_eq!(tokens("张"), ["张"]);
        // Repeated tokens are stored once.
        assert_eq!(set(tokens("哈哈哈")), strs(&["哈", "哈哈"]));
    }

    #[test]
    fn separators_break_runs() {
        // No pair across punctuation or a space.
        assert_eq!(
            set(tokens("停车，难 题")),
            strs(&["停", "车", "停车", "难", "题"])
        );
        assert!(tokens("，。！、 ··· ---").is_empty());
        assert!(tokens("").is_empty());
    }

    #[test]
    fn words_give_lowercase_prefixes() {
        assert_eq!(tokens("PM25"), ["p", "pm", "pm2", "pm25"]);
        assert_eq!(tokens("Ｗｉ－Ｆｉ"), ["w", "wi", "f", "fi"]);
        let long = tokens("abcdefghijklmnopqrstuvwxyz");
        assert_eq!(long.len(), MAX_PREFIX);
        assert_eq!(long.last().map(String::as_str), Some("abcdefghijklmnop"));
        assert_eq!(set(tokens("Éа")), strs(&["é", "éа"]));
    }

    #[test]
    fn mixed_text_splits_where_the_script_changes() {
        assert_eq!(
            set(tokens("委员33号")),
            strs(&["委", "员", "委员", "3", "33", "号"])
        );
        assert_eq!(
            set(tokens("5G基站")),
            strs(&["5", "5g", "基", "站", "基站"])
        );
    }

    #[test]
    fn queries_need_pairs_or_single_characters_and_word_prefixes() {
        assert_eq!(query_tokens("停车"), ["停车"]);
        assert_eq!(query_tokens("停车难"), ["停车", "车难"]);
        assert_eq!(query_tokens("伟"), ["伟"]);
        assert_eq!(query_tokens(" 张 伟 "), ["张", "伟"]);
        assert_eq!(query_tokens("委员33"), ["委员", "33"]);
        assert_eq!(query_tokens("WiFi"), ["wifi"]);
        assert_eq!(
            query_tokens("abcdefghijklmnopqrstuvwxyz"),
            ["abcdefghijklmnop"]
        );
        assert!(query_tokens(" ，。%_\"' ").is_empty());
        let long: String = "停车难".repeat(40);
        // A long query keeps its first tokens (here all three distinct pairs).
        assert_eq!(query_tokens(&long), ["停车", "车难", "难停"]);
        let many: String = (0..100).map(|i| format!("w{i} ")).collect();
        assert_eq!(query_tokens(&many).len(), MAX_QUERY_TOKENS);
    }

    #[test]
    fn every_query_token_is_an_index_token_of_text_containing_the_query() {
        for (text, query) in [
            ("社区居民反映小区停车难问题", "停车难"),
            ("张伟华", "张伟"),
            ("委员331", "委员33"),
            ("关于PM2.5监测的建议", "pm2"),
            ("台胞服务", "服"),
        ] {
            let indexed: HashSet<String> = tokens(text).into_iter().collect();
            for t in query_tokens(query) {
                assert!(indexed.contains(&t), "{query} in {text}: {t}");
            }
        }
    }

    #[test]
    fn hashes_are_fnv1a_64_and_bind_as_one_string() {
        assert_eq!(hash(""), 0xcbf2_9ce4_8422_2325_u64 as i64);
        assert_eq!(hash("a"), 0xaf63_dc4c_8601_ec8c_u64 as i64);
        assert_ne!(hash("停车"), hash("车停"));
        assert_eq!(
            pg_array(&["a".into(), "".into()]),
            format!(
                "{} {}",
                0xaf63_dc4c_8601_ec8c_u64 as i64, 0xcbf2_9ce4_8422_2325_u64 as i64
            )
        );
    }

    #[test]
    fn explain_lines_give_their_row_estimate() {
        assert_eq!(
            estimated_rows(
                "Bitmap Heap Scan on kit_search  (cost=12.01..16.02 rows=123456 width=4)"
            ),
            Some(123_456)
        );
        assert_eq!(
            estimated_rows("Seq Scan on kit_search  (cost=0.00..1.01 rows=1 width=4)"),
            Some(1)
        );
        assert_eq!(
            estimated_rows("  Recheck Cond: (tokens @> '{1}'::bigint[])"),
            None
        );
    }

    #[test]
    fn fts_queries_quote_every_token() {
        assert_eq!(
            fts_query(&["停车".into(), "a\"b".into()]),
            "\"停车\" AND \"a\"\"b\""
        );
    }
}
