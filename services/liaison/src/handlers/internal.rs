//! Reference checks for the other services (`/internal/v1`, not routed by the gateway; the
//! service role only). Callers use `xs_kit::client::ServiceClient::liaison_suggestion`.

use crate::models::suggestion as model;
use actix_web::{HttpResponse, get, web};
use xs_kit::contracts::SuggestionRef;
use xs_kit::error::{OrNotFound, Problem};
use xs_kit::{ApiResult, Caller, Db, Role};

/// A suggestion raised at a liaison event, for another service's reference check
///
/// Service tokens only (the reports service checks the suggestion a draft names). Answers the
/// suggestion's id, its event, district and the report it became, if any. 404 if there is no
/// such suggestion.
#[utoipa::path(tag = "internal", params(("id" = String, Path, description = "Suggestion id")), responses(
    (status = 200, body = SuggestionRef),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not a service token", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/liaison-suggestions/{id}")]
pub async fn suggestion_reference(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require_any(&[Role::Service])?;
    let id = id.into_inner();
    let s = db
        .read(move |c| model::find(c, &id)?.or_not_found("suggestion"))
        .await?;
    Ok(HttpResponse::Ok().json(SuggestionRef {
        id: s.id,
        event: s.event_id,
        district: s.district_code,
        report: s.report_id,
    }))
}
