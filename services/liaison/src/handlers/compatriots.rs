//! Compatriots (台胞): the district's register. Office staff and admins write and see contact
//! and document numbers whole (each such read recorded in the personal-data audit); everyone
//! else who reads the register sees them masked. A resident may register themself once and
//! then sees and edits only their own record.

use super::Refs;
use crate::domain::access::COMPATRIOTS;
use crate::domain::compatriot::{
    is_self, may_see_personal, note_personal, reads_own_only, registers_self,
};
use crate::models::compatriot::{
    self as model, CompatriotChanges, CompatriotFilter, CompatriotRow,
};
use crate::views::compatriot::*;
use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use xs_kit::audit::{self, Disclosures, Reader};
use xs_kit::client::ServiceClient;
use xs_kit::concurrency::{check_updated, etag, expected_version};
use xs_kit::enums::stored;
use xs_kit::error::{OrNotFound, Problem};
use xs_kit::extract::{IfMatch, Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::telemetry::RequestId;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, Page, PageRequest};

fn validate_id_number(v: &mut Validator, value: Option<&str>) {
    if let Some(n) = value {
        let ok = (4..=30).contains(&n.len()) && n.chars().all(|c| c.is_ascii_alphanumeric());
        v.check(ok, "id_number", "must be 4 to 30 letters and digits");
    }
}

fn view(caller: &Caller, row: CompatriotRow) -> ApiResult<Compatriot> {
    let origin = stored("compatriot origin", &row.origin)?;
    let show = may_see_personal(caller, &row.district_code, row.account_sub.as_deref());
    Ok(Compatriot::from_row(row, origin, show))
}

/// The disclosures of one compatriot as served.
fn note(seen: &mut Disclosures, caller: &Caller, c: &Compatriot, account_sub: Option<&str>) {
    note_personal(
        seen,
        caller,
        &c.id,
        account_sub,
        c.contact.as_deref(),
        c.id_number.as_deref(),
        c.personal_masked,
    );
}

/// 403 unless the caller may read this compatriot: the register's readers of its district,
/// or the compatriot themself.
fn require_read(caller: &Caller, row: &CompatriotRow) -> ApiResult<()> {
    if is_self(caller, row.account_sub.as_deref()) {
        return Ok(());
    }
    COMPATRIOTS.require_read(caller, &row.district_code, None)
}

/// List compatriots
///
/// Admins, office staff, coordinators and members of a district read its compatriots;
/// dashboards and integrators read citywide (or their district). A resident sees only the
/// record they registered themself. `contact` and `id_number` are masked (`138****1234`,
/// `A*******89`) unless the caller is an admin or office staff of the compatriot's district
/// (or the compatriot); every one served whole is recorded in the personal-data audit.
#[utoipa::path(tag = "compatriots", params(CompatriotQuery), responses(
    (status = 200, description = "A page of compatriots, oldest first", body = Page<Compatriot>),
    (status = 400, description = "A filter, `limit` or `cursor` is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "The role may not read compatriots, or the district is outside the caller's scope", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/compatriots")]
pub async fn list_compatriots(
    db: web::Data<Db>,
    caller: Caller,
    rid: RequestId,
    q: Query<CompatriotQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.0;
    let origin = q.origin.map(|o| o.as_str().to_string());
    let name = super::name_query(q.q)?;
    let filter = match COMPATRIOTS.read_scope(&caller) {
        Ok(scope) => CompatriotFilter {
            district: scope.narrow(q.district, None)?.district,
            origin,
            account_sub: None,
            name,
        },
        Err(_) if reads_own_only(&caller) => CompatriotFilter {
            district: q.district,
            origin,
            account_sub: Some(caller.sub.clone()),
            name,
        },
        Err(e) => return Err(e),
    };
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (fetch, after) = (page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| Ok(model::list(c, &filter, after.as_deref(), fetch)?))
        .await?;
    let subs: std::collections::HashMap<String, Option<String>> = rows
        .iter()
        .map(|r| (r.id.clone(), r.account_sub.clone()))
        .collect();
    let mut items = Vec::with_capacity(rows.len());
    let body = page.page(rows, |r| r.id.clone(), |r| r);
    for r in body.items {
        items.push(view(&caller, r)?);
    }
    let mut seen = Disclosures::new();
    for c in &items {
        note(
            &mut seen,
            &caller,
            c,
            subs.get(&c.id).and_then(|s| s.as_deref()),
        );
    }
    audit::record(&db, &Reader::new(&caller, &rid), seen).await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: body.next_cursor,
    }))
}

/// One compatriot
///
/// Readable by the register's readers of the compatriot's district (admins, office staff,
/// coordinators, members), read-only integrations, and the compatriot themself (a resident
/// who registered through the app). Personal fields are masked as in the list; a whole one
/// served to someone other than the compatriot is recorded in the personal-data audit.
#[utoipa::path(tag = "compatriots", params(("id" = String, Path)), responses(
    (status = 200, body = Compatriot, headers(("ETag" = String))),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Outside the caller's scope", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/compatriots/{id}")]
pub async fn get_compatriot(
    db: web::Data<Db>,
    caller: Caller,
    rid: RequestId,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let row = db
        .read(move |c| model::find(c, &id)?.or_not_found("compatriot"))
        .await?;
    require_read(&caller, &row)?;
    let account = row.account_sub.clone();
    let c = view(&caller, row)?;
    let mut seen = Disclosures::new();
    note(&mut seen, &caller, &c, account.as_deref());
    audit::record(&db, &Reader::new(&caller, &rid), seen).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(c.version)))
        .json(c))
}

/// Register a compatriot
///
/// Admins and office staff register compatriots of their district. A resident registers
/// themself, once, in their own district (if their account names one); the record is then
/// theirs to read and edit. `district` must exist (422 otherwise). The answer shows the
/// personal fields as the caller may see them.
#[utoipa::path(tag = "compatriots", request_body = NewCompatriot, params(
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = Compatriot, headers(("Location" = String), ("ETag" = String))),
    (status = 400, description = "A field is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "The role may not register compatriots, or not in that district", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "This resident has already registered", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "`district` does not exist", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database or the membership service is unavailable", body = Problem, content_type = "application/problem+json")))]
#[post("/compatriots")]
pub async fn create_compatriot(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    idem: Idempotency,
    body: Json<NewCompatriot>,
) -> ApiResult<HttpResponse> {
    let self_registration = registers_self(&caller);
    if self_registration {
        if let Some(d) = &caller.district
            && d != &body.district
        {
            return Err(ApiError::Forbidden(
                "residents register in their own district".into(),
            ));
        }
    } else {
        COMPATRIOTS.require_write(&caller, &body.district)?;
    }
    let mut v = Validator::new();
    v.text("name", &body.name, 50)
        .opt_text("occupation", body.occupation.as_deref(), 100)
        .opt_text("employer", body.employer.as_deref(), 100)
        .code("district", &body.district)
        .phone("contact", body.contact.as_deref());
    validate_id_number(&mut v, body.id_number.as_deref());
    v.finish()?;
    let mut refs = Refs::new();
    refs.district(&client, "district", &body.district).await?;
    if let Some(r) = refs.answer() {
        return Ok(r);
    }
    let body = body.0;
    let (input, who) = (body.clone(), caller.clone());
    idem.run(&db, &caller.sub, &body, move |c| {
        let b = input;
        let account = self_registration.then(|| who.sub.clone());
        if let Some(sub) = &account
            && model::find_by_account(c, sub)?.is_some()
        {
            return Err(ApiError::Conflict(
                "you have already registered; edit your record instead".into(),
            ));
        }
        let now = xs_kit::db::now();
        let row = CompatriotRow {
            id: xs_kit::db::new_id(),
            name: b.name.trim().to_string(),
            origin: b.origin.as_str().into(),
            occupation: b.occupation.map(|s| s.trim().to_string()),
            employer: b.employer.map(|s| s.trim().to_string()),
            district_code: b.district,
            contact: b.contact.map(|s| s.trim().to_string()),
            id_number: b.id_number.map(|s| s.trim().to_string()),
            account_sub: account,
            version: 1,
            created_at: now,
            created_by: who.sub.clone(),
            updated_at: now,
            updated_by: who.sub.clone(),
        };
        model::insert(c, &row)?;
        let id = row.id.clone();
        Reply::created(&view(&who, row)?, format!("/api/v1/compatriots/{id}"))
    })
    .await
}

/// Change a compatriot
///
/// Admins and office staff of the compatriot's district change any field (moving them to
/// another district needs both districts in scope); the compatriot themself changes their own
/// record but not its district. Send the version you read (`If-Match` or `version`): 428
/// without, 412 when stale. A whole personal field in the answer served to someone other than
/// the compatriot is recorded in the personal-data audit.
#[utoipa::path(tag = "compatriots", request_body = CompatriotPatch, params(
    ("id" = String, Path),
    ("If-Match" = Option<String>, Header, description = "The ETag you read; or send `version` in the body")),
    responses(
    (status = 200, body = Compatriot, headers(("ETag" = String))),
    (status = 400, description = "A field is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not the district's office, nor the compatriot", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, description = "Changed by someone else since it was read", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "`district` does not exist", body = Problem, content_type = "application/problem+json"),
    (status = 428, description = "No version given", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database or the membership service is unavailable", body = Problem, content_type = "application/problem+json")))]
#[patch("/compatriots/{id}")]
pub async fn update_compatriot(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    rid: RequestId,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<CompatriotPatch>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let lookup = id.clone();
    let current = db
        .read(move |c| model::find(c, &lookup)?.or_not_found("compatriot"))
        .await?;
    let own = is_self(&caller, current.account_sub.as_deref());
    if !own {
        COMPATRIOTS.require_write(&caller, &current.district_code)?;
    }
    let patch = body.0;
    if let Some(d) = &patch.district {
        if own && !caller.has_any(COMPATRIOTS.writers) {
            return Err(ApiError::Forbidden(
                "only the office may move a compatriot to another district".into(),
            ));
        }
        COMPATRIOTS.require_write(&caller, d)?;
    }
    let expected = expected_version(if_match, patch.version)?;
    let mut v = Validator::new();
    v.opt_text("name", patch.name.as_deref(), 50)
        .opt_text(
            "occupation",
            patch.occupation.clone().flatten().as_deref(),
            100,
        )
        .opt_text("employer", patch.employer.clone().flatten().as_deref(), 100)
        .phone("contact", patch.contact.clone().flatten().as_deref());
    if let Some(d) = &patch.district {
        v.code("district", d);
    }
    validate_id_number(&mut v, patch.id_number.clone().flatten().as_deref());
    v.finish()?;
    if let Some(d) = &patch.district {
        let mut refs = Refs::new();
        refs.district(&client, "district", d).await?;
        if let Some(r) = refs.answer() {
            return Ok(r);
        }
    }
    let reader = Reader::new(&caller, &rid);
    let trim = |o: Option<Option<String>>| o.map(|v| v.map(|s| s.trim().to_string()));
    let changes = CompatriotChanges {
        name: patch.name.map(|s| s.trim().to_string()),
        origin: patch.origin.map(|o| o.as_str().to_string()),
        occupation: trim(patch.occupation),
        employer: trim(patch.employer),
        district_code: patch.district,
        contact: trim(patch.contact),
        id_number: trim(patch.id_number),
    };
    let c = db
        .write(move |c| {
            let now = xs_kit::db::now();
            let rows = model::update(c, &id, expected, &changes, &caller.sub, now)?;
            check_updated(rows, || Ok(model::exists(c, &id)?), "compatriot")?;
            let row = model::find(c, &id)?.or_not_found("compatriot")?;
            let account = row.account_sub.clone();
            let out = view(&caller, row)?;
            let mut seen = Disclosures::new();
            note(&mut seen, &caller, &out, account.as_deref());
            audit::record_in(c, &reader, &seen)?;
            Ok(out)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(c.version)))
        .json(c))
}
