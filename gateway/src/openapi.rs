//! The one API document: the gateway's own endpoints plus every service's public paths.

use actix_web::App;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::SecurityRequirement;
use utoipa_actix_web::AppExt;

const DESCRIPTION: &str = "The Xieshang API: sign in at /auth/token, then call /api/v1/... with \
    `Authorization: Bearer <access_token>`. Errors are RFC 9457 problem+json; lists use cursor \
    pagination; writes accept Idempotency-Key; updates need If-Match.";

/// The gateway's own endpoints.
pub fn gateway_doc() -> OpenApi {
    let (_, doc) = App::new()
        .into_utoipa_app()
        .openapi(xs_kit::service::base_openapi("Xieshang API", DESCRIPTION))
        .configure(crate::routes)
        .split_for_parts();
    doc
}

/// The merged document: the gateway's endpoints, each service's paths (internal ones left
/// out), their schemas, and the bearer scheme.
pub fn openapi(service_docs: &[OpenApi]) -> OpenApi {
    let mut doc = gateway_doc();
    for service in service_docs {
        let mut service = service.clone();
        service
            .paths
            .paths
            .retain(|path, _| !path.starts_with("/internal"));
        // The services' titles and servers describe themselves, not the public API.
        service.servers = None;
        doc.merge(service);
    }
    // The public reads (see `gate::public_read`) need no token.
    for path in crate::gate::PUBLIC_READS {
        if let Some(op) = doc
            .paths
            .paths
            .get_mut(*path)
            .and_then(|item| item.get.as_mut())
        {
            op.security = Some(vec![
                SecurityRequirement::default(),
                SecurityRequirement::new("bearer", Vec::<String>::new()),
            ]);
            let note = "Also open to anonymous callers (no token) through the gateway: they \
                are served exactly as a resident, and limited per client address.";
            op.description = Some(match op.description.take() {
                Some(d) if !d.is_empty() => format!("{d}\n\n{note}"),
                _ => note.to_string(),
            });
        }
    }
    xs_kit::apidoc::complete(&mut doc);
    doc
}
