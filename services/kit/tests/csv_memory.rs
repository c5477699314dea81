//! A CSV export of 200,000 rows holds a page in memory, not the list. Its own test binary, so
//! no other test's allocations share the process whose memory it measures.

mod fixtures;

use fixtures::{Things, admin};
use futures_util::StreamExt;

const ROWS: u32 = 200_000;
/// Characters of note per row: with the other columns about 300 bytes of CSV a row, 60 MB in all.
const NOTE_CHARS: usize = 150;

/// This process's resident set size in kB (Linux).
fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS line")
}

#[actix_web::test]
async fn an_export_of_200000_rows_runs_in_bounded_memory() {
    let things = Things::start().await;
    things.seed(ROWS, "siming", NOTE_CHARS).await;
    // Warm up: the first export brings in the code paths, pool connections and caches.
    let warm = things
        .get("/api/v1/things?district=huli", Some(&admin()))
        .header("Accept", "text/csv")
        .send()
        .await
        .expect("request");
    assert_eq!(warm.status(), 200);
    warm.bytes().await.expect("body");
    let before = rss_kb();
    let res = things
        .get("/api/v1/things", Some(&admin()))
        .header("Accept", "text/csv")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    let mut stream = res.bytes_stream();
    let (mut bytes, mut lines, mut peak, mut chunks) = (0u64, 0u64, before, 0u64);
    let mut last = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("the export completes");
        bytes += chunk.len() as u64;
        lines += chunk.windows(2).filter(|w| w == b"\r\n").count() as u64;
        // A line break split across two chunks.
        if last.last() == Some(&b'\r') && chunk.first() == Some(&b'\n') {
            lines += 1;
        }
        last = chunk.to_vec();
        chunks += 1;
        peak = peak.max(rss_kb());
    }
    peak = peak.max(rss_kb());
    let growth_kb = peak.saturating_sub(before);
    eprintln!(
        "CSV export: {ROWS} rows, {bytes} bytes in {chunks} chunks; RSS before {before} kB, \
         peak {peak} kB, growth {growth_kb} kB (backend: {})",
        if things.db.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    );
    assert_eq!(lines, u64::from(ROWS) + 1, "header and every row");
    assert!(bytes > 50_000_000, "the export is large: {bytes} bytes");
    // Holding the list would take at least its size; a page at a time takes a fraction. The
    // bound is generous (allocator slack, the database's page cache, socket buffers) and still
    // well under the export's size.
    assert!(
        growth_kb * 1024 < bytes / 3,
        "memory grew by {growth_kb} kB during a {bytes}-byte export"
    );
    things.stop().await;
}
