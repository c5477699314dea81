//! The register of reports: list (filters, `q=` search, CSV), create, read, edit, revisions.

use super::{
    Creation, Fields, Links, check_authors, check_links, create, created_details, find_report,
    note_contact, read_report, status_of, validate_fields, view, viewer, with_etag,
};
use crate::domain::access::{REPORTS, Visibility, may_create};
use crate::domain::report::{RevisionKind, SUBMIT_MAX_CHARS, chars};
use crate::models::report::{self as model, ReportChanges, ReportFilter, Visible};
use crate::views::report::*;
use actix_web::{HttpResponse, get, patch, post, web};
use xs_kit::audit::{self, Disclosures, Reader};
use xs_kit::client::ServiceClient;
use xs_kit::concurrency::{check_updated, expected_version};
use xs_kit::csv::{self, Export, Format};
use xs_kit::error::Problem;
use xs_kit::extract::{IfMatch, Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::pagination::PageQuery;
use xs_kit::scope::Scope;
use xs_kit::telemetry::RequestId;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, Page, PageRequest};

/// List reports
///
/// Newest first. The office of a district (office staff; admins citywide) reads every report
/// of it in every state; coordinators and read-only integrations (dashboards, integrators;
/// citywide when their token names no district) read the accepted, forwarded and adopted ones;
/// a member reads the reports they are an author of. Residents never read reports (403).
/// Filters: `status`, `category`, `district`, `author`, `channel`, `adopted_level`,
/// `from`/`to` (creation day) and `q` (the kit's Chinese text search over title and body);
/// an `author` of another district than the caller's is a 403 (asked of membership: 503
/// while it is down).
/// A resident's contact is masked (`张*`, `138****1234`) unless the caller is the office of the
/// report's district; each one served whole is recorded in the personal-data audit. With
/// `Accept: text/csv` the answer is the whole filtered list as CSV (UTF-8 with BOM, formula
/// cells neutralised, masked the same way), streamed page by page; `cursor` then starts it
/// after that report, and `limit` does not apply.
#[utoipa::path(tag = "reports", params(ReportQuery), responses(
    (status = 200, description = "A page of reports; or, for `Accept: text/csv`, every report the filters select",
        content((Page<Report> = "application/json"), (String = "text/csv"))),
    (status = 400, description = "A filter, `q`, `limit` or `cursor` is invalid (`limit` with CSV)", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Residents; a district or author outside the caller's scope", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable, or membership (for an `author` filter)", body = Problem, content_type = "application/problem+json")))]
#[get("/reports")]
pub async fn list_reports(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    rid: RequestId,
    format: Format,
    q: Query<ReportQuery>,
) -> ApiResult<HttpResponse> {
    let visibility = Visibility::of(&caller)?;
    let q = q.0;
    let mut v = Validator::new();
    if let (Some(f), Some(t)) = (q.from, q.to) {
        v.require(f <= t, "to", "must not be before from");
    }
    csv::no_limit(&mut v, format, q.limit);
    let text = xs_kit::search::query_param(&mut v, "q", q.q);
    v.finish()?;
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let scoped = visibility.scope.narrow(q.district, q.author)?;
    // Filtered to an author of another district: 403, as reading that member would be (an
    // unknown member is a filter that selects nothing).
    if let (Scope::District(own), Some(author)) = (&visibility.scope, &scoped.member)
        && let Some(m) = client.member(author).await?
        && &m.district != own
    {
        return Err(ApiError::Forbidden(format!(
            "your scope does not cover district {}",
            m.district
        )));
    }
    let visible = match (&visibility.scope, visibility.all_states) {
        (Scope::Member(_), _) | (_, true) => Visible::All,
        (_, false) => Visible::PublishedOr(visibility.author.clone()),
    };
    let filter = ReportFilter {
        district: scoped.district,
        status: q.status.map(|s| s.as_str().to_string()),
        category: q.category.map(|c| c.as_str().to_string()),
        author: scoped.member,
        channel: q.channel.map(|c| c.as_str().to_string()),
        adopted_level: q.adopted_level.map(|l| l.as_str().to_string()),
        from: q.from,
        to: q.to,
        q: text,
        visible,
    };
    let reader = Reader::new(&caller, &rid);
    if format == Format::Csv {
        let export = Export::new("reports.csv", Report::CSV_HEADER, reader);
        return csv::export(&db, export, page.after, move |c, before, limit, out| {
            let rows = model::list(c, &filter, before.as_deref(), limit)?;
            let next = csv::next_key(&rows, limit, |r| r.id.clone());
            for r in page_views(c, &caller, rows)? {
                note_contact(out.disclosures(), &r);
                out.row(r.csv_row());
            }
            Ok(next)
        })
        .await;
    }
    let (fetch, before, limit) = (page.fetch(), page.after.clone(), page.limit);
    let who = caller.clone();
    let (rows, more) = db
        .read(move |c| {
            let mut rows = model::list(c, &filter, before.as_deref(), fetch)?;
            let more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            Ok((page_views(c, &who, rows)?, more))
        })
        .await?;
    let next_cursor = if more {
        rows.last()
            .map(|r| xs_kit::pagination::encode_cursor(&r.id))
    } else {
        None
    };
    let mut seen = Disclosures::new();
    for r in &rows {
        note_contact(&mut seen, r);
    }
    audit::record(&db, &reader, seen).await?;
    Ok(HttpResponse::Ok().json(Page {
        items: rows,
        next_cursor,
    }))
}

/// A page of rows as the caller sees them, their details read in one query each.
fn page_views(
    c: &mut xs_kit::DbConn,
    caller: &Caller,
    rows: Vec<model::ReportRow>,
) -> ApiResult<Vec<Report>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut details = model::details_of(c, &ids)?;
    rows.into_iter()
        .map(|r| {
            let authors: Vec<String> = details
                .authors
                .get(&r.id)
                .map(|a| a.iter().map(|a| a.member_id.clone()).collect())
                .unwrap_or_default();
            let who = viewer(caller, &r.district_code, &authors);
            Report::build(r, &mut details, who)
        })
        .collect()
}

/// Write a report
///
/// Opens a draft. A member writes their own (they must be among the `authors`, in their own
/// district); the office of the district (office staff, admins) writes for any members of it.
/// Each author must be an active member of `district`, the `topic`, `reception` and
/// `liaison_suggestion`, when given, must exist in `district` — all checked with the services
/// that own them (422 naming the field; 503 while one is down). A resident's name and phone
/// are taken only for a resident channel; the answer shows them masked unless the caller is
/// the office. The first revision is kept.
#[utoipa::path(tag = "reports", request_body = NewReport, params(
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = Report, headers(("Location" = String), ("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "An author, the topic, the reception or the liaison suggestion does not exist or is in another district", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database, membership, consultation or liaison service is unavailable", body = Problem, content_type = "application/problem+json")))]
#[post("/reports")]
pub async fn create_report(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    rid: RequestId,
    idem: Idempotency,
    body: Json<NewReport>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    may_create(&caller, &b.district, &b.authors)?;
    let mut v = Validator::new();
    v.text("title", &b.title, crate::domain::report::TITLE_MAX_CHARS)
        .text("body", &b.body, crate::domain::report::DRAFT_MAX_CHARS)
        .code("district", &b.district)
        .opt_text("reception", b.reception.as_deref(), 64);
    validate_fields(
        &mut v,
        &Fields {
            title: None,
            body: None,
            authors: Some(&b.authors),
            channel: Some(b.source_channel),
            resident_name: b.resident_name.as_deref(),
            resident_phone: b.resident_phone.as_deref(),
            liaison_event: b.liaison_event.as_deref(),
            liaison_suggestion: b.liaison_suggestion.as_deref(),
            topic: b.topic.as_deref(),
        },
    );
    v.finish()?;
    let authors = check_authors(&client, &b.district, &b.authors).await?;
    let event = check_links(
        &client,
        &b.district,
        Links {
            topic: b.topic.as_deref(),
            reception: b.reception.as_deref(),
            suggestion: b.liaison_suggestion.as_deref(),
            event: b.liaison_event.as_deref(),
        },
    )
    .await?;
    let reader = Reader::new(&caller, &rid);
    let (input, who) = (b.clone(), caller.clone());
    idem.run(&db, &caller.sub, &b, move |c| {
        let b = input;
        let row = create(
            c,
            Creation {
                title: b.title,
                body: b.body,
                category: b.category,
                district: b.district,
                channel: b.source_channel,
                authors,
                resident_name: b.resident_name,
                resident_phone: b.resident_phone,
                reception: b.reception,
                liaison_event: event,
                liaison_suggestion: b.liaison_suggestion,
                topic: b.topic,
                by: who.sub.clone(),
                details: created_details(b.source_channel),
            },
        )?;
        let report = view(c, &who, row)?;
        let mut seen = Disclosures::new();
        note_contact(&mut seen, &report);
        audit::record_in(c, &reader, &seen)?;
        let location = format!("/api/v1/reports/{}", report.id);
        Reply::created(&report, location)
    })
    .await
}

/// Read a report
///
/// Its authors and the office of its district read it in every state; coordinators and
/// read-only integrations once it is accepted; residents never (403). `original` holds the
/// authors' submitted text once the office accepted (and perhaps edited) it. A resident's
/// contact is masked unless the caller is the office of the district (recorded in the
/// personal-data audit when served whole).
#[utoipa::path(tag = "reports", params(("id" = String, Path)), responses(
    (status = 200, body = Report, headers(("ETag" = String))),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not an author nor the district's office before acceptance; a resident", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/reports/{id}")]
pub async fn get_report(
    db: web::Data<Db>,
    caller: Caller,
    rid: RequestId,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Visibility::of(&caller)?;
    let id = id.into_inner();
    let reader = Reader::new(&caller, &rid);
    let report = db.read(move |c| read_report(c, &caller, &id)).await?;
    let mut seen = Disclosures::new();
    note_contact(&mut seen, &report);
    audit::record(&db, &reader, seen).await?;
    Ok(with_etag(&report))
}

/// Edit a report
///
/// A draft or a returned report is edited by its authors or the office of its district; a
/// submitted report or one under review by the office only, and only its title and body
/// (kept as an `office_edited` revision; the body stays within 1,500 characters); an
/// accepted, forwarded, adopted or rejected report is final (409). Every edit keeps a
/// revision. Changed authors, topic, reception or liaison suggestion are checked again with
/// their services (422 naming the field; 503 while one is down). Needs the version read (`If-Match` or `version`).
#[utoipa::path(tag = "reports", request_body = ReportPatch, params(
    ("id" = String, Path),
    ("If-Match" = Option<String>, Header, description = "The ETag you read; or send `version` in the body")),
    responses(
    (status = 200, body = Report, headers(("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The report's state does not allow this edit", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
    (status = 503, body = Problem, content_type = "application/problem+json")))]
#[patch("/reports/{id}")]
pub async fn update_report(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    rid: RequestId,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<ReportPatch>,
) -> ApiResult<HttpResponse> {
    Visibility::of(&caller)?;
    let patch = body.0;
    // Role and scope before input: the version and the fields are checked after the rights.
    let expected = expected_version(if_match, patch.version);
    let mut v = Validator::new();
    validate_fields(
        &mut v,
        &Fields {
            title: patch.title.as_deref(),
            body: patch.body.as_deref(),
            authors: patch.authors.as_deref(),
            channel: None,
            resident_name: patch.resident_name.clone().flatten().as_deref(),
            resident_phone: patch.resident_phone.clone().flatten().as_deref(),
            liaison_event: patch.liaison_event.clone().flatten().as_deref(),
            liaison_suggestion: patch.liaison_suggestion.clone().flatten().as_deref(),
            topic: patch.topic.clone().flatten().as_deref(),
        },
    );
    let valid = v
        .opt_text(
            "reception",
            patch.reception.clone().flatten().as_deref(),
            64,
        )
        .finish();
    let id = id.into_inner();
    // Where the report is and who may edit it, before asking other services anything.
    let (rid_, who) = (id.clone(), caller.clone());
    let current = db
        .read(move |c| {
            let row = find_report(c, &rid_)?;
            let authors = super::author_ids(c, &rid_)?;
            edit_rights(&who, &row, &authors, &patch_shape(None))?;
            Ok(row)
        })
        .await?;
    let expected = expected?;
    valid?;
    let district = current.district_code.clone();
    let authors = match &patch.authors {
        Some(list) => Some(check_authors(&client, &district, list).await?),
        None => None,
    };
    let links_changed = patch.reception.is_some()
        || patch.liaison_suggestion.is_some()
        || patch.liaison_event.is_some()
        || patch.topic.is_some();
    let event = if links_changed {
        let topic = match &patch.topic {
            Some(t) => t.clone(),
            None => current.topic_id.clone(),
        };
        let reception = match &patch.reception {
            Some(r) => r.clone(),
            None => current.reception_id.clone(),
        };
        let suggestion = match &patch.liaison_suggestion {
            Some(s) => s.clone(),
            None => current.liaison_suggestion_id.clone(),
        };
        let event = patch.liaison_event.clone().flatten();
        if event.is_some() && suggestion.is_none() {
            return Err(ApiError::unprocessable(
                "liaison_event",
                "is given with liaison_suggestion",
            ));
        }
        Some(
            check_links(
                &client,
                &district,
                Links {
                    topic: topic.as_deref(),
                    reception: reception.as_deref(),
                    suggestion: suggestion.as_deref(),
                    event: event.as_deref(),
                },
            )
            .await?,
        )
    } else {
        None
    };
    let reader = Reader::new(&caller, &rid);
    let report = db
        .write(move |c| {
            let row = find_report(c, &id)?;
            let current_authors = super::author_ids(c, &id)?;
            let kind = edit_rights(&caller, &row, &current_authors, &patch_shape(Some(&patch)))?;
            let status = status_of(&row)?;
            let channel = patch
                .source_channel
                .map(|c| c.as_str().to_string())
                .unwrap_or_else(|| row.source_channel.clone());
            let resident_channel = crate::domain::report::Channel::parse(&channel)
                .is_some_and(|c| c.is_resident_channel());
            let names_resident = match (&patch.resident_name, &patch.resident_phone) {
                (Some(n), _) if n.is_some() => true,
                (_, Some(p)) if p.is_some() => true,
                _ => {
                    (patch.resident_name.is_none() && row.resident_name.is_some())
                        || (patch.resident_phone.is_none() && row.resident_phone.is_some())
                }
            };
            if names_resident && !resident_channel {
                return Err(ApiError::unprocessable(
                    "source_channel",
                    "a report naming a resident comes from a resident channel (reception, mailbox, hotline, wechat)",
                ));
            }
            if status.office_edits()
                && let Some(b) = &patch.body
                && chars(b) > SUBMIT_MAX_CHARS
            {
                return Err(ApiError::unprocessable(
                    "body",
                    "must be at most 1500 characters once submitted",
                ));
            }
            let changes = ReportChanges {
                title: patch.title.as_ref().map(|t| t.trim().to_string()),
                body: patch.body.as_ref().map(|b| b.trim().to_string()),
                category: patch.category.map(|c| c.as_str().into()),
                source_channel: patch.source_channel.map(|c| c.as_str().into()),
                resident_name: patch
                    .resident_name
                    .clone()
                    .map(|n| n.map(|n| n.trim().to_string())),
                resident_phone: patch
                    .resident_phone
                    .clone()
                    .map(|p| p.map(|p| p.trim().to_string())),
                reception_id: patch.reception.clone(),
                liaison_event_id: event.clone(),
                liaison_suggestion_id: patch.liaison_suggestion.clone(),
                topic_id: patch
                    .topic
                    .clone()
                    .map(|t| t.map(|t| t.trim().to_string())),
            };
            let now = xs_kit::db::now();
            let n = model::update(c, &id, expected, &changes, &caller.sub, now)?;
            check_updated(n, || Ok(model::exists(c, &id)?), "report")?;
            if let Some(list) = &authors {
                model::replace_authors(c, &id, &super::author_rows(&id, list))?;
            }
            let row = find_report(c, &id)?;
            if patch.title.is_some() || patch.body.is_some() {
                model::index(c, &id, &row.title, &row.body)?;
            }
            model::add_revision(c, &row, kind.as_str(), &caller.sub, now)?;
            let report = view(c, &caller, row)?;
            let mut seen = Disclosures::new();
            note_contact(&mut seen, &report);
            audit::record_in(c, &reader, &seen)?;
            Ok(report)
        })
        .await?;
    Ok(with_etag(&report))
}

/// What an edit touches, for the rights check: the text only, or more.
struct PatchShape {
    more_than_text: bool,
}

fn patch_shape(patch: Option<&ReportPatch>) -> PatchShape {
    PatchShape {
        more_than_text: patch.is_some_and(ReportPatch::touches_more_than_text),
    }
}

/// May the caller make this edit now, and what kind of revision does it leave?
fn edit_rights(
    caller: &Caller,
    row: &model::ReportRow,
    authors: &[String],
    shape: &PatchShape,
) -> ApiResult<RevisionKind> {
    let refs: Vec<&str> = authors.iter().map(String::as_str).collect();
    let status = status_of(row)?;
    Visibility::of(caller)?.require(&row.district_code, status, &refs)?;
    let office = REPORTS.may_write(caller, &row.district_code);
    let author = caller
        .member_id
        .as_ref()
        .is_some_and(|me| authors.contains(me));
    if status.authors_edit() {
        if office || author {
            return Ok(RevisionKind::Edited);
        }
        return Err(ApiError::Forbidden(
            "a report is edited by its authors and the district's office".into(),
        ));
    }
    if status.office_edits() {
        if !office {
            return Err(ApiError::Conflict(format!(
                "a report that is {} is edited by the office only; it may return it to you",
                status.as_str()
            )));
        }
        if shape.more_than_text {
            return Err(ApiError::Conflict(format!(
                "a report that is {} changes only its title and body",
                status.as_str()
            )));
        }
        return Ok(RevisionKind::OfficeEdited);
    }
    Err(ApiError::Conflict(format!(
        "a report that is {} is final and is not edited",
        status.as_str()
    )))
}

/// A report's revisions
///
/// Every version of its text, oldest first: the first draft, each edit by the authors or the
/// office, and the office's edited text on acceptance. Readable by whoever may read the
/// report.
#[utoipa::path(tag = "reports", params(("id" = String, Path), PageQuery), responses(
    (status = 200, body = Page<Revision>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/reports/{id}/revisions")]
pub async fn report_revisions(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    Visibility::of(&caller)?;
    let page = PageRequest::<i32>::parse(q.limit, q.cursor.as_deref())?;
    let (id, fetch, after) = (id.into_inner(), page.fetch(), page.after);
    let rows = db
        .read(move |c| {
            let row = find_report(c, &id)?;
            let authors = super::author_ids(c, &id)?;
            let refs: Vec<&str> = authors.iter().map(String::as_str).collect();
            Visibility::of(&caller)?.require(&row.district_code, status_of(&row)?, &refs)?;
            Ok(model::revisions(c, &id, after, fetch)?)
        })
        .await?;
    let items = rows
        .into_iter()
        .map(Revision::from_row)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(page.page(items, |r| r.number, |r| r)))
}
