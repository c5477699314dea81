//! The committed OpenAPI documents must match what the code generates.
//! Regenerate with `cargo run -- openapi` after changing an endpoint.

#[test]
fn committed_openapi_documents_match_the_code() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi");
    let mut stale = Vec::new();
    for (name, doc) in xieshang::openapi_documents() {
        let generated = xieshang::render_document(&doc).unwrap();
        let committed = std::fs::read_to_string(dir.join(&name)).unwrap_or_default();
        if committed != generated {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "openapi/ is out of date for {stale:?}; run `cargo run -- openapi` and commit the result"
    );
}

#[test]
fn every_membership_endpoint_is_documented() {
    let docs = xieshang::openapi_documents();
    let (_, membership) = docs.iter().find(|(n, _)| n == "membership.json").unwrap();
    let paths: Vec<&String> = membership.paths.paths.keys().collect();
    for p in [
        "/api/v1/members",
        "/api/v1/members/{id}",
        "/api/v1/districts",
        "/api/v1/districts/{code}",
        "/api/v1/subdistricts/{code}",
        "/api/v1/communities/{code}",
        "/api/v1/sectors/{code}",
        "/api/v1/subdistricts",
        "/api/v1/communities",
        "/api/v1/sectors",
        "/api/v1/activities",
        "/api/v1/activities/{id}",
        "/api/v1/evaluation-rules",
        "/api/v1/evaluation-rules/{year}",
        "/api/v1/members/{id}/evaluation",
        "/api/v1/evaluations",
        "/api/v1/stats/membership",
        "/internal/v1/activities",
        "/internal/v1/members/{id}",
        "/internal/v1/workrooms/{id}",
        "/api/v1/workrooms",
        "/api/v1/workrooms/{id}",
        "/api/v1/workrooms/{id}/transitions",
        "/api/v1/workrooms/{id}/history",
        "/api/v1/workrooms/{id}/members",
        "/api/v1/workrooms/{id}/members/{member_id}",
        "/api/v1/workrooms/{id}/assignment-suggestions",
        "/api/v1/members/{id}/card",
        "/api/v1/workrooms/{id}/duty-shifts",
        "/api/v1/workrooms/{id}/duty-shifts/{shift_id}",
        "/api/v1/workrooms/{id}/duty-rota",
        "/api/v1/workrooms/{id}/on-duty",
        "/api/v1/check-ins",
        "/api/v1/check-ins/{id}",
        "/api/v1/workrooms/{id}/plans/{year}",
        "/api/v1/bulletins",
    ] {
        assert!(
            paths.iter().any(|k| k.as_str() == p),
            "{p} missing from {paths:?}"
        );
    }
    let (_, gateway) = docs.iter().find(|(n, _)| n == "gateway.json").unwrap();
    assert!(
        gateway.paths.paths.contains_key("/api/v1/members"),
        "the gateway's document merges the services'"
    );
}

/// Integrators generate clients from the merged document and read it at `/docs`: every operation
/// says what it does (summary) and who may call it and what is masked for whom (description).
/// utoipa takes both from the handler's doc comment: the first line, then the paragraphs after it.
#[test]
fn every_operation_has_a_summary_and_a_description() {
    // Every document: the merged one and each service's own, whose internal endpoints other
    // services' engineers read.
    let docs = xieshang::openapi_documents();
    let filled = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
    let mut lacking = Vec::new();
    for (name, path, item) in docs
        .iter()
        .flat_map(|(name, doc)| doc.paths.paths.iter().map(move |(p, i)| (name, p, i)))
    {
        let ops = [
            ("GET", &item.get),
            ("PUT", &item.put),
            ("POST", &item.post),
            ("DELETE", &item.delete),
            ("OPTIONS", &item.options),
            ("HEAD", &item.head),
            ("PATCH", &item.patch),
            ("TRACE", &item.trace),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let missing: Vec<&str> = [
                ("summary", filled(&op.summary)),
                ("description", filled(&op.description)),
            ]
            .into_iter()
            .filter(|(_, ok)| !ok)
            .map(|(what, _)| what)
            .collect();
            if !missing.is_empty() {
                lacking.push(format!(
                    "{name}: {method} {path} (no {})",
                    missing.join(", no ")
                ));
            }
        }
    }
    assert!(
        lacking.is_empty(),
        "{} operation(s) lack a summary or description; give each handler a doc \
         comment: a one-line summary, a blank line, then what it does, who may call it and what \
         is masked for whom:\n{}",
        lacking.len(),
        lacking.join("\n")
    );
}

/// The merged document keeps one schema per name: two services defining the same name
/// differently would give integrators one service's shape for the other's operations.
#[test]
fn no_two_documents_define_a_schema_name_differently() {
    let mut seen: std::collections::BTreeMap<String, (String, serde_json::Value)> =
        Default::default();
    let mut clashes = Vec::new();
    for name in [
        "gateway-own",
        "membership",
        "consultation",
        "reports",
        "liaison",
    ] {
        let doc = if name == "gateway-own" {
            serde_json::to_value(xs_gateway::openapi::gateway_doc()).unwrap()
        } else {
            let path = format!("{}/openapi/{name}.json", env!("CARGO_MANIFEST_DIR"));
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        };
        let schemas = doc["components"]["schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (schema, body) in schemas {
            match seen.get(&schema) {
                Some((owner, earlier)) if earlier != &body => {
                    clashes.push(format!("{schema}: {owner} and {name} differ"))
                }
                Some(_) => {}
                None => {
                    seen.insert(schema, (name.to_string(), body));
                }
            }
        }
    }
    assert!(clashes.is_empty(), "{}", clashes.join("\n"));
}
