//! Reports: the register (`register`: list with filters, search and CSV, create, read, edit,
//! revisions) and the lifecycle (`lifecycle`: one transitions endpoint for review, forwarding,
//! adoption and instructions, the office's history and the authors' feedback).
//!
//! Before acceptance a report is read by its authors and the office of its district only;
//! residents never read reports. References to members (authors), receptions and liaison
//! suggestions are checked through the kit's service client, never in other services' tables.

mod lifecycle;
pub(crate) use lifecycle::transition_rules;
mod register;

pub use lifecycle::*;
pub use register::*;

use crate::domain::access::{Visibility, is_office, sees_resident_contact};
use crate::domain::report::{
    Category, Channel, DRAFT_MAX_CHARS, ReportStatus, RevisionKind, TITLE_MAX_CHARS,
};
use crate::models::report::{self as model, AuthorRow, ReportRow};
use crate::views::report::{Report, Viewer};
use actix_web::HttpResponse;
use actix_web::http::header;
use serde_json::json;
use xs_kit::audit::Disclosures;
use xs_kit::client::ServiceClient;
use xs_kit::concurrency::etag;
use xs_kit::enums::stored;
use xs_kit::lifecycle::{Move, Publish};
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, DbConn};

/// At most this many authors on one report.
pub(crate) const MAX_AUTHORS: usize = 20;

/// The report, or a 404.
pub(crate) fn find_report(c: &mut DbConn, id: &str) -> ApiResult<ReportRow> {
    model::find(c, id)?.ok_or_else(|| ApiError::not_found("report"))
}

pub(crate) fn status_of(r: &ReportRow) -> ApiResult<ReportStatus> {
    stored("report status", &r.status)
}

/// The member ids of a report's authors.
pub(crate) fn author_ids(c: &mut DbConn, id: &str) -> ApiResult<Vec<String>> {
    let mut map = model::authors_of(c, &[id])?;
    Ok(map
        .remove(id)
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.member_id)
        .collect())
}

/// How `caller` stands to a report of `district` written by `authors`.
pub(crate) fn viewer(caller: &Caller, district: &str, authors: &[String]) -> Viewer {
    Viewer {
        sees_contact: sees_resident_contact(caller, district),
        is_office: is_office(caller, district),
        is_author: caller
            .member_id
            .as_ref()
            .is_some_and(|me| authors.contains(me)),
    }
}

/// A readable report as the caller sees it: 404 if there is none, 403 if it is not theirs
/// to read.
pub(crate) fn read_report(c: &mut DbConn, caller: &Caller, id: &str) -> ApiResult<Report> {
    let row = find_report(c, id)?;
    let authors = author_ids(c, id)?;
    let refs: Vec<&str> = authors.iter().map(String::as_str).collect();
    Visibility::of(caller)?.require(&row.district_code, status_of(&row)?, &refs)?;
    view(c, caller, row)
}

/// The report row with its details, as the caller sees it.
pub(crate) fn view(c: &mut DbConn, caller: &Caller, row: ReportRow) -> ApiResult<Report> {
    let mut details = model::details_of(c, &[row.id.as_str()])?;
    let authors: Vec<String> = details
        .authors
        .get(&row.id)
        .map(|a| a.iter().map(|a| a.member_id.clone()).collect())
        .unwrap_or_default();
    let who = viewer(caller, &row.district_code, &authors);
    Report::build(row, &mut details, who)
}

/// Note a resident contact served whole.
pub(crate) fn note_contact(seen: &mut Disclosures, r: &Report) {
    if let Some(c) = &r.resident_contact
        && !c.masked
    {
        seen.note(
            "report_resident",
            &r.id,
            &["resident_name", "resident_phone"],
        );
    }
}

/// The domain event's envelope: the report as anyone allowed to read it after acceptance
/// sees it (the resident's contact masked, no actions). Before acceptance a report is its
/// authors' and the office's only, so its events then carry only what a dashboard may count:
/// id, district, category, channel, status, version and times — no text, no authors.
pub(crate) fn publish(r: &Report) -> ApiResult<Publish> {
    if !r.status.is_published() {
        return Ok(Publish {
            district: Some(r.district.clone()),
            subject: format!("/api/v1/reports/{}", r.id),
            data: serde_json::json!({
                "id": r.id,
                "district": r.district,
                "category": r.category,
                "source_channel": r.source_channel,
                "status": r.status,
                "version": r.version,
                "submitted_at": r.submitted_at,
                "created_at": r.created_at,
                "updated_at": r.updated_at,
            }),
        });
    }
    let mut data = r.clone();
    if let Some(c) = data.resident_contact.as_mut()
        && !c.masked
    {
        c.name = c.name.as_deref().map(xs_kit::mask::name);
        c.phone = c.phone.as_deref().map(xs_kit::mask::phone);
        c.masked = true;
    }
    data.allowed_actions.clear();
    Ok(Publish {
        district: Some(r.district.clone()),
        subject: format!("/api/v1/reports/{}", r.id),
        data: serde_json::to_value(&data).map_err(ApiError::internal)?,
    })
}

pub(crate) fn with_etag(r: &Report) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(r.version)))
        .json(r)
}

/// A reference another service refused or does not know: 422 naming each field.
pub(crate) fn unprocessable(problems: &[(String, String)]) -> ApiError {
    let detail = problems
        .iter()
        .map(|(field, message)| format!("{field}: {message}"))
        .collect::<Vec<_>>()
        .join("; ");
    ApiError::Unprocessable(detail)
}

/// The text and the fields every way of creating a report shares.
pub(crate) struct Fields<'a> {
    pub title: Option<&'a str>,
    pub body: Option<&'a str>,
    pub authors: Option<&'a [String]>,
    pub channel: Option<Channel>,
    pub resident_name: Option<&'a str>,
    pub resident_phone: Option<&'a str>,
    pub liaison_event: Option<&'a str>,
    pub liaison_suggestion: Option<&'a str>,
    pub topic: Option<&'a str>,
}

pub(crate) fn validate_fields(v: &mut Validator, f: &Fields) {
    v.opt_text("title", f.title, TITLE_MAX_CHARS)
        .opt_text("body", f.body, DRAFT_MAX_CHARS)
        .opt_text("resident_name", f.resident_name, 50)
        .phone("resident_phone", f.resident_phone)
        .opt_text("liaison_event", f.liaison_event, 64)
        .opt_text("liaison_suggestion", f.liaison_suggestion, 64)
        .opt_text("topic", f.topic, 64);
    if let Some(authors) = f.authors {
        v.texts("authors", authors, 1..=MAX_AUTHORS, 64);
    }
    if let Some(channel) = f.channel
        && !channel.is_resident_channel()
    {
        // Rules between fields are not in the schema: 422.
        for (field, given) in [
            ("resident_name", f.resident_name.is_some()),
            ("resident_phone", f.resident_phone.is_some()),
        ] {
            v.require(
                !given,
                field,
                "only a report from a resident channel (reception, mailbox, hotline, wechat) names a resident",
            );
        }
    }
    if f.liaison_event.is_some() {
        v.require(
            f.liaison_suggestion.is_some(),
            "liaison_event",
            "is given with liaison_suggestion",
        );
    }
}

/// A checked author, as membership gave them when checked.
#[derive(Debug, Clone)]
pub(crate) struct CheckedAuthor {
    pub id: String,
    pub name: String,
    /// Sector code, kept with the report for the statistics by sector.
    pub sector: Option<String>,
}

/// Checked authors, in the order given.
pub(crate) type Authors = Vec<CheckedAuthor>;

/// Each author must be an active member of `district` (asked of membership); 422 naming each
/// one that is not, 503 while membership is down. Their names and sectors as membership gives
/// them now are what the report keeps.
pub(crate) async fn check_authors(
    client: &ServiceClient,
    district: &str,
    authors: &[String],
) -> ApiResult<Authors> {
    let mut checked = Vec::with_capacity(authors.len());
    let mut problems = Vec::new();
    for (i, id) in authors.iter().enumerate() {
        let field = format!("authors[{i}]");
        match client.member(id.trim()).await? {
            None => problems.push((field, "no such member".to_string())),
            Some(m) if m.district != district => {
                problems.push((field, "is not a member of the report's district".into()))
            }
            Some(m) if m.status != "active" => {
                problems.push((field, "is not an active member".into()))
            }
            Some(m) => checked.push(CheckedAuthor {
                id: m.id,
                name: m.name,
                sector: m.sector,
            }),
        }
    }
    if problems.is_empty() {
        Ok(checked)
    } else {
        Err(unprocessable(&problems))
    }
}

/// Where a report came from, as given.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Links<'a> {
    pub topic: Option<&'a str>,
    pub reception: Option<&'a str>,
    pub suggestion: Option<&'a str>,
    pub event: Option<&'a str>,
}

/// Where a report came from, checked with the services that own it: the topic and the
/// reception (consultation) and the liaison suggestion (liaison) must exist and be in
/// `district` (422 naming the field; 503 while the service is down); a liaison event given
/// with a suggestion must be the suggestion's. Returns the liaison event.
pub(crate) async fn check_links(
    client: &ServiceClient,
    district: &str,
    links: Links<'_>,
) -> ApiResult<Option<String>> {
    let Links {
        topic,
        reception,
        suggestion,
        event,
    } = links;
    let mut problems: Vec<(String, String)> = Vec::new();
    if let Some(id) = topic {
        match client.topic(id.trim()).await? {
            None => problems.push(("topic".into(), "no such topic".into())),
            Some(t) if t.district != district => problems.push((
                "topic".into(),
                "is in another district than the report".into(),
            )),
            Some(_) => {}
        }
    }
    if let Some(id) = reception {
        match client.reception(id.trim()).await? {
            None => problems.push(("reception".into(), "no such reception".into())),
            Some(r) if r.district != district => problems.push((
                "reception".into(),
                "is in another district than the report".into(),
            )),
            Some(_) => {}
        }
    }
    let mut liaison_event = None;
    if let Some(id) = suggestion {
        match client.liaison_suggestion(id.trim()).await? {
            None => problems.push((
                "liaison_suggestion".into(),
                "no such liaison suggestion".into(),
            )),
            Some(s) if s.district != district => problems.push((
                "liaison_suggestion".into(),
                "is in another district than the report".into(),
            )),
            Some(s) if event.is_some_and(|e| e.trim() != s.event) => problems.push((
                "liaison_event".into(),
                "is not the event the suggestion was raised at".into(),
            )),
            Some(s) => liaison_event = Some(s.event),
        }
    }
    if problems.is_empty() {
        Ok(liaison_event)
    } else {
        Err(unprocessable(&problems))
    }
}

/// A report to create, its references already checked.
pub(crate) struct Creation {
    pub title: String,
    pub body: String,
    pub category: Category,
    pub district: String,
    pub channel: Channel,
    pub authors: Authors,
    pub resident_name: Option<String>,
    pub resident_phone: Option<String>,
    pub reception: Option<String>,
    pub liaison_event: Option<String>,
    pub liaison_suggestion: Option<String>,
    pub topic: Option<String>,
    /// The account recorded as its creator.
    pub by: String,
    /// What the history records about how it was created.
    pub details: serde_json::Value,
}

pub(crate) fn author_rows(report_id: &str, authors: &Authors) -> Vec<AuthorRow> {
    authors
        .iter()
        .enumerate()
        .map(|(i, a)| AuthorRow {
            report_id: report_id.to_string(),
            member_id: a.id.clone(),
            member_name: a.name.clone(),
            position: i as i32,
            member_sector: a.sector.clone(),
        })
        .collect()
}

/// Create a draft: the row, its authors, its first revision, its search entry, and the
/// `create` step of its history with the `report.draft` event. In the caller's transaction.
pub(crate) fn create(c: &mut DbConn, n: Creation) -> ApiResult<ReportRow> {
    let now = xs_kit::db::now();
    let row = ReportRow {
        id: xs_kit::db::new_id(),
        title: n.title.trim().to_string(),
        body: n.body.trim().to_string(),
        category: n.category.as_str().into(),
        district_code: n.district,
        source_channel: n.channel.as_str().into(),
        resident_name: n.resident_name.map(|s| s.trim().to_string()),
        resident_phone: n.resident_phone.map(|s| s.trim().to_string()),
        reception_id: n.reception.map(|s| s.trim().to_string()),
        liaison_event_id: n.liaison_event,
        liaison_suggestion_id: n.liaison_suggestion.map(|s| s.trim().to_string()),
        status: ReportStatus::Draft.as_str().into(),
        submitted_title: None,
        submitted_body: None,
        review_comments: None,
        rejection_reason: None,
        submitted_at: None,
        accepted_at: None,
        forwarded_at: None,
        adopted_at: None,
        version: 1,
        created_at: now,
        created_by: n.by.clone(),
        updated_at: now,
        updated_by: n.by.clone(),
        topic_id: n.topic.map(|s| s.trim().to_string()),
    };
    model::insert(c, &row, &author_rows(&row.id, &n.authors))?;
    model::add_revision(c, &row, RevisionKind::Created.as_str(), &n.by, now)?;
    let anyone = Viewer {
        sees_contact: false,
        is_office: false,
        is_author: false,
    };
    let mut details = model::details_of(c, &[row.id.as_str()])?;
    let report = Report::build(row.clone(), &mut details, anyone)?;
    Move {
        subject_id: row.id.clone(),
        from: None,
        action: "create".into(),
        to: ReportStatus::Draft,
        details: n.details,
        by: n.by,
        at: now,
    }
    .record(c, publish(&report)?)?;
    Ok(row)
}

/// What the history records about a creation through the public API.
pub(crate) fn created_details(channel: Channel) -> serde_json::Value {
    json!({ "source_channel": channel.as_str() })
}
