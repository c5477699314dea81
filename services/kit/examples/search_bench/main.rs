//! Benchmark of the kit's Chinese text search (`xs_kit::search`) at scale, on SQLite or
//! PostgreSQL: loads synthetic reports (title + 200–1,500-character body, indexed through
//! `search::index` in batched transactions), then times a list endpoint's query — one district,
//! newest first, a page of 50, filtered by `search::matching` — for common, medium and rare
//! two-character words and for three- and four-character phrases.
//!
//! ```sh
//! XS_BENCH_DB=/tmp/search.db cargo run --release -p xs-kit --example search_bench
//! XS_BENCH_DB=postgres://root@127.0.0.1:5432/xs_bench_search DOCS=1000000 \
//!     cargo run --release -p xs-kit --example search_bench
//! ```
//! Settings (environment): `XS_BENCH_DB` (a SQLite path or a PostgreSQL URL of an existing
//! database), `DOCS` (1,000,000), `RUNS` per query (24), `WRITES` timed re-indexings (1,000),
//! `PLAN` (auto, auto:<bound>, collect, probe, planner), `VERBOSE` (each query's figures).
//! A database already holding `DOCS` reports is reused.

#![allow(clippy::unwrap_used)]

mod corpus;

use corpus::{Rng, Words};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::time::{Duration, Instant};
use xs_kit::db::{Backend, Db, DbBackend, DbConn, Migrations, PoolOptions};
use xs_kit::search::{self, Plan};

diesel::table! {
    reports (id) {
        id -> Text,
        district -> Text,
        status -> Text,
        title -> Text,
        created_at -> Timestamp,
    }
}

const NO_SERVICE_MIGRATIONS: Migrations = Migrations(&[]);

const KIND: &str = "report";
const DISTRICTS: &[&str] = &["siming", "huli", "jimei", "haicang", "tongan", "xiangan"];
const STATUSES: &[&str] = &["draft", "submitted", "accepted", "forwarded", "adopted"];
const BATCH: u64 = 2_000;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// A time-ordered id like the services' UUIDv7: creation order is id order.
fn report_id(n: u64) -> String {
    let mut r = Rng::new(n ^ 0xABCD);
    format!(
        "0193{:08x}-{:04x}-7{:03x}-8{:03x}-{:012x}",
        n,
        r.below(0x1_0000),
        r.below(0x1000),
        r.below(0x1000),
        r.next() & 0xFFFF_FFFF_FFFF
    )
}

fn main() -> anyhow::Result<()> {
    let url = std::env::var("XS_BENCH_DB").unwrap_or_else(|_| "/tmp/xs-search-bench.db".into());
    let docs = env_u64("DOCS", 1_000_000);
    let runs = env_u64("RUNS", 24) as usize;
    let writes = env_u64("WRITES", 1_000);
    let backend = Backend::from_url(&url);
    let db = Db::connect(
        &url,
        &PoolOptions {
            max_size: 2,
            checkout_timeout: Duration::from_secs(30),
            ..PoolOptions::default()
        },
    )?;
    db.migrate(&NO_SERVICE_MIGRATIONS)?;
    let mut conn = db.pool().get()?;
    let c: &mut DbConn = &mut conn;
    c.batch_execute(
        "CREATE TABLE IF NOT EXISTS reports (id TEXT PRIMARY KEY NOT NULL, \
         district TEXT NOT NULL, status TEXT NOT NULL, title TEXT NOT NULL, \
         created_at TIMESTAMP NOT NULL); \
         CREATE INDEX IF NOT EXISTS reports_district ON reports (district, id);",
    )?;
    let words = Words::new();
    let have: i64 = reports::table.count().get_result(c)?;
    if have as u64 == docs {
        println!("reusing {docs} reports in {url}");
        if backend == Backend::Postgres {
            ensure_gin_index(c)?;
        }
    } else {
        load(c, backend, &words, docs)?;
    }
    println!("{}", sizes(c, backend)?);
    measure_queries(c, &words, runs)?;
    if writes > 0 {
        measure_writes(c, &words, docs, writes)?;
        println!(
            "\nagain, after those {} single-document write transactions:",
            2 * writes
        );
        measure_queries(c, &words, runs)?;
    }
    Ok(())
}

fn load(c: &mut DbConn, backend: Backend, words: &Words, docs: u64) -> anyhow::Result<()> {
    println!("loading {docs} reports ({backend:?})…");
    c.batch_execute("DELETE FROM reports")?;
    match backend {
        // Building the GIN index once after loading is far faster than growing it row by row.
        Backend::Postgres => c.batch_execute(
            "TRUNCATE kit_search; DROP INDEX IF EXISTS kit_search_tokens; \
             SET synchronous_commit = off;",
        )?,
        Backend::Sqlite => c.batch_execute(
            "DELETE FROM kit_search_fts; DELETE FROM kit_search_docs; \
             INSERT INTO kit_search_fts (kit_search_fts, rank) VALUES ('automerge', 0); \
             INSERT INTO kit_search_fts (kit_search_fts, rank) VALUES ('hashsize', 268435456);",
        )?,
    }
    let start = Instant::now();
    let base = chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let (mut chars, mut tokens) = (0u64, 0u64);
    let mut n = 0;
    while n < docs {
        let end = (n + BATCH).min(docs);
        c.transaction(|c| {
            for i in n..end {
                let (title, body) = corpus::document(words, i);
                chars += (title.chars().count() + body.chars().count()) as u64;
                if i % 100 == 0 {
                    tokens += (search::tokens(&title).len() + search::tokens(&body).len()) as u64;
                }
                let id = report_id(i);
                diesel::insert_into(reports::table)
                    .values((
                        reports::id.eq(&id),
                        reports::district.eq(DISTRICTS[(i % 6) as usize]),
                        reports::status.eq(STATUSES[(i / 6 % 5) as usize]),
                        reports::title.eq(&title),
                        reports::created_at.eq(base + chrono::Duration::minutes(i as i64)),
                    ))
                    .execute(c)?;
                search::index(c, KIND, &id, &[&title, &body])?;
            }
            QueryResult::Ok(())
        })?;
        n = end;
        if n % 100_000 == 0 || n == docs {
            println!("  {n} loaded in {:.0} s", start.elapsed().as_secs_f64());
        }
    }
    let loaded = start.elapsed();
    let finish = Instant::now();
    match backend {
        Backend::Postgres => {
            ensure_gin_index(c)?;
            c.batch_execute("VACUUM ANALYZE kit_search")?;
            c.batch_execute("VACUUM ANALYZE reports")?;
        }
        Backend::Sqlite => c.batch_execute(
            "INSERT INTO kit_search_fts (kit_search_fts, rank) VALUES ('automerge', 4); \
             INSERT INTO kit_search_fts (kit_search_fts, rank) VALUES ('hashsize', 1048576); \
             ANALYZE;",
        )?,
    }
    search::optimize(c)?;
    println!(
        "loaded {docs} reports in {:.0} s (+{:.0} s index build, analyse, search::optimize); \
         {:.0} characters and ~{:.0} distinct tokens per report",
        loaded.as_secs_f64(),
        finish.elapsed().as_secs_f64(),
        chars as f64 / docs as f64,
        tokens as f64 * 100.0 / docs as f64,
    );
    Ok(())
}

/// The migration's GIN index, built in one pass (the loader drops it while loading).
fn ensure_gin_index(c: &mut DbConn) -> anyhow::Result<()> {
    c.batch_execute("SET maintenance_work_mem = '1GB'")?;
    c.batch_execute(
        "CREATE INDEX IF NOT EXISTS kit_search_tokens ON kit_search USING gin (tokens)",
    )?;
    c.batch_execute("RESET maintenance_work_mem")?;
    Ok(())
}

fn sizes(c: &mut DbConn, backend: Backend) -> anyhow::Result<String> {
    use diesel::sql_types::BigInt;
    let bytes = |c: &mut DbConn, q: &str| -> anyhow::Result<i64> {
        Ok(diesel::dsl::sql::<BigInt>(q).get_result(c)?)
    };
    Ok(match backend {
        Backend::Postgres => format!(
            "sizes: kit_search table {} MB, GIN index {} MB, reports {} MB",
            bytes(c, "SELECT pg_table_size('kit_search') / 1048576")?,
            bytes(c, "SELECT pg_relation_size('kit_search_tokens') / 1048576")?,
            bytes(c, "SELECT pg_total_relation_size('reports') / 1048576")?,
        ),
        Backend::Sqlite => format!(
            "sizes: database file {} MB",
            bytes(
                c,
                "SELECT page_count * page_size / 1048576 FROM pragma_page_count(), pragma_page_size()"
            )?
        ),
    })
}

struct Class {
    name: &'static str,
    queries: Vec<String>,
}

fn classes(words: &Words) -> Vec<Class> {
    let two = |range: std::ops::Range<usize>, step: usize| -> Vec<String> {
        corpus::WORDS[range]
            .iter()
            .step_by(step)
            .filter(|w| w.chars().count() == 2)
            .map(|w| w.to_string())
            .collect()
    };
    let longer = |n: usize| -> Vec<String> {
        corpus::WORDS
            .iter()
            .filter(|w| w.chars().count() == n)
            .map(|w| w.to_string())
            .collect()
    };
    let mut four = longer(4);
    // Two vocabulary words side by side, as people type them.
    for p in [
        "老旧小区",
        "加装电梯",
        "垃圾分类",
        "停车收费",
        "社区养老",
        "台胞服务",
        "物业管理",
        "道路改造",
    ] {
        four.push(p.into());
    }
    vec![
        Class {
            name: "2 chars, common (vocabulary ranks 1-40)",
            queries: two(0..40, 4),
        },
        Class {
            name: "2 chars, medium (vocabulary ranks 200-398)",
            queries: two(200..398, 20),
        },
        Class {
            name: "2 chars, tail (ranks 100-3,000)",
            queries: [100, 170, 300, 500, 800, 1200, 2000, 3000]
                .iter()
                .map(|&k| words.tail(k))
                .collect(),
        },
        Class {
            name: "2 chars, rare (tail ranks 20,000-300,000)",
            queries: [
                20_000, 35_000, 50_000, 80_000, 120_000, 200_000, 300_000, 250_000,
            ]
            .iter()
            .map(|&k| words.tail(k))
            .collect(),
        },
        Class {
            name: "3 chars",
            queries: longer(3).into_iter().step_by(2).collect(),
        },
        Class {
            name: "4 chars",
            queries: four,
        },
    ]
}

/// `PLAN`: auto (default), auto:<bound>, collect, probe or planner (see `search::Plan`).
fn plan_from_env() -> Plan {
    let v = std::env::var("PLAN").unwrap_or_default();
    match v.as_str() {
        "collect" => Plan::Collect,
        "probe" => Plan::Probe,
        "planner" => Plan::Planner,
        _ => match v.strip_prefix("auto:").and_then(|n| n.parse().ok()) {
            Some(n) => Plan::AutoUpTo(n),
            None => Plan::Auto,
        },
    }
}

fn list_page(
    c: &mut DbConn,
    q: &str,
    district: &str,
    plan: Plan,
) -> QueryResult<Vec<(String, String)>> {
    let filter = search::matching_with(c, KIND, "reports.id", q, plan)?;
    reports::table
        .select((reports::id, reports::title))
        .filter(reports::district.eq(district.to_string()))
        .filter(filter)
        .order(reports::id.desc())
        .limit(50)
        .into_boxed::<DbBackend>()
        .load(c)
}

fn matches(c: &mut DbConn, q: &str) -> QueryResult<i64> {
    let filter = search::matching_with(c, KIND, "reports.id", q, Plan::Collect)?;
    reports::table.filter(filter).count().get_result(c)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[i.clamp(1, sorted.len()) - 1]
}

fn measure_queries(c: &mut DbConn, words: &Words, runs: usize) -> anyhow::Result<()> {
    let verbose = std::env::var("VERBOSE").is_ok();
    let plan = plan_from_env();
    println!(
        "\nlist query: one district, newest first, LIMIT 50, filtered by search::matching; \
         {runs} runs per query over the six districts (after one warm-up run)"
    );
    println!(
        "{:<44} {:>3} {:>17} {:>8} {:>8} {:>8} {:>8}",
        "query class", "n", "matching reports", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    let mut all = Vec::new();
    for class in classes(words) {
        let mut times = Vec::new();
        let (mut lo, mut hi) = (i64::MAX, 0);
        for q in &class.queries {
            let n = matches(c, q)?;
            lo = lo.min(n);
            hi = hi.max(n);
            list_page(c, q, DISTRICTS[0], plan)?;
            let mut mine = Vec::new();
            for r in 0..runs {
                let t = Instant::now();
                let page = list_page(c, q, DISTRICTS[r % DISTRICTS.len()], plan)?;
                mine.push(t.elapsed().as_secs_f64() * 1000.0);
                std::hint::black_box(page);
            }
            if verbose {
                mine.sort_by(f64::total_cmp);
                println!(
                    "    {q}: {n} matching, p50 {:.2} ms, max {:.2} ms",
                    percentile(&mine, 50.0),
                    percentile(&mine, 100.0)
                );
            }
            times.extend(mine);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{:<44} {:>3} {:>17} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
            class.name,
            class.queries.len(),
            format!("{lo}-{hi}"),
            percentile(&times, 50.0),
            percentile(&times, 95.0),
            percentile(&times, 99.0),
            percentile(&times, 100.0),
        );
        all.extend(times);
    }
    all.sort_by(f64::total_cmp);
    println!(
        "{:<44} {:>3} {:>17} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
        "all queries",
        "",
        "",
        percentile(&all, 50.0),
        percentile(&all, 95.0),
        percentile(&all, 99.0),
        percentile(&all, 100.0),
    );
    Ok(())
}

/// Re-index existing reports (a report edited), one transaction each, as a handler would.
fn measure_writes(c: &mut DbConn, words: &Words, docs: u64, writes: u64) -> anyhow::Result<()> {
    let mut rng = Rng::new(99);
    let mut times = Vec::new();
    for _ in 0..writes {
        let i = rng.below(docs);
        // Another document's text, so the tokens really change.
        let (title, body) = corpus::document(words, docs + rng.below(1_000_000));
        let id = report_id(i);
        let t = Instant::now();
        c.transaction(|c| search::index(c, KIND, &id, &[&title, &body]))?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        // Put it back, so a rerun measures the same corpus.
        let (title, body) = corpus::document(words, i);
        c.transaction(|c| search::index(c, KIND, &id, &[&title, &body]))?;
    }
    times.sort_by(f64::total_cmp);
    println!(
        "\nsearch::index of an edited report (title + body), one transaction each, {writes} times: \
         p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms",
        percentile(&times, 50.0),
        percentile(&times, 95.0),
        percentile(&times, 99.0)
    );
    Ok(())
}
