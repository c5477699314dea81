//! Every route of the consultation service, in one screen.

use crate::handlers::{consultations, internal, mediation, receptions, stats, topics};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/api/v1")
            .service(topics::list_topics)
            .service(topics::create_topic)
            .service(topics::get_topic)
            .service(topics::update_topic)
            .service(topics::transition_topic)
            .service(topics::topic_history)
            .service(topics::similar_topics)
            .service(consultations::list_consultations)
            .service(consultations::create_consultation)
            .service(consultations::overdue_replies)
            .service(consultations::get_consultation)
            .service(consultations::update_consultation)
            .service(consultations::transition_consultation)
            .service(consultations::consultation_history)
            .service(consultations::list_follow_ups)
            .service(consultations::create_follow_up)
            .service(receptions::list_receptions)
            .service(receptions::create_reception)
            .service(receptions::get_reception)
            .service(mediation::list_cases)
            .service(mediation::create_case)
            .service(mediation::get_case)
            .service(mediation::update_case)
            .service(mediation::transition_case)
            .service(mediation::add_session)
            .service(mediation::case_history)
            .service(stats::consultation_stats)
            .configure(xs_kit::audit::routes("consultation")),
    );
    // Service-to-service only: the gateway does not route /internal.
    cfg.service(
        scope("/internal/v1")
            .service(internal::reception_reference)
            .service(xs_kit::events::internal_feed)
            .service(internal::topic_reference),
    );
}
