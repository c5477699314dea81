//! Taiwan-funded enterprises, youth bases (kind `youth_base`) and associations, with the
//! members who visit them. The district's office writes; the register's readers read.

use super::Refs;
use crate::domain::access::ENTERPRISES;
use crate::models::enterprise::{
    self as model, EnterpriseChanges, EnterpriseFilter, EnterpriseRow,
};
use crate::views::enterprise::*;
use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use xs_kit::client::ServiceClient;
use xs_kit::concurrency::{check_updated, etag, expected_version};
use xs_kit::enums::stored;
use xs_kit::error::{OrNotFound, Problem};
use xs_kit::extract::{IfMatch, Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::validate::Validator;
use xs_kit::{ApiResult, Caller, Db, DbConn, Page, PageRequest};

fn view(c: &mut DbConn, row: EnterpriseRow) -> ApiResult<Enterprise> {
    let kind = stored("enterprise kind", &row.kind)?;
    let members = model::members_of(c, &[row.id.as_str()])?
        .remove(&row.id)
        .unwrap_or_default();
    Ok(Enterprise::from_row(row, kind, members))
}

fn trimmed(ids: &[String]) -> Vec<String> {
    ids.iter().map(|s| s.trim().to_string()).collect()
}

/// List Taiwan enterprises, youth bases and associations
///
/// Admins, office staff, coordinators and members read their district's; dashboards and
/// integrators read citywide (or their district). Filter by `kind` (`youth_base` for the
/// youth bases) and by a linked `member`. No personal data.
#[utoipa::path(tag = "taiwan-enterprises", params(EnterpriseQuery), responses(
    (status = 200, description = "A page, oldest first", body = Page<Enterprise>),
    (status = 400, description = "A filter, `limit` or `cursor` is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "The role may not read them, or the district is outside the caller's scope", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/taiwan-enterprises")]
pub async fn list_enterprises(
    db: web::Data<Db>,
    caller: Caller,
    q: Query<EnterpriseQuery>,
) -> ApiResult<HttpResponse> {
    let scope = ENTERPRISES.read_scope(&caller)?;
    let q = q.0;
    let filter = EnterpriseFilter {
        district: scope.narrow(q.district, None)?.district,
        kind: q.kind.map(|k| k.as_str().to_string()),
        member: q.member,
        name: super::name_query(q.q)?,
    };
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (fetch, after) = (page.fetch(), page.after.clone());
    let (rows, mut members) = db
        .read(move |c| {
            let rows = model::list(c, &filter, after.as_deref(), fetch)?;
            let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
            let members = model::members_of(c, &ids)?;
            Ok((rows, members))
        })
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    let body = page.page(rows, |r| r.id.clone(), |r| r);
    for r in body.items {
        let kind = stored("enterprise kind", &r.kind)?;
        let linked = members.remove(&r.id).unwrap_or_default();
        items.push(Enterprise::from_row(r, kind, linked));
    }
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: body.next_cursor,
    }))
}

/// One Taiwan enterprise, youth base or association
///
/// Readable by the register's readers of its district and read-only integrations.
#[utoipa::path(tag = "taiwan-enterprises", params(("id" = String, Path)), responses(
    (status = 200, body = Enterprise, headers(("ETag" = String))),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Outside the caller's scope", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/taiwan-enterprises/{id}")]
pub async fn get_enterprise(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let scope = ENTERPRISES.read_scope(&caller)?;
    let id = id.into_inner();
    let e = db
        .read(move |c| {
            let row = model::find(c, &id)?.or_not_found("Taiwan enterprise")?;
            view(c, row)
        })
        .await?;
    scope.require(&e.district, None, ENTERPRISES.what)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(e.version)))
        .json(e))
}

/// Register a Taiwan enterprise, youth base or association
///
/// Admins and office staff of the district. `district` must exist and each linked member
/// must be a member of that district (422 naming the field).
#[utoipa::path(tag = "taiwan-enterprises", request_body = NewEnterprise, params(
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = Enterprise, headers(("Location" = String), ("ETag" = String))),
    (status = 400, description = "A field is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not the district's office", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "`district` or a linked member does not exist or is of another district", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database or the membership service is unavailable", body = Problem, content_type = "application/problem+json")))]
#[post("/taiwan-enterprises")]
pub async fn create_enterprise(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    idem: Idempotency,
    body: Json<NewEnterprise>,
) -> ApiResult<HttpResponse> {
    ENTERPRISES.require_write(&caller, &body.district)?;
    let mut v = Validator::new();
    v.text("name", &body.name, 100)
        .code("district", &body.district)
        .text("address", &body.address, 200)
        .opt_text("sector", body.sector.as_deref(), 50)
        .opt_text("contact_person", body.contact_person.as_deref(), 50);
    v.texts("members", &body.members, 0..=20, 64);
    v.finish()?;
    let members = trimmed(&body.members);
    let mut refs = Refs::new();
    refs.district(&client, "district", &body.district).await?;
    refs.members(&client, "members", &members, &body.district)
        .await?;
    if let Some(r) = refs.answer() {
        return Ok(r);
    }
    let body = body.0;
    let (input, who) = (body.clone(), caller.clone());
    idem.run(&db, &caller.sub, &body, move |c| {
        let b = input;
        let now = xs_kit::db::now();
        let row = EnterpriseRow {
            id: xs_kit::db::new_id(),
            kind: b.kind.as_str().into(),
            name: b.name.trim().to_string(),
            district_code: b.district,
            address: b.address.trim().to_string(),
            sector: b.sector.map(|s| s.trim().to_string()),
            contact_person: b.contact_person.map(|s| s.trim().to_string()),
            version: 1,
            created_at: now,
            created_by: who.sub.clone(),
            updated_at: now,
            updated_by: who.sub.clone(),
        };
        model::insert(c, &row, &members)?;
        let id = row.id.clone();
        Reply::created(&view(c, row)?, format!("/api/v1/taiwan-enterprises/{id}"))
    })
    .await
}

/// Change a Taiwan enterprise, youth base or association
///
/// Admins and office staff of its district. `members` replaces the linked members (each a
/// member of the district, 422 otherwise). Send the version you read (`If-Match` or
/// `version`): 428 without, 412 when stale.
#[utoipa::path(tag = "taiwan-enterprises", request_body = EnterprisePatch, params(
    ("id" = String, Path),
    ("If-Match" = Option<String>, Header, description = "The ETag you read; or send `version` in the body")),
    responses(
    (status = 200, body = Enterprise, headers(("ETag" = String))),
    (status = 400, description = "A field is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not the district's office", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, description = "Changed by someone else since it was read", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "A linked member does not exist or is of another district", body = Problem, content_type = "application/problem+json"),
    (status = 428, description = "No version given", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database or the membership service is unavailable", body = Problem, content_type = "application/problem+json")))]
#[patch("/taiwan-enterprises/{id}")]
pub async fn update_enterprise(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<EnterprisePatch>,
) -> ApiResult<HttpResponse> {
    caller.require_any(ENTERPRISES.writers)?;
    let id = id.into_inner();
    let lookup = id.clone();
    let current = db
        .read(move |c| model::find(c, &lookup)?.or_not_found("Taiwan enterprise"))
        .await?;
    ENTERPRISES.require_write(&caller, &current.district_code)?;
    let patch = body.0;
    let expected = expected_version(if_match, patch.version)?;
    let mut v = Validator::new();
    v.opt_text("name", patch.name.as_deref(), 100)
        .opt_text("address", patch.address.as_deref(), 200)
        .opt_text("sector", patch.sector.clone().flatten().as_deref(), 50)
        .opt_text(
            "contact_person",
            patch.contact_person.clone().flatten().as_deref(),
            50,
        );
    if let Some(m) = &patch.members {
        v.texts("members", m, 0..=20, 64);
    }
    v.finish()?;
    let members = patch.members.as_deref().map(trimmed);
    if let Some(m) = &members {
        let mut refs = Refs::new();
        refs.members(&client, "members", m, &current.district_code)
            .await?;
        if let Some(r) = refs.answer() {
            return Ok(r);
        }
    }
    let trim = |o: Option<Option<String>>| o.map(|v| v.map(|s| s.trim().to_string()));
    let changes = EnterpriseChanges {
        kind: patch.kind.map(|k| k.as_str().to_string()),
        name: patch.name.map(|s| s.trim().to_string()),
        address: patch.address.map(|s| s.trim().to_string()),
        sector: trim(patch.sector),
        contact_person: trim(patch.contact_person),
    };
    let e = db
        .write(move |c| {
            let rows = model::update(c, &id, expected, &changes, &caller.sub, xs_kit::db::now())?;
            check_updated(rows, || Ok(model::exists(c, &id)?), "Taiwan enterprise")?;
            if let Some(m) = &members {
                model::replace_members(c, &id, m)?;
            }
            let row = model::find(c, &id)?.or_not_found("Taiwan enterprise")?;
            view(c, row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(e.version)))
        .json(e))
}
