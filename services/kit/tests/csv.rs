//! CSV exports through the kit, on the kit tests' own little service.

mod fixtures;

use fixtures::{Things, admin, resident, staff};
use futures_util::StreamExt;
use reqwest::StatusCode;
use xs_testkit::csv_records;

async fn export(things: &Things, query: &str, token: &str) -> reqwest::Response {
    things
        .get(&format!("/api/v1/things{query}"), Some(token))
        .header("Accept", "text/csv")
        .send()
        .await
        .expect("request")
}

#[actix_web::test]
async fn cells_are_quoted_neutralised_and_chinese_survives_with_a_bom() {
    let things = Things::start().await;
    things
        .sql(
            "INSERT INTO things (id, name, phone, district, note) VALUES \
             ('a1', '张三', '13812341234', 'siming', '说\"你好\"，再见'), \
             ('a2', '=HYPERLINK(\"http://evil\")', '+8613812341234', 'siming', 'a,b'), \
             ('a3', '@SUM(A1)', '-1', 'siming', 'two\r\nlines'), \
             ('a4', '欧阳娜娜', '05921234567', 'huli', '')",
        )
        .await;
    let res = export(&things, "", &admin()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"things.csv\""
    );
    assert_eq!(res.headers()["cache-control"], "no-store");
    let bytes = res.bytes().await.expect("body");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 byte-order mark");
    let text = std::str::from_utf8(&bytes[3..]).expect("UTF-8");
    let records = csv_records(text);
    assert_eq!(records[0], fixtures::CSV_HEADER);
    assert_eq!(records.len(), 5);
    assert_eq!(records[1][1], "张三");
    assert_eq!(records[1][5], "说\"你好\"，再见");
    assert_eq!(records[2][1], "'=HYPERLINK(\"http://evil\")");
    assert_eq!(records[2][2], "'+8613812341234");
    assert_eq!(records[2][5], "a,b");
    assert_eq!(records[3][1], "'@SUM(A1)");
    assert_eq!(records[3][2], "'-1");
    assert_eq!(records[3][5], "two\r\nlines");
    assert_eq!(records[4][1], "欧阳娜娜");
    assert_eq!(records[4][5], "");
    // No cell anywhere starts with a formula sign once parsed.
    for r in &records {
        for c in r {
            assert!(!c.starts_with(['=', '+', '-', '@']), "{c:?}");
        }
    }
    things.stop().await;
}

#[actix_web::test]
async fn the_whole_filtered_list_is_exported_page_by_page_with_the_lists_masking() {
    let things = Things::start().await;
    // More than two export pages in one district, and some in another.
    let n = xs_kit::csv::PAGE_SIZE as u32 * 2 + 37;
    things.seed(n, "siming", 20).await;
    things
        .sql(
            "INSERT INTO things (id, name, phone, district, note) VALUES \
             ('u1', '李四', '13900000001', 'huli', ''), ('u2', '王五', '13900000002', 'huli', '')",
        )
        .await;
    for (token, masked) in [(staff("siming"), false), (resident(), true)] {
        let res = export(&things, "?district=siming", &token).await;
        assert_eq!(res.status(), StatusCode::OK);
        let bytes = res.bytes().await.expect("body");
        let records = csv_records(std::str::from_utf8(&bytes[3..]).expect("UTF-8"));
        assert_eq!(records.len() as u32, n + 1, "header and every row, once");
        let ids: Vec<&str> = records[1..].iter().map(|r| r[0].as_str()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, ids, "in order, no repeats");
        assert!(records[1..].iter().all(|r| r[4] == "siming"));
        assert!(
            records[1..]
                .iter()
                .all(|r| (r[3] == "true") == masked && r[2].contains('*') == masked)
        );
    }
    // The list's filter and the cursor apply: everything after t0000010 in siming.
    let cursor = xs_kit::pagination::encode_cursor(&"t0000010");
    let res = export(
        &things,
        &format!("?district=siming&cursor={cursor}"),
        &admin(),
    )
    .await;
    let bytes = res.bytes().await.expect("body");
    let records = csv_records(std::str::from_utf8(&bytes[3..]).expect("UTF-8"));
    assert_eq!(records.len() as u32, n - 10 + 1);
    assert_eq!(records[1][0], "t0000011");
    // Without Accept: text/csv the same list is a JSON page.
    let page: serde_json::Value = things
        .get("/api/v1/things?district=huli", Some(&admin()))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    things.stop().await;
}

#[actix_web::test]
async fn a_failure_part_way_cuts_the_download_short() {
    let things = Things::start().await;
    let n = xs_kit::csv::PAGE_SIZE as u32 * 3;
    things.seed(n, "siming", 10).await;
    // A row on the third page makes its page fail.
    let poisoned = format!("t{:07}", xs_kit::csv::PAGE_SIZE * 2 + 5);
    things
        .sql(&format!(
            "UPDATE things SET note = 'fail-here' WHERE id = '{poisoned}'"
        ))
        .await;
    let res = export(&things, "", &admin()).await;
    // The status went out with the first page.
    assert_eq!(res.status(), StatusCode::OK);
    let mut stream = res.bytes_stream();
    let mut received = Vec::new();
    let mut failed = false;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(b) => received.extend_from_slice(&b),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert!(failed, "the body must not end as if complete");
    let text = String::from_utf8_lossy(&received);
    assert!(
        !text.contains(&poisoned),
        "nothing of the failed page was sent"
    );
    // What did arrive is the file's beginning (how much of it the server flushed before it cut
    // the connection is up to the server and the network).
    assert!(
        text.starts_with("\u{feff}id,name,phone"),
        "{:?}",
        text.get(..20)
    );
    things.stop().await;
}

#[actix_web::test]
async fn a_failure_on_the_first_page_is_still_a_problem() {
    let things = Things::start().await;
    things
        .sql(
            "INSERT INTO things (id, name, phone, district, note) \
             VALUES ('b1', 'x', '1', 'siming', 'fail-here')",
        )
        .await;
    let res = export(&things, "", &admin()).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        res.headers()["content-type"],
        xs_kit::error::PROBLEM_JSON,
        "nothing was streamed yet, so the error is a problem document"
    );
    // And a cursor that is not one is the same 422 as for JSON.
    let res = export(&things, "?cursor=nonsense", &admin()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: serde_json::Value = res.json().await.expect("problem");
    assert_eq!(p["errors"][0]["field"], "cursor");
    things.stop().await;
}
