//! Workrooms: the register of studios, activity rooms, liaison groups and liaison points, their
//! lifecycle (one transitions endpoint), who serves in them, and members' public cards.
//!
//! Reads are open to every signed-in role (the app shows workrooms to residents). Writes are
//! for admins and the office staff of the workroom's district. Assignment suggestions reveal
//! where members live and work, so they are for district staff (coordinators included) only.

use crate::domain::member::{note_phone, require_manager, shown_phone};
use crate::domain::workroom::{
    self as rules, DEFAULT_RADIUS_KM, Guards, MAX_RADIUS_KM, WorkroomAction, WorkroomStatus,
};
use crate::models::member as members;
use crate::models::reference;
use crate::models::workroom::{
    self as model, AssignmentRow, LifecycleChanges, TransitionRow, WorkroomChanges, WorkroomFilter,
    WorkroomRow,
};
use crate::views::workroom::*;
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use xs_kit::audit::{self, Disclosures, Reader};
use xs_kit::concurrency::{check_updated, etag, expected_version};
use xs_kit::error::Problem;
use xs_kit::extract::{IfMatch, Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::pagination::PageQuery;
use xs_kit::telemetry::RequestId;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, DbConn, Page, PageRequest, Role};

/// Who writes workrooms at all; the district check follows once the workroom is read.
const WRITERS: &[Role] = &[Role::Admin, Role::OfficeStaff];
/// Who sees assignment suggestions (within their district).
const PLANNERS: &[Role] = &[Role::Admin, Role::OfficeStaff, Role::Coordinator];

const NOTE_MAX: usize = 500;

/// The descriptive fields shared by create and update; `None` is "not given".
#[derive(Default)]
struct Fields<'a> {
    name: Option<&'a str>,
    address: Option<&'a str>,
    host_organisation: Option<&'a str>,
    opening_hours: Option<&'a str>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    reception_days: Option<&'a [rules::Weekday]>,
    essentials: Option<&'a rules::Essentials>,
}

fn validate_fields(v: &mut Validator, f: &Fields) {
    v.opt_text("name", f.name, 100)
        .opt_text("address", f.address, 200)
        .opt_text("host_organisation", f.host_organisation, 100)
        .opt_text("opening_hours", f.opening_hours, 100);
    if let Some(lat) = f.latitude {
        v.check(
            lat.is_finite() && (-90.0..=90.0).contains(&lat),
            "latitude",
            "must be between -90 and 90",
        );
    }
    if let Some(lng) = f.longitude {
        v.check(
            lng.is_finite() && (-180.0..=180.0).contains(&lng),
            "longitude",
            "must be between -180 and 180",
        );
    }
    if let Some(days) = f.reception_days {
        let mut seen = std::collections::HashSet::new();
        v.check(
            days.iter().all(|d| seen.insert(*d)),
            "reception_days",
            "must not repeat",
        );
    }
    if let Some(e) = f.essentials {
        for (name, one) in e.each() {
            v.opt_text(
                &format!("essentials.{name}.note"),
                one.note.as_deref(),
                NOTE_MAX,
            );
        }
    }
}

fn days_json(days: &[rules::Weekday]) -> ApiResult<String> {
    let mut days = days.to_vec();
    days.sort();
    serde_json::to_string(&days).map_err(ApiError::internal)
}

fn essentials_json(e: &rules::Essentials) -> ApiResult<String> {
    serde_json::to_string(e).map_err(ApiError::internal)
}

/// Where a workroom sits: the subdistrict must be in its district, the community (if any) in
/// the subdistrict. Each unknown or misplaced reference is a 400 naming its field.
fn check_place(
    c: &mut DbConn,
    v: &mut Validator,
    district: &str,
    subdistrict: &str,
    community: Option<&str>,
) -> ApiResult<()> {
    match reference::subdistrict(c, subdistrict)? {
        None => {
            v.push("subdistrict", "no such subdistrict");
            return Ok(());
        }
        Some(s) if s.district_code != district => {
            v.push("subdistrict", "is not in the workroom's district");
            return Ok(());
        }
        Some(_) => {}
    }
    if let Some(code) = community {
        match model::community_subdistrict(c, code)? {
            None => v.push("community", "no such community"),
            Some(s) if s != subdistrict => v.push("community", "is not in the subdistrict"),
            Some(_) => v,
        };
    }
    Ok(())
}

/// A convener (or an assigned member) must be an active member of the workroom's district.
fn check_member(
    c: &mut DbConn,
    v: &mut Validator,
    field: &str,
    district: &str,
    member_id: &str,
) -> ApiResult<()> {
    match members::find(c, member_id)? {
        None => v.push(field, "no such member"),
        Some(m) if m.district_code != district => {
            v.push(field, "is not a member of the workroom's district")
        }
        Some(m) if m.status != "active" => v.push(field, "is not an active member"),
        Some(_) => v,
    };
    Ok(())
}

fn find_workroom(c: &mut DbConn, id: &str) -> ApiResult<WorkroomRow> {
    model::get(c, id)
}

/// The workroom as this caller may see it: the public gets a 404 for one that is not active.
pub(crate) fn visible_workroom(
    c: &mut DbConn,
    caller: &Caller,
    id: &str,
) -> ApiResult<WorkroomRow> {
    let row = model::get(c, id)?;
    if rules::sees_only_active(caller) && row.status != WorkroomStatus::Active.as_str() {
        return Err(ApiError::not_found("workroom"));
    }
    Ok(row)
}

fn status_of(row: &WorkroomRow) -> ApiResult<WorkroomStatus> {
    WorkroomStatus::parse(&row.status).ok_or_else(|| {
        ApiError::internal(std::io::Error::other(format!(
            "workroom {} has unknown status {}",
            row.id, row.status
        )))
    })
}

fn with_etag(w: &Workroom) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(w.version)))
        .json(w)
}

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
            return Err(ApiError::field("radius_km", "needs `near`"));
        }
        let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
        let (fetch, after) = (page.fetch(), page.after.clone());
        let rows = db
            .read(move |c| Ok(model::list(c, &filter, after.as_deref(), fetch)?))
            .await?;
        let items = rows
            .into_iter()
            .map(|r| Workroom::from_row(r, None))
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
        .map(|(k, d, r)| Ok((k, Workroom::from_row(r, Some(d))?)))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(page.page(items, |(k, w)| (*k, w.id.clone()), |(_, w)| w)))
}

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
    let row = db.read(move |c| visible_workroom(c, &caller, &id)).await?;
    Ok(with_etag(&Workroom::from_row(row, None)?))
}

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
    require_manager(&caller, &body.district)?;
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
            return Err(ApiError::field("district", "no such district"));
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
        model::insert_transition(
            c,
            &TransitionRow {
                id: xs_kit::db::new_id(),
                workroom_id: row.id.clone(),
                action: "apply".into(),
                from_status: None,
                to_status: row.status.clone(),
                details: "{}".into(),
                created_at: now,
                created_by: who.sub.clone(),
            },
        )?;
        let id = row.id.clone();
        Reply::created(
            &Workroom::from_row(row, None)?,
            format!("/api/v1/workrooms/{id}"),
        )
    })
    .await
}

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
    caller.require_any(WRITERS)?;
    let p = body.0;
    let expected = expected_version(if_match, p.version)?;
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
    v.finish()?;
    let id = id.into_inner();
    let row = db
        .write(move |c| {
            let current = find_workroom(c, &id)?;
            require_manager(&caller, &current.district_code)?;
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

/// Which fields each action takes: (required, optional). Anything else is refused, so a
/// client that sends `passed` with `approve` learns it is ignored rather than guessing.
fn transition_fields(action: WorkroomAction) -> (&'static [&'static str], &'static [&'static str]) {
    match action {
        WorkroomAction::Inspect => (
            &["date", "inspector", "passed"],
            &["findings", "essentials"],
        ),
        WorkroomAction::Approve => (&["approved_by", "date"], &[]),
        WorkroomAction::AwardPlaque => (&["date"], &[]),
        WorkroomAction::Suspend | WorkroomAction::Close => (&["reason"], &[]),
        WorkroomAction::Resume => (&[], &["note"]),
    }
}

fn validate_transition(t: &TransitionRequest) -> ApiResult<()> {
    let given: [(&str, bool); 8] = [
        ("date", t.date.is_some()),
        ("inspector", t.inspector.is_some()),
        ("findings", t.findings.is_some()),
        ("passed", t.passed.is_some()),
        ("essentials", t.essentials.is_some()),
        ("approved_by", t.approved_by.is_some()),
        ("reason", t.reason.is_some()),
        ("note", t.note.is_some()),
    ];
    let (required, optional) = transition_fields(t.action);
    let mut v = Validator::new();
    for (field, present) in given {
        if required.contains(&field) {
            v.check(
                present,
                field,
                &format!("is required to {}", t.action.as_str()),
            );
        } else if !optional.contains(&field) {
            v.check(
                !present,
                field,
                &format!("does not apply to {}", t.action.as_str()),
            );
        }
    }
    v.opt_text("inspector", t.inspector.as_deref(), 100)
        .opt_text("findings", t.findings.as_deref(), 2000)
        .opt_text("approved_by", t.approved_by.as_deref(), 100)
        .opt_text("reason", t.reason.as_deref(), NOTE_MAX)
        .opt_text("note", t.note.as_deref(), NOTE_MAX);
    if let Some(e) = &t.essentials {
        validate_fields(
            &mut v,
            &Fields {
                essentials: Some(e),
                ..Fields::default()
            },
        );
    }
    v.finish()
}

#[utoipa::path(tag = "workrooms", request_body = TransitionRequest, params(
    ("id" = String, Path),
    ("If-Match" = Option<String>, Header, description = "Optional: the ETag you read; stale is a 412"),
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 200, body = Workroom, headers(("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Illegal in the current state; `allowed_actions` lists what is possible", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json")))]
#[post("/workrooms/{id}/transitions")]
pub async fn transition_workroom(
    db: web::Data<Db>,
    caller: Caller,
    idem: Idempotency,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<TransitionRequest>,
) -> ApiResult<HttpResponse> {
    caller.require_any(WRITERS)?;
    validate_transition(&body)?;
    // A version is optional here: the state machine already refuses what no longer fits.
    let expected = match (if_match.0, body.version) {
        (None, None) => None,
        (h, b) => Some(expected_version(IfMatch(h), b)?),
    };
    let req = body.0;
    let (id, input, who) = (id.into_inner(), req.clone(), caller.clone());
    idem.run(&db, &caller.sub, &req, move |c| {
        let t = input;
        let current = find_workroom(c, &id)?;
        require_manager(&who, &current.district_code)?;
        if expected.is_some_and(|v| v != current.version) {
            return Err(ApiError::PreconditionFailed(
                "the workroom was changed by someone else; read it again and retry".into(),
            ));
        }
        let from = status_of(&current)?;
        let essentials = match &t.essentials {
            Some(found) => found.clone(),
            None => parse_essentials(&current.essentials)?,
        };
        let guards = Guards {
            inspection_passed: t.passed.unwrap_or(false),
            essentials_met: essentials.all_met(),
        };
        let to = from.apply(t.action, guards).map_err(|e| match e {
            ApiError::IllegalTransition { allowed, .. }
                if t.action == WorkroomAction::Approve && from == WorkroomStatus::Inspected =>
            {
                ApiError::IllegalTransition {
                    detail: format!(
                        "approval needs all six essentials met; missing: {}",
                        essentials.missing().join(", ")
                    ),
                    allowed,
                }
            }
            other => other,
        })?;
        let mut changes = LifecycleChanges {
            status: to.as_str().into(),
            ..LifecycleChanges::default()
        };
        match t.action {
            WorkroomAction::Inspect => {
                changes.inspected_on = Some(t.date);
                changes.inspector = Some(t.inspector.clone());
                changes.inspection_findings = Some(t.findings.clone());
                changes.inspection_passed = Some(t.passed);
                if let Some(e) = &t.essentials {
                    changes.essentials = Some(essentials_json(e)?);
                }
            }
            WorkroomAction::Approve => {
                if let (Some(date), Some(inspected)) = (t.date, current.inspected_on)
                    && date < inspected
                {
                    return Err(ApiError::field("date", "must not be before the inspection"));
                }
                changes.approved_by = Some(t.approved_by.clone());
                changes.approved_on = Some(t.date);
            }
            WorkroomAction::AwardPlaque => {
                if let (Some(date), Some(approved)) = (t.date, current.approved_on)
                    && date < approved
                {
                    return Err(ApiError::field("date", "must not be before the approval"));
                }
                changes.plaque_awarded_on = Some(t.date);
            }
            WorkroomAction::Suspend | WorkroomAction::Resume | WorkroomAction::Close => {}
        }
        let now = xs_kit::db::now();
        let rows = model::set_lifecycle(c, &id, current.version, &changes, &who.sub, now)?;
        if rows == 0 {
            // Only PostgreSQL gets here (SQLite writers are serialised): another transition
            // landed between our read and write. Nothing was changed; the client may retry.
            return Err(ApiError::Conflict(
                "the workroom changed while this transition was applied; retry".into(),
            ));
        }
        let mut details = serde_json::to_value(&t).map_err(ApiError::internal)?;
        if let Some(o) = details.as_object_mut() {
            o.remove("action");
            o.remove("version");
        }
        model::insert_transition(
            c,
            &TransitionRow {
                id: xs_kit::db::new_id(),
                workroom_id: id.clone(),
                action: t.action.as_str().into(),
                from_status: Some(from.as_str().into()),
                to_status: to.as_str().into(),
                details: details.to_string(),
                created_at: now,
                created_by: who.sub.clone(),
            },
        )?;
        Reply::ok(&Workroom::from_row(find_workroom(c, &id)?, None)?)
    })
    .await
}

#[utoipa::path(tag = "workrooms", params(("id" = String, Path), PageQuery), responses(
    (status = 200, body = Page<HistoryEntry>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/workrooms/{id}/history")]
pub async fn workroom_history(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (id, fetch, after) = (id.into_inner(), page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| {
            visible_workroom(c, &caller, &id)?;
            Ok(model::history(c, &id, after.as_deref(), fetch)?)
        })
        .await?;
    let items = rows
        .into_iter()
        .map(HistoryEntry::from_row)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(page.page(items, |e| e.id.clone(), |e| e)))
}

#[utoipa::path(tag = "workrooms", params(("id" = String, Path), PageQuery), responses(
    (status = 200, body = Page<Assignment>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/workrooms/{id}/members")]
pub async fn list_assignments(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (id, fetch, after) = (id.into_inner(), page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| {
            visible_workroom(c, &caller, &id)?;
            Ok(model::assignments(c, &id, after.as_deref(), fetch)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.page(
        rows,
        |(a, _)| a.member_id.clone(),
        |(a, name)| Assignment::from_row(a, name),
    )))
}

#[utoipa::path(tag = "workrooms", request_body = NewAssignment, params(
    ("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = Assignment, headers(("Location" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already serving here, or the workroom is closed", body = Problem, content_type = "application/problem+json")))]
#[post("/workrooms/{id}/members")]
pub async fn create_assignment(
    db: web::Data<Db>,
    caller: Caller,
    idem: Idempotency,
    id: web::Path<String>,
    body: Json<NewAssignment>,
) -> ApiResult<HttpResponse> {
    caller.require_any(WRITERS)?;
    let body = body.0;
    let (id, input, who) = (id.into_inner(), body.clone(), caller.clone());
    idem.run(&db, &caller.sub, &body, move |c| {
        let b = input;
        let w = find_workroom(c, &id)?;
        require_manager(&who, &w.district_code)?;
        if status_of(&w)? == WorkroomStatus::Closed {
            return Err(ApiError::Conflict("the workroom is closed".into()));
        }
        let mut v = Validator::new();
        check_member(c, &mut v, "member_id", &w.district_code, &b.member_id)?;
        v.finish()?;
        if let Some(a) = model::assignment(c, &id, &b.member_id)? {
            return Err(ApiError::Conflict(format!(
                "the member already serves in this workroom (as {})",
                a.role
            )));
        }
        let row = AssignmentRow {
            workroom_id: id.clone(),
            member_id: b.member_id.clone(),
            role: b.role.as_str().into(),
            created_at: xs_kit::db::now(),
            created_by: who.sub.clone(),
        };
        model::insert_assignment(c, &row)?;
        let name = members::find(c, &b.member_id)?
            .map(|m| m.name)
            .unwrap_or_default();
        Reply::created(
            &Assignment::from_row(row, name),
            format!("/api/v1/workrooms/{id}/members/{}", b.member_id),
        )
    })
    .await
}

#[utoipa::path(tag = "workrooms", params(("id" = String, Path), ("member_id" = String, Path)),
    responses(
    (status = 204, description = "The member no longer serves in the workroom"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[delete("/workrooms/{id}/members/{member_id}")]
pub async fn delete_assignment(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    caller.require_any(WRITERS)?;
    let (id, member_id) = path.into_inner();
    db.write(move |c| {
        let w = find_workroom(c, &id)?;
        require_manager(&caller, &w.district_code)?;
        if model::delete_assignment(c, &id, &member_id)? == 0 {
            return Err(ApiError::not_found("assignment"));
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(tag = "workrooms", params(("id" = String, Path), PageQuery), responses(
    (status = 200, body = Page<AssignmentSuggestion>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/workrooms/{id}/assignment-suggestions")]
pub async fn assignment_suggestions(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    caller.require_any(PLANNERS)?;
    // Ordered by (match, id): residence matches first. The candidates are one subdistrict's
    // unplaced members, so they are ranked here and paged by that pair.
    let page =
        PageRequest::<(rules::SuggestionMatch, String)>::parse(q.limit, q.cursor.as_deref())?;
    let (id, after, fetch) = (id.into_inner(), page.after.clone(), page.fetch() as usize);
    let (ranked, mut specialties) = db
        .read(move |c| {
            let w = find_workroom(c, &id)?;
            caller.require_district(&w.district_code)?;
            let candidates = model::unplaced_members_of(c, &w.district_code, &w.subdistrict_code)?;
            let mut ranked: Vec<_> = candidates
                .into_iter()
                .filter_map(|m| {
                    let matched = rules::suggestion_match(
                        &w.subdistrict_code,
                        m.residence_subdistrict.as_deref(),
                        m.workplace_subdistrict.as_deref(),
                    )?;
                    Some((matched, m))
                })
                .filter(|(k, m)| {
                    after
                        .as_ref()
                        .is_none_or(|(ak, aid)| (*k, &m.id) > (*ak, aid))
                })
                .collect();
            ranked.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
            ranked.truncate(fetch);
            let ids: Vec<&str> = ranked.iter().map(|(_, m)| m.id.as_str()).collect();
            let specialties = members::specialties_of(c, &ids)?;
            Ok((ranked, specialties))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.page(
        ranked,
        |(k, m)| (*k, m.id.clone()),
        |(k, m)| AssignmentSuggestion {
            specialties: specialties.remove(&m.id).unwrap_or_default(),
            member_id: m.id,
            name: m.name,
            sector: m.sector_code,
            residence_subdistrict: m.residence_subdistrict,
            workplace_subdistrict: m.workplace_subdistrict,
            matched_by: k,
        },
    )))
}

#[utoipa::path(tag = "workrooms", params(("id" = String, Path)), responses(
    (status = 200, body = MemberCard),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/members/{id}/card")]
pub async fn member_card(
    db: web::Data<Db>,
    caller: Caller,
    rid: RequestId,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let reader = Reader::new(&caller, &rid);
    let viewer = caller.member_id.clone();
    let card = db
        .read(move |c| {
            let m = members::find(c, &id)?.ok_or_else(|| ApiError::not_found("member"))?;
            let specialties = members::specialties_of(c, &[m.id.as_str()])?
                .remove(&m.id)
                .unwrap_or_default();
            let sector_name = match &m.sector_code {
                Some(s) => model::sector_name(c, s)?,
                None => None,
            };
            // The public sees the studios a member serves that are open, not applications.
            let public = rules::sees_only_active(&caller);
            let workrooms = model::served_by(c, &m.id)?
                .into_iter()
                .filter(|(w, _)| !public || w.status == WorkroomStatus::Active.as_str())
                .map(|(w, role)| {
                    Ok(CardWorkroom {
                        kind: rules::WorkroomKind::parse(&w.kind).ok_or_else(|| {
                            ApiError::internal(std::io::Error::other("stored kind unreadable"))
                        })?,
                        id: w.id,
                        name: w.name,
                        role,
                    })
                })
                .collect::<ApiResult<Vec<_>>>()?;
            let (phone, phone_masked) = shown_phone(&caller, &m.id, &m.district_code, m.phone);
            Ok(MemberCard {
                phone_masked,
                phone,
                id: m.id,
                name: m.name,
                photo_url: m.photo_url,
                sector: m.sector_code,
                sector_name,
                specialties,
                workrooms,
            })
        })
        .await?;
    let mut seen = Disclosures::new();
    let phone = card.phone.as_deref();
    note_phone(
        &mut seen,
        viewer.as_deref(),
        &card.id,
        phone,
        card.phone_masked,
    );
    audit::record(&db, &reader, seen).await?;
    Ok(HttpResponse::Ok().json(card))
}
