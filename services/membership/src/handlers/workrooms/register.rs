//! The register of workrooms: list (and the nearest-first search), read, apply, describe.

use super::lifecycle::publish;
use super::{
    Fields, check_member, check_place, days_json, essentials_json, find_workroom, validate_fields,
    visible_workroom, with_etag,
};
use crate::domain::access::WORKROOMS;
use crate::domain::workroom::{self as rules, DEFAULT_RADIUS_KM, MAX_RADIUS_KM, WorkroomStatus};
use crate::models::reference;
use crate::models::workroom::{self as model, WorkroomChanges, WorkroomFilter, WorkroomRow};
use crate::views::workroom::*;
use actix_web::{HttpResponse, get, patch, post, web};
use xs_kit::concurrency::{check_updated, expected_version};
use xs_kit::error::Problem;
use xs_kit::extract::{IfMatch, Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::lifecycle::Move;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, Page, PageRequest};

/// List workrooms
///
/// Filter by kind, status, district and subdistrict, or search nearest first with `near` (and
/// `radius_km`, at most 50). Any signed-in caller, across districts; residents see active
/// workrooms only (their `status` filter is ignored). Who may not read the office's record
/// (residents, members, other districts' staff and integrations) sees the public face:
/// `inspection`, `created_by` and `updated_by` are `null` and `allowed_actions` is empty.
#[utoipa::path(tag = "workrooms", params(WorkroomQuery), responses(
    (status = 200, body = Page<Workroom>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json")))]
#[get("/workrooms")]
pub async fn list_workrooms(
    db: web::Data<Db>,
    caller: Caller,
    q: Query<WorkroomQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.0;
    let status = if rules::sees_only_active(&caller) {
        // The public sees working studios, not applications under review.
        Some(WorkroomStatus::Active.as_str().to_string())
    } else {
        q.status.map(|s| s.as_str().to_string())
    };
    let filter = WorkroomFilter {
        kind: q.kind.map(|k| k.as_str().to_string()),
        status,
        district: q.district,
        subdistrict: q.subdistrict,
    };
    let Some(near) = q.near else {
        if q.radius_km.is_some() {
            return Err(ApiError::unprocessable("radius_km", "needs `near`"));
        }
        let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
        let (fetch, after) = (page.fetch(), page.after.clone());
        let rows = db
            .read(move |c| Ok(model::list(c, &filter, after.as_deref(), fetch)?))
            .await?;
        let items = rows
            .into_iter()
            .map(|r| Ok(Workroom::from_row(r, None)?.for_caller(&caller)))
            .collect::<ApiResult<Vec<_>>>()?;
        return Ok(HttpResponse::Ok().json(page.page(items, |w| w.id.clone(), |w| w)));
    };
    let mut v = Validator::new();
    let point = rules::parse_point(&near);
    v.check(
        point.is_some(),
        "near",
        "must be `latitude,longitude` (e.g. 24.45,118.08)",
    );
    let radius = q.radius_km.unwrap_or(DEFAULT_RADIUS_KM);
    v.check(
        radius.is_finite() && radius > 0.0 && radius <= MAX_RADIUS_KM,
        "radius_km",
        "must be more than 0 and at most 50",
    );
    v.finish()?;
    let Some(point) = point else {
        return Err(ApiError::field("near", "must be `latitude,longitude`"));
    };
    // Nearest first, ordered by (distance, id) and paged by that pair. Distances are computed
    // here, over the rows inside a bounding box of the circle: SQLite has no trigonometry to
    // do it in SQL on both backends, and the radius is capped at 50 km, so the candidates are a
    // district's workrooms at most (hundreds). The cursor holds the distance in whole
    // millimetres, so the next page starts exactly after the last item: none lost or repeated.
    let page = PageRequest::<(i64, String)>::parse(q.limit, q.cursor.as_deref())?;
    let after = page.after.clone();
    let bbox = rules::bounding_box(point, radius);
    let rows = db
        .read(move |c| Ok(model::in_box(c, &filter, &bbox)?))
        .await?;
    let mut found: Vec<(i64, f64, WorkroomRow)> = rows
        .into_iter()
        .map(|r| {
            let d = rules::distance_km(point, (r.latitude, r.longitude));
            (rules::distance_key(d), d, r)
        })
        .filter(|(_, d, _)| *d <= radius)
        .filter(|(k, _, r)| {
            after
                .as_ref()
                .is_none_or(|(ak, aid)| (*k, &r.id) > (*ak, aid))
        })
        .collect();
    found.sort_by(|a, b| (a.0, &a.2.id).cmp(&(b.0, &b.2.id)));
    found.truncate(page.fetch() as usize);
    let items = found
        .into_iter()
        .map(|(k, d, r)| Ok((k, Workroom::from_row(r, Some(d))?.for_caller(&caller))))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(page.page(items, |(k, w)| (*k, w.id.clone()), |(_, w)| w)))
}

/// One workroom
///
/// Any signed-in caller; residents see active workrooms only (others are 404). Who may not
/// read the office's record (residents, members, other districts' staff) sees the public face:
/// `inspection`, `created_by` and `updated_by` are `null` and `allowed_actions` is empty.
#[utoipa::path(tag = "workrooms", params(("id" = String, Path)), responses(
    (status = 200, body = Workroom, headers(("ETag" = String))),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/workrooms/{id}")]
pub async fn get_workroom(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let who = caller.clone();
    let row = db.read(move |c| visible_workroom(c, &who, &id)).await?;
    Ok(with_etag(
        &Workroom::from_row(row, None)?.for_caller(&caller),
    ))
}

/// Apply for a new workroom
///
/// Admins, and office staff for their own district (another district is 403). The workroom starts
/// `applied` and its history opens with the application. The subdistrict must be in the district,
/// the community in the subdistrict and the convener an active member of the district (else 400
/// naming the field). Accepts `Idempotency-Key`: a repeat replays the first answer, the same key
/// with another body is a 422.
#[utoipa::path(tag = "workrooms", request_body = NewWorkroom, params(
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = Workroom, headers(("Location" = String), ("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/workrooms")]
pub async fn create_workroom(
    db: web::Data<Db>,
    caller: Caller,
    idem: Idempotency,
    body: Json<NewWorkroom>,
) -> ApiResult<HttpResponse> {
    WORKROOMS.require_write(&caller, &body.district)?;
    let mut v = Validator::new();
    v.text("name", &body.name, 100)
        .text("address", &body.address, 200);
    validate_fields(
        &mut v,
        &Fields {
            host_organisation: body.host_organisation.as_deref(),
            opening_hours: body.opening_hours.as_deref(),
            latitude: Some(body.latitude),
            longitude: Some(body.longitude),
            reception_days: Some(&body.reception_days),
            essentials: Some(&body.essentials),
            ..Fields::default()
        },
    );
    v.finish()?;
    let body = body.0;
    let (input, who) = (body.clone(), caller.clone());
    idem.run(&db, &caller.sub, &body, move |c| {
        let b = input;
        if reference::district(c, &b.district)?.is_none() {
            return Err(ApiError::unprocessable("district", "no such district"));
        }
        let mut v = Validator::new();
        check_place(
            c,
            &mut v,
            &b.district,
            &b.subdistrict,
            b.community.as_deref(),
        )?;
        if let Some(m) = &b.convener {
            check_member(c, &mut v, "convener", &b.district, m)?;
        }
        v.finish()?;
        let now = xs_kit::db::now();
        let row = WorkroomRow {
            id: xs_kit::db::new_id(),
            name: b.name.trim().to_string(),
            kind: b.kind.as_str().into(),
            district_code: b.district,
            subdistrict_code: b.subdistrict,
            community_code: b.community,
            host_organisation: b.host_organisation,
            address: b.address.trim().to_string(),
            latitude: b.latitude,
            longitude: b.longitude,
            opening_hours: b.opening_hours,
            reception_days: days_json(&b.reception_days)?,
            convener_id: b.convener,
            essentials: essentials_json(&b.essentials)?,
            status: WorkroomStatus::Applied.as_str().into(),
            inspected_on: None,
            inspector: None,
            inspection_findings: None,
            inspection_passed: None,
            approved_by: None,
            approved_on: None,
            plaque_awarded_on: None,
            version: 1,
            created_at: now,
            created_by: who.sub.clone(),
            updated_at: now,
            updated_by: who.sub.clone(),
        };
        model::insert(c, &row)?;
        // The application opens the history, so it reads from the very first step.
        let workroom = Workroom::from_row(row, None)?;
        Move {
            subject_id: workroom.id.clone(),
            from: None,
            action: "apply".into(),
            to: WorkroomStatus::Applied,
            details: serde_json::json!({}),
            by: who.sub.clone(),
            at: now,
        }
        .record(c, publish(&workroom)?)?;
        let location = format!("/api/v1/workrooms/{}", workroom.id);
        Reply::created(&workroom, location)
    })
    .await
}

/// Update a workroom's details
///
/// Admins, and office staff of the workroom's district (another district is 403). Descriptive
/// fields only: the district never changes and the status changes through `/transitions`; absent
/// fields stay, `null` clears. Send the version you read as `If-Match` or `version`: none is a
/// 428, a stale one a 412 (someone else changed it since).
#[utoipa::path(tag = "workrooms", request_body = WorkroomPatch, params(
    ("id" = String, Path),
    ("If-Match" = Option<String>, Header, description = "The ETag you read; or send `version` in the body")),
    responses(
    (status = 200, body = Workroom, headers(("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json")))]
#[patch("/workrooms/{id}")]
pub async fn update_workroom(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<WorkroomPatch>,
) -> ApiResult<HttpResponse> {
    caller.require_any(WORKROOMS.writers)?;
    let p = body.0;
    // Role and scope before input: the version and the fields are checked after the scope.
    let expected = expected_version(if_match, p.version);
    let mut v = Validator::new();
    validate_fields(
        &mut v,
        &Fields {
            name: p.name.as_deref(),
            address: p.address.as_deref(),
            host_organisation: p.host_organisation.clone().flatten().as_deref(),
            opening_hours: p.opening_hours.clone().flatten().as_deref(),
            latitude: p.latitude,
            longitude: p.longitude,
            reception_days: p.reception_days.as_deref(),
            essentials: p.essentials.as_ref(),
        },
    );
    let valid = v.finish();
    let id = id.into_inner();
    let row = db
        .write(move |c| {
            let current = find_workroom(c, &id)?;
            WORKROOMS.require_write(&caller, &current.district_code)?;
            let expected = expected?;
            valid?;
            let mut v = Validator::new();
            // The place is checked as it will be: a new subdistrict must still hold the
            // community, whether the community changes too or not.
            if p.subdistrict.is_some() || p.community.is_some() {
                let subdistrict = p
                    .subdistrict
                    .as_deref()
                    .unwrap_or(&current.subdistrict_code);
                let community = match &p.community {
                    Some(c) => c.as_deref(),
                    None => current.community_code.as_deref(),
                };
                check_place(c, &mut v, &current.district_code, subdistrict, community)?;
            }
            if let Some(Some(m)) = &p.convener {
                check_member(c, &mut v, "convener", &current.district_code, m)?;
            }
            v.finish()?;
            let changes = WorkroomChanges {
                name: p.name.map(|n| n.trim().to_string()),
                kind: p.kind.map(|k| k.as_str().into()),
                subdistrict_code: p.subdistrict,
                community_code: p.community,
                host_organisation: p.host_organisation,
                address: p.address.map(|a| a.trim().to_string()),
                latitude: p.latitude,
                longitude: p.longitude,
                opening_hours: p.opening_hours,
                reception_days: p.reception_days.as_deref().map(days_json).transpose()?,
                convener_id: p.convener,
                essentials: p.essentials.as_ref().map(essentials_json).transpose()?,
            };
            let rows = model::update(c, &id, expected, &changes, &caller.sub, xs_kit::db::now())?;
            check_updated(rows, || Ok(model::exists(c, &id)?), "workroom")?;
            find_workroom(c, &id)
        })
        .await?;
    Ok(with_etag(&Workroom::from_row(row, None)?))
}
