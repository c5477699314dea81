//! Topics (议题): raised three ways (assigned, public, member_chosen), claimed, scheduled and
//! consulted through consultations, resolved or not; declined with a reason or merged into
//! another. Residents see their own topics whole and the public face of public topics of
//! active workrooms (no one's identity); the district's staff see residents' contact details
//! whole (audited), members and integrations masked.

use super::{
    active_workrooms, bad_reference, check_codes, check_member, check_members, check_place,
    check_workroom, move_topic, trimmed,
};
use crate::domain::access::TOPICS;
use crate::domain::consultation::days_between;
use crate::domain::topic::{
    Face, Guards, TopicAction, TopicOrigin, TopicStatus, Viewer, publicly_listed, raiser_role,
    require_raiser, scoped_face, viewer,
};
use crate::models::topic::{self as model, ResidentFilter, TopicChanges, TopicFilter, TopicRow};
use crate::views::HistoryEntry;
use crate::views::topic::*;
use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use xs_kit::audit::{self, Disclosures, Reader};
use xs_kit::client::ServiceClient;
use xs_kit::concurrency::{check_updated, etag, expected_version};
use xs_kit::enums::stored;
use xs_kit::error::Problem;
use xs_kit::extract::{IfMatch, Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::lifecycle::{self, Move, Publish};
use xs_kit::pagination::PageQuery;
use xs_kit::telemetry::RequestId;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, DbConn, Page, PageRequest, Role};

/// The audit's name for a topic's contact details as the subject of a personal-data read.
const AUDIT_SUBJECT: &str = "topic_contact";

fn status_of(r: &TopicRow) -> ApiResult<TopicStatus> {
    stored("topic status", &r.status)
}

/// What this caller sees of a topic.
fn face_of(caller: &Caller, viewer: &Viewer, r: &TopicRow) -> Face {
    match viewer {
        Viewer::Resident(sub) if *sub == r.raised_by => Face::Raiser,
        Viewer::Resident(_) => Face::Public,
        Viewer::Scoped(_) => scoped_face(caller, &r.district_code),
    }
}

/// The actions this caller may take on the topic now: writers all the lifecycle allows by
/// hand, members of its district `claim`, others none.
fn actions_for(caller: &Caller, r: &TopicRow) -> ApiResult<Vec<TopicAction>> {
    let guards = Guards {
        by_consultation: false,
        has_claimants: !r.claimants().is_empty(),
    };
    let all = lifecycle::allowed(status_of(r)?, &guards);
    Ok(if TOPICS.may_write(caller, &r.district_code) {
        all
    } else if may_claim_as_member(caller, &r.district_code) {
        all.into_iter()
            .filter(|a| *a == TopicAction::Claim)
            .collect()
    } else {
        Vec::new()
    })
}

fn may_claim_as_member(caller: &Caller, district: &str) -> bool {
    caller.has(Role::Member) && caller.member_id.is_some() && caller.covers_district(district)
}

/// Note the contact details served whole to someone other than whoever raised the topic.
fn note_contact(seen: &mut Disclosures, caller: &Caller, t: &Topic) {
    let whole = (t.contact_name.is_some() || t.contact_phone.is_some()) && !t.contact_masked;
    if whole && t.raised_by.as_deref() != Some(caller.sub.as_str()) {
        seen.note(AUDIT_SUBJECT, &t.id, &["contact_name", "contact_phone"]);
    }
}

fn view(c: &mut DbConn, caller: &Caller, viewer: &Viewer, r: TopicRow) -> ApiResult<Topic> {
    let face = face_of(caller, viewer, &r);
    let consultations = model::consultations_of(c, &r.id)?;
    let actions = if matches!(viewer, Viewer::Scoped(_)) {
        actions_for(caller, &r)?
    } else {
        Vec::new()
    };
    Topic::from_row(r, face, consultations, actions)
}

fn with_etag(t: &Topic) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(t.version)))
        .json(t)
}

/// The topic as this caller may read it: 404 if there is none, or (for a resident) if it is
/// neither theirs, nor one theirs was merged into, nor a public topic of an active workroom;
/// 403 if it lies outside a scoped caller's district.
async fn readable(
    db: &Db,
    client: &ServiceClient,
    viewer: &Viewer,
    id: String,
) -> ApiResult<TopicRow> {
    let v = viewer.clone();
    let (row, followed) = db
        .read(move |c| {
            let row = model::find(c, &id)?.ok_or_else(|| ApiError::not_found("topic"))?;
            let followed = match &v {
                Viewer::Resident(sub) => model::merged_into_of(c, sub)?.contains(&row.id),
                Viewer::Scoped(_) => false,
            };
            Ok((row, followed))
        })
        .await?;
    match viewer {
        Viewer::Scoped(scope) => {
            scope.require(&row.district_code, None, TOPICS.what)?;
            Ok(row)
        }
        Viewer::Resident(sub) if *sub == row.raised_by || followed => Ok(row),
        Viewer::Resident(_) => {
            let listed = publicly_listed(
                stored("topic origin", &row.origin)?,
                status_of(&row)?,
                row.workroom_id.as_deref(),
            );
            let active = match (&row.workroom_id, listed) {
                (Some(w), true) => active_workrooms(client, [w.clone()])
                    .await?
                    .get(w)
                    .copied()
                    .unwrap_or(false),
                _ => false,
            };
            if active {
                Ok(row)
            } else {
                Err(ApiError::not_found("topic"))
            }
        }
    }
}

/// List topics
///
/// The district's office staff, coordinators and members see their district's topics;
/// admins and read-only integrations (dashboards, integrators) citywide or their token's
/// district. Residents see the topics they raised (with status and any reason for declining),
/// those theirs were merged into, and public topics of active workrooms — the public face,
/// with no one's identity (`raised_by`, contact details, `created_by`/`updated_by` are
/// `null`); `mine=true` keeps their own only. Contact details of public topics are whole for
/// the district's staff (recorded in the personal-data audit) and masked for members and
/// integrations. `q` searches titles and descriptions (Chinese substrings).
#[utoipa::path(tag = "topics", params(TopicQuery), responses(
    (status = 200, body = Page<Topic>),
    (status = 400, description = "A filter, `q`, `limit` or `cursor` is invalid", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "The role may not read topics, or `district` is outside the caller's scope", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database, or (for residents) membership, is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/topics")]
pub async fn list_topics(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    rid: RequestId,
    q: Query<TopicQuery>,
) -> ApiResult<HttpResponse> {
    let viewer = viewer(&caller)?;
    let q = q.0;
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let mut v = Validator::new();
    let text = xs_kit::search::query_param(&mut v, "q", q.q);
    v.finish()?;
    let mut filter = TopicFilter {
        district: q.district,
        subdistrict: q.subdistrict,
        community: q.community,
        workroom: q.workroom,
        status: q.status.map(|s| s.as_str().to_string()),
        origin: q.origin.map(|s| s.as_str().to_string()),
        category: q.category.map(|s| s.as_str().to_string()),
        q: text,
        resident: None,
    };
    match &viewer {
        Viewer::Scoped(scope) => {
            if q.mine.is_some() {
                return Err(ApiError::unprocessable("mine", "is for residents"));
            }
            filter.district = scope.narrow(filter.district.take(), None)?.district;
        }
        Viewer::Resident(sub) => {
            filter.resident = Some(ResidentFilter {
                sub: sub.clone(),
                mine_only: q.mine.unwrap_or(false),
            });
        }
    }
    let (fetch, after) = (page.fetch(), page.after.clone());
    let res_sub = match &viewer {
        Viewer::Resident(s) => Some(s.clone()),
        Viewer::Scoped(_) => None,
    };
    let (rows, mut consultations, followed) = db
        .read(move |c| {
            let rows = model::list(c, &filter, after.as_deref(), fetch)?;
            let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
            let consultations = model::consultations_of_all(c, &ids)?;
            let followed = match &res_sub {
                Some(s) => model::merged_into_of(c, s)?,
                None => Vec::new(),
            };
            Ok((rows, consultations, followed))
        })
        .await?;
    // Residents: public topics of others count only at active workrooms.
    let active = match &viewer {
        Viewer::Resident(sub) => {
            let asked = rows
                .iter()
                .filter(|r| r.raised_by != *sub && !followed.contains(&r.id))
                .filter_map(|r| r.workroom_id.clone());
            active_workrooms(&client, asked).await?
        }
        Viewer::Scoped(_) => Default::default(),
    };
    let mut views = Vec::new();
    let more = rows.len() as i64 > page.limit;
    let mut rows = rows;
    rows.truncate(page.limit as usize);
    let last = rows.last().map(|r| r.id.clone());
    for r in rows {
        let shown = match &viewer {
            Viewer::Resident(sub) if r.raised_by != *sub && !followed.contains(&r.id) => r
                .workroom_id
                .as_ref()
                .is_some_and(|w| active.get(w).copied().unwrap_or(false)),
            _ => true,
        };
        if !shown {
            continue;
        }
        let list = consultations.remove(&r.id).unwrap_or_default();
        let actions = match &viewer {
            Viewer::Scoped(_) => actions_for(&caller, &r)?,
            Viewer::Resident(_) => Vec::new(),
        };
        let face = face_of(&caller, &viewer, &r);
        views.push(Topic::from_row(r, face, list, actions)?);
    }
    let body = Page {
        items: views,
        next_cursor: if more {
            last.map(|k| xs_kit::pagination::encode_cursor(&k))
        } else {
            None
        },
    };
    let mut seen = Disclosures::new();
    for t in &body.items {
        note_contact(&mut seen, &caller, t);
    }
    audit::record(&db, &Reader::new(&caller, &rid), seen).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Read a topic
///
/// Who sees what is as in the list: the district's staff, coordinators and members (their
/// district), admins and integrations; a resident their own topic (status, reason for
/// declining), one theirs was merged into, or a public topic of an active workroom (its
/// public face, no one's identity) — any other topic is 404 to them. Contact details are
/// whole for the district's staff (audited), masked for members and integrations.
#[utoipa::path(tag = "topics", params(("id" = String, Path)), responses(
    (status = 200, body = Topic, headers(("ETag" = String))),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 503, body = Problem, content_type = "application/problem+json")))]
#[get("/topics/{id}")]
pub async fn get_topic(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    rid: RequestId,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let viewer = viewer(&caller)?;
    let row = readable(&db, &client, &viewer, id.into_inner()).await?;
    let (who, v) = (caller.clone(), viewer.clone());
    let topic = db.read(move |c| view(c, &who, &v, row)).await?;
    let mut seen = Disclosures::new();
    note_contact(&mut seen, &caller, &topic);
    audit::record(&db, &Reader::new(&caller, &rid), seen).await?;
    Ok(with_etag(&topic))
}

fn validate_new(b: &NewTopic) -> ApiResult<()> {
    let mut v = Validator::new();
    v.text("title", &b.title, 100)
        .text("description", &b.description, 4000)
        .code("district", &b.district)
        .code("subdistrict", &b.subdistrict)
        .opt_text("workroom", b.workroom.as_deref(), 64)
        .opt_text("proposer_member", b.proposer_member.as_deref(), 64);
    check_codes(&mut v, &[("community", b.community.as_deref())]);
    if let Some(contact) = &b.contact {
        // Schema-valid on its own; only the origin rules it out: 422.
        v.require(
            b.origin == TopicOrigin::Public,
            "contact",
            "is for public topics (a resident's contact details)",
        )
        .opt_text("contact.name", contact.name.as_deref(), 50)
        .phone("contact.phone", contact.phone.as_deref());
    }
    if b.origin != TopicOrigin::MemberChosen {
        // Schema-valid on its own; only the origin rules it out: 422.
        v.require(
            b.proposer_member.is_none(),
            "proposer_member",
            "is for member-chosen topics",
        );
    }
    v.finish()
}

/// Raise a topic
///
/// `assigned` topics (点题) are set by the district's coordinators and office staff (and
/// admins); `public` topics (出题) are posed by residents — for an active workroom when they
/// name one — or recorded by the district's staff on a resident's behalf, with the resident's
/// optional contact details; `member_chosen` topics (选答题) are proposed by a member of the
/// district (or by staff naming the member). The subdistrict, community, workroom and member
/// are checked with membership: one that does not exist or lies in another district is 422
/// naming the field; membership down is 503. The topic starts `open`.
#[utoipa::path(tag = "topics", request_body = NewTopic, params(
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = Topic, headers(("Location" = String), ("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "The caller may not raise a topic of this origin in this district", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "A referenced subdistrict, community, workroom or member does not exist or lies elsewhere", body = Problem, content_type = "application/problem+json"),
    (status = 503, body = Problem, content_type = "application/problem+json")))]
#[post("/topics")]
pub async fn create_topic(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    idem: Idempotency,
    body: Json<NewTopic>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    require_raiser(&caller, b.origin, &b.district)?;
    validate_new(&b)?;
    check_place(&client, &b.district, &b.subdistrict, b.community.as_deref()).await?;
    if let Some(w) = &b.workroom {
        let room = check_workroom(&client, "workroom", w.trim(), &b.district).await?;
        if b.origin == TopicOrigin::Public && room.status != "active" {
            return Err(bad_reference("workroom", "is not an active workroom"));
        }
    }
    let staff = TOPICS.may_write(&caller, &b.district);
    let proposer = match b.origin {
        TopicOrigin::MemberChosen if !staff => {
            if b.proposer_member
                .as_deref()
                .is_some_and(|m| Some(m.trim()) != caller.member_id.as_deref())
            {
                return Err(ApiError::Forbidden(
                    "members propose topics in their own name".into(),
                ));
            }
            caller.member_id.clone()
        }
        TopicOrigin::MemberChosen => {
            let Some(m) = b.proposer_member.as_deref().map(str::trim) else {
                // Optional in the schema (members raising one leave it out): 422.
                return Err(ApiError::unprocessable(
                    "proposer_member",
                    "is required when staff raise a member-chosen topic",
                ));
            };
            check_member(&client, "proposer_member", m, &b.district).await?;
            Some(m.to_string())
        }
        _ => None,
    };
    let (input, who) = (b.clone(), caller.clone());
    idem.run(&db, &caller.sub, &b, move |c| {
        let now = xs_kit::db::now();
        let contact = input.contact.clone();
        let row = TopicRow {
            id: xs_kit::db::new_id(),
            title: input.title.trim().to_string(),
            description: input.description.trim().to_string(),
            district_code: input.district.clone(),
            subdistrict_code: input.subdistrict.clone(),
            community_code: input.community.clone(),
            workroom_id: input.workroom.as_deref().map(|w| w.trim().to_string()),
            category: input.category.as_str().into(),
            origin: input.origin.as_str().into(),
            status: TopicStatus::Open.as_str().into(),
            raised_by: who.sub.clone(),
            raised_by_role: raiser_role(&who).as_str().into(),
            proposer_member_id: proposer,
            contact_name: contact.as_ref().and_then(|c| c.name.clone()),
            contact_phone: contact.as_ref().and_then(|c| c.phone.clone()),
            claimed_members: "[]".into(),
            claimed_workroom_id: None,
            declined_reason: None,
            merged_into: None,
            raised_on: now.date(),
            resolved_on: None,
            resolution_days: None,
            version: 1,
            created_at: now,
            created_by: who.sub.clone(),
            updated_at: now,
            updated_by: who.sub.clone(),
        };
        model::insert(c, &row)?;
        let id = row.id.clone();
        let published = Topic::from_row(row.clone(), Face::Register, vec![], vec![])?;
        Move::<TopicStatus> {
            subject_id: id.clone(),
            from: None,
            action: "raise".into(),
            to: TopicStatus::Open,
            details: serde_json::json!({"origin": input.origin}),
            by: who.sub.clone(),
            at: now,
        }
        .record(
            c,
            Publish {
                district: Some(row.district_code.clone()),
                subject: format!("/api/v1/topics/{id}"),
                data: serde_json::to_value(&published).map_err(ApiError::internal)?,
            },
        )?;
        let viewer = viewer(&who)?;
        let topic = view(c, &who, &viewer, row)?;
        Reply::created(&topic, format!("/api/v1/topics/{id}"))
    })
    .await
}

/// Change a topic's description
///
/// Title, description, category and community, by admins and the district's office staff
/// and coordinators, while the topic is open or claimed (409 after). Send the version you
/// read (`If-Match` or `version`): 428 without, 412 when stale.
#[utoipa::path(tag = "topics", request_body = TopicPatch, params(
    ("id" = String, Path),
    ("If-Match" = Option<String>, Header, description = "The ETag you read; or send `version` in the body")),
    responses(
    (status = 200, body = Topic, headers(("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
    (status = 503, body = Problem, content_type = "application/problem+json")))]
#[patch("/topics/{id}")]
pub async fn update_topic(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    rid: RequestId,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<TopicPatch>,
) -> ApiResult<HttpResponse> {
    caller.require_any(TOPICS.writers)?;
    let patch = body.0;
    let expected = expected_version(if_match, patch.version);
    let mut v = Validator::new();
    v.opt_text("title", patch.title.as_deref(), 100).opt_text(
        "description",
        patch.description.as_deref(),
        4000,
    );
    check_codes(
        &mut v,
        &[("community", patch.community.clone().flatten().as_deref())],
    );
    let valid = v.finish();
    let id = id.into_inner();
    let key = id.clone();
    let current = db
        .read(move |c| model::find(c, &key)?.ok_or_else(|| ApiError::not_found("topic")))
        .await?;
    TOPICS.require_write(&caller, &current.district_code)?;
    // Role and scope before input: the version and the fields come after.
    let expected = expected?;
    valid?;
    if let Some(Some(community)) = &patch.community {
        check_place(
            &client,
            &current.district_code,
            &current.subdistrict_code,
            Some(community),
        )
        .await?;
    }
    let reader = Reader::new(&caller, &rid);
    let topic = db
        .write(move |c| {
            let row = model::find(c, &id)?.ok_or_else(|| ApiError::not_found("topic"))?;
            if !status_of(&row)?.is_open() {
                return Err(ApiError::Conflict(format!(
                    "a topic that is {} can no longer be edited",
                    row.status
                )));
            }
            let changes = TopicChanges {
                title: patch.title.map(|t| t.trim().to_string()),
                description: patch.description.map(|t| t.trim().to_string()),
                category: patch.category.map(|t| t.as_str().to_string()),
                community_code: patch.community,
            };
            let n = model::update(c, &id, expected, &changes, &caller.sub, xs_kit::db::now())?;
            check_updated(n, || Ok(model::exists(c, &id)?), "topic")?;
            let row = model::find(c, &id)?.ok_or_else(|| ApiError::not_found("topic"))?;
            let viewer = viewer(&caller)?;
            let topic = view(c, &caller, &viewer, row)?;
            let mut seen = Disclosures::new();
            note_contact(&mut seen, &caller, &topic);
            audit::record_in(c, &reader, &seen)?;
            Ok(topic)
        })
        .await?;
    Ok(with_etag(&topic))
}

/// Which fields each action takes: (required, optional); anything else is refused.
fn transition_fields(action: TopicAction) -> (&'static [&'static str], &'static [&'static str]) {
    match action {
        TopicAction::Claim => (&[], &["members", "workroom", "note"]),
        TopicAction::Decline => (&["reason"], &[]),
        TopicAction::Merge => (&["into"], &["note"]),
        TopicAction::Resolve | TopicAction::LeaveUnresolved => (&[], &["date", "note"]),
        _ => (&[], &[]),
    }
}

/// The same table for the API document (`xs_kit::apidoc::by_action`).
pub(crate) fn transition_rules() -> Vec<xs_kit::apidoc::ActionFields> {
    TopicAction::ALL
        .iter()
        .map(|a| {
            let (required, optional) = transition_fields(*a);
            (a.as_str(), required, optional)
        })
        .collect()
}

fn validate_transition(t: &TopicTransition) -> ApiResult<()> {
    let given = [
        ("members", t.members.is_some()),
        ("workroom", t.workroom.is_some()),
        ("reason", t.reason.is_some()),
        ("into", t.into.is_some()),
        ("date", t.date.is_some()),
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
    v.opt_text("reason", t.reason.as_deref(), 500)
        .opt_text("note", t.note.as_deref(), 500)
        .opt_text("into", t.into.as_deref(), 64)
        .opt_text("workroom", t.workroom.as_deref(), 64);
    if let Some(m) = &t.members {
        v.texts("members", m, 0..=50, 64);
    }
    if let Some(d) = t.date {
        v.step_date("date", d, None);
    }
    v.finish()
}

/// Move a topic through its lifecycle
///
/// `claim` (open or claimed → claimed: members and/or a workroom take it up; a member of the
/// district may claim it for themself, staff name the members), `decline` (open → declined,
/// with a reason shown to whoever raised it), `merge` (open → merged into another open or
/// claimed topic of the district; whoever raised this one follows that one), `resolve` /
/// `leave_unresolved` (consulted → resolved / unresolved). `schedule`, `unschedule` and
/// `consult` are made by consultations and refused here. Anything illegal in the current state
/// is 409 with `allowed_actions`. Admins and the district's office staff and coordinators;
/// members only `claim`. Members and workrooms named are checked with membership (422).
#[utoipa::path(tag = "topics", request_body = TopicTransition, params(
    ("id" = String, Path),
    ("If-Match" = Option<String>, Header, description = "Optional: the ETag you read; stale is a 412"),
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 200, body = Topic, headers(("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Illegal in the current state; `allowed_actions` lists what is possible", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "A member, workroom or `into` topic does not exist or lies elsewhere", body = Problem, content_type = "application/problem+json"),
    (status = 503, body = Problem, content_type = "application/problem+json")))]
#[post("/topics/{id}/transitions")]
#[allow(clippy::too_many_arguments)]
pub async fn transition_topic(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    caller: Caller,
    rid: RequestId,
    idem: Idempotency,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<TopicTransition>,
) -> ApiResult<HttpResponse> {
    validate_transition(&body)?;
    let expected = match (if_match.0, body.version) {
        (None, None) => None,
        (h, b) => Some(expected_version(IfMatch(h), b)?),
    };
    let t = body.0;
    let id = id.into_inner();
    let key = id.clone();
    let current = db
        .read(move |c| model::find(c, &key)?.ok_or_else(|| ApiError::not_found("topic")))
        .await?;
    let district = current.district_code.clone();
    // Role before input: who may take this action here.
    let as_member = !TOPICS.may_write(&caller, &district);
    if t.action == TopicAction::Claim && as_member {
        if !may_claim_as_member(&caller, &district) {
            return Err(TOPICS
                .require_write(&caller, &district)
                .err()
                .unwrap_or_else(|| {
                    ApiError::Forbidden(
                        "topics are claimed by the district's members and staff".into(),
                    )
                }));
        }
        let me = caller.member_id.clone().unwrap_or_default();
        if t.workroom.is_some()
            || t.members
                .as_ref()
                .is_some_and(|m| trimmed(m) != [me.clone()])
        {
            return Err(ApiError::Forbidden(
                "members claim topics for themselves only".into(),
            ));
        }
    } else {
        TOPICS.require_write(&caller, &district)?;
    }
    let mut claimants: Vec<String> = Vec::new();
    if t.action == TopicAction::Claim {
        claimants = match &t.members {
            Some(m) => trimmed(m),
            None if as_member => caller.member_id.clone().into_iter().collect(),
            None => Vec::new(),
        };
        if claimants.is_empty() && t.workroom.is_none() {
            return Err(ApiError::unprocessable(
                "members",
                "name the members or the workroom that claim the topic",
            ));
        }
        check_members(&client, "members", &claimants, &district).await?;
        if let Some(w) = &t.workroom {
            check_workroom(&client, "workroom", w.trim(), &district).await?;
        }
    }
    let reader = Reader::new(&caller, &rid);
    let who = caller.clone();
    idem.run(&db, &caller.sub, &t.clone(), move |c| {
        if !xs_kit::rows::lock(c, "topics", &id)? {
            return Err(ApiError::not_found("topic"));
        }
        let row = model::find(c, &id)?.ok_or_else(|| ApiError::not_found("topic"))?;
        if expected.is_some_and(|v| v != row.version) {
            return Err(ApiError::PreconditionFailed(
                "the topic was changed by someone else; read it again and retry".into(),
            ));
        }
        let guards = Guards {
            by_consultation: false,
            has_claimants: !row.claimants().is_empty(),
        };
        // The state first: an illegal move is a 409 whatever else the request says.
        lifecycle::apply(status_of(&row)?, t.action, &guards)?;
        let now = xs_kit::db::now();
        let mut details = serde_json::to_value(&t).map_err(ApiError::internal)?;
        if let Some(o) = details.as_object_mut() {
            o.remove("action");
            o.remove("version");
            o.retain(|_, v| !v.is_null());
        }
        let after = match t.action {
            TopicAction::Claim => {
                let mut all = row.claimants();
                for m in &claimants {
                    if !all.contains(m) {
                        all.push(m.clone());
                    }
                }
                let list = serde_json::to_string(&all).map_err(ApiError::internal)?;
                let room = t.workroom.as_deref().map(|w| w.trim().to_string());
                move_topic(
                    c,
                    &row,
                    t.action,
                    &guards,
                    |ch| {
                        ch.claimed_members = Some(list);
                        if room.is_some() {
                            ch.claimed_workroom_id = Some(room);
                        }
                    },
                    details,
                    &who.sub,
                    now,
                )?
            }
            TopicAction::Decline => {
                let reason = t.reason.as_deref().map(|r| r.trim().to_string());
                move_topic(
                    c,
                    &row,
                    t.action,
                    &guards,
                    |ch| {
                        ch.declined_reason = Some(reason);
                    },
                    details,
                    &who.sub,
                    now,
                )?
            }
            TopicAction::Merge => {
                let into = t
                    .into
                    .as_deref()
                    .map(str::trim)
                    .unwrap_or_default()
                    .to_string();
                if into == row.id {
                    return Err(bad_reference(
                        "into",
                        "a topic cannot be merged into itself",
                    ));
                }
                let Some(target) = model::find(c, &into)? else {
                    return Err(bad_reference("into", "no such topic"));
                };
                if target.district_code != row.district_code {
                    return Err(bad_reference("into", "is a topic of another district"));
                }
                if !status_of(&target)?.is_open() {
                    return Err(bad_reference(
                        "into",
                        &format!("is {}; merge into an open or claimed topic", target.status),
                    ));
                }
                move_topic(
                    c,
                    &row,
                    t.action,
                    &guards,
                    |ch| {
                        ch.merged_into = Some(Some(into));
                    },
                    details,
                    &who.sub,
                    now,
                )?
            }
            TopicAction::Resolve | TopicAction::LeaveUnresolved => {
                let on = t.date.unwrap_or(now.date());
                if on < row.raised_on {
                    return Err(ApiError::unprocessable(
                        "date",
                        "must not be before the topic was raised",
                    ));
                }
                let resolved = t.action == TopicAction::Resolve;
                let days = days_between(row.raised_on, on);
                move_topic(
                    c,
                    &row,
                    t.action,
                    &guards,
                    |ch| {
                        if resolved {
                            ch.resolved_on = Some(Some(on));
                            ch.resolution_days = Some(Some(days));
                        }
                    },
                    details,
                    &who.sub,
                    now,
                )?
            }
            // Refused by the guard above; kept exhaustive.
            TopicAction::Schedule | TopicAction::Unschedule | TopicAction::Consult => {
                return Err(ApiError::Conflict("made by consultations".into()));
            }
        };
        let viewer = viewer(&who)?;
        let topic = view(c, &who, &viewer, after)?;
        let mut seen = Disclosures::new();
        note_contact(&mut seen, &who, &topic);
        audit::record_in(c, &reader, &seen)?;
        Reply::ok(&topic)
    })
    .await
}

/// A topic's lifecycle history
///
/// Every step from raising on, oldest first, with what each recorded (reasons, the
/// consultation that scheduled, held or closed it) and the account that took it. The office's
/// record: admins, the district's office staff, coordinators and members, and read-only
/// integrations; residents and other districts' staff get 403.
#[utoipa::path(tag = "topics", params(("id" = String, Path), PageQuery), responses(
    (status = 200, body = Page<HistoryEntry>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/topics/{id}/history")]
pub async fn topic_history(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let scope = TOPICS.read_scope(&caller)?;
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (id, fetch, after) = (id.into_inner(), page.fetch(), page.after.clone());
    let rows = db
        .read(move |c| {
            let t = model::find(c, &id)?.ok_or_else(|| ApiError::not_found("topic"))?;
            scope.require(&t.district_code, None, "topic histories")?;
            Ok(lifecycle::history::<TopicStatus>(
                c,
                &id,
                after.as_deref(),
                fetch,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.page(rows, |e| e.id.clone(), HistoryEntry::from_row)))
}

/// Query of `GET /topics/{id}/similar`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SimilarQuery {
    /// How many, 1 to 50 (default 10).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<i64>,
}

/// Topics like this one
///
/// Open and claimed topics of the same subdistrict whose titles and descriptions share the
/// most two-character terms with this topic's title and the start of its description (the
/// kit's Chinese text search), most alike first: candidates for `merge`. For those who read
/// the district's topics (not residents); masked as in the list.
#[utoipa::path(tag = "topics", params(("id" = String, Path), SimilarQuery), responses(
    (status = 200, body = Vec<SimilarTopic>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/topics/{id}/similar")]
pub async fn similar_topics(
    db: web::Data<Db>,
    caller: Caller,
    rid: RequestId,
    id: web::Path<String>,
    q: Query<SimilarQuery>,
) -> ApiResult<HttpResponse> {
    let scope = TOPICS.read_scope(&caller)?;
    let limit = q.limit.unwrap_or(10);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::field("limit", "must be between 1 and 50"));
    }
    let id = id.into_inner();
    let who = caller.clone();
    let found = db
        .read(move |c| {
            let t = model::find(c, &id)?.ok_or_else(|| ApiError::not_found("topic"))?;
            scope.require(&t.district_code, None, TOPICS.what)?;
            let start: String = t.description.chars().take(40).collect();
            let text = format!("{} {start}", t.title);
            let ranked = xs_kit::search::similar(c, model::SEARCH_KIND, &text, 200)?;
            let ids: Vec<String> = ranked.iter().map(|(d, _)| d.clone()).collect();
            let rows = model::open_among(c, &ids, &t.subdistrict_code, &t.id)?;
            let viewer = Viewer::Scoped(scope.clone());
            let mut out = Vec::new();
            for (doc, shared) in ranked {
                if out.len() as i64 >= limit {
                    break;
                }
                if let Some(r) = rows.iter().find(|r| r.id == doc) {
                    out.push(SimilarTopic {
                        shared_terms: shared,
                        topic: view(c, &who, &viewer, r.clone())?,
                    });
                }
            }
            Ok(out)
        })
        .await?;
    let mut seen = Disclosures::new();
    for s in &found {
        note_contact(&mut seen, &caller, &s.topic);
    }
    audit::record(&db, &Reader::new(&caller, &rid), seen).await?;
    Ok(HttpResponse::Ok().json(found))
}
