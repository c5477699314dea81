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
//!
//! On PostgreSQL the rows are streamed with `COPY … FROM STDIN` (through `psql`, one process
//! per table, running side by side) instead of being inserted one statement at a time: the
//! same rows, search entries (`search::tokens` hashed by `search::hash`, as `search::index`
//! stores them) and adoptions, about twenty times faster; the GIN index is built once at the
//! end and the tables analysed. `LOAD=model` forces the slow path through the model.

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
    let copy = backend == Backend::Postgres && std::env::var("LOAD").as_deref() != Ok("model");
    if have as u64 == docs {
        println!("reusing {have} reports");
    } else if copy {
        load_copy(&mut c, &url, &words, docs)?;
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
    let mut n = 0;
    while n < docs {
        let end = (n + BATCH).min(docs);
        c.transaction(|c| {
            for i in n..end {
                let (row, authors, adoption) = synthetic(words, i);
                model::insert(c, &row, &authors)?;
                if let Some(a) = adoption {
                    model::insert_adoption(c, &a)?;
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

/// Report `i`: its row, authors and (for an adopted one) adoption. Every state, most reports
/// taken through review; one in eight adopted.
fn synthetic(words: &Words, i: u64) -> (ReportRow, Vec<AuthorRow>, Option<AdoptionRow>) {
    let base = chrono::NaiveDate::from_ymd_opt(2025, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let (title, body) = corpus::document(words, i);
    let id = report_id(i);
    let at = base + chrono::Duration::seconds(i as i64 * 30);
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
        topic_id: None,
    };
    let authors: Vec<AuthorRow> = (0..1 + i % 2)
        .map(|k| AuthorRow {
            report_id: id.clone(),
            member_id: format!("member-{}", (i * 7 + k) % 50_000),
            member_name: format!("委员{}", (i * 7 + k) % 50_000),
            position: k as i32,
            member_sector: Some(format!("sector-{}", (i * 7 + k) % 50_000 % 30)),
        })
        .collect();
    let adoption = (status == ReportStatus::Adopted).then(|| AdoptionRow {
        id: format!("{id}-a"),
        report_id: id.clone(),
        level: ["municipal", "provincial", "national"][(i % 3) as usize].into(),
        department: None,
        adopted_on: at.date(),
        document_number: None,
        created_at: at,
        created_by: "bench".into(),
    });
    (row, authors, adoption)
}

/// A value in `COPY`'s text format: `\N` for none, backslash, tab and line ends escaped.
fn field(v: Option<&str>) -> String {
    match v {
        None => "\\N".into(),
        Some(s) => s
            .replace('\\', "\\\\")
            .replace('\t', "\\t")
            .replace('\n', "\\n")
            .replace('\r', "\\r"),
    }
}

fn line(fields: &[Option<&str>]) -> String {
    let mut out = fields
        .iter()
        .map(|f| field(*f))
        .collect::<Vec<_>>()
        .join("\t");
    out.push('\n');
    out
}

/// A `psql` reading `COPY <table> (<columns>) FROM STDIN` from our pipe.
struct CopyIn {
    child: std::process::Child,
    out: std::io::BufWriter<std::process::ChildStdin>,
}

impl CopyIn {
    fn start(url: &str, table: &str, columns: &str) -> anyhow::Result<CopyIn> {
        let mut child = std::process::Command::new("psql")
            .arg("-q")
            .arg("-v")
            .arg("ON_ERROR_STOP=1")
            .arg(url)
            .arg("-c")
            .arg(format!("COPY {table} ({columns}) FROM STDIN"))
            .stdin(std::process::Stdio::piped())
            .spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdin"))?;
        Ok(CopyIn {
            child,
            out: std::io::BufWriter::with_capacity(1 << 20, stdin),
        })
    }

    fn finish(self) -> anyhow::Result<()> {
        let CopyIn { mut child, out } = self;
        drop(out.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?);
        let status = child.wait()?;
        anyhow::ensure!(status.success(), "psql COPY failed: {status}");
        Ok(())
    }
}

/// PostgreSQL: the same rows as [`load`], streamed with `COPY` (see the module's doc).
fn load_copy(c: &mut xs_kit::DbConn, url: &str, words: &Words, docs: u64) -> anyhow::Result<()> {
    println!("loading {docs} reports (PostgreSQL, COPY)…");
    c.batch_execute(
        "TRUNCATE report_adoptions, report_authors, report_revisions, report_forwards, \
         report_instructions, reports, kit_search; DROP INDEX IF EXISTS kit_search_tokens;",
    )?;
    let start = Instant::now();
    let mut reports = CopyIn::start(
        url,
        "reports",
        "id, title, body, category, district_code, source_channel, status, submitted_at, \
         accepted_at, adopted_at, version, created_at, created_by, updated_at, updated_by",
    )?;
    let mut authors = CopyIn::start(
        url,
        "report_authors",
        "report_id, member_id, member_name, position, member_sector",
    )?;
    let mut adoptions = CopyIn::start(
        url,
        "report_adoptions",
        "id, report_id, level, adopted_on, created_at, created_by",
    )?;
    let mut search = CopyIn::start(url, "kit_search", "kind, doc_id, tokens")?;
    let ts =
        |t: Option<chrono::NaiveDateTime>| t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string());
    for i in 0..docs {
        let (row, list, adoption) = synthetic(words, i);
        let (sub, acc, ado, at) = (
            ts(row.submitted_at),
            ts(row.accepted_at),
            ts(row.adopted_at),
            ts(Some(row.created_at)),
        );
        reports.out.write_all(
            line(&[
                Some(&row.id),
                Some(&row.title),
                Some(&row.body),
                Some(&row.category),
                Some(&row.district_code),
                Some(&row.source_channel),
                Some(&row.status),
                sub.as_deref(),
                acc.as_deref(),
                ado.as_deref(),
                Some("1"),
                at.as_deref(),
                Some("bench"),
                at.as_deref(),
                Some("bench"),
            ])
            .as_bytes(),
        )?;
        for a in &list {
            let position = a.position.to_string();
            authors.out.write_all(
                line(&[
                    Some(&a.report_id),
                    Some(&a.member_id),
                    Some(&a.member_name),
                    Some(&position),
                    a.member_sector.as_deref(),
                ])
                .as_bytes(),
            )?;
        }
        if let Some(a) = adoption {
            let on = a.adopted_on.to_string();
            adoptions.out.write_all(
                line(&[
                    Some(&a.id),
                    Some(&a.report_id),
                    Some(&a.level),
                    Some(&on),
                    at.as_deref(),
                    Some("bench"),
                ])
                .as_bytes(),
            )?;
        }
        // As `search::index` stores a document: the tokens of title and body, each once,
        // as their hashes.
        let mut seen = std::collections::HashSet::new();
        let hashes: Vec<String> = xs_kit::search::tokens(&row.title)
            .into_iter()
            .chain(xs_kit::search::tokens(&row.body))
            .filter(|t| seen.insert(t.clone()))
            .map(|t| xs_kit::search::hash(&t).to_string())
            .collect();
        if !hashes.is_empty() {
            let array = format!("{{{}}}", hashes.join(","));
            search.out.write_all(
                line(&[Some(model::SEARCH_KIND), Some(&row.id), Some(&array)]).as_bytes(),
            )?;
        }
        if (i + 1) % 100_000 == 0 {
            println!(
                "  {} streamed in {:.0} s",
                i + 1,
                start.elapsed().as_secs_f64()
            );
        }
    }
    for copy in [reports, authors, adoptions, search] {
        copy.finish()?;
    }
    let loaded = start.elapsed();
    let finish = Instant::now();
    for statement in [
        "SET maintenance_work_mem = '1GB'",
        "CREATE INDEX IF NOT EXISTS kit_search_tokens ON kit_search USING gin (tokens)",
        "RESET maintenance_work_mem",
        "VACUUM ANALYZE kit_search",
        "VACUUM ANALYZE reports",
        "VACUUM ANALYZE report_authors",
        "VACUUM ANALYZE report_adoptions",
    ] {
        c.batch_execute(statement)?;
    }
    println!(
        "loaded {docs} reports in {:.0} s (+{:.0} s GIN build and analyse)",
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
