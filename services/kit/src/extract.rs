//! Extractors that turn every kind of bad input into a 4xx problem naming the field.
//!
//! actix-web's own `Json`/`Query` report errors without the offending field; these read the
//! same inputs through `serde_path_to_error`, so `{"errors":[{"field":"birth_year",...}]}`
//! tells the client exactly what to fix.

use crate::error::{ApiError, FieldError};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::{LocalBoxFuture, Ready, ready};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The largest JSON body a service accepts (the gateway enforces its own, smaller or equal).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Per-app body limit; register with `app_data(BodyLimit(n))` to change the default.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON request body. Checks the content type (415), the size (413), the syntax (400) and
/// the shape (400 with the field path).
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<BodyLimit>()
            .map(|l| l.0)
            .unwrap_or(DEFAULT_BODY_LIMIT);
        let content_type_ok = match req.mime_type() {
            Ok(Some(m)) => {
                // application/json, or any +json type (e.g. application/merge-patch+json)
                m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json")
            }
            _ => false,
        };
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::UnsupportedMediaType(
                    "the body must be JSON (Content-Type: application/json)".into(),
                ));
            }
            if declared_len.is_some_and(|n| n > limit) {
                return Err(too_large(limit));
            }
            let mut body = bytes::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk =
                    chunk.map_err(|e| ApiError::BadRequest(format!("reading the body: {e}")))?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large(limit));
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body).map(Json)
        })
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::PayloadTooLarge(format!("the body is larger than {limit} bytes"))
}

/// Parse JSON, naming the field that does not fit the expected shape.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::field("body", "a JSON body is required"));
    }
    if let Some(field) = nul_in_json(body) {
        return Err(ApiError::field(field, NUL_MESSAGE));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    let malformed = |line: usize, column: usize, what: &str| {
        ApiError::field("body", format!("{what} at line {line} column {column}"))
    };
    let mut json = serde_json::Value::deserialize(&mut *de)
        .map_err(|e| malformed(e.line(), e.column(), "malformed JSON"))?;
    // One JSON value and nothing after it but whitespace: `{..}garbage` is not JSON.
    de.end()
        .map_err(|e| malformed(e.line(), e.column(), "unexpected text after the JSON value"))?;
    integral_numbers_as_integers(&mut json);
    let value = serde_path_to_error::deserialize(json).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "body".to_string()
        } else {
            path
        };
        ApiError::Validation(vec![FieldError::new(
            field,
            clean_serde_message(&e.into_inner().to_string()),
        )])
    })?;
    Ok(value)
}

/// JSON Schema's `integer` is any number with no fractional part, so `3.0` is an integer: turn
/// such numbers into integers before typed deserialising (a float field takes an integer too).
fn integral_numbers_as_integers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64())
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                // Exact: |f| < 2^53, so the conversion loses nothing.
                *v = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

const NUL_MESSAGE: &str = "must not contain a NUL character (U+0000)";

/// The path (`title`, `items[2].name`) of the first string or key holding U+0000, which no
/// text column can store. Only bodies with the escape `\u0000` are parsed a second time.
fn nul_in_json(body: &[u8]) -> Option<String> {
    let escaped = body
        .windows(6)
        .any(|w| w[0] == b'\\' && w[1] == b'u' && w[2..].iter().all(|b| *b == b'0'));
    if !escaped {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    fn walk(v: &serde_json::Value, path: &str) -> Option<String> {
        let here = || {
            if path.is_empty() {
                "body".to_string()
            } else {
                path.to_string()
            }
        };
        match v {
            serde_json::Value::String(s) => s.contains('\0').then(here),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| walk(item, &format!("{path}[{i}]"))),
            serde_json::Value::Object(map) => map.iter().find_map(|(k, item)| {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if k.contains('\0') {
                    Some(p)
                } else {
                    walk(item, &p)
                }
            }),
            _ => None,
        }
    }
    walk(&value, "")
}

/// Middleware: a NUL byte (`%00`) in the path or the query is a 400 naming where, before any
/// handler or proxy sees it. Wrap it inside the telemetry middleware so the problem carries
/// the request id.
pub async fn refuse_nul(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    if let Some(field) = nul_in_uri(req.path(), req.query_string()) {
        let res = actix_web::ResponseError::error_response(&ApiError::field(field, NUL_MESSAGE));
        return Ok(req.into_response(res));
    }
    next.call(req)
        .await
        .map(actix_web::dev::ServiceResponse::map_into_boxed_body)
}

fn nul_in_uri(path: &str, query: &str) -> Option<String> {
    if path.contains("%00") || path.contains('\0') {
        return Some("path".into());
    }
    if !(query.contains("%00") || query.contains('\0')) {
        return None;
    }
    let named = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| k.replace('\0', ""))
        .filter(|k| !k.is_empty());
    Some(named.unwrap_or_else(|| "query".into()))
}

/// serde appends " at line 1 column 17" to messages; the field path already says where.
fn clean_serde_message(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Query parameters. An unknown value (`status=bogus`) or a malformed one is a 400 naming
/// the parameter.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string()).map(Query))
    }
}

pub fn parse_query<T: DeserializeOwned>(qs: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(qs.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let msg = clean_serde_message(&e.into_inner().to_string());
        // A missing required parameter has no path yet; serde names it in the message.
        let field = if path == "." {
            msg.split('`').nth(1).unwrap_or("query").to_string()
        } else {
            path
        };
        ApiError::Validation(vec![FieldError::new(field, msg)])
    })
}

/// The `If-Match` header as a resource version (`"3"` or `W/"3"`); absent is `None`.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<i64>);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = match req.headers().get(header::IF_MATCH) {
            None => Ok(IfMatch(None)),
            Some(v) => v
                .to_str()
                .ok()
                .and_then(crate::concurrency::parse_etag)
                .map(|v| IfMatch(Some(v)))
                .ok_or_else(|| {
                    ApiError::field("If-Match", "must be an ETag from this API, like \"3\"")
                }),
        };
        ready(parsed)
    }
}

/// actix-web's path extractor errors become 404 problems (a malformed id names nothing).
pub fn path_config() -> actix_web::web::PathConfig {
    actix_web::web::PathConfig::default()
        .error_handler(|err, _req| ApiError::NotFound(format!("no such resource ({err})")).into())
}

/// actix-web's own JSON/query extractors, if a handler uses them, still answer problem+json.
pub fn json_config() -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(DEFAULT_BODY_LIMIT)
        .error_handler(|err, _req| {
            use actix_web::error::JsonPayloadError as E;
            match err {
                E::Overflow { .. } | E::OverflowKnownLength { .. } => too_large(DEFAULT_BODY_LIMIT),
                E::ContentType => ApiError::UnsupportedMediaType("the body must be JSON".into()),
                other => ApiError::field("body", other.to_string()),
            }
            .into()
        })
}

pub fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default()
        .error_handler(|err, _req| ApiError::field("query", err.to_string()).into())
}
