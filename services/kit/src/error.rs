//! One error type for every service, rendered as RFC 9457 `application/problem+json`.
//!
//! Handlers return [`ApiResult`]; anything unexpected is logged with its cause and
//! answered opaquely as a 500, so internals never leak to a caller.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

pub type ApiResult<T> = Result<T, ApiError>;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// Where the problem is: a JSON path into the body (`phone`, `specialties[2]`),
    /// a query parameter, a path parameter or a header.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The RFC 9457 body every error response carries.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem kind (`about:blank` when the status says it all).
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request path the problem occurred on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// For validation problems: each offending field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For illegal state transitions: the actions allowed from the current state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_actions: Option<Vec<String>>,
    /// The request id, to quote when reporting the problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("authentication required: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// The path exists, not with this method; `allow` lists the methods it has.
    #[error("method not allowed: {detail}")]
    MethodNotAllowed { detail: String, allow: Vec<String> },
    /// A state machine refused an action; `allowed` lists what is possible now.
    #[error("illegal transition: {detail}")]
    IllegalTransition {
        detail: String,
        allowed: Vec<String>,
    },
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    #[error("precondition required: {0}")]
    PreconditionRequired(String),
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("unprocessable: {0}")]
    Unprocessable(String),
    /// Well-formed input the schema admits that cannot be processed: an unknown reference, a
    /// cursor the list did not give out, `from` after `to`, a combination the rules forbid.
    /// 422 with each field named, where [`ApiError::Validation`] (400) is input the schema
    /// itself refuses.
    #[error("unprocessable fields")]
    UnprocessableFields(Vec<FieldError>),
    #[error("too many requests: {detail}")]
    TooManyRequests {
        detail: String,
        retry_after_secs: u64,
    },
    #[error("bad gateway: {0}")]
    BadGateway(String),
    #[error("gateway timeout: {0}")]
    GatewayTimeout(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    /// A schema-valid field that cannot be processed (422): `ApiError::unprocessable("member",
    /// "no such member")`.
    pub fn unprocessable(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::UnprocessableFields(vec![FieldError::new(field, message)])
    }

    pub fn not_found(what: impl fmt::Display) -> Self {
        ApiError::NotFound(format!("{what} not found"))
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(e.into())
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::Validation(_) => "Invalid request",
            ApiError::BadRequest(_) => "Bad request",
            ApiError::Unauthorized(_) => "Authentication required",
            ApiError::Forbidden(_) => "Forbidden",
            ApiError::NotFound(_) => "Not found",
            ApiError::Conflict(_) => "Conflict",
            ApiError::MethodNotAllowed { .. } => "Method not allowed",
            ApiError::IllegalTransition { .. } => "Illegal state transition",
            ApiError::PreconditionFailed(_) => "Precondition failed",
            ApiError::PreconditionRequired(_) => "Precondition required",
            ApiError::PayloadTooLarge(_) => "Payload too large",
            ApiError::UnsupportedMediaType(_) => "Unsupported media type",
            ApiError::Unprocessable(_) | ApiError::UnprocessableFields(_) => {
                "Unprocessable request"
            }
            ApiError::TooManyRequests { .. } => "Too many requests",
            ApiError::BadGateway(_) => "Bad gateway",
            ApiError::GatewayTimeout(_) => "Gateway timeout",
            ApiError::Unavailable(_) => "Service unavailable",
            ApiError::Internal(_) => "Internal server error",
        }
    }

    /// A stable problem type URI per kind, so clients can switch on it.
    fn type_uri(&self) -> &'static str {
        match self {
            ApiError::Validation(_) => "https://xieshang.example/problems/validation",
            ApiError::IllegalTransition { .. } => {
                "https://xieshang.example/problems/illegal-transition"
            }
            ApiError::PreconditionFailed(_) => "https://xieshang.example/problems/stale-version",
            ApiError::Unprocessable(_) | ApiError::UnprocessableFields(_) => {
                "https://xieshang.example/problems/unprocessable"
            }
            _ => "about:blank",
        }
    }

    pub fn to_problem(&self) -> Problem {
        let detail = match self {
            ApiError::Validation(errs) | ApiError::UnprocessableFields(errs) => {
                Some(match errs.as_slice() {
                    [one] => format!("{}: {}", one.field, one.message),
                    _ => format!("{} fields are invalid", errs.len()),
                })
            }
            ApiError::IllegalTransition { detail, .. } => Some(detail.clone()),
            ApiError::TooManyRequests { detail, .. } => Some(detail.clone()),
            ApiError::MethodNotAllowed { detail, .. } => Some(detail.clone()),
            // Never show internals; the log has the cause under the same request id.
            ApiError::Internal(_) => Some("an unexpected error occurred".into()),
            ApiError::BadRequest(d)
            | ApiError::Unauthorized(d)
            | ApiError::Forbidden(d)
            | ApiError::NotFound(d)
            | ApiError::Conflict(d)
            | ApiError::PreconditionFailed(d)
            | ApiError::PreconditionRequired(d)
            | ApiError::PayloadTooLarge(d)
            | ApiError::UnsupportedMediaType(d)
            | ApiError::Unprocessable(d)
            | ApiError::BadGateway(d)
            | ApiError::GatewayTimeout(d)
            | ApiError::Unavailable(d) => Some(d.clone()),
        };
        Problem {
            type_: self.type_uri().into(),
            title: self.title().into(),
            status: self.status_code().as_u16(),
            detail,
            instance: None,
            errors: match self {
                ApiError::Validation(errs) | ApiError::UnprocessableFields(errs) => errs.clone(),
                _ => Vec::new(),
            },
            allowed_actions: match self {
                ApiError::IllegalTransition { allowed, .. } => Some(allowed.clone()),
                _ => None,
            },
            request_id: None,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) | ApiError::IllegalTransition { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) | ApiError::UnprocessableFields(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::GatewayTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(e) = self {
            tracing::error!(error = ?e, "internal error");
        }
        let mut res = problem_response(&self.to_problem());
        match self {
            ApiError::TooManyRequests {
                retry_after_secs, ..
            } => {
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            ApiError::Unauthorized(_) => {
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"xieshang\""),
                );
            }
            ApiError::Unavailable(_) => {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            ApiError::MethodNotAllowed { allow, .. } => {
                if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
                    res.headers_mut().insert(header::ALLOW, v);
                }
            }
            _ => {}
        }
        res
    }
}

/// Serialise a problem; the request-id middleware fills in `instance` and `request_id`.
pub fn problem_response(p: &Problem) -> HttpResponse {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .content_type(PROBLEM_JSON)
        .json(p)
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => ApiError::NotFound("resource not found".into()),
            // The database's own wording names tables and columns: keep it to the log.
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                tracing::info!(constraint = info.constraint_name(), "unique violation");
                ApiError::Conflict("already exists".into())
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => ApiError::Conflict(
                "refers to a resource that does not exist or is still referenced".into(),
            ),
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
            | Error::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _) => {
                ApiError::Unavailable("database unavailable".into())
            }
            other => {
                let msg = other.to_string();
                // SQLite reports a busy database as an unknown error; it is transient.
                if msg.contains("database is locked")
                    || msg.contains("server closed the connection")
                {
                    ApiError::Unavailable("database busy or unavailable".into())
                } else {
                    ApiError::Internal(other.into())
                }
            }
        }
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(e: r2d2::Error) -> Self {
        tracing::warn!(error = %e, "database pool unavailable");
        ApiError::Unavailable("database unavailable".into())
    }
}

/// `find(..)?.or_not_found("workroom")?`: a missing row as the 404 a handler answers.
pub trait OrNotFound<T> {
    fn or_not_found(self, what: &str) -> ApiResult<T>;
}

impl<T> OrNotFound<T> for Option<T> {
    fn or_not_found(self, what: &str) -> ApiResult<T> {
        self.ok_or_else(|| ApiError::not_found(what))
    }
}
