//! What every request passes before it reaches a handler or a service: the token check
//! (with the disabled-account list), the rate limit and its headers.

use crate::limits::client_ip;
use crate::state::Shared;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, ResponseError, web};
use futures_util::future::{Ready, ready};
use xs_kit::auth::bearer;
use xs_kit::{ApiError, Caller};

/// Why a presented token was refused, for handlers where a token is optional.
#[derive(Debug, Clone)]
struct Rejected(String);

/// The caller the gate verified. 401 when the request carried no valid token.
#[derive(Debug, Clone)]
pub struct Authed(pub Caller);

impl FromRequest for Authed {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let ext = req.extensions();
        ready(match (ext.get::<Caller>(), ext.get::<Rejected>()) {
            (Some(c), _) => Ok(Authed(c.clone())),
            (None, Some(r)) => Err(ApiError::Unauthorized(r.0.clone())),
            (None, None) => Err(ApiError::Unauthorized(
                "send an access token: Authorization: Bearer <token>".into(),
            )),
        })
    }
}

impl Shared {
    /// Verify an access token and refuse disabled accounts.
    pub async fn authenticate(&self, token: &str) -> Result<Caller, ApiError> {
        let claims = self.verifier.verify_shared(token).await?;
        if self.disabled.contains(&claims.sub) {
            return Err(ApiError::Unauthorized(
                "invalid token: the account is disabled".into(),
            ));
        }
        self.revocations.check(&claims)?;
        Ok(Caller::from(&*claims))
    }
}

/// The public reads as the API document names them.
pub(crate) const PUBLIC_READS: &[&str] = &[
    "/api/v1/workrooms",
    "/api/v1/workrooms/{id}",
    "/api/v1/workrooms/{id}/on-duty",
    "/api/v1/members/{id}/card",
    "/api/v1/labels",
];

/// What a resident without an account may read through the gateway (the mobile app's first
/// screen): active workrooms (also near a point), one workroom, who is on duty there, and a
/// member's card, and the display labels. GET only; each request counts against the caller's address.
pub(crate) fn public_read(method: &actix_web::http::Method, path: &str) -> bool {
    if method != actix_web::http::Method::GET {
        return false;
    }
    let Some(rest) = path.strip_prefix("/api/v1/") else {
        return false;
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let id = |s: &str| !s.is_empty();
    match segments.as_slice() {
        ["workrooms"] => true,
        ["workrooms", w] => id(w),
        ["workrooms", w, "on-duty"] => id(w),
        ["members", m, "card"] => id(m),
        ["labels"] => true,
        _ => false,
    }
}

/// Paths that are never limited or checked: probes and metrics.
fn exempt(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// Every `/api/v1` request needs a valid token; elsewhere a valid token identifies the caller
/// for the handler. Each request counts against its caller's (else its IP's) rate limit, and
/// every response reports the limit in `RateLimit-*` headers.
pub async fn gate(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let shared = req.app_data::<web::Data<Shared>>().cloned();
    let Some(shared) = shared.filter(|_| !exempt(req.path())) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let path = req.path();
    let is_api = path == "/api/v1" || path.starts_with("/api/v1/");
    let auth = match bearer(req.request()) {
        Some(token) => Some(shared.authenticate(token).await),
        None => None,
    };
    let key = match &auth {
        Some(Ok(c)) => format!("sub:{}", c.sub),
        _ => match client_ip(req.request(), &shared.trusted_proxies) {
            Some(ip) => format!("ip:{ip}"),
            None => "ip:unknown".to_string(),
        },
    };
    let decision = shared.rate.check(&key).await;
    if !decision.allowed {
        let mut res = req.into_response(decision.refusal().error_response());
        decision.apply(res.headers_mut());
        return Ok(res);
    }
    let refusal = match auth {
        Some(Ok(caller)) => {
            req.extensions_mut().insert(caller);
            None
        }
        Some(Err(e)) if is_api => Some(e),
        None if is_api && public_read(req.method(), req.path()) => {
            // Served as a resident would be: the services apply the resident's view.
            match shared.signer.anonymous() {
                Ok(token) => match HeaderValue::from_str(&format!("Bearer {token}")) {
                    Ok(v) => {
                        req.headers_mut().insert(header::AUTHORIZATION, v);
                        None
                    }
                    Err(e) => Some(ApiError::internal(e)),
                },
                Err(e) => Some(e),
            }
        }
        None if is_api => Some(ApiError::Unauthorized(
            "send an access token: Authorization: Bearer <token>".into(),
        )),
        Some(Err(e)) => {
            let why = match &e {
                ApiError::Unauthorized(d) => d.clone(),
                other => other.to_string(),
            };
            req.extensions_mut().insert(Rejected(why));
            None
        }
        None => None,
    };
    let mut res = match refusal {
        Some(e) => req.into_response(e.error_response()),
        None => next.call(req).await?.map_into_boxed_body(),
    };
    decision.apply(res.headers_mut());
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::Method;

    #[test]
    fn public_reads_are_the_documented_gets_only() {
        for path in PUBLIC_READS {
            let concrete = path.replace("{id}", "01abc");
            assert!(public_read(&Method::GET, &concrete), "{concrete}");
            assert!(!public_read(&Method::POST, &concrete), "{concrete}");
        }
        for path in [
            "/api/v1/members",
            "/api/v1/members/01abc",
            "/api/v1/workrooms/01abc/history",
            "/api/v1/workrooms/01abc/members",
            "/api/v1/workrooms//on-duty",
            "/api/v1/activities",
            "/auth/me",
        ] {
            assert!(!public_read(&Method::GET, path), "{path}");
        }
    }
}
