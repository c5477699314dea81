//! The route table behind `405 Allow` and the metrics' `route` label: a path finds the
//! document's template as routing would pick it.

use serde_json::json;
use xs_kit::telemetry::RouteMethods;

fn table() -> RouteMethods {
    let op = json!({"responses": {"200": {"description": "ok"}}});
    let doc: utoipa::openapi::OpenApi = serde_json::from_value(json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/api/v1/districts": {"get": op, "post": op},
            "/api/v1/districts/{code}": {"get": op, "patch": op},
            "/api/v1/districts/{code}/subdistricts": {"get": op},
            "/api/v1/members/{id}": {"get": op},
            "/api/v1/members/search": {"get": op},
            "/api/v1/{kind}/export": {"get": op},
        }
    }))
    .unwrap();
    RouteMethods::new(&doc, &[("/healthz", "GET")])
}

#[test]
fn a_path_finds_its_template() {
    let t = table();
    assert_eq!(
        t.template("/api/v1/districts/siming"),
        Some("/api/v1/districts/{code}")
    );
    assert_eq!(t.template("/api/v1/districts"), Some("/api/v1/districts"));
    assert_eq!(
        t.template("/api/v1/districts/siming/subdistricts"),
        Some("/api/v1/districts/{code}/subdistricts")
    );
    assert_eq!(t.template("/healthz"), Some("/healthz"));
    // A parameter where the resource name usually is.
    assert_eq!(
        t.template("/api/v1/reports/export"),
        Some("/api/v1/{kind}/export")
    );
}

#[test]
fn the_most_literal_template_wins() {
    let t = table();
    assert_eq!(
        t.template("/api/v1/members/search"),
        Some("/api/v1/members/search")
    );
    assert_eq!(
        t.template("/api/v1/members/m1"),
        Some("/api/v1/members/{id}")
    );
}

#[test]
fn no_template_no_methods() {
    let t = table();
    for path in [
        "/api/v1/districts/",
        "/api/v1/nothing/here",
        "/api/v1/districts/siming/other",
        "/",
    ] {
        assert_eq!(t.template(path), None, "{path}");
        assert!(t.allowed(path).is_empty(), "{path}");
    }
    assert_eq!(t.allowed("/api/v1/districts/siming"), ["GET", "PATCH"]);
    assert_eq!(t.allowed("/api/v1/districts"), ["GET", "POST"]);
}
