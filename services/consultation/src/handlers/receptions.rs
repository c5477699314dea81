//! Visitor receptions (来访接待): who received whom, through which channel, about what, and
//! how it was handled — answered, referred to a department, turned into a topic (created in
//! the same request) or into a social-situation report (checked with the reports service).
//! Each receiving member earns a `reception` credit through the outbox. Visitors are whole
//! for the district's staff and the receiving members, masked for everyone else.

use super::{bad_reference, check_members, trimmed};
use crate::domain::access::RECEPTIONS;
use crate::domain::reception::{may_record, sees_visitor};
use crate::domain::topic::{Face, TopicOrigin, TopicStatus, raiser_role};
use crate::models::reception::{self as model, ReceptionFilter, ReceptionRow};
use crate::models::topic::{self as topics, TopicRow};
use crate::views::reception::*;
use crate::views::topic::Topic;
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use xs_kit::audit::{self, Disclosures, Reader};
use xs_kit::client::ServiceClient;
use xs_kit::concurrency::etag;
use xs_kit::contracts::{ActivityEvent, ActivityType, MEMBERSHIP_ACTIVITIES};
use xs_kit::error::Problem;
use xs_kit::extract::{Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::lifecycle::{Move, Publish};
use xs_kit::outbox::{self, Notifier};
use xs_kit::telemetry::RequestId;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, Page, PageRequest, Role};

/// The audit's name for a reception's visitor as the subject of a personal-data read.
const AUDIT_SUBJECT: &str = "reception_visitor";

fn view(caller: &Caller, r: ReceptionRow, members: Vec<String>) -> ApiResult<Reception> {
    let show = sees_visitor(caller, &r.district_code, &members);
    Reception::from_row(r, members, show)
}

fn note_visitor(seen: &mut Disclosures, r: &Reception) {
    if (r.visitor_name.is_some() || r.visitor_contact.is_some()) && !r.visitor_masked {
        seen.note(AUDIT_SUBJECT, &r.id, &["visitor_name", "visitor_contact"]);
    }
}

/// List receptions
///
/// The district's office staff and coordinators see their district's receptions; admins and
/// read-only integrations citywide or their token's district; a member the receptions they
/// took part in. Visitors are whole for the district's staff and the receiving members
/// (recorded in the personal-data audit), masked for everyone else. Filters: workroom,
/// member, channel, category, handling, date range.
#[utoipa::path(tag = "receptions", params(ReceptionQuery), responses(
    (status = 200, body = Page<Reception>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 503, body = Problem, content_type = "application/problem+json")))]
#[get("/receptions")]
pub async fn list_receptions(
    db: web::Data<Db>,
    caller: Caller,
    rid: RequestId,
    q: Query<ReceptionQuery>,
) -> ApiResult<HttpResponse> {
    let scope = RECEPTIONS.read_scope(&caller)?;
    let q = q.0;
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let narrowed = scope.narrow(q.district, q.member)?;
    let filter = ReceptionFilter {
        district: narrowed.district,
        member: narrowed.member,
        workroom: q.workroom,
        channel: q.channel.map(|c| c.as_str().to_string()),
        category: q.category.map(|c| c.as_str().to_string()),
        handling: q.handling.map(|c| c.as_str().to_string()),
        from: q.from,
        to: q.to,
    };
    let (fetch, after) = (page.fetch(), page.after.clone());
    let (rows, mut members) = db
        .read(move |c| {
            let rows = model::list(c, &filter, after.as_deref(), fetch)?;
            let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
            let members = model::members_of(c, &ids)?;
            Ok((rows, members))
        })
        .await?;
    let more = rows.len() as i64 > page.limit;
    let mut items = Vec::new();
    for r in rows.into_iter().take(page.limit as usize) {
        let m = members.remove(&r.id).unwrap_or_default();
        items.push(view(&caller, r, m)?);
    }
    let next_cursor = if more {
        items
            .last()
            .map(|r: &Reception| xs_kit::pagination::encode_cursor(&r.id))
    } else {
        None
    };
    let mut seen = Disclosures::new();
    for r in &items {
        note_visitor(&mut seen, r);
    }
    audit::record(&db, &Reader::new(&caller, &rid), seen).await?;
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
}

/// Read a reception
///
/// Readers as in the list (a member only a reception they took part in; another district's
/// is 403). The visitor is whole for the district's staff and the receiving members (audited),
/// masked for everyone else.
#[utoipa::path(tag = "receptions", params(("id" = String, Path)), responses(
    (status = 200, body = Reception, headers(("ETag" = String))),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/receptions/{id}")]
pub async fn get_reception(
    db: web::Data<Db>,
    caller: Caller,
    rid: RequestId,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let scope = RECEPTIONS.read_scope(&caller)?;
    let id = id.into_inner();
    let (row, members) = db
        .read(move |c| {
            let row = model::find(c, &id)?.ok_or_else(|| ApiError::not_found("reception"))?;
            let members = model::members_of(c, &[row.id.as_str()])?
                .remove(&row.id)
                .unwrap_or_default();
            Ok((row, members))
        })
        .await?;
    let owner = caller
        .member_id
        .as_deref()
        .filter(|m| members.iter().any(|x| x == m));
    scope.require(&row.district_code, owner, RECEPTIONS.what)?;
    let r = view(&caller, row, members)?;
    let mut seen = Disclosures::new();
    note_visitor(&mut seen, &r);
    audit::record(&db, &Reader::new(&caller, &rid), seen).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(r.version)))
        .json(r))
}

fn validate_new(b: &NewReception) -> ApiResult<()> {
    let mut v = Validator::new();
    v.text("workroom", &b.workroom, 64)
        .text("concern", &b.concern, 4000)
        .texts("members", &b.members, 1..=20, 64);
    v.past_date("date", b.date);
    if let Some(visitor) = &b.visitor {
        v.opt_text("visitor.name", visitor.name.as_deref(), 50)
            .phone("visitor.contact", visitor.contact.as_deref());
    }
    let needs = |v: &mut Validator, field: &str, present: bool, wanted: bool| {
        let msg = if wanted {
            format!("is required when handling is {}", b.handling.as_str())
        } else {
            format!("does not apply when handling is {}", b.handling.as_str())
        };
        // Which fields go with which handling is not in the schema: 422.
        v.require(present == wanted, field, &msg);
    };
    needs(
        &mut v,
        "referred_to",
        b.referred_to.is_some(),
        b.handling == Handling::Referred,
    );
    needs(
        &mut v,
        "topic",
        b.topic.is_some(),
        b.handling == Handling::BecameTopic,
    );
    needs(
        &mut v,
        "report",
        b.report.is_some(),
        b.handling == Handling::BecameReport,
    );
    v.opt_text("referred_to", b.referred_to.as_deref(), 100)
        .opt_text("report", b.report.as_deref(), 64);
    if let Some(t) = &b.topic {
        v.text("topic.title", &t.title, 100).opt_text(
            "topic.description",
            t.description.as_deref(),
            4000,
        );
    }
    v.finish()
}

/// The credit a receiving member earns.
fn credit(r: &ReceptionRow, member: &str) -> ActivityEvent {
    ActivityEvent {
        member: member.to_string(),
        activity_type: ActivityType::Reception,
        level: None,
        date: r.received_on,
        workroom: Some(r.workroom_id.clone()),
        beneficiaries: 1,
        problems_solved: 0,
        note: None,
        source: "consultation".into(),
        source_event_id: format!("reception/{}/{member}", r.id),
    }
}

/// Record a reception
///
/// By admins, the district's office staff and coordinators, or a member of the district who
/// is among the receiving members. The workroom and members are checked with membership and a
/// report with the reports service: one that does not exist or lies in another district is
/// 422 naming the field; a service that is down is 503. `became_topic` creates the topic (a
/// public topic at the workroom, the visitor as its contact) in the same transaction. Each
/// receiving member earns a `reception` activity credit in membership through the outbox.
#[utoipa::path(tag = "receptions", request_body = NewReception, params(
    ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated request")),
    responses(
    (status = 201, body = Reception, headers(("Location" = String), ("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The workroom, a member or the report does not exist or lies in another district", body = Problem, content_type = "application/problem+json"),
    (status = 503, body = Problem, content_type = "application/problem+json")))]
#[post("/receptions")]
pub async fn create_reception(
    db: web::Data<Db>,
    client: web::Data<ServiceClient>,
    notifier: web::Data<Notifier>,
    caller: Caller,
    rid: RequestId,
    idem: Idempotency,
    body: Json<NewReception>,
) -> ApiResult<HttpResponse> {
    // Role before input.
    if !caller.has_any(RECEPTIONS.writers) && !caller.has(Role::Member) {
        return Err(caller
            .require_any(RECEPTIONS.writers)
            .err()
            .unwrap_or_else(|| {
                ApiError::Forbidden("receptions are recorded by staff and members".into())
            }));
    }
    let b = body.0;
    validate_new(&b)?;
    let members = trimmed(&b.members);
    // The workroom says which district the reception belongs to.
    let Some(room) = client.workroom(b.workroom.trim()).await? else {
        return Err(bad_reference("workroom", "no such workroom"));
    };
    if !may_record(&caller, &room.district, &members) {
        return Err(ApiError::Forbidden(
            "receptions are recorded by the district's staff or by a receiving member".into(),
        ));
    }
    check_members(&client, "members", &members, &room.district).await?;
    if let Some(report) = &b.report {
        match client.report(report.trim()).await? {
            None => return Err(bad_reference("report", "no such report")),
            Some(r) if r.district != room.district => {
                return Err(bad_reference(
                    "report",
                    &format!("is a report of another district than {}", room.district),
                ));
            }
            Some(_) => {}
        }
    }
    let reader = Reader::new(&caller, &rid);
    let (input, who) = (b.clone(), caller.clone());
    let res = idem
        .run(&db, &caller.sub, &b, move |c| {
            let b = input;
            let now = xs_kit::db::now();
            let visitor_name = b.visitor.as_ref().and_then(|v| v.name.clone());
            let visitor_contact = b.visitor.as_ref().and_then(|v| v.contact.clone());
            let topic_id = match &b.topic {
                None => None,
                Some(t) => {
                    let row = TopicRow {
                        id: xs_kit::db::new_id(),
                        title: t.title.trim().to_string(),
                        description: t
                            .description
                            .as_deref()
                            .unwrap_or(&b.concern)
                            .trim()
                            .to_string(),
                        district_code: room.district.clone(),
                        subdistrict_code: room.subdistrict.clone(),
                        community_code: None,
                        workroom_id: Some(room.id.clone()),
                        category: t.category.as_str().into(),
                        origin: TopicOrigin::Public.as_str().into(),
                        status: TopicStatus::Open.as_str().into(),
                        raised_by: who.sub.clone(),
                        raised_by_role: raiser_role(&who).as_str().into(),
                        proposer_member_id: None,
                        contact_name: visitor_name.clone(),
                        contact_phone: visitor_contact.clone(),
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
                    topics::insert(c, &row)?;
                    let published = Topic::from_row(row.clone(), Face::Register, vec![], vec![])?;
                    Move::<TopicStatus> {
                        subject_id: row.id.clone(),
                        from: None,
                        action: "raise".into(),
                        to: TopicStatus::Open,
                        details: serde_json::json!({"origin": TopicOrigin::Public, "from_reception": true}),
                        by: who.sub.clone(),
                        at: now,
                    }
                    .record(
                        c,
                        Publish {
                            district: Some(row.district_code.clone()),
                            subject: format!("/api/v1/topics/{}", row.id),
                            data: serde_json::to_value(&published).map_err(ApiError::internal)?,
                        },
                    )?;
                    Some(row.id)
                }
            };
            let row = ReceptionRow {
                id: xs_kit::db::new_id(),
                district_code: room.district.clone(),
                subdistrict_code: room.subdistrict.clone(),
                workroom_id: room.id.clone(),
                received_on: b.date,
                visitor_name,
                visitor_contact,
                channel: b.channel.as_str().into(),
                category: b.category.as_str().into(),
                concern: b.concern.trim().to_string(),
                handling: b.handling.as_str().into(),
                referred_to: b.referred_to.as_deref().map(|s| s.trim().to_string()),
                topic_id,
                report_id: b.report.as_deref().map(|s| s.trim().to_string()),
                version: 1,
                created_at: now,
                created_by: who.sub.clone(),
                updated_at: now,
                updated_by: who.sub.clone(),
            };
            model::insert(c, &row, &members)?;
            for m in &members {
                outbox::enqueue(c, MEMBERSHIP_ACTIVITIES, &credit(&row, m))?;
            }
            // The event shows the visitor masked, as any reader of the feed may see it.
            let published = Reception::from_row(row.clone(), members.clone(), false)?;
            xs_kit::events::emit(
                c,
                "reception.recorded",
                now,
                &row.district_code,
                format!("/api/v1/receptions/{}", row.id),
                &published,
            )?;
            let id = row.id.clone();
            let reception = view(&who, row, members.clone())?;
            let mut seen = Disclosures::new();
            note_visitor(&mut seen, &reception);
            // The recorder typed the visitor in: only others' reads count, but a member
            // recording for the office still serves it back; recorded like any read.
            audit::record_in(c, &reader, &seen)?;
            Reply::created(&reception, format!("/api/v1/receptions/{id}"))
        })
        .await;
    notifier.notify();
    res
}
