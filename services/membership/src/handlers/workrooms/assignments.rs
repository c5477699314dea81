//! Who serves in a workroom: the list, assigning and releasing members, and suggestions of
//! whom to assign (by where members live and work).

use super::{check_member, find_workroom, status_of, visible_workroom};
use crate::domain::access::{PLACEMENT, WORKROOMS};
use crate::domain::workroom::{self as rules, WorkroomStatus};
use crate::models::member as members;
use crate::models::workroom::{self as model, AssignmentRow};
use crate::views::workroom::*;
use actix_web::{HttpResponse, delete, get, post, web};
use xs_kit::error::Problem;
use xs_kit::extract::{Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::pagination::PageQuery;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, Page, PageRequest};

/// Who serves in a workroom
///
/// Any caller who may see the workroom. `assigned_by` (a staff account id) is `null` for those
/// who see its public face (residents, members, other districts' staff).
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
    let who = caller.clone();
    let (district, rows) = db
        .read(move |c| {
            let w = visible_workroom(c, &who, &id)?;
            Ok((
                w.district_code,
                model::assignments(c, &id, after.as_deref(), fetch)?,
            ))
        })
        .await?;
    // Who assigned whom is the office's record; the public face shows who serves there.
    let office = WORKROOMS.may_read(&caller, &district, None);
    Ok(HttpResponse::Ok().json(page.page(
        rows,
        |(a, _)| a.member_id.clone(),
        |(a, name)| {
            let mut view = Assignment::from_row(a, name);
            if !office {
                view.assigned_by = None;
            }
            view
        },
    )))
}

/// Assign a member to a workroom
///
/// Admins, and office staff of the workroom's district (another district is 403). The member must
/// be an active member of the workroom's district (else 400); 409 when they already serve there or
/// the workroom is closed. Accepts `Idempotency-Key`: a repeat replays the first answer, the same
/// key with another body is a 422.
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
    caller.require_any(WORKROOMS.writers)?;
    let body = body.0;
    let (id, input, who) = (id.into_inner(), body.clone(), caller.clone());
    idem.run(&db, &caller.sub, &body, move |c| {
        let b = input;
        let w = find_workroom(c, &id)?;
        WORKROOMS.require_write(&who, &w.district_code)?;
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

/// Release a member from a workroom
///
/// Admins, and office staff of the workroom's district (another district is 403). 404 when the
/// member does not serve there. Their existing duty shifts are not removed.
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
    caller.require_any(WORKROOMS.writers)?;
    let (id, member_id) = path.into_inner();
    db.write(move |c| {
        let w = find_workroom(c, &id)?;
        WORKROOMS.require_write(&caller, &w.district_code)?;
        if model::delete_assignment(c, &id, &member_id)? == 0 {
            return Err(ApiError::not_found("assignment"));
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Suggest members to assign to a workroom
///
/// Active members of the workroom's district who serve in no workroom yet and live (first) or work
/// in its subdistrict, with their residence and workplace subdistricts (personal fields). For the
/// district's staff only: admins, and office staff and coordinators of the workroom's district;
/// everyone else (integrations included) gets 403.
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
    let scope = PLACEMENT.read_scope(&caller)?;
    // Ordered by (match, id): residence matches first. The candidates are one subdistrict's
    // unplaced members, so they are ranked here and paged by that pair.
    let page =
        PageRequest::<(rules::SuggestionMatch, String)>::parse(q.limit, q.cursor.as_deref())?;
    let (id, after, fetch) = (id.into_inner(), page.after.clone(), page.fetch() as usize);
    let (ranked, mut specialties) = db
        .read(move |c| {
            let w = find_workroom(c, &id)?;
            scope.require(&w.district_code, None, PLACEMENT.what)?;
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
