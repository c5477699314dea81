//! Reading CSV downloads back, to check what a client would get.

/// Parse RFC 4180 text into records (quoted cells may hold commas, quotes and line breaks);
/// panics unless the text ends with CRLF.
pub fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let (mut record, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(
        cell.is_empty() && record.is_empty(),
        "the file ends with CRLF"
    );
    records
}

/// A whole CSV download: asserts a 200 `text/csv; charset=utf-8` answer starting with the
/// UTF-8 byte-order mark; returns its records and the request id.
pub async fn csv_response(r: reqwest::Response) -> (Vec<Vec<String>>, String) {
    let status = r.status();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (request_id, content_type) = (header("x-request-id"), header("content-type"));
    let bytes = r.bytes().await.expect("the CSV body");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(content_type, "text/csv; charset=utf-8");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 byte-order mark");
    let text = std::str::from_utf8(&bytes[3..]).expect("UTF-8");
    (csv_records(text), request_id)
}
