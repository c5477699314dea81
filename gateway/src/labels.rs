//! Display labels, `GET /api/v1/labels?lang=zh-CN`: the Chinese name of every enum value of
//! every service, so clients never hard-code them.
//!
//! The truth is one committed table, `labels/zh-CN.json` (`{schema name: {value: label}}`,
//! keyed like the merged API document's schemas). A whole-stack test walks every `enum` of that
//! document and fails naming each value without a label and each label without a value.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use utoipa::{IntoParams, ToSchema};
use xs_kit::error::Problem;
use xs_kit::{ApiError, ApiResult};

/// The languages served.
pub const LANGUAGES: [&str; 1] = ["zh-CN"];

const ZH_CN: &str = include_str!("labels/zh-CN.json");

/// Schema name → enum value → display name.
pub type Table = BTreeMap<String, BTreeMap<String, String>>;

/// The labels' query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LabelsQuery {
    /// `zh-CN` (the default and, for now, the only language).
    pub lang: Option<String>,
}

/// Display names of enum values.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Labels {
    pub lang: String,
    /// By schema name as in the API document (`TopicStatus`, `WorkroomKind`, ...), then by
    /// value: `{"TopicStatus": {"resolved": "已解决", ...}, ...}`.
    pub labels: Table,
}

/// The zh-CN table and its entity tag.
pub fn table() -> &'static (Table, String) {
    static TABLE: OnceLock<(Table, String)> = OnceLock::new();
    TABLE.get_or_init(|| {
        let table: Table = serde_json::from_str(ZH_CN).unwrap_or_default();
        // FNV-1a of the committed file: changes exactly when the table does.
        let hash = ZH_CN.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        (table, format!("\"zh-CN-{hash:016x}\""))
    })
}

/// Get the display names of enum values
///
/// For anyone, signed in or not: the Chinese display name of every enum value of every service
/// (workroom kinds and states, topic origins and states, report categories and levels, event
/// kinds, ...), keyed by the schema name of the API document. Cacheable: an `ETag` (answer
/// `If-None-Match` with 304) and `Cache-Control: public, max-age=3600`. A `lang` other than
/// `zh-CN` is 422. A token, when one is sent, must be valid (401 otherwise), as everywhere.
#[utoipa::path(tag = "labels", params(LabelsQuery), security(()), responses(
    (status = 200, description = "Every enum's display names", body = Labels, headers(("ETag" = String), ("Cache-Control" = String))),
    (status = 304, description = "The client's copy (`If-None-Match`) is current"),
    (status = 400, description = "An unknown parameter", body = Problem, content_type = "application/problem+json"),
    (status = 401, description = "A token was sent but is not valid (expired, revoked, or its account changed since it was issued): send none, or a valid one", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "`lang` is not served", body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/labels")]
pub async fn labels(
    req: HttpRequest,
    q: xs_kit::extract::Query<LabelsQuery>,
) -> ApiResult<HttpResponse> {
    let lang = q.0.lang.unwrap_or_else(|| LANGUAGES[0].to_string());
    if !LANGUAGES.contains(&lang.as_str()) {
        return Err(ApiError::unprocessable(
            "lang",
            format!("is not served (only {})", LANGUAGES.join(", ")),
        ));
    }
    let (table, etag) = table();
    let cache = (header::CACHE_CONTROL, "public, max-age=3600");
    let current = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if current {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag.as_str()))
            .insert_header(cache)
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag.as_str()))
        .insert_header(cache)
        .json(Labels {
            lang,
            labels: table.clone(),
        }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn the_committed_table_parses_and_has_no_empty_label() {
        let table: super::Table = serde_json::from_str(super::ZH_CN).unwrap();
        assert!(!table.is_empty());
        for (schema, values) in &table {
            for (value, label) in values {
                assert!(!label.trim().is_empty(), "{schema}.{value}");
            }
        }
    }
}
