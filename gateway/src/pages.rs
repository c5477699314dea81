//! The reference dashboard page, `GET /dashboard/`: static files embedded in the binary (no
//! external assets), served with a Content-Security-Policy that allows only themselves and
//! the gateway's own API. The page itself is plain HTML/CSS/JS in `gateway/static/dashboard/`.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use xs_kit::error::Problem;
use xs_kit::{ApiError, ApiResult};

/// What the page may load: its own files and the gateway's API, nothing else.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The page's files: name, content type, bytes.
const FILES: &[(&str, &str, &str)] = &[
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/dashboard/app.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../static/dashboard/style.css"),
    ),
];

const INDEX: &str = include_str!("../static/dashboard/index.html");

fn file(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}

/// The reference dashboard
///
/// For anyone (the page signs in itself, with a dashboard, office staff or admin account, at
/// `/auth/token`): a small page showing the dashboard summary of a district and a period as
/// figures and charts, using only the public API. Static HTML; its script and style sheet are
/// `/dashboard/app.js` and `/dashboard/style.css`.
#[utoipa::path(tag = "dashboard", security(()), responses(
    (status = 200, description = "The page", content_type = "text/html", body = String)))]
#[get("/dashboard/")]
pub async fn page() -> HttpResponse {
    file("text/html; charset=utf-8", INDEX)
}

/// A file of the reference dashboard
///
/// For anyone: `app.js` or `style.css` of the page at `/dashboard/`; any other name is 404.
#[utoipa::path(tag = "dashboard", security(()), params(("file" = String, Path, description = "`app.js` or `style.css`")), responses(
    (status = 200, description = "The file", content_type = "text/plain", body = String),
    (status = 404, description = "No such file", body = Problem, content_type = "application/problem+json")))]
#[get("/dashboard/{file}")]
pub async fn asset(name: web::Path<String>) -> ApiResult<HttpResponse> {
    FILES
        .iter()
        .find(|(n, _, _)| *n == name.as_str())
        .map(|(_, content_type, body)| file(content_type, body))
        .ok_or_else(|| ApiError::NotFound(format!("no file {} in the dashboard", name.as_str())))
}
