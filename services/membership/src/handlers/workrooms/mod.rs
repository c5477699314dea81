//! Workrooms: the register of studios, activity rooms, liaison groups and liaison points
//! (`register`), their lifecycle (`lifecycle`: one transitions endpoint and the history), who
//! serves in them (`assignments`), and members' public cards (`cards`).
//!
//! Reads are open to every signed-in role (the app shows workrooms to residents, active ones
//! only). Writes are for admins and the office staff of the workroom's district. Assignment
//! suggestions reveal where members live and work, so they are for district staff
//! (coordinators included) only.

mod assignments;
mod cards;
mod lifecycle;
pub(crate) use lifecycle::transition_rules;
mod register;

pub use assignments::*;
pub use cards::*;
pub use lifecycle::*;
pub use register::*;

use crate::domain::workroom::{self as rules, WorkroomStatus};
use crate::models::member as members;
use crate::models::reference;
use crate::models::workroom::{self as model, WorkroomRow};
use crate::views::member::MemberStatus;
use crate::views::workroom::Workroom;
use actix_web::HttpResponse;
use actix_web::http::header;
use xs_kit::concurrency::etag;
use xs_kit::enums::stored;
use xs_kit::error::OrNotFound;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, DbConn};

pub(super) const NOTE_MAX: usize = 500;

/// The descriptive fields shared by create and update; `None` is "not given".
#[derive(Default)]
pub(super) struct Fields<'a> {
    pub(super) name: Option<&'a str>,
    pub(super) address: Option<&'a str>,
    pub(super) host_organisation: Option<&'a str>,
    pub(super) opening_hours: Option<&'a str>,
    pub(super) latitude: Option<f64>,
    pub(super) longitude: Option<f64>,
    pub(super) reception_days: Option<&'a [rules::Weekday]>,
    pub(super) essentials: Option<&'a rules::Essentials>,
}

pub(super) fn validate_fields(v: &mut Validator, f: &Fields) {
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

pub(super) fn days_json(days: &[rules::Weekday]) -> ApiResult<String> {
    let mut days = days.to_vec();
    days.sort();
    serde_json::to_string(&days).map_err(ApiError::internal)
}

pub(super) fn essentials_json(e: &rules::Essentials) -> ApiResult<String> {
    serde_json::to_string(e).map_err(ApiError::internal)
}

/// Where a workroom sits: the subdistrict must be in its district, the community (if any) in
/// the subdistrict. Each unknown or misplaced reference is a 422 naming its field.
pub(super) fn check_place(
    c: &mut DbConn,
    v: &mut Validator,
    district: &str,
    subdistrict: &str,
    community: Option<&str>,
) -> ApiResult<()> {
    match reference::subdistrict(c, subdistrict)? {
        None => {
            v.refuse("subdistrict", "no such subdistrict");
            return Ok(());
        }
        Some(s) if s.district_code != district => {
            v.refuse("subdistrict", "is not in the workroom's district");
            return Ok(());
        }
        Some(_) => {}
    }
    if let Some(code) = community {
        match model::community_subdistrict(c, code)? {
            None => v.refuse("community", "no such community"),
            Some(s) if s != subdistrict => v.refuse("community", "is not in the subdistrict"),
            Some(_) => v,
        };
    }
    Ok(())
}

/// A convener (or an assigned member) must be an active member of the workroom's district.
pub(super) fn check_member(
    c: &mut DbConn,
    v: &mut Validator,
    field: &str,
    district: &str,
    member_id: &str,
) -> ApiResult<()> {
    match members::find(c, member_id)? {
        None => v.refuse(field, "no such member"),
        Some(m) if m.district_code != district => {
            v.refuse(field, "is not a member of the workroom's district")
        }
        Some(m) if m.status != MemberStatus::Active.as_str() => {
            v.refuse(field, "is not an active member")
        }
        Some(_) => v,
    };
    Ok(())
}

/// The workroom, or a 404.
pub(super) fn find_workroom(c: &mut DbConn, id: &str) -> ApiResult<WorkroomRow> {
    model::find(c, id)?.or_not_found("workroom")
}

/// The workroom as this caller may see it: the public gets a 404 for one that is not active.
pub(super) fn visible_workroom(
    c: &mut DbConn,
    caller: &Caller,
    id: &str,
) -> ApiResult<WorkroomRow> {
    model::find_visible(c, id, rules::sees_only_active(caller))?.or_not_found("workroom")
}

pub(super) fn status_of(row: &WorkroomRow) -> ApiResult<WorkroomStatus> {
    stored("workroom status", &row.status)
}

pub(super) fn with_etag(w: &Workroom) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(w.version)))
        .json(w)
}
