//! Every route of the liaison service, in one screen.

use crate::handlers::compatriots;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/api/v1")
            .service(compatriots::list_compatriots)
            .service(compatriots::create_compatriot)
            .service(compatriots::get_compatriot)
            .service(compatriots::update_compatriot)
            .configure(xs_kit::audit::routes("liaison")),
    );
}
