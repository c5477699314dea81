//! Every route of the reports service, in one screen.

use crate::handlers::{internal, reports, stats};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/api/v1")
            .service(reports::list_reports)
            .service(reports::create_report)
            .service(reports::get_report)
            .service(reports::update_report)
            .service(reports::report_revisions)
            .service(reports::transition_report)
            .service(reports::report_history)
            .service(reports::report_feedback)
            .service(stats::report_stats)
            .configure(xs_kit::audit::routes("reports")),
    );
    // Service-to-service only: the gateway does not route /internal.
    cfg.service(
        scope("/internal/v1")
            .service(internal::open_draft)
            .service(internal::report_reference)
            .service(xs_kit::events::internal_feed),
    );
}
