//! Every route of the liaison service, in one screen.

use crate::handlers::{compatriots, enterprises, events, internal, requests, stats};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/api/v1")
            .service(compatriots::list_compatriots)
            .service(compatriots::create_compatriot)
            .service(compatriots::get_compatriot)
            .service(compatriots::update_compatriot)
            .service(enterprises::list_enterprises)
            .service(enterprises::create_enterprise)
            .service(enterprises::get_enterprise)
            .service(enterprises::update_enterprise)
            .service(events::list_events)
            .service(events::create_event)
            .service(events::get_event)
            .service(events::update_event)
            .service(events::transition_event)
            .service(events::event_history)
            .service(events::list_registrations)
            .service(events::create_registration)
            .service(events::cancel_registration)
            .service(events::mark_attendance)
            .service(events::list_suggestions)
            .service(events::create_suggestion)
            .service(events::suggestion_to_report)
            // Before `/compatriot-requests/{id}`, which would take `overdue` for an id.
            .service(requests::overdue_requests)
            .service(requests::list_requests)
            .service(requests::create_request)
            .service(requests::get_request)
            .service(requests::update_request)
            .service(requests::transition_request)
            .service(requests::request_history)
            .service(requests::list_notes)
            .service(requests::add_note)
            .service(stats::liaison_stats)
            .configure(xs_kit::audit::routes("liaison")),
    );
    // Service-to-service only: the gateway does not route /internal.
    cfg.service(
        scope("/internal/v1")
            .service(internal::suggestion_reference)
            .service(xs_kit::events::internal_feed),
    );
}
