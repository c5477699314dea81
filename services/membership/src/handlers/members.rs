//! Members: the register. Managers (admin, a district's office staff) write within their
//! district; a member may edit their own contact fields; phones are masked for everyone
//! outside the member's district staff.

use crate::domain::access::MEMBERS;
use crate::domain::member::{EditRights, edit_rights, may_see_phone, require_manager};
use crate::models::member::{self as model, MemberChanges, MemberFilter, MemberRow};
use crate::models::reference;
use crate::views::member::*;
use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use xs_kit::audit::{self, Disclosures, Reader};
use xs_kit::concurrency::{check_updated, etag, expected_version};
use xs_kit::csv::{self, Export, Format};
use xs_kit::error::Problem;
use xs_kit::extract::{IfMatch, Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::telemetry::RequestId;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, DbConn, Page, PageRequest};

const MAX_SPECIALTIES: usize = 20;

fn validate_fields(
    v: &mut Validator,
    name: Option<&str>,
    birth_year: Option<i32>,
    specialties: Option<&[String]>,
    phone: Option<&str>,
    photo_url: Option<&str>,
) {
    v.opt_text("name", name, 50);
    if let Some(y) = birth_year {
        v.check(
            (1900..=2015).contains(&y),
            "birth_year",
            "must be between 1900 and 2015",
        );
    }
    if let Some(list) = specialties {
        v.texts("specialties", list, 0..=MAX_SPECIALTIES, 50);
    }
    v.phone("phone", phone).url("photo_url", photo_url);
}

/// Referenced codes must exist, and subdistricts must be in the member's district.
fn check_references(
    c: &mut DbConn,
    district: &str,
    sector: Option<&str>,
    subdistricts: [(&str, Option<&str>); 2],
) -> ApiResult<()> {
    let mut v = Validator::new();
    if let Some(s) = sector {
        v.require(reference::sector_exists(c, s)?, "sector", "no such sector");
    }
    for (field, code) in subdistricts {
        if let Some(code) = code {
            match reference::subdistrict(c, code)? {
                None => v.refuse(field, "no such subdistrict"),
                Some(s) if s.district_code != district => {
                    v.refuse(field, "is not in the member's district")
                }
                Some(_) => &mut v,
            };
        }
    }
    v.finish()
}

/// The domain event of a change to a member (in the change's transaction): the member as the
/// feed's least privileged reader sees them, phone masked.
fn record_event(
    c: &mut DbConn,
    event_type: &str,
    row: &MemberRow,
    specialties: Vec<String>,
) -> ApiResult<()> {
    let published = Member::from_row(row.clone(), specialties, false);
    xs_kit::events::emit(
        c,
        event_type,
        row.updated_at,
        &row.district_code,
        format!("/api/v1/members/{}", row.id),
        &published,
    )?;
    Ok(())
}

fn view(c: &mut DbConn, caller: &Caller, row: MemberRow) -> ApiResult<Member> {
    let mut specialties = model::specialties_of(c, &[row.id.as_str()])?;
    let show = may_see_phone(caller, &row.id, &row.district_code);
    let list = specialties.remove(&row.id).unwrap_or_default();
    Ok(Member::from_row(row, list, show))
}

/// List members
///
/// Admins (and services) read every district's register; office staff, coordinators and members
/// read their own district's, dashboards and integrators theirs (or every district when their
/// token names none); a `district` beyond the caller's scope is 403, and without one the list is
/// confined to it. Residents get 403 (they see members' cards instead). Phones are masked
/// (`138****1234`) and `gender`, `birth_year`, `residence_subdistrict` and
/// `workplace_subdistrict` `null` unless the caller is staff of the member's district or the
/// member; the `subdistrict` filter (which would reveal those) is 403 to everyone else. Each
/// personal field served whole to someone else is recorded in the personal-data audit. With `Accept: text/csv` the answer is the whole filtered
/// list as CSV (UTF-8 with BOM, the JSON fields as columns, masked the same way), streamed;
/// `cursor` then starts it after that member, and `limit` does not apply.
#[utoipa::path(tag = "members", params(MemberQuery), responses(
    (status = 200, description = "A page of members; or, for `Accept: text/csv`, every member the filters select",
        content((Page<Member> = "application/json"), (String = "text/csv"))),
    (status = 400, description = "A filter, `limit` or `cursor` is invalid (`limit` with CSV)", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/members")]
pub async fn list_members(
    db: web::Data<Db>,
    caller: Caller,
    rid: RequestId,
    format: Format,
    q: Query<MemberQuery>,
) -> ApiResult<HttpResponse> {
    let scope = MEMBERS.read_scope(&caller)?;
    let q = q.0;
    // Filtering by where members live or work would reveal those fields to callers who see
    // them withheld.
    if q.subdistrict.is_some() && !caller.has_any(MEMBERS.personal_readers) {
        return Err(ApiError::Forbidden(
            "the subdistrict filter is for those who see where members live and work".into(),
        ));
    }
    let district = scope.narrow(q.district, None)?.district;
    let mut v = Validator::new();
    let name = xs_kit::search::query_param(&mut v, "q", q.q);
    csv::no_limit(&mut v, format, q.limit);
    v.finish()?;
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let filter = MemberFilter {
        district,
        subdistrict: q.subdistrict,
        sector: q.sector,
        affiliation: q.affiliation,
        specialty: q.specialty,
        taiwan_origin: q.taiwan_origin,
        status: q.status.map(|s| s.as_str().to_string()),
        name,
    };
    let reader = Reader::new(&caller, &rid);
    let viewer = caller.member_id.clone();
    if format == Format::Csv {
        let export = Export::new("members.csv", Member::CSV_HEADER, reader);
        return csv::export(&db, export, page.after, move |c, after, limit, out| {
            let rows = model::list(c, &filter, after.as_deref(), limit)?;
            let next = csv::next_key(&rows, limit, |r| r.id.clone());
            let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
            let mut specialties = model::specialties_of(c, &ids)?;
            for r in rows {
                let show = may_see_phone(&caller, &r.id, &r.district_code);
                let list = specialties.remove(&r.id).unwrap_or_default();
                let m = Member::from_row(r, list, show);
                m.note_disclosure(out.disclosures(), viewer.as_deref());
                out.row(m.csv_row());
            }
            Ok(next)
        })
        .await;
    }
    let (fetch, after) = (page.fetch(), page.after.clone());
    let result = db
        .read(move |c| {
            let rows = model::list(c, &filter, after.as_deref(), fetch)?;
            let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
            let specialties = model::specialties_of(c, &ids)?;
            Ok((rows, specialties))
        })
        .await?;
    let (rows, mut specialties) = result;
    let body = page.page(
        rows,
        |r| r.id.clone(),
        |r| {
            let show = may_see_phone(&caller, &r.id, &r.district_code);
            let list = specialties.remove(&r.id).unwrap_or_default();
            Member::from_row(r, list, show)
        },
    );
    let mut seen = Disclosures::new();
    for m in &body.items {
        m.note_disclosure(&mut seen, viewer.as_deref());
    }
    audit::record(&db, &reader, seen).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Get a member
///
/// Admins read any member; office staff, coordinators and members those of their own district,
/// dashboards and integrators those of theirs (or any when their token names no district);
/// another district's member is 403, an unknown id 404; residents get 403 (they see the public
/// card instead). Only the member, admins, and
/// office staff and coordinators of the member's district get the phone whole and `gender`,
/// `birth_year`, `residence_subdistrict` and `workplace_subdistrict`; everyone else gets the phone
/// masked (`138****1234`) and those fields `null`. Each personal field served whole to someone
/// else is recorded in the personal-data audit; the `ETag` is the version an update sends.
#[utoipa::path(tag = "members", params(("id" = String, Path)), responses(
    (status = 200, body = Member, headers(("ETag" = String))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/members/{id}")]
pub async fn get_member(
    db: web::Data<Db>,
    caller: Caller,
    rid: RequestId,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let scope = MEMBERS.read_scope(&caller)?;
    let id = id.into_inner();
    let reader = Reader::new(&caller, &rid);
    let viewer = caller.member_id.clone();
    let member = db
        .read(move |c| {
            let row = model::find(c, &id)?.ok_or_else(|| ApiError::not_found("member"))?;
            scope.require(&row.district_code, None, MEMBERS.what)?;
            view(c, &caller, row)
        })
        .await?;
    let mut seen = Disclosures::new();
    member.note_disclosure(&mut seen, viewer.as_deref());
    audit::record(&db, &reader, seen).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(member.version)))
        .json(member))
}

/// Add a member to the register
///
/// Admins, and office staff for their own district (another district is 403). The district, sector
/// and residence and workplace subdistricts must exist, the subdistricts in the member's district
/// (else 400 naming the field). Accepts `Idempotency-Key`: a repeat replays the first answer, the
/// same key with another body is a 422.
#[utoipa::path(tag = "members", request_body = NewMember, params(
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = Member, headers(("Location" = String), ("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/members")]
pub async fn create_member(
    db: web::Data<Db>,
    caller: Caller,
    idem: Idempotency,
    body: Json<NewMember>,
) -> ApiResult<HttpResponse> {
    require_manager(&caller, &body.district)?;
    let mut v = Validator::new();
    v.text("name", &body.name, 50);
    validate_fields(
        &mut v,
        None,
        body.birth_year,
        Some(&body.specialties),
        body.phone.as_deref(),
        body.photo_url.as_deref(),
    );
    v.opt_text("affiliation", body.affiliation.as_deref(), 50)
        .opt_text("term", body.term.as_deref(), 20)
        .finish()?;
    let body = body.0;
    let input = body.clone();
    let who = caller.clone();
    idem.run(&db, &caller.sub, &body, move |c| {
        let b = input;
        if reference::district(c, &b.district)?.is_none() {
            return Err(ApiError::unprocessable("district", "no such district"));
        }
        check_references(
            c,
            &b.district,
            b.sector.as_deref(),
            [
                ("residence_subdistrict", b.residence_subdistrict.as_deref()),
                ("workplace_subdistrict", b.workplace_subdistrict.as_deref()),
            ],
        )?;
        let now = xs_kit::db::now();
        let row = MemberRow {
            id: xs_kit::db::new_id(),
            name: b.name.trim().to_string(),
            gender: b.gender.as_str().into(),
            birth_year: b.birth_year,
            sector_code: b.sector,
            affiliation: b.affiliation,
            district_code: b.district,
            residence_subdistrict: b.residence_subdistrict,
            workplace_subdistrict: b.workplace_subdistrict,
            phone: b.phone,
            photo_url: b.photo_url,
            taiwan_origin: b.taiwan_origin,
            term: b.term,
            status: b.status.as_str().into(),
            version: 1,
            created_at: now,
            created_by: who.sub.clone(),
            updated_at: now,
            updated_by: who.sub.clone(),
        };
        let specialties: Vec<String> = b.specialties.iter().map(|s| s.trim().to_string()).collect();
        model::insert(c, &row, &specialties)?;
        record_event(c, "member.created", &row, specialties)?;
        let id = row.id.clone();
        let member = view(c, &who, row)?;
        Reply::created(&member, format!("/api/v1/members/{id}"))
    })
    .await
}

/// Update a member
///
/// Admins and office staff of the member's district may change any field; a member may change only
/// their own `phone` and `photo_url` (anything more is 403); anyone else gets 403. Absent fields
/// stay, `null` clears. Send the version you read as `If-Match` or `version`: none is a 428, a
/// stale one a 412 (someone else changed it since); the rights are checked first, so a caller who
/// may not change the member gets 403 whatever the version or body. The answer is masked as a
/// read would be.
#[utoipa::path(tag = "members", request_body = MemberPatch, params(
    ("id" = String, Path),
    ("If-Match" = Option<String>, Header, description = "The ETag you read; or send `version` in the body")),
    responses(
    (status = 200, body = Member, headers(("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json")))]
#[patch("/members/{id}")]
pub async fn update_member(
    db: web::Data<Db>,
    caller: Caller,
    rid: RequestId,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<MemberPatch>,
) -> ApiResult<HttpResponse> {
    let patch = body.0;
    // Role before input: the rights are checked first (in the transaction), then the version
    // and the fields.
    let expected = expected_version(if_match, patch.version);
    let mut v = Validator::new();
    validate_fields(
        &mut v,
        patch.name.as_deref(),
        patch.birth_year.flatten(),
        patch.specialties.as_deref(),
        patch.phone.clone().flatten().as_deref(),
        patch.photo_url.clone().flatten().as_deref(),
    );
    v.opt_text(
        "affiliation",
        patch.affiliation.clone().flatten().as_deref(),
        50,
    )
    .opt_text("term", patch.term.clone().flatten().as_deref(), 20);
    let valid = v.finish();
    let id = id.into_inner();
    let reader = Reader::new(&caller, &rid);
    let member = db
        .write(move |c| {
            let current = model::find(c, &id)?.ok_or_else(|| ApiError::not_found("member"))?;
            let rights = edit_rights(&caller, &id, &current.district_code)?;
            let expected = expected?;
            valid?;
            if rights == EditRights::ContactOnly && patch.touches_more_than_contact() {
                return Err(ApiError::Forbidden(
                    "members may change only their own phone and photo".into(),
                ));
            }
            check_references(
                c,
                &current.district_code,
                patch.sector.clone().flatten().as_deref(),
                [
                    (
                        "residence_subdistrict",
                        patch.residence_subdistrict.clone().flatten().as_deref(),
                    ),
                    (
                        "workplace_subdistrict",
                        patch.workplace_subdistrict.clone().flatten().as_deref(),
                    ),
                ],
            )?;
            let changes = MemberChanges {
                name: patch.name.map(|n| n.trim().to_string()),
                gender: patch.gender.map(|g| g.as_str().into()),
                birth_year: patch.birth_year,
                sector_code: patch.sector,
                affiliation: patch.affiliation,
                residence_subdistrict: patch.residence_subdistrict,
                workplace_subdistrict: patch.workplace_subdistrict,
                phone: patch.phone,
                photo_url: patch.photo_url,
                taiwan_origin: patch.taiwan_origin,
                term: patch.term,
                status: patch.status.map(|s| s.as_str().into()),
            };
            let rows = model::update(c, &id, expected, &changes, &caller.sub, xs_kit::db::now())?;
            check_updated(rows, || Ok(model::exists(c, &id)?), "member")?;
            if let Some(list) = &patch.specialties {
                let list: Vec<String> = list.iter().map(|s| s.trim().to_string()).collect();
                model::replace_specialties(c, &id, &list)?;
            }
            let row = model::find(c, &id)?.ok_or_else(|| ApiError::not_found("member"))?;
            let specialties = model::specialties_of(c, &[row.id.as_str()])?
                .remove(&row.id)
                .unwrap_or_default();
            record_event(c, "member.updated", &row, specialties)?;
            let member = view(c, &caller, row)?;
            // The answer shows the phone as it now is: a read like any other, in this write.
            let mut seen = Disclosures::new();
            member.note_disclosure(&mut seen, caller.member_id.as_deref());
            audit::record_in(c, &reader, &seen)?;
            Ok(member)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(member.version)))
        .json(member))
}
