//! `Idempotency-Key` for POSTs: the same key with the same body replays the stored response;
//! the same key with a different body is a 422.
//!
//! The stored response is written in the same transaction as the change it describes, so a
//! key is recorded exactly when its effect is. Only successes are stored: a request that failed
//! may be retried with its key. Keys are scoped to the caller and the endpoint, kept 24 hours.

use crate::db::{Db, DbConn};
use crate::error::{ApiError, ApiResult};
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use diesel::prelude::*;
use futures_util::future::{Ready, ready};
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

diesel::table! {
    kit_idempotency (scope, key) {
        scope -> Text,
        key -> Text,
        request_hash -> Text,
        status -> Integer,
        body -> Text,
        location -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

const RETENTION_HOURS: i64 = 24;

/// What a write answers: status, JSON body and where the new resource lives.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub body: serde_json::Value,
    pub location: Option<String>,
}

impl Reply {
    pub fn created<T: Serialize>(body: &T, location: String) -> ApiResult<Reply> {
        Ok(Reply {
            status: StatusCode::CREATED,
            body: serde_json::to_value(body).map_err(ApiError::internal)?,
            location: Some(location),
        })
    }

    pub fn ok<T: Serialize>(body: &T) -> ApiResult<Reply> {
        Ok(Reply {
            status: StatusCode::OK,
            body: serde_json::to_value(body).map_err(ApiError::internal)?,
            location: None,
        })
    }

    pub fn into_response(self, replayed: bool) -> HttpResponse {
        let mut b = HttpResponse::build(self.status);
        if let Some(loc) = &self.location {
            b.insert_header((header::LOCATION, loc.as_str()));
        }
        if let Some(v) = self.body.get("version").and_then(|v| v.as_i64()) {
            b.insert_header((header::ETAG, crate::concurrency::etag(v)));
        }
        if replayed {
            b.insert_header(("Idempotent-Replayed", "true"));
        }
        b.json(self.body)
    }
}

/// The `Idempotency-Key` header with the request it came on.
#[derive(Debug, Clone)]
pub struct Idempotency {
    key: Option<String>,
    method: String,
    path: String,
}

impl FromRequest for Idempotency {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = match req.headers().get("Idempotency-Key") {
            None => Ok(None),
            Some(v) => match v.to_str() {
                // What the documents state (`^[!-~]{1,255}$`): no spaces, no other bytes.
                Ok(s)
                    if (1..=255).contains(&s.len())
                        && s.bytes().all(|b| (b'!'..=b'~').contains(&b)) =>
                {
                    Ok(Some(s.to_string()))
                }
                _ => Err(ApiError::field(
                    "Idempotency-Key",
                    "must be 1 to 255 visible ASCII characters",
                )),
            },
        };
        ready(key.map(|key| Idempotency {
            key,
            method: req.method().to_string(),
            path: req.path().to_string(),
        }))
    }
}

impl Idempotency {
    /// Run `write` in a transaction, or replay what an earlier request with the same key got.
    /// `subject` scopes keys to a caller; `request` is the parsed body, hashed to detect reuse
    /// of a key for a different request.
    pub async fn run<B, F>(
        self,
        db: &Db,
        subject: &str,
        request: &B,
        write: F,
    ) -> ApiResult<HttpResponse>
    where
        B: Serialize,
        F: FnOnce(&mut DbConn) -> ApiResult<Reply> + Send + 'static,
    {
        let Some(key) = self.key else {
            return Ok(db.write(write).await?.into_response(false));
        };
        let scope = format!("{subject} {} {}", self.method, self.path);
        let hash = request_hash(request)?;
        // Two first requests with one key can race on PostgreSQL: the loser's insert of the key
        // violates the key's uniqueness, its transaction rolls back, and the winner's stored
        // reply is the answer. `store` says so through this flag, not through an error's text.
        let key_taken = Arc::new(AtomicBool::new(false));
        let (s, k, h, taken) = (scope.clone(), key.clone(), hash.clone(), key_taken.clone());
        let outcome = db
            .write(move |conn| {
                if !claim(conn, &s, &k)? {
                    return Err(in_progress());
                }
                if let Some(stored) = lookup(conn, &s, &k, &h)? {
                    return Ok((stored, true));
                }
                let reply = write(conn)?;
                store(conn, &s, &k, &h, &reply, &taken)?;
                Ok((reply, false))
            })
            .await;
        match outcome {
            Ok((reply, replayed)) => Ok(reply.into_response(replayed)),
            // The key was taken concurrently, or the write failed on the resource's own
            // uniqueness because a concurrent request with this key won: if that request stored
            // a reply, it is the answer.
            Err(e) if key_taken.load(Ordering::SeqCst) || matches!(e, ApiError::Conflict(_)) => {
                let stored = db.read(move |c| lookup(c, &scope, &key, &hash)).await?;
                match stored {
                    Some(reply) => Ok(reply.into_response(true)),
                    None if key_taken.load(Ordering::SeqCst) => Err(in_progress()),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }
}

fn in_progress() -> ApiError {
    ApiError::Conflict(
        "a request with this Idempotency-Key is still in progress; retry it shortly".into(),
    )
}

/// Claim the key for this transaction. On PostgreSQL a transaction-scoped advisory lock on the
/// key, taken without waiting: while another transaction (say on a replica that hangs with the
/// request half-done) holds the key, this one answers 409 at once instead of queueing behind
/// it on the key's unique index. SQLite's single writer has nothing to race.
fn claim(conn: &mut DbConn, scope: &str, key: &str) -> ApiResult<bool> {
    #[derive(QueryableByName)]
    struct Claimed {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        claimed: bool,
    }
    match conn {
        DbConn::Pg(pg) => {
            let row: Claimed = diesel::sql_query(
                "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 7)) AS claimed",
            )
            .bind::<diesel::sql_types::Text, _>(format!("{scope}\n{key}"))
            .get_result(pg)?;
            Ok(row.claimed)
        }
        DbConn::Sqlite(_) => Ok(true),
    }
}

fn request_hash<B: Serialize>(request: &B) -> ApiResult<String> {
    let bytes = serde_json::to_vec(request).map_err(ApiError::internal)?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes);
    Ok(digest.as_ref().iter().map(|b| format!("{b:02x}")).collect())
}

fn lookup(conn: &mut DbConn, scope: &str, key: &str, hash: &str) -> ApiResult<Option<Reply>> {
    use kit_idempotency::dsl as k;
    let since = crate::db::now() - chrono::Duration::hours(RETENTION_HOURS);
    let row: Option<(String, i32, String, Option<String>)> = k::kit_idempotency
        .filter(k::scope.eq(scope))
        .filter(k::key.eq(key))
        .filter(k::created_at.gt(since))
        .select((k::request_hash, k::status, k::body, k::location))
        .first(conn)
        .optional()?;
    let Some((stored_hash, status, body, location)) = row else {
        return Ok(None);
    };
    if stored_hash != hash {
        return Err(ApiError::Unprocessable(
            "this Idempotency-Key was already used with a different request body".into(),
        ));
    }
    Ok(Some(Reply {
        status: StatusCode::from_u16(status as u16).map_err(ApiError::internal)?,
        body: serde_json::from_str(&body).map_err(ApiError::internal)?,
        location,
    }))
}

/// Record the reply under the key. If another request recorded the key first, set `taken`
/// (the caller replays that request's reply) and fail, rolling this write back.
fn store(
    conn: &mut DbConn,
    scope: &str,
    key: &str,
    hash: &str,
    reply: &Reply,
    taken: &AtomicBool,
) -> ApiResult<()> {
    use kit_idempotency::dsl as k;
    let now = crate::db::now();
    // Expired keys go as new ones arrive; the index on created_at keeps this cheap.
    diesel::delete(
        k::kit_idempotency.filter(k::created_at.lt(now - chrono::Duration::hours(RETENTION_HOURS))),
    )
    .execute(conn)?;
    diesel::insert_into(k::kit_idempotency)
        .values((
            k::scope.eq(scope),
            k::key.eq(key),
            k::request_hash.eq(hash),
            k::status.eq(i32::from(reply.status.as_u16())),
            k::body.eq(reply.body.to_string()),
            k::location.eq(reply.location.as_deref()),
            k::created_at.eq(now),
        ))
        .execute(conn)
        .map_err(|e| {
            if let diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) = e
            {
                taken.store(true, Ordering::SeqCst);
            }
            ApiError::from(e)
        })?;
    Ok(())
}
