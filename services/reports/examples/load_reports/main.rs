//! Loads synthetic reports into a reports database through the service's own model (the row,
//! its authors and its search entry, as `POST /api/v1/reports` writes them), for
//! `bench/reports.sh`: the same corpus as the kit's search benchmark (title + 200–1,500
//! characters of Zipf-distributed words). Then writes the benchmark's queries, one per line
//! as `<class>\t<query>`, to `QUERIES` (default `queries.tsv`).
//!
//! ```sh
//! XS_BENCH_DB=/tmp/reports.db REPORTS=100000 cargo run --release -p xs-reports --example load_reports
//! ```
//! A database already holding `REPORTS` reports is not loaded again.

#![allow(clippy::unwrap_used)]

#[path = "../../../kit/examples/search_bench/corpus.rs"]
#[allow(dead_code)]
mod corpus;

use corpus::{Rng, Words};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::io::Write;
use std::time::{Duration, Instant};
use xs_kit::db::{Backend, Db, PoolOptions};
use xs_reports::domain::report::{Category, Channel, ReportStatus};
use xs_reports::models::report::{self as model, AdoptionRow, AuthorRow, ReportRow};
use xs_reports::schema::reports;

const DISTRICTS: &[&str] = &["siming", "huli", "jimei", "haicang", "tongan", "xiangan"];
const BATCH: u64 = 2_000;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// A time-ordered id like the service's UUIDv7: creation order is id order.
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
    let url = std::env::var("XS_BENCH_DB").unwrap_or_else(|_| "/tmp/xs-reports-bench.db".into());
    let docs = env_u64("REPORTS", 1_000_000);
    let db = Db::connect(
        &url,
        &PoolOptions {
            max_size: 1,
            checkout_timeout: Duration::from_secs(30),
            ..Default::default()
        },
    )?;
    db.migrate(&xs_reports::MIGRATIONS)?;
    let backend = db.backend();
    let mut c = db.pool().get()?;
    let have: i64 = reports::table.count().get_result(&mut *c)?;
    let words = Words::new();
    if have as u64 == docs {
        println!("reusing {have} reports");
    } else {
        load(&mut c, backend, &words, docs)?;
    }
    let path = std::env::var("QUERIES").unwrap_or_else(|_| "queries.tsv".into());
    let mut out = std::fs::File::create(&path)?;
    for (class, q) in queries(&words) {
        writeln!(out, "{class}\t{q}")?;
    }
    Ok(())
}

fn load(c: &mut xs_kit::DbConn, backend: Backend, words: &Words, docs: u64) -> anyhow::Result<()> {
    println!("loading {docs} reports ({backend:?})…");
    c.batch_execute(
        "DELETE FROM report_adoptions; DELETE FROM report_authors; DELETE FROM reports;",
    )?;
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
    let base = chrono::NaiveDate::from_ymd_opt(2025, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let mut n = 0;
    while n < docs {
        let end = (n + BATCH).min(docs);
        c.transaction(|c| {
            for i in n..end {
                let (title, body) = corpus::document(words, i);
                let id = report_id(i);
                let at = base + chrono::Duration::seconds(i as i64 * 30);
                // Every state, most reports taken through review; a few adopted.
                let status = ReportStatus::ALL[(i % 8) as usize];
                let submitted = status != ReportStatus::Draft;
                let row = ReportRow {
                    id: id.clone(),
                    title,
                    body,
                    category: Category::ALL[(i % 9) as usize].as_str().into(),
                    district_code: DISTRICTS[(i % 6) as usize].into(),
                    source_channel: Channel::ALL[(i % 7) as usize].as_str().into(),
                    resident_name: None,
                    resident_phone: None,
                    reception_id: None,
                    liaison_event_id: None,
                    liaison_suggestion_id: None,
                    status: status.as_str().into(),
                    submitted_title: None,
                    submitted_body: None,
                    review_comments: None,
                    rejection_reason: None,
                    submitted_at: submitted.then_some(at),
                    accepted_at: status.is_published().then_some(at),
                    forwarded_at: None,
                    adopted_at: (status == ReportStatus::Adopted).then_some(at),
                    version: 1,
                    created_at: at,
                    created_by: "bench".into(),
                    updated_at: at,
                    updated_by: "bench".into(),
                };
                let authors: Vec<AuthorRow> = (0..1 + i % 2)
                    .map(|k| AuthorRow {
                        report_id: id.clone(),
                        member_id: format!("member-{}", (i * 7 + k) % 50_000),
                        member_name: format!("委员{}", (i * 7 + k) % 50_000),
                        position: k as i32,
                    })
                    .collect();
                model::insert(c, &row, &authors)?;
                if status == ReportStatus::Adopted {
                    model::insert_adoption(
                        c,
                        &AdoptionRow {
                            id: format!("{id}-a"),
                            report_id: id.clone(),
                            level: ["municipal", "provincial", "national"][(i % 3) as usize].into(),
                            department: None,
                            adopted_on: at.date(),
                            document_number: None,
                            created_at: at,
                            created_by: "bench".into(),
                        },
                    )?;
                }
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
            // One statement each: VACUUM cannot run inside the transaction a batch makes.
            for statement in [
                "SET maintenance_work_mem = '1GB'",
                "CREATE INDEX IF NOT EXISTS kit_search_tokens ON kit_search USING gin (tokens)",
                "RESET maintenance_work_mem",
                "VACUUM ANALYZE kit_search",
                "VACUUM ANALYZE reports",
                "VACUUM ANALYZE report_authors",
            ] {
                c.batch_execute(statement)?;
            }
        }
        Backend::Sqlite => c.batch_execute(
            "INSERT INTO kit_search_fts (kit_search_fts, rank) VALUES ('automerge', 4); \
             INSERT INTO kit_search_fts (kit_search_fts, rank) VALUES ('hashsize', 1048576); \
             ANALYZE;",
        )?,
    }
    xs_kit::search::optimize(c)?;
    println!(
        "loaded {docs} reports in {:.0} s (+{:.0} s index build, analyse, search::optimize)",
        loaded.as_secs_f64(),
        finish.elapsed().as_secs_f64(),
    );
    Ok(())
}

/// The queries, by class: common, medium, tail and rare two-character words, three- and
/// four-character phrases (the kit's search benchmark's classes).
fn queries(words: &Words) -> Vec<(&'static str, String)> {
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
    let mut out = Vec::new();
    out.extend(two(0..40, 4).into_iter().map(|q| ("2 chars, common", q)));
    out.extend(
        two(200..398, 20)
            .into_iter()
            .map(|q| ("2 chars, medium", q)),
    );
    for k in [100, 300, 800, 2000] {
        out.push(("2 chars, tail", words.tail(k)));
    }
    for k in [20_000, 50_000, 120_000, 300_000] {
        out.push(("2 chars, rare", words.tail(k)));
    }
    out.extend(longer(3).into_iter().step_by(2).map(|q| ("3 chars", q)));
    let mut four = longer(4);
    four.extend(
        [
            "老旧小区",
            "加装电梯",
            "垃圾分类",
            "停车收费",
            "社区养老",
            "台胞服务",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    out.extend(four.into_iter().map(|q| ("4 chars", q)));
    out
}
