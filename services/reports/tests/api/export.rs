//! CSV export: the whole filtered list, streamed a page at a time through the gateway,
//! UTF-8 with BOM, Chinese text intact, formula cells neutralised, residents' contacts
//! masked as in JSON.

use crate::common::*;
use futures_util::future::join_all;
use serde_json::{Value, json};
use std::collections::HashMap;

/// More than two of the export's pages (500 rows each).
const ROWS: usize = 1_050;

#[actix_web::test]
async fn a_large_list_exports_as_csv_row_by_row() {
    let t = TestStack::start().await;
    let s = t.seed().await;
    let office = staff("siming");
    let a = member_token(&s.a, "siming");

    // Reports with the awkward cells a spreadsheet meets: formulas, commas, quotes, line
    // breaks, Chinese punctuation.
    let special = [
        ("=HYPERLINK(\"http://evil\")", "正文，含逗号, comma"),
        ("+86 热线反映", "第一行\n第二行"),
        ("关于\"十五分钟生活圈\"的建议", "-5℃ 寒潮应对；@全体"),
    ];
    let mut expected: HashMap<String, (String, String)> = HashMap::new();
    for (title, body) in special {
        let mut b = new_report(title, "siming", &[&s.a, &s.b]);
        b["body"] = json!(body);
        let v = t.report(&a, &b).await;
        expected.insert(
            v["id"].as_str().unwrap().into(),
            (title.to_string(), body.to_string()),
        );
    }
    let mut hotline = new_report("热线：夜间施工噪音", "siming", &[&s.a]);
    hotline["source_channel"] = json!("hotline");
    hotline["resident_name"] = json!("王小明");
    hotline["resident_phone"] = json!("13812345678");
    let v = t.report(&a, &hotline).await;
    let hotline_id = v["id"].as_str().unwrap().to_string();
    expected.insert(
        hotline_id.clone(),
        (
            "热线：夜间施工噪音".into(),
            v["body"].as_str().unwrap().into(),
        ),
    );
    let plain = ROWS - expected.len();
    for chunk in (0..plain).collect::<Vec<_>>().chunks(8) {
        let made = join_all(chunk.iter().map(|i| {
            let title = format!("第{i}号社情民意：小区停车难");
            let body = new_report(&title, "siming", &[&s.a, &s.b]);
            let (t, office) = (&t, &office);
            async move { t.report(office, &body).await }
        }))
        .await;
        for v in made {
            expected.insert(
                v["id"].as_str().unwrap().into(),
                (
                    v["title"].as_str().unwrap().into(),
                    v["body"].as_str().unwrap().into(),
                ),
            );
        }
    }
    // Another district's report stays out of siming's export.
    t.report(&staff("huli"), &new_report("湖里", "huli", &[&s.h]))
        .await;

    let (records, _) = get_csv(&t, "/api/v1/reports", &office).await;
    let header: Vec<&str> = records[0].iter().map(String::as_str).collect();
    assert_eq!(
        header,
        [
            "id",
            "title",
            "body",
            "category",
            "district",
            "source_channel",
            "status",
            "authors",
            "resident_name",
            "resident_phone",
            "topic",
            "reception",
            "liaison_suggestion",
            "adopted_by",
            "instructions",
            "submitted_at",
            "accepted_at",
            "created_at"
        ]
    );
    let rows = &records[1..];
    assert_eq!(rows.len(), ROWS);
    let mut seen = std::collections::HashSet::new();
    let mut previous: Option<String> = None;
    for row in rows {
        assert_eq!(row.len(), header.len());
        let (title, body) = expected.get(&row[0]).expect("a report of siming");
        assert!(seen.insert(row[0].clone()), "each report once");
        // Newest first, as the JSON list.
        if let Some(p) = &previous {
            assert!(row[0] < *p);
        }
        previous = Some(row[0].clone());
        let neutral = |s: &str| {
            if s.starts_with(['=', '+', '-', '@']) {
                format!("'{s}")
            } else {
                s.to_string()
            }
        };
        assert_eq!(row[1], neutral(title));
        assert_eq!(row[2], neutral(body));
        assert_eq!(row[3], "livelihood");
        assert_eq!(row[4], "siming");
        assert_eq!(row[6], "draft");
        if row[0] != hotline_id {
            assert_eq!(row[7], "林委员;陈委员");
            assert_eq!(row[8], "");
        }
    }
    // The office sees the resident's contact whole, an author masked; JSON agrees.
    let contact = |records: &[Vec<String>]| {
        let r = records.iter().find(|r| r[0] == hotline_id).unwrap();
        (r[8].clone(), r[9].clone())
    };
    assert_eq!(
        contact(&records),
        ("王小明".to_string(), "13812345678".to_string())
    );
    let (mine, _) = get_csv(&t, "/api/v1/reports?channel=hotline", &a).await;
    assert_eq!(mine.len(), 2);
    assert_eq!(
        contact(&mine),
        ("王**".to_string(), "138****5678".to_string())
    );
    // The office's export is recorded in the personal-data audit.
    let v: Value = t
        .get(
            &format!(
                "/api/v1/audit/reports/personal-data-reads?subject_kind=report_resident&subject_id={hotline_id}"
            ),
            &admin(),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    // Filters and search apply to the export too.
    let (found, _) = get_csv(
        &t,
        "/api/v1/reports?q=%E5%8D%81%E4%BA%94%E5%88%86%E9%92%9F",
        &office,
    )
    .await;
    assert_eq!(found.len(), 2);
    assert_eq!(found[1][1], "关于\"十五分钟生活圈\"的建议");
    // `limit` does not apply to an export (422: the schema cannot tie it to `Accept`).
    let r = t
        .req(reqwest::Method::GET, "/api/v1/reports?limit=5", &office)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(fields(&problem(r, 422).await), ["limit"]);
    t.stop().await;
}
