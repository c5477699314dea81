//! Members' public cards (photo, name, specialty, phone as the caller may see it) and the
//! workrooms they serve in.

use crate::domain::member::{note_phone, shown_phone};
use crate::domain::workroom::{self as rules, WorkroomKind, WorkroomStatus};
use crate::models::member as members;
use crate::models::workroom as model;
use crate::views::workroom::*;
use actix_web::{HttpResponse, get, web};
use xs_kit::audit::{self, Disclosures, Reader};
use xs_kit::enums::stored;
use xs_kit::error::{OrNotFound, Problem};
use xs_kit::telemetry::RequestId;
use xs_kit::{ApiResult, Caller, Db};

/// Get a member's public card
///
/// Photo, name, sector, specialties, phone and the workrooms the member serves (closed ones left
/// out). Any signed-in caller; residents see only the member's active workrooms. The phone is
/// masked (`138****1234`) unless the caller is the member, an admin, or office staff or a
/// coordinator of the member's district; each whole phone served to someone else is recorded in
/// the personal-data audit.
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
            let m = members::find(c, &id)?.or_not_found("member")?;
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
                        kind: stored::<WorkroomKind>("workroom kind", &w.kind)?,
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
    note_phone(
        &mut seen,
        viewer.as_deref(),
        &card.id,
        card.phone.as_deref(),
        card.phone_masked,
    );
    audit::record(&db, &reader, seen).await?;
    Ok(HttpResponse::Ok().json(card))
}
