//! Reference data: districts, subdistricts, communities, sectors. Everyone signed in may read;
//! admins manage districts and sectors, and a district's office staff its subdistricts and
//! communities. Codes never change; names may.

use crate::models::reference::{
    self as model, CommunityRow, DistrictRow, ReferenceTable, SectorRow, SubdistrictRow,
};
use crate::views::reference::*;
use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use serde::Deserialize;
use xs_kit::concurrency::{check_updated, etag, expected_version};
use xs_kit::error::Problem;
use xs_kit::extract::IfMatch;
use xs_kit::extract::{Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::pagination::PageQuery;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, Page, PageRequest, Role};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubdistrictListQuery {
    /// Only those of this district.
    pub district: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CommunityListQuery {
    /// Only those of this district.
    pub district: Option<String>,
    /// Only those of this subdistrict.
    pub subdistrict: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List districts
///
/// Every district, by code. Any signed-in caller (residents included); reference data holds no
/// personal fields.
#[utoipa::path(tag = "reference", params(PageQuery), responses(
    (status = 200, body = Page<District>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json")))]
#[get("/districts")]
pub async fn list_districts(
    db: web::Data<Db>,
    _caller: Caller,
    q: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let fetch = page.fetch();
    let after = page.after.clone();
    let rows = db
        .read(move |c| Ok(model::list_districts(c, after.as_deref(), fetch)?))
        .await?;
    Ok(HttpResponse::Ok().json(page.page(rows, |r| r.code.clone(), District::from)))
}

/// Get a district
///
/// Any signed-in caller (residents included); reference data holds no personal fields. 404 for an
/// unknown code; the `ETag` is the version a rename sends.
#[utoipa::path(tag = "reference", params(("code" = String, Path)), responses(
    (status = 200, body = District),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/districts/{code}")]
pub async fn get_district(
    db: web::Data<Db>,
    _caller: Caller,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    read_entry(&db, ReferenceTable::District, code.into_inner()).await
}

/// Create a district
///
/// Admins only. The `code` (2–40 of a-z, 0-9, `_`, `-`, starting with a letter) is permanent; the
/// name may change later. 409 when the code exists. Accepts `Idempotency-Key`: a repeat replays
/// the first answer, the same key with another body is a 422.
#[utoipa::path(tag = "reference", request_body = NewDistrict, params(
    ("Idempotency-Key" = Option<String>, Header)), responses(
    (status = 201, body = District),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json")))]
#[post("/districts")]
pub async fn create_district(
    db: web::Data<Db>,
    caller: Caller,
    idem: Idempotency,
    body: Json<NewDistrict>,
) -> ApiResult<HttpResponse> {
    caller.require_any(&[Role::Admin])?;
    Validator::new()
        .code("code", &body.code)
        .text("name", &body.name, 100)
        .finish()?;
    let body = body.0;
    let by = caller.sub.clone();
    let input = (body.code.clone(), body.name.trim().to_string());
    idem.run(&db, &caller.sub, &body, move |c| {
        let (code, name) = input;
        if model::district(c, &code)?.is_some() {
            return Err(ApiError::Conflict(format!(
                "district {code} already exists"
            )));
        }
        let now = xs_kit::db::now();
        let row = DistrictRow {
            code: code.clone(),
            name,
            version: 1,
            created_at: now,
            created_by: by.clone(),
            updated_at: now,
            updated_by: by,
        };
        use diesel::RunQueryDsl;
        diesel::insert_into(crate::schema::districts::table)
            .values(&row)
            .execute(c)?;
        Reply::created(&District::from(row), format!("/api/v1/districts/{code}"))
    })
    .await
}

/// List subdistricts
///
/// Subdistricts and towns, by code, optionally of one `district`. Any signed-in caller (residents
/// included); reference data holds no personal fields.
#[utoipa::path(tag = "reference", params(SubdistrictListQuery), responses(
    (status = 200, body = Page<Subdistrict>),
    (status = 400, body = Problem, content_type = "application/problem+json")))]
#[get("/subdistricts")]
pub async fn list_subdistricts(
    db: web::Data<Db>,
    _caller: Caller,
    q: Query<SubdistrictListQuery>,
) -> ApiResult<HttpResponse> {
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (fetch, after, district) = (page.fetch(), page.after.clone(), q.0.district);
    let rows = db
        .read(move |c| {
            Ok(model::list_subdistricts(
                c,
                district.as_deref(),
                after.as_deref(),
                fetch,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.page(rows, |r| r.code.clone(), Subdistrict::from)))
}

/// Create a subdistrict
///
/// Admins, and office staff for their own district (another district is 403). The `code` (2–40 of
/// a-z, 0-9, `_`, `-`, starting with a letter) is permanent; the name may change later. The
/// district must exist (else 400). 409 when the code exists. Accepts `Idempotency-Key`: a repeat
/// replays the first answer, the same key with another body is a 422.
#[utoipa::path(tag = "reference", request_body = NewSubdistrict, params(
    ("Idempotency-Key" = Option<String>, Header)), responses(
    (status = 201, body = Subdistrict),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json")))]
#[post("/subdistricts")]
pub async fn create_subdistrict(
    db: web::Data<Db>,
    caller: Caller,
    idem: Idempotency,
    body: Json<NewSubdistrict>,
) -> ApiResult<HttpResponse> {
    caller.require_any(&[Role::Admin, Role::OfficeStaff])?;
    caller.require_district(&body.district)?;
    Validator::new()
        .code("code", &body.code)
        .text("name", &body.name, 100)
        .finish()?;
    let body = body.0;
    let by = caller.sub.clone();
    let row_input = (
        body.code.clone(),
        body.district.clone(),
        body.name.trim().to_string(),
        body.kind,
    );
    idem.run(&db, &caller.sub, &body, move |c| {
        let (code, district, name, kind) = row_input;
        if model::district(c, &district)?.is_none() {
            return Err(ApiError::unprocessable("district", "no such district"));
        }
        if model::subdistrict(c, &code)?.is_some() {
            return Err(ApiError::Conflict(format!(
                "subdistrict {code} already exists"
            )));
        }
        let now = xs_kit::db::now();
        let row = SubdistrictRow {
            code: code.clone(),
            district_code: district,
            name,
            kind: kind.as_str().into(),
            version: 1,
            created_at: now,
            created_by: by.clone(),
            updated_at: now,
            updated_by: by,
        };
        use diesel::RunQueryDsl;
        diesel::insert_into(crate::schema::subdistricts::table)
            .values(&row)
            .execute(c)?;
        Reply::created(
            &Subdistrict::from(row),
            format!("/api/v1/subdistricts/{code}"),
        )
    })
    .await
}

/// List sectors
///
/// Every sector (界别), by code. Any signed-in caller (residents included); reference data holds no
/// personal fields.
#[utoipa::path(tag = "reference", params(PageQuery), responses(
    (status = 200, body = Page<Sector>),
    (status = 400, body = Problem, content_type = "application/problem+json")))]
#[get("/sectors")]
pub async fn list_sectors(
    db: web::Data<Db>,
    _caller: Caller,
    q: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (fetch, after) = (page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| Ok(model::list_sectors(c, after.as_deref(), fetch)?))
        .await?;
    Ok(HttpResponse::Ok().json(page.page(rows, |r| r.code.clone(), Sector::from)))
}

/// Create a sector
///
/// Admins only. The `code` (2–40 of a-z, 0-9, `_`, `-`, starting with a letter) is permanent; the
/// name may change later. 409 when the code exists. Accepts `Idempotency-Key`: a repeat replays
/// the first answer, the same key with another body is a 422.
#[utoipa::path(tag = "reference", request_body = NewSector, params(
    ("Idempotency-Key" = Option<String>, Header)), responses(
    (status = 201, body = Sector),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json")))]
#[post("/sectors")]
pub async fn create_sector(
    db: web::Data<Db>,
    caller: Caller,
    idem: Idempotency,
    body: Json<NewSector>,
) -> ApiResult<HttpResponse> {
    caller.require_any(&[Role::Admin])?;
    Validator::new()
        .code("code", &body.code)
        .text("name", &body.name, 100)
        .finish()?;
    let body = body.0;
    let by = caller.sub.clone();
    let input = (body.code.clone(), body.name.trim().to_string());
    idem.run(&db, &caller.sub, &body, move |c| {
        let (code, name) = input;
        if model::sector_exists(c, &code)? {
            return Err(ApiError::Conflict(format!("sector {code} already exists")));
        }
        let now = xs_kit::db::now();
        let row = SectorRow {
            code: code.clone(),
            name,
            version: 1,
            created_at: now,
            created_by: by.clone(),
            updated_at: now,
            updated_by: by,
        };
        use diesel::RunQueryDsl;
        diesel::insert_into(crate::schema::sectors::table)
            .values(&row)
            .execute(c)?;
        Reply::created(&Sector::from(row), format!("/api/v1/sectors/{code}"))
    })
    .await
}

/// List communities
///
/// Communities, by code, optionally of one `district` or `subdistrict`. Any signed-in caller
/// (residents included); reference data holds no personal fields.
#[utoipa::path(tag = "reference", params(CommunityListQuery), responses(
    (status = 200, body = Page<Community>),
    (status = 400, body = Problem, content_type = "application/problem+json")))]
#[get("/communities")]
pub async fn list_communities(
    db: web::Data<Db>,
    _caller: Caller,
    q: Query<CommunityListQuery>,
) -> ApiResult<HttpResponse> {
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (fetch, after) = (page.fetch(), page.after.clone());
    let q = q.0;
    let rows = db
        .read(move |c| {
            Ok(model::list_communities(
                c,
                q.subdistrict.as_deref(),
                q.district.as_deref(),
                after.as_deref(),
                fetch,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.page(rows, |r| r.code.clone(), Community::from)))
}

/// Create a community
///
/// Admins, and office staff for subdistricts of their own district (another district is 403). The
/// `code` (2–40 of a-z, 0-9, `_`, `-`, starting with a letter) is permanent; the name may change
/// later. The subdistrict must exist (else 400). 409 when the code exists. Accepts
/// `Idempotency-Key`: a repeat replays the first answer, the same key with another body is a 422.
#[utoipa::path(tag = "reference", request_body = NewCommunity, params(
    ("Idempotency-Key" = Option<String>, Header)), responses(
    (status = 201, body = Community),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json")))]
#[post("/communities")]
pub async fn create_community(
    db: web::Data<Db>,
    caller: Caller,
    idem: Idempotency,
    body: Json<NewCommunity>,
) -> ApiResult<HttpResponse> {
    caller.require_any(&[Role::Admin, Role::OfficeStaff])?;
    Validator::new()
        .code("code", &body.code)
        .text("name", &body.name, 100)
        .finish()?;
    let body = body.0;
    let who = caller.clone();
    let input = (
        body.code.clone(),
        body.subdistrict.clone(),
        body.name.trim().to_string(),
    );
    idem.run(&db, &caller.sub, &body, move |c| {
        let (code, subdistrict, name) = input;
        let parent = model::subdistrict(c, &subdistrict)?
            .ok_or_else(|| ApiError::unprocessable("subdistrict", "no such subdistrict"))?;
        // Office staff manage the communities of their own district only.
        who.require_district(&parent.district_code)?;
        if model::community_exists(c, &code)? {
            return Err(ApiError::Conflict(format!(
                "community {code} already exists"
            )));
        }
        let now = xs_kit::db::now();
        let row = CommunityRow {
            code: code.clone(),
            subdistrict_code: subdistrict,
            name,
            version: 1,
            created_at: now,
            created_by: who.sub.clone(),
            updated_at: now,
            updated_by: who.sub.clone(),
        };
        use diesel::RunQueryDsl;
        diesel::insert_into(crate::schema::communities::table)
            .values(&row)
            .execute(c)?;
        Reply::created(&Community::from(row), format!("/api/v1/communities/{code}"))
    })
    .await
}

/// A reference entry as JSON, with its version for the ETag.
fn entry(
    c: &mut xs_kit::DbConn,
    table: ReferenceTable,
    code: &str,
) -> ApiResult<Option<(serde_json::Value, i64)>> {
    let to_json = |v: Result<serde_json::Value, serde_json::Error>| v.map_err(ApiError::internal);
    Ok(match table {
        ReferenceTable::District => match model::district(c, code)? {
            Some(r) => Some((
                to_json(serde_json::to_value(District::from(r.clone())))?,
                r.version,
            )),
            None => None,
        },
        ReferenceTable::Subdistrict => match model::subdistrict(c, code)? {
            Some(r) => Some((
                to_json(serde_json::to_value(Subdistrict::from(r.clone())))?,
                r.version,
            )),
            None => None,
        },
        ReferenceTable::Community => match model::community(c, code)? {
            Some(r) => Some((
                to_json(serde_json::to_value(Community::from(r.clone())))?,
                r.version,
            )),
            None => None,
        },
        ReferenceTable::Sector => match model::sector(c, code)? {
            Some(r) => Some((
                to_json(serde_json::to_value(Sector::from(r.clone())))?,
                r.version,
            )),
            None => None,
        },
    })
}

fn noun(table: ReferenceTable) -> &'static str {
    match table {
        ReferenceTable::District => "district",
        ReferenceTable::Subdistrict => "subdistrict",
        ReferenceTable::Community => "community",
        ReferenceTable::Sector => "sector",
    }
}

async fn read_entry(db: &Db, table: ReferenceTable, code: String) -> ApiResult<HttpResponse> {
    let (body, version) = db
        .read(move |c| entry(c, table, &code)?.ok_or_else(|| ApiError::not_found(noun(table))))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(body))
}

/// Who may rename: admins everything; office staff the subdistricts and communities of their
/// own district.
fn require_rename_rights(
    c: &mut xs_kit::DbConn,
    caller: &Caller,
    table: ReferenceTable,
    code: &str,
) -> ApiResult<()> {
    let district = match table {
        ReferenceTable::District | ReferenceTable::Sector => {
            return caller.require_any(&[Role::Admin]);
        }
        ReferenceTable::Subdistrict => model::subdistrict(c, code)?.map(|s| s.district_code),
        ReferenceTable::Community => match model::community(c, code)? {
            Some(community) => {
                model::subdistrict(c, &community.subdistrict_code)?.map(|s| s.district_code)
            }
            None => None,
        },
    };
    caller.require_any(&[Role::Admin, Role::OfficeStaff])?;
    match district {
        Some(d) => caller.require_district(&d),
        None => Err(ApiError::not_found(noun(table))),
    }
}

async fn rename_entry(
    db: &Db,
    caller: Caller,
    table: ReferenceTable,
    code: String,
    if_match: IfMatch,
    body: Rename,
) -> ApiResult<HttpResponse> {
    // Role before input: the rights are checked first, then the version and the name.
    let expected = expected_version(if_match, body.version);
    let valid = Validator::new().text("name", &body.name, 100).finish();
    let name = body.name.trim().to_string();
    let (json, version) = db
        .write(move |c| {
            require_rename_rights(c, &caller, table, &code)?;
            let expected = expected?;
            valid?;
            let rows = model::rename(
                c,
                table,
                &code,
                expected,
                &name,
                &caller.sub,
                xs_kit::db::now(),
            )?;
            check_updated(rows, || Ok(entry(c, table, &code)?.is_some()), noun(table))?;
            entry(c, table, &code)?.ok_or_else(|| ApiError::not_found(noun(table)))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(json))
}

/// Rename a district
///
/// Admins only. Only the name changes: codes and parents never do, and the name must not be blank
/// (at most 100 characters). Send the version you read as `If-Match` or `version`: none is a 428,
/// a stale one a 412 (someone else changed it since).
#[utoipa::path(tag = "reference", request_body = Rename, params(("code" = String, Path),
    ("If-Match" = Option<String>, Header)), responses(
    (status = 200, body = District),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json")))]
#[patch("/districts/{code}")]
pub async fn rename_district(
    db: web::Data<Db>,
    caller: Caller,
    code: web::Path<String>,
    if_match: IfMatch,
    body: Json<Rename>,
) -> ApiResult<HttpResponse> {
    rename_entry(
        &db,
        caller,
        ReferenceTable::District,
        code.into_inner(),
        if_match,
        body.0,
    )
    .await
}

/// Get a subdistrict
///
/// Any signed-in caller (residents included); reference data holds no personal fields. 404 for an
/// unknown code; the `ETag` is the version a rename sends.
#[utoipa::path(tag = "reference", params(("code" = String, Path)), responses(
    (status = 200, body = Subdistrict),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/subdistricts/{code}")]
pub async fn get_subdistrict(
    db: web::Data<Db>,
    _caller: Caller,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    read_entry(&db, ReferenceTable::Subdistrict, code.into_inner()).await
}

/// Rename a subdistrict
///
/// Admins, and office staff of the subdistrict's district (another district is 403). Only the name
/// changes: codes and parents never do, and the name must not be blank (at most 100 characters).
/// Send the version you read as `If-Match` or `version`: none is a 428, a stale one a 412 (someone
/// else changed it since).
#[utoipa::path(tag = "reference", request_body = Rename, params(("code" = String, Path),
    ("If-Match" = Option<String>, Header)), responses(
    (status = 200, body = Subdistrict),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json")))]
#[patch("/subdistricts/{code}")]
pub async fn rename_subdistrict(
    db: web::Data<Db>,
    caller: Caller,
    code: web::Path<String>,
    if_match: IfMatch,
    body: Json<Rename>,
) -> ApiResult<HttpResponse> {
    rename_entry(
        &db,
        caller,
        ReferenceTable::Subdistrict,
        code.into_inner(),
        if_match,
        body.0,
    )
    .await
}

/// Get a community
///
/// Any signed-in caller (residents included); reference data holds no personal fields. 404 for an
/// unknown code; the `ETag` is the version a rename sends.
#[utoipa::path(tag = "reference", params(("code" = String, Path)), responses(
    (status = 200, body = Community),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/communities/{code}")]
pub async fn get_community(
    db: web::Data<Db>,
    _caller: Caller,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    read_entry(&db, ReferenceTable::Community, code.into_inner()).await
}

/// Rename a community
///
/// Admins, and office staff of the community's district (another district is 403). Only the name
/// changes: codes and parents never do, and the name must not be blank (at most 100 characters).
/// Send the version you read as `If-Match` or `version`: none is a 428, a stale one a 412 (someone
/// else changed it since).
#[utoipa::path(tag = "reference", request_body = Rename, params(("code" = String, Path),
    ("If-Match" = Option<String>, Header)), responses(
    (status = 200, body = Community),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json")))]
#[patch("/communities/{code}")]
pub async fn rename_community(
    db: web::Data<Db>,
    caller: Caller,
    code: web::Path<String>,
    if_match: IfMatch,
    body: Json<Rename>,
) -> ApiResult<HttpResponse> {
    rename_entry(
        &db,
        caller,
        ReferenceTable::Community,
        code.into_inner(),
        if_match,
        body.0,
    )
    .await
}

/// Get a sector
///
/// Any signed-in caller (residents included); reference data holds no personal fields. 404 for an
/// unknown code; the `ETag` is the version a rename sends.
#[utoipa::path(tag = "reference", params(("code" = String, Path)), responses(
    (status = 200, body = Sector),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/sectors/{code}")]
pub async fn get_sector(
    db: web::Data<Db>,
    _caller: Caller,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    read_entry(&db, ReferenceTable::Sector, code.into_inner()).await
}

/// Rename a sector
///
/// Admins only. Only the name changes: codes and parents never do, and the name must not be blank
/// (at most 100 characters). Send the version you read as `If-Match` or `version`: none is a 428,
/// a stale one a 412 (someone else changed it since).
#[utoipa::path(tag = "reference", request_body = Rename, params(("code" = String, Path),
    ("If-Match" = Option<String>, Header)), responses(
    (status = 200, body = Sector),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json")))]
#[patch("/sectors/{code}")]
pub async fn rename_sector(
    db: web::Data<Db>,
    caller: Caller,
    code: web::Path<String>,
    if_match: IfMatch,
    body: Json<Rename>,
) -> ApiResult<HttpResponse> {
    rename_entry(
        &db,
        caller,
        ReferenceTable::Sector,
        code.into_inner(),
        if_match,
        body.0,
    )
    .await
}
