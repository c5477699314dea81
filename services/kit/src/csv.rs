//! Lists as CSV (`Accept: text/csv`), streamed: rows are written as they are read, a page at a
//! time, so an export of any length holds one page in memory.
//!
//! The file is UTF-8 with a byte-order mark (so Excel reads Chinese text as UTF-8), a header row,
//! RFC 4180 quoting, and every cell that a spreadsheet would take for a formula neutralised.
//!
//! A list handler asks [`Format`] what the client wants; for CSV it calls [`export`] with a
//! function that reads one page after a key and writes its rows. The first page is read before
//! the response starts, so a database that is down is still a 503 problem; after that the
//! status is sent, and a failure mid-way is logged and cuts the response short (the chunked
//! body never ends cleanly, so the client sees an incomplete download, not a short file).

use crate::audit::{self, Disclosures, Reader};
use crate::db::{Db, DbConn};
use crate::error::{ApiError, ApiResult};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use bytes::Bytes;
use futures_util::future::{Ready, ready};

pub const MEDIA_TYPE: &str = "text/csv";
pub const CONTENT_TYPE: &str = "text/csv; charset=utf-8";
/// The UTF-8 byte-order mark.
pub const BOM: &str = "\u{feff}";
/// Rows read per page of an export: enough to amortise a query, few enough to keep memory flat.
pub const PAGE_SIZE: i64 = 500;

/// The representation a list request asks for, from its `Accept` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    pub fn of(req: &HttpRequest) -> Format {
        let accept: Vec<&str> = req
            .headers()
            .get_all(header::ACCEPT)
            .filter_map(|v| v.to_str().ok())
            .collect();
        if wants_csv(&accept.join(",")) {
            Format::Csv
        } else {
            Format::Json
        }
    }
}

impl FromRequest for Format {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Format::of(req)))
    }
}

/// `limit` does not go with a CSV export, which holds the whole list. The schema cannot tie a
/// parameter to the `Accept` header, so this is a 422 naming `limit`.
pub fn no_limit(v: &mut crate::validate::Validator, format: Format, limit: Option<i64>) {
    v.require(
        format != Format::Csv || limit.is_none(),
        "limit",
        "does not apply to a CSV export, which holds the whole list",
    );
}

/// Does this `Accept` value prefer CSV to JSON? `text/csv` must be listed by name with a
/// quality above zero and at least as high as JSON's (`application/json`, `application/*`
/// or `*/*`); at equal quality the one listed first wins. No header, or anything else, is JSON.
pub fn wants_csv(accept: &str) -> bool {
    let mut csv: Option<(f32, usize)> = None;
    let mut json: Option<(f32, usize)> = None;
    for (pos, item) in accept.split(',').enumerate() {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|v| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let slot = match media.as_str() {
            MEDIA_TYPE => &mut csv,
            "application/json" | "application/*" | "*/*" => &mut json,
            _ => continue,
        };
        if slot.is_none_or(|(best, _)| q > best) {
            *slot = Some((q, pos));
        }
    }
    match (csv, json) {
        (Some((cq, _)), _) if cq <= 0.0 => false,
        (Some(_), None) => true,
        (Some((cq, cp)), Some((jq, jp))) => cq > jq || (cq == jq && cp < jp),
        (None, _) => false,
    }
}

/// Would a spreadsheet read this cell as a formula (or as a command, through a leading tab or
/// carriage return that some importers strip)?
fn looks_like_formula(value: &str) -> bool {
    matches!(
        value.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠')
    )
}

/// Append one cell: neutralised when it looks like a formula (prefixed with `'`, which Excel
/// and LibreOffice show as text), then quoted per RFC 4180 when it holds a quote, a comma, a
/// line break or the neutralising prefix.
pub fn push_cell(out: &mut String, value: &str) {
    let prefix = if looks_like_formula(value) { "'" } else { "" };
    let quote = !prefix.is_empty() || value.contains(['"', ',', '\r', '\n']);
    if quote {
        out.push('"');
        out.push_str(prefix);
        for c in value.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// Append one record (cells and the CRLF that ends it).
pub fn push_record<I, S>(out: &mut String, cells: I)
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_cell(out, cell.as_ref());
    }
    out.push_str("\r\n");
}

/// A cell for an optional value: empty when absent.
pub fn opt<T: std::fmt::Display>(value: &Option<T>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// A cell for an instant, as the JSON shows it: RFC 3339 in UTC with `Z`.
pub fn instant(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// One page of an export, as the page function writes it: rows, and the people whose
/// personal fields the rows show unmasked (audited before the page is sent).
#[derive(Debug, Default)]
pub struct Rows {
    text: String,
    count: usize,
    disclosures: Disclosures,
}

impl Rows {
    /// Write one row.
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        push_record(&mut self.text, cells);
        self.count += 1;
    }

    /// Rows written so far on this page.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Where to note people whose personal fields this page serves unmasked.
    pub fn disclosures(&mut self) -> &mut Disclosures {
        &mut self.disclosures
    }
}

/// Where the next page starts: after the last row's key when the page was full, nowhere
/// (`None`, the export is complete) when it was not.
pub fn next_key<R, K>(rows: &[R], limit: i64, key: impl FnOnce(&R) -> K) -> Option<K> {
    if (rows.len() as i64) < limit {
        None
    } else {
        rows.last().map(key)
    }
}

/// What is being exported and for whom.
#[derive(Debug, Clone)]
pub struct Export {
    /// The file name offered to save as, e.g. `members.csv`.
    pub filename: String,
    pub header: Vec<String>,
    /// Who asks: disclosures are audited in their name, failures logged with their request id.
    pub reader: Reader,
}

impl Export {
    pub fn new(filename: &str, header: &[&str], reader: Reader) -> Export {
        Export {
            filename: filename.to_string(),
            header: header.iter().map(|h| h.to_string()).collect(),
            reader,
        }
    }
}

/// `attachment` with an ASCII file name (anything else becomes `_`), so no header injection
/// and no client guessing at encodings.
fn content_disposition(filename: &str) -> String {
    let safe: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("attachment; filename=\"{safe}\"")
}

/// Read one page on a pooled connection and audit what it discloses.
async fn read_page<K, F>(
    db: &Db,
    reader: &Reader,
    after: Option<K>,
    mut page: F,
) -> ApiResult<(String, Option<K>, F)>
where
    K: Send + 'static,
    F: FnMut(&mut DbConn, Option<K>, i64, &mut Rows) -> ApiResult<Option<K>> + Send + 'static,
{
    let (rows, next, page) = db
        .read(move |c| {
            let mut rows = Rows::default();
            let next = page(c, after, PAGE_SIZE, &mut rows)?;
            Ok((rows, next, page))
        })
        .await?;
    audit::record(db, reader, rows.disclosures).await?;
    Ok((rows.text, next, page))
}

/// Stream a list as CSV. `page(conn, after, limit, rows)` reads at most `limit` rows after the
/// key `after` (from the start when `None`), writes them to `rows`, and returns where the next
/// page starts ([`next_key`]). `start` is where the first page starts (a client's cursor).
pub async fn export<K, F>(
    db: &Db,
    export: Export,
    start: Option<K>,
    page: F,
) -> ApiResult<HttpResponse>
where
    K: Send + 'static,
    F: FnMut(&mut DbConn, Option<K>, i64, &mut Rows) -> ApiResult<Option<K>> + Send + 'static,
{
    let mut head = String::from(BOM);
    push_record(&mut head, &export.header);
    let (first, next, page) = read_page(db, &export.reader, start, page).await?;
    head.push_str(&first);
    let db = db.clone();
    let reader = export.reader.clone();
    // State: where the next page starts and the page function; `None` once finished.
    let rest = futures_util::stream::unfold(next.map(|k| (k, page)), move |state| {
        let db = db.clone();
        let reader = reader.clone();
        async move {
            let (after, page) = state?;
            match read_page(&db, &reader, Some(after), page).await {
                Ok((text, next, page)) => Some((Ok(Bytes::from(text)), next.map(|k| (k, page)))),
                Err(e) => {
                    tracing::error!(
                        request_id = %reader.request_id,
                        error = %e,
                        "CSV export failed part-way; the response is cut short"
                    );
                    Some((Err(std::io::Error::other("export failed")), None))
                }
            }
        }
    });
    let body = futures_util::stream::once(ready(Ok::<_, std::io::Error>(Bytes::from(head))));
    Ok(HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header((
            header::CONTENT_DISPOSITION,
            content_disposition(&export.filename),
        ))
        // Exports hold personal data: not for shared caches.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(futures_util::StreamExt::chain(body, rest)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(v: &str) -> String {
        let mut s = String::new();
        push_cell(&mut s, v);
        s
    }

    #[test]
    fn rfc4180_quoting() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell(""), "");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("cr\rhere"), "\"cr\rhere\"");
        assert_eq!(
            cell("张三，李四"),
            "张三，李四",
            "a full-width comma is text"
        );
        let mut rec = String::new();
        push_record(&mut rec, ["a", "b,c", ""]);
        assert_eq!(rec, "a,\"b,c\",\r\n");
    }

    #[test]
    fn formulas_are_neutralised() {
        for (input, expected) in [
            ("=1+2", "\"'=1+2\""),
            ("+86 138", "\"'+86 138\""),
            ("-5", "\"'-5\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("\tcmd", "\"'\tcmd\""),
            ("\rcmd", "\"'\rcmd\""),
            ("＝1+2", "\"'＝1+2\""),
            (
                "=HYPERLINK(\"http://x\")",
                "\"'=HYPERLINK(\"\"http://x\"\")\"",
            ),
        ] {
            assert_eq!(cell(input), expected, "{input:?}");
        }
        // Only a leading sign counts.
        assert_eq!(cell("a=b"), "a=b");
        assert_eq!(cell("1-2"), "1-2");
    }

    #[test]
    fn accept_negotiation() {
        assert!(wants_csv("text/csv"));
        assert!(wants_csv("text/csv; charset=utf-8"));
        assert!(wants_csv("TEXT/CSV"));
        assert!(wants_csv("text/csv, application/json"));
        assert!(wants_csv("application/json;q=0.5, text/csv"));
        assert!(wants_csv("text/csv;q=0.5, */*;q=0.1"));
        assert!(!wants_csv(""));
        assert!(!wants_csv("*/*"));
        assert!(!wants_csv("application/json"));
        assert!(!wants_csv("application/json, text/csv"));
        assert!(!wants_csv("text/*"));
        assert!(!wants_csv("text/csv;q=0"));
        assert!(!wants_csv("text/csv;q=0.5, application/json"));
    }

    #[test]
    fn optional_values_and_instants() {
        assert_eq!(opt(&Some(1990)), "1990");
        assert_eq!(opt::<i32>(&None), "");
        let t = chrono::DateTime::parse_from_rfc3339("2026-03-01T08:30:00.250+08:00")
            .expect("instant")
            .to_utc();
        assert_eq!(instant(&t), "2026-03-01T00:30:00.250Z");
    }

    #[test]
    fn next_page_only_after_a_full_one() {
        assert_eq!(next_key(&[1, 2, 3], 3, |r| *r), Some(3));
        assert_eq!(next_key(&[1, 2], 3, |r| *r), None);
        assert_eq!(next_key::<i32, i32>(&[], 3, |r| *r), None);
    }

    #[test]
    fn filenames_stay_plain() {
        assert_eq!(
            content_disposition("members.csv"),
            "attachment; filename=\"members.csv\""
        );
        assert_eq!(
            content_disposition("a\"b\r\nc.csv"),
            "attachment; filename=\"a_b__c.csv\""
        );
    }
}
