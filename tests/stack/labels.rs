//! Display labels (`GET /api/v1/labels`): every enum value of the merged API document has a
//! Chinese label in the committed table and every label a value; the endpoint is public and
//! cacheable. Also the reference dashboard page's files.

use crate::common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Every enum value in `node`, collected under `name`. A one-value enum is a constant (utoipa
/// writes no `const`): the branch of a transition's `oneOf` naming the action it describes. It
/// is collected under `"const"`, labelled by the enum type the value belongs to.
fn enums(node: &Value, name: &str, out: &mut BTreeMap<String, BTreeSet<String>>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::Array(values)) = map.get("enum") {
                let key = if values.len() == 1 { CONST } else { name };
                let set = out.entry(key.to_string()).or_default();
                set.extend(values.iter().filter_map(|v| v.as_str().map(str::to_string)));
            }
            for v in map.values() {
                enums(v, name, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| enums(v, name, out)),
        _ => {}
    }
}

const CONST: &str = "const";

#[test]
fn every_enum_value_of_the_api_document_has_a_label_and_every_label_a_value() {
    let (_, doc) = xieshang::openapi_documents()
        .into_iter()
        .find(|(name, _)| name == "gateway.json")
        .unwrap();
    let doc = serde_json::to_value(doc).unwrap();
    let mut want = BTreeMap::new();
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        enums(schema, name, &mut want);
    }
    // Inline enums of parameters are keyed by the parameter's name.
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                enums(&p["schema"], p["name"].as_str().unwrap(), &mut want);
            }
        }
    }
    assert!(want.contains_key("TopicStatus") && want.contains_key("WorkroomKind"));
    let (table, _) = xs_gateway::labels::table();
    let mut problems = Vec::new();
    for v in want.remove(CONST).unwrap_or_default() {
        if !table.values().any(|labels| labels.contains_key(&v)) {
            problems.push(format!("no enum type with a label for the constant {v}"));
        }
    }
    for (schema, values) in &want {
        for v in values {
            if table.get(schema).and_then(|t| t.get(v)).is_none() {
                problems.push(format!("no label for {schema}.{v}"));
            }
        }
    }
    for (schema, labels) in table {
        for v in labels.keys() {
            if !want.get(schema).is_some_and(|s| s.contains(v)) {
                problems.push(format!("a label for {schema}.{v}, which is no enum value"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[actix_web::test]
async fn labels_are_public_and_cacheable() {
    let t = TestStack::start().await;
    let r = t
        .client
        .get(t.url("/api/v1/labels?lang=zh-CN"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["lang"], "zh-CN");
    assert_eq!(body["labels"]["TopicOrigin"]["public"], "出题");
    assert_eq!(
        body["labels"]["WorkroomKind"]["haoshangliang_studio"],
        "好商量工作室"
    );
    let r = t
        .client
        .get(t.url("/api/v1/labels"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = t
        .client
        .get(t.url("/api/v1/labels?lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "lang", "{p}");
    // Public, but a token that is sent must be valid, as everywhere (documented).
    let r = t
        .client
        .get(t.url("/api/v1/labels"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    t.stop().await;
}

#[actix_web::test]
async fn the_dashboard_page_is_served_whole_with_a_strict_policy() {
    let t = TestStack::start().await;
    for (path, kind) in [
        ("/dashboard/", "text/html"),
        ("/dashboard/app.js", "text/javascript"),
        ("/dashboard/style.css", "text/css"),
    ] {
        let r = t.client.get(t.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers();
        assert!(
            h["content-type"].to_str().unwrap().starts_with(kind),
            "{path}"
        );
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        // (The SVG namespace is a name, not something loaded.)
        let text = r
            .text()
            .await
            .unwrap()
            .replace("http://www.w3.org/2000/svg", "");
        // No external asset: nothing is loaded from another origin.
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{path}"
        );
    }
    let r = t.client.get(t.url("/dashboard/x.js")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    t.stop().await;
}
