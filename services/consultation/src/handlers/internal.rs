//! Reference checks for the other services (`/internal/v1`, not routed by the gateway; the
//! service role only). The reports service checks a reception or a topic a report came from
//! through `xs_kit::client::ServiceClient::reception` / `topic`.

use crate::models::reception as model;
use crate::models::topic as topic_model;
use actix_web::{HttpResponse, get, web};
use xs_kit::contracts::{ReceptionRef, TopicRef};
use xs_kit::error::Problem;
use xs_kit::{ApiError, ApiResult, Caller, Db, Role};

/// A reception, for another service's reference check
///
/// Service tokens only. Answers the reception's id, district, workroom, date and receiving
/// members; no visitor data. 404 if there is no such reception.
#[utoipa::path(tag = "internal", params(("id" = String, Path, description = "Reception id")), responses(
    (status = 200, body = ReceptionRef),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not a service token", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/receptions/{id}")]
pub async fn reception_reference(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require_any(&[Role::Service])?;
    let id = id.into_inner();
    let reference = db
        .read(move |c| {
            let r = model::find(c, &id)?.ok_or_else(|| ApiError::not_found("reception"))?;
            let members = model::members_of(c, &[r.id.as_str()])?
                .remove(&r.id)
                .unwrap_or_default();
            Ok(ReceptionRef {
                id: r.id,
                district: r.district_code,
                workroom: r.workroom_id,
                date: r.received_on,
                members,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(reference))
}

/// A topic, for another service's reference check
///
/// Service tokens only. Answers the topic's id, title, district and lifecycle status, whatever
/// the status (the caller decides what it accepts); no description, proposer or contact data.
/// 404 if there is no such topic.
#[utoipa::path(tag = "internal", params(("id" = String, Path, description = "Topic id")), responses(
    (status = 200, body = TopicRef),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not a service token", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/topics/{id}")]
pub async fn topic_reference(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require_any(&[Role::Service])?;
    let id = id.into_inner();
    let reference = db
        .read(move |c| {
            let t = topic_model::find(c, &id)?.ok_or_else(|| ApiError::not_found("topic"))?;
            Ok(TopicRef {
                id: t.id,
                title: t.title,
                district: t.district_code,
                status: t.status,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(reference))
}
