//! The one Xieshang binary: runs the whole stack in one process (the embedded default), or one
//! role per process (containers), migrates databases and writes the OpenAPI documents.

pub mod config;
pub mod demo;
pub mod stack;

use xs_kit::service::ServiceSpec;

/// The four services, in the order the stack starts them.
pub const SERVICES: [&ServiceSpec; 4] = [
    &xs_membership::SPEC,
    &xs_consultation::SPEC,
    &xs_reports::SPEC,
    &xs_liaison::SPEC,
];

pub fn service(name: &str) -> Option<&'static ServiceSpec> {
    SERVICES.into_iter().find(|s| s.name == name)
}

/// Every generated OpenAPI document, by file name: one per service and the gateway's merge.
pub fn openapi_documents() -> Vec<(String, utoipa::openapi::OpenApi)> {
    let service_docs: Vec<_> = SERVICES
        .iter()
        .map(|s| xs_kit::service::openapi(s))
        .collect();
    let mut docs = vec![(
        "gateway.json".to_string(),
        xs_gateway::openapi(&service_docs),
    )];
    for (spec, doc) in SERVICES.iter().zip(service_docs) {
        docs.push((format!("{}.json", spec.name), doc));
    }
    docs
}

/// A document as committed: pretty JSON with a final newline.
pub fn render_document(doc: &utoipa::openapi::OpenApi) -> anyhow::Result<String> {
    Ok(format!("{}\n", doc.to_pretty_json()?))
}
