//! For the other services (`/internal/v1`, not routed by the gateway; the service role only):
//! a report's reference, and drafts opened on another service's behalf (a reception or a
//! liaison-event suggestion becoming a report). Callers use
//! `xs_kit::client::ServiceClient::report` and `post_json(.., REPORTS_DRAFTS, ..)`.

use super::reports::{
    Creation, Fields, Links, check_authors, check_links, create, find_report, validate_fields,
};
use crate::domain::report::{Category, Channel, DRAFT_MAX_CHARS, TITLE_MAX_CHARS};
use crate::views::internal::{DraftReportRequest, ReportRef, report_ref};
use actix_web::{HttpResponse, get, post, web};
use serde_json::json;
use xs_kit::client::ServiceClient;
use xs_kit::error::Problem;
use xs_kit::extract::Json;
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::validate::Validator;
use xs_kit::{ApiResult, Caller, Db, Role};

/// A report, for another service's reference check
///
/// Service tokens only. Answers the report's id, title, district and lifecycle status,
/// whatever the status (the caller decides what it accepts); no text, no authors, no
/// resident data. 404 if there is no such report.
#[utoipa::path(tag = "internal", params(("id" = String, Path, description = "Report id")), responses(
    (status = 200, body = ReportRef),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not a service token", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/reports/{id}")]
pub async fn report_reference(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require_any(&[Role::Service])?;
    let id = id.into_inner();
    let report = db
        .read(move |c| Ok(report_ref(find_report(c, &id)?)))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Open a draft report for another service
///
/// Service tokens only (the liaison service for a suggestion raised at a liaison event, the
/// consultation service for a reception). Opens a draft like `POST /api/v1/reports`, its
/// creator recorded as `requested_by`: `source_channel` is `reception` or `liaison_event`;
/// each author must be an active member of `district`, and the reception or suggestion must
/// exist in `district` (checked with the services that own them: 422 naming the field).
/// Idempotent by `Idempotency-Key`: a retried call answers the same draft.
#[utoipa::path(tag = "internal", request_body = DraftReportRequest, params(
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = ReportRef, headers(("Location" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not a service token", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 503, body = Problem, content_type = "application/problem+json")))]
#[post("/reports/drafts")]
pub async fn open_draft(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    idem: Idempotency,
    body: Json<DraftReportRequest>,
) -> ApiResult<HttpResponse> {
    caller.require_any(&[Role::Service])?;
    let b = body.0;
    let mut v = Validator::new();
    let category = Category::parse(&b.category);
    let channel = Channel::parse(&b.source_channel);
    v.check(
        category.is_some(),
        "category",
        "must be one of economy, livelihood, governance, environment, health, education, law, cross_strait, other",
    )
    .check(
        matches!(channel, Some(Channel::Reception | Channel::LiaisonEvent)),
        "source_channel",
        "must be reception or liaison_event",
    )
    .text("title", &b.title, TITLE_MAX_CHARS)
    .text("body", &b.body, DRAFT_MAX_CHARS)
    .code("district", &b.district)
    .text("requested_by", &b.requested_by, 200)
    .opt_text("reception", b.reception.as_deref(), 64);
    validate_fields(
        &mut v,
        &Fields {
            title: None,
            body: None,
            authors: Some(&b.authors),
            channel,
            resident_name: None,
            resident_phone: None,
            liaison_event: b.liaison_event.as_deref(),
            liaison_suggestion: b.liaison_suggestion.as_deref(),
            topic: None,
        },
    );
    v.finish()?;
    let (Some(category), Some(channel)) = (category, channel) else {
        return Err(xs_kit::ApiError::field("category", "is invalid"));
    };
    let authors = check_authors(&client, &b.district, &b.authors).await?;
    let event = check_links(
        &client,
        &b.district,
        Links {
            topic: None,
            reception: b.reception.as_deref(),
            suggestion: b.liaison_suggestion.as_deref(),
            event: b.liaison_event.as_deref(),
        },
    )
    .await?;
    let (input, via) = (b.clone(), caller.sub.clone());
    idem.run(&db, &caller.sub, &b, move |c| {
        let b = input;
        let row = create(
            c,
            Creation {
                title: b.title,
                body: b.body,
                category,
                district: b.district,
                channel,
                authors,
                resident_name: None,
                resident_phone: None,
                reception: b.reception,
                liaison_event: event,
                liaison_suggestion: b.liaison_suggestion,
                topic: None,
                by: b.requested_by.trim().to_string(),
                details: json!({ "source_channel": channel.as_str(), "via": via }),
            },
        )?;
        let location = format!("/api/v1/reports/{}", row.id);
        Reply::created(&report_ref(row), location)
    })
    .await
}
