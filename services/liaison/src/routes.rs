//! Every route of the liaison service, in one screen.

use utoipa_actix_web::{scope, service_config::ServiceConfig};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(scope("/api/v1").configure(xs_kit::audit::routes("liaison")));
}
