//! A tiny service of the kit tests' own, `notebook`: one table of notes, written the way every
//! service writes its API with the kit (validation, idempotent create, keyset pages, versioned
//! update), plus a lookup that calls another service through the kit's `ServiceClient`.

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::{scope, service_config::ServiceConfig};
use xs_kit::client::ServiceClient;
use xs_kit::concurrency::{check_updated, etag, expected_version};
use xs_kit::db::{Migrations, SqlMigration};
use xs_kit::error::Problem;
use xs_kit::extract::{IfMatch, Json, Query};
use xs_kit::idempotency::{Idempotency, Reply};
use xs_kit::service::ServiceSpec;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Caller, Db, DbConn, Page, PageRequest, Role};

pub static MIGRATIONS: Migrations = Migrations(&[
    SqlMigration {
        name: "20000101000001_notes",
        sqlite_up: include_str!("migrations/20000101000001_notes/up.sql"),
        sqlite_down: include_str!("migrations/20000101000001_notes/down.sql"),
        postgres_up: include_str!("migrations/20000101000001_notes/up.sql"),
        postgres_down: include_str!("migrations/20000101000001_notes/down.sql"),
    },
    SqlMigration {
        // For the workflow tests (row locks, versioned updates, lifecycles).
        name: "20000101000002_widgets",
        sqlite_up: include_str!("migrations/20000101000002_widgets/up.sql"),
        sqlite_down: include_str!("migrations/20000101000002_widgets/down.sql"),
        postgres_up: include_str!("migrations/20000101000002_widgets/up.sql"),
        postgres_down: include_str!("migrations/20000101000002_widgets/down.sql"),
    },
]);

pub static SPEC: ServiceSpec = ServiceSpec {
    name: "notebook",
    description: "A tiny service for the kit's own tests.",
    migrations: &MIGRATIONS,
    routes,
    by_action: &[],
};

fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/api/v1")
            .service(list_notes)
            .service(create_note)
            .service(get_note)
            .service(update_note)
            .service(lookup),
    );
    cfg.service(scope("/internal/v1").service(note_reference));
}

diesel::table! {
    notes (id) {
        id -> Text,
        title -> Text,
        status -> Text,
        pinned -> Bool,
        priority -> Nullable<Integer>,
        parent_id -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = notes)]
struct NoteRow {
    id: String,
    title: String,
    status: String,
    pinned: bool,
    priority: Option<i32>,
    parent_id: Option<String>,
    version: i64,
    created_at: NaiveDateTime,
    created_by: String,
    updated_at: NaiveDateTime,
    updated_by: String,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoteStatus {
    #[default]
    Draft,
    Published,
}

impl NoteStatus {
    fn as_str(self) -> &'static str {
        match self {
            NoteStatus::Draft => "draft",
            NoteStatus::Published => "published",
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Note {
    id: String,
    title: String,
    status: String,
    pinned: bool,
    priority: Option<i32>,
    parent: Option<String>,
    version: i64,
    created_by: String,
    updated_by: String,
}

impl From<NoteRow> for Note {
    fn from(r: NoteRow) -> Note {
        Note {
            id: r.id,
            title: r.title,
            status: r.status,
            pinned: r.pinned,
            priority: r.priority,
            parent: r.parent_id,
            version: r.version,
            created_by: r.created_by,
            updated_by: r.updated_by,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    title: String,
    #[serde(default)]
    status: NoteStatus,
    #[serde(default)]
    pinned: bool,
    priority: Option<i32>,
    parent: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotePatch {
    version: Option<i64>,
    title: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NoteQuery {
    status: Option<NoteStatus>,
    pinned: Option<bool>,
    limit: Option<i64>,
    cursor: Option<String>,
}

const WRITERS: &[Role] = &[Role::Admin, Role::OfficeStaff];

fn find(c: &mut DbConn, id: &str) -> QueryResult<Option<NoteRow>> {
    notes::table
        .filter(notes::id.eq(id))
        .select(NoteRow::as_select())
        .first(c)
        .optional()
}

/// List notes
///
/// Admins and office staff.
#[utoipa::path(tag = "notes", params(NoteQuery), responses(
    (status = 200, body = Page<Note>),
    (status = 400, body = Problem, content_type = "application/problem+json")))]
#[get("/notes")]
async fn list_notes(
    db: web::Data<Db>,
    caller: Caller,
    q: Query<NoteQuery>,
) -> ApiResult<HttpResponse> {
    caller.require_any(WRITERS)?;
    let q = q.0;
    let page = PageRequest::<String>::parse(q.limit, q.cursor.as_deref())?;
    let (after, fetch) = (page.after.clone(), page.fetch());
    let rows = db
        .read(move |c| {
            let mut query = notes::table
                .select(NoteRow::as_select())
                .order(notes::id)
                .limit(fetch)
                .into_boxed::<xs_kit::db::DbBackend>();
            if let Some(s) = q.status {
                query = query.filter(notes::status.eq(s.as_str()));
            }
            if let Some(p) = q.pinned {
                query = query.filter(notes::pinned.eq(p));
            }
            if let Some(a) = after {
                query = query.filter(notes::id.gt(a));
            }
            Ok(query.load(c)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.page(rows, |r| r.id.clone(), Note::from)))
}

/// Create a note
///
/// Admins and office staff; `Idempotency-Key` replays.
#[utoipa::path(tag = "notes", request_body = NewNote, responses(
    (status = 201, body = Note),
    (status = 400, body = Problem, content_type = "application/problem+json")))]
#[post("/notes")]
async fn create_note(
    db: web::Data<Db>,
    caller: Caller,
    idem: Idempotency,
    body: Json<NewNote>,
) -> ApiResult<HttpResponse> {
    caller.require_any(WRITERS)?;
    let mut v = Validator::new();
    v.text("title", &body.title, 50);
    if let Some(p) = body.priority {
        v.check((1..=5).contains(&p), "priority", "must be 1 to 5");
    }
    v.finish()?;
    let body = body.0;
    let input = body.clone();
    let who = caller.sub.clone();
    idem.run(&db, &caller.sub, &body, move |c| {
        if let Some(parent) = &input.parent
            && find(c, parent)?.is_none()
        {
            return Err(ApiError::field("parent", "no such note"));
        }
        let now = xs_kit::db::now();
        let row = NoteRow {
            id: xs_kit::db::new_id(),
            title: input.title.trim().to_string(),
            status: input.status.as_str().into(),
            pinned: input.pinned,
            priority: input.priority,
            parent_id: input.parent,
            version: 1,
            created_at: now,
            created_by: who.clone(),
            updated_at: now,
            updated_by: who,
        };
        diesel::insert_into(notes::table).values(&row).execute(c)?;
        let location = format!("/api/v1/notes/{}", row.id);
        Reply::created(&Note::from(row), location)
    })
    .await
}

/// Read a note
///
/// Admins and office staff.
#[utoipa::path(tag = "notes", params(("id" = String, Path)), responses(
    (status = 200, body = Note),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/notes/{id}")]
async fn get_note(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require_any(WRITERS)?;
    let id = id.into_inner();
    let note = db
        .read(move |c| find(c, &id)?.ok_or_else(|| ApiError::not_found("note")))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(note.version)))
        .json(Note::from(note)))
}

/// Change a note's title
///
/// Admins and office staff, naming the version they read.
#[utoipa::path(tag = "notes", request_body = NotePatch, params(("id" = String, Path)), responses(
    (status = 200, body = Note),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json")))]
#[patch("/notes/{id}")]
async fn update_note(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<NotePatch>,
) -> ApiResult<HttpResponse> {
    caller.require_any(WRITERS)?;
    let patch = body.0;
    let expected = expected_version(if_match, patch.version)?;
    Validator::new()
        .opt_text("title", patch.title.as_deref(), 50)
        .finish()?;
    let id = id.into_inner();
    let note = db
        .write(move |c| {
            let mut rows = 0;
            if let Some(title) = &patch.title {
                rows = diesel::update(
                    notes::table
                        .filter(notes::id.eq(&id))
                        .filter(notes::version.eq(expected)),
                )
                .set((
                    notes::title.eq(title.trim()),
                    notes::version.eq(expected + 1),
                    notes::updated_at.eq(xs_kit::db::now()),
                    notes::updated_by.eq(&caller.sub),
                ))
                .execute(c)?;
            }
            check_updated(rows, || Ok(find(c, &id)?.is_some()), "note")?;
            find(c, &id)?.ok_or_else(|| ApiError::not_found("note"))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(note.version)))
        .json(Note::from(note)))
}

/// A note, for another service
///
/// Service tokens only.
#[utoipa::path(tag = "internal", params(("id" = String, Path)), responses(
    (status = 200, body = Note),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/notes/{id}")]
async fn note_reference(
    db: web::Data<Db>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require_any(&[Role::Service])?;
    let id = id.into_inner();
    let note = db
        .read(move |c| find(c, &id)?.ok_or_else(|| ApiError::not_found("note")))
        .await?;
    Ok(HttpResponse::Ok().json(Note::from(note)))
}

/// Look a note up in another service
///
/// Admins and office staff. Checks the reference the way a service checks a member in
/// membership: the other service's 404 becomes a field error, its absence a 503.
#[utoipa::path(tag = "notes", params(("service" = String, Path), ("id" = String, Path)), responses(
    (status = 200, body = Object),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 503, body = Problem, content_type = "application/problem+json")))]
#[get("/lookups/{service}/{id}")]
async fn lookup(
    client: web::Data<ServiceClient>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    caller.require_any(WRITERS)?;
    let (service, id) = path.into_inner();
    let found: serde_json::Value = client
        .get_json(&service, &format!("/internal/v1/notes/{id}"))
        .await?
        .ok_or_else(|| ApiError::field("id", "no such note"))?;
    Ok(HttpResponse::Ok().json(found))
}
