//! Every route of the membership service, in one screen.

use crate::handlers::{members, reference};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/api/v1")
            .service(reference::list_districts)
            .service(reference::create_district)
            .service(reference::get_district)
            .service(reference::list_subdistricts)
            .service(reference::create_subdistrict)
            .service(reference::list_communities)
            .service(reference::create_community)
            .service(reference::list_sectors)
            .service(reference::create_sector)
            .service(members::list_members)
            .service(members::create_member)
            .service(members::get_member)
            .service(members::update_member),
    );
}
