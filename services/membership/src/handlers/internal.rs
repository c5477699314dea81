//! Reference checks for the other services (`/internal/v1`, not routed by the gateway; the
//! service role only): does a member or workroom exist, where is it, what state is it in.
//! Callers use `xs_kit::client::ServiceClient::member` / `workroom`.

use crate::models::member as member_model;
use crate::models::workroom as workroom_model;
use crate::views::internal::{MemberRef, WorkroomRef, member_ref, workroom_ref};
use actix_web::{HttpResponse, get, web};
use xs_kit::error::Problem;
use xs_kit::{ApiError, ApiResult, Caller, Db, Role};

/// A member, for another service's reference check
///
/// Service tokens only. Answers the member's id, name, district, status and whether they are
/// Taiwan-origin; no contact details. 404 if there is no such member (the caller turns that
/// into its own field error).
#[utoipa::path(tag = "internal", params(("id" = String, Path, description = "Member id")), responses(
    (status = 200, body = MemberRef),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not a service token", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/members/{id}")]
pub async fn member_reference(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require_any(&[Role::Service])?;
    let id = id.into_inner();
    let member = db
        .read(move |c| {
            member_model::find(c, &id)?
                .map(member_ref)
                .ok_or_else(|| ApiError::not_found("member"))
        })
        .await?;
    Ok(HttpResponse::Ok().json(member))
}

/// A workroom, for another service's reference check
///
/// Service tokens only. Answers the workroom's id, name, district, subdistrict, kind and
/// lifecycle status, whatever that status is (the caller decides what it accepts). 404 if
/// there is no such workroom.
#[utoipa::path(tag = "internal", params(("id" = String, Path, description = "Workroom id")), responses(
    (status = 200, body = WorkroomRef),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not a service token", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/workrooms/{id}")]
pub async fn workroom_reference(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require_any(&[Role::Service])?;
    let id = id.into_inner();
    let workroom = db
        .read(move |c| {
            workroom_model::find(c, &id)?
                .map(workroom_ref)
                .ok_or_else(|| ApiError::not_found("workroom"))
        })
        .await?;
    Ok(HttpResponse::Ok().json(workroom))
}
