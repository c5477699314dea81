//! Suggestions raised at an event (a symposium's 建议), and turning one into a draft
//! social-situation report in the reports service, keeping the link.

use super::{find_event, status_of};
use crate::domain::access::SUGGESTIONS;
use crate::domain::event::EventStatus;
use crate::models::event as event_model;
use crate::models::suggestion::{self as model, SuggestionRow};
use crate::views::event::*;
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use xs_kit::client::ServiceClient;
use xs_kit::contracts::{DraftReportRequest, REPORTS_DRAFTS, ReportRef};
use xs_kit::error::{OrNotFound, Problem};
use xs_kit::extract::{Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::pagination::PageQuery;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, Page, PageRequest};

/// The report category of drafts opened from suggestions, unless the request names another.
const DEFAULT_CATEGORY: &str = "cross_strait";

/// The suggestion of this event, or a 404.
fn find_suggestion(c: &mut xs_kit::DbConn, event: &str, id: &str) -> ApiResult<SuggestionRow> {
    model::find(c, id)?
        .filter(|s| s.event_id == event)
        .or_not_found("suggestion")
}

/// An event's suggestions
///
/// Oldest first. Admins, the district's office staff, coordinators and members, and read-only
/// integrations. Each shows the report it became, if it has.
#[utoipa::path(tag = "liaison-events", params(("id" = String, Path), PageQuery), responses(
    (status = 200, description = "A page of suggestions, oldest first", body = Page<Suggestion>),
    (status = 400, description = "`limit` or `cursor` is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "The role may not read suggestions, or the event is outside the caller's scope", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/liaison-events/{id}/suggestions")]
pub async fn list_suggestions(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let scope = SUGGESTIONS.read_scope(&caller)?;
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (id, fetch, after) = (id.into_inner(), page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| {
            let event = find_event(c, &id)?;
            scope.require(&event.district_code, None, SUGGESTIONS.what)?;
            Ok(model::list(c, &id, after.as_deref(), fetch)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.page(rows, |r| r.id.clone(), Suggestion::from)))
}

/// Record a suggestion raised at an event
///
/// Admins and office staff of the event's district, once the event is held (409 before, and
/// for a cancelled one). `raised_by` names who raised it (a name or a group); no contact data.
#[utoipa::path(tag = "liaison-events", request_body = NewSuggestion, params(
    ("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = Suggestion, headers(("Location" = String))),
    (status = 400, description = "A field is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not the district's office", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The event is not held", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[post("/liaison-events/{id}/suggestions")]
pub async fn create_suggestion(
    db: web::Data<Db>,
    caller: Caller,
    idem: Idempotency,
    id: web::Path<String>,
    body: Json<NewSuggestion>,
) -> ApiResult<HttpResponse> {
    caller.require_any(SUGGESTIONS.writers)?;
    Validator::new()
        .text("title", &body.title, 200)
        .text("body", &body.body, 4000)
        .opt_text("raised_by", body.raised_by.as_deref(), 100)
        .finish()?;
    let body = body.0;
    let (id, input, who) = (id.into_inner(), body.clone(), caller.clone());
    idem.run(&db, &caller.sub, &body, move |c| {
        let b = input;
        let event = find_event(c, &id)?;
        SUGGESTIONS.require_write(&who, &event.district_code)?;
        if status_of(&event)? != EventStatus::Held {
            return Err(ApiError::Conflict(format!(
                "suggestions are recorded for held events; this one is {}",
                event.status.replace('_', " ")
            )));
        }
        let now = xs_kit::db::now();
        let row = SuggestionRow {
            id: xs_kit::db::new_id(),
            event_id: id.clone(),
            district_code: event.district_code,
            title: b.title.trim().to_string(),
            body: b.body.trim().to_string(),
            raised_by: b.raised_by.map(|s| s.trim().to_string()),
            report_id: None,
            version: 1,
            created_at: now,
            created_by: who.sub.clone(),
            updated_at: now,
            updated_by: who.sub.clone(),
        };
        model::insert(c, &row)?;
        let location = format!("/api/v1/liaison-events/{id}/suggestions/{}", row.id);
        Reply::created(&Suggestion::from(row), location)
    })
    .await
}

/// Turn a suggestion into a draft social-situation report
///
/// Admins and office staff of the event's district. Asks the reports service to open a draft
/// (authors: the event's organising members; category `cross_strait` unless given) and keeps
/// the report's id on the suggestion: 201 the first time. Once linked, the same link comes
/// back (200) and no second report is opened; retries use one idempotency key per suggestion,
/// so the reports service opens one draft however often it is asked. If the reports service
/// is down the answer is 503 and nothing is written.
#[utoipa::path(tag = "liaison-events", request_body = ToReport, params(
    ("id" = String, Path), ("sid" = String, Path)),
    responses(
    (status = 201, description = "The draft was opened and linked", body = Suggestion),
    (status = 200, description = "The suggestion was already linked to a report", body = Suggestion),
    (status = 400, description = "A field is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not the district's office", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The event has no organising members to author the report", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The reports service refused the draft", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database or the reports service is unavailable", body = Problem, content_type = "application/problem+json")))]
#[post("/liaison-events/{id}/suggestions/{sid}/to-report")]
pub async fn suggestion_to_report(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: Json<ToReport>,
) -> ApiResult<HttpResponse> {
    caller.require_any(SUGGESTIONS.writers)?;
    let mut v = Validator::new();
    v.opt_text("title", body.title.as_deref(), 200);
    if let Some(c) = &body.category {
        v.code("category", c);
    }
    v.finish()?;
    let (id, sid) = path.into_inner();
    let (eid, s) = (id.clone(), sid.clone());
    let (event, suggestion, organisers) = db
        .read(move |c| {
            let event = find_event(c, &eid)?;
            let suggestion = find_suggestion(c, &eid, &s)?;
            let organisers = event_model::organisers_of(c, &[eid.as_str()])?
                .remove(&eid)
                .unwrap_or_default();
            Ok((event, suggestion, organisers))
        })
        .await?;
    SUGGESTIONS.require_write(&caller, &event.district_code)?;
    if suggestion.report_id.is_some() {
        return Ok(HttpResponse::Ok().json(Suggestion::from(suggestion)));
    }
    if organisers.is_empty() {
        return Err(ApiError::Conflict(
            "the event has no organising members to author the report".into(),
        ));
    }
    let draft = DraftReportRequest {
        title: body
            .title
            .as_deref()
            .map(str::trim)
            .unwrap_or(&suggestion.title)
            .to_string(),
        body: suggestion.body.clone(),
        category: body
            .category
            .clone()
            .unwrap_or_else(|| DEFAULT_CATEGORY.into()),
        district: event.district_code.clone(),
        authors: organisers,
        source_channel: "liaison_event".into(),
        reception: None,
        liaison_event: Some(id.clone()),
        liaison_suggestion: Some(sid.clone()),
        requested_by: caller.sub.clone(),
    };
    // Nothing is written before the reports service answers: down is a 503 with no change.
    let report: ReportRef = client
        .post_json(
            "reports",
            REPORTS_DRAFTS,
            &draft,
            &format!("liaison-suggestion-{sid}"),
        )
        .await?;
    let by = caller.sub.clone();
    let (linked, row) = db
        .write(move |c| {
            let changed = model::link_report(c, &sid, &report.id, &by, xs_kit::db::now())?;
            Ok((changed > 0, find_suggestion(c, &id, &sid)?))
        })
        .await?;
    let view = Suggestion::from(row);
    Ok(if linked {
        HttpResponse::Created()
            .insert_header((
                header::LOCATION,
                format!(
                    "/api/v1/liaison-events/{}/suggestions/{}",
                    view.event, view.id
                ),
            ))
            .json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}
