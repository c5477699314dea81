//! Every route of the membership service, in one screen.

use crate::handlers::{
    activities, duty, evaluation, internal, members, plans, reference, workrooms,
};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/api/v1")
            .service(reference::list_districts)
            .service(reference::create_district)
            .service(reference::get_district)
            .service(reference::rename_district)
            .service(reference::list_subdistricts)
            .service(reference::create_subdistrict)
            .service(reference::get_subdistrict)
            .service(reference::rename_subdistrict)
            .service(reference::list_communities)
            .service(reference::create_community)
            .service(reference::get_community)
            .service(reference::rename_community)
            .service(reference::list_sectors)
            .service(reference::create_sector)
            .service(reference::get_sector)
            .service(reference::rename_sector)
            .service(members::list_members)
            .service(members::create_member)
            .service(members::get_member)
            .service(members::update_member)
            .service(activities::list_activities)
            .service(activities::record_activity)
            .service(activities::get_activity)
            .service(activities::membership_stats)
            .service(evaluation::get_rules)
            .service(evaluation::put_rules)
            .service(evaluation::member_evaluation)
            .service(evaluation::list_evaluations)
            .service(workrooms::list_workrooms)
            .service(workrooms::create_workroom)
            .service(workrooms::get_workroom)
            .service(workrooms::update_workroom)
            .service(workrooms::transition_workroom)
            .service(workrooms::workroom_history)
            .service(workrooms::list_assignments)
            .service(workrooms::create_assignment)
            .service(workrooms::delete_assignment)
            .service(workrooms::assignment_suggestions)
            .service(workrooms::member_card)
            .service(plans::get_plan)
            .service(plans::put_plan)
            .service(plans::bulletin)
            .service(duty::list_shifts)
            .service(duty::create_shift)
            .service(duty::get_shift)
            .service(duty::generate_rota)
            .service(duty::on_duty)
            .service(duty::list_check_ins)
            .service(duty::check_in)
            .service(duty::get_check_in)
            .configure(xs_kit::audit::routes("membership")),
    );
    // Service-to-service only: the gateway does not route /internal.
    cfg.service(
        scope("/internal/v1")
            .service(activities::record_activity_event)
            .service(internal::member_reference)
            .service(internal::workroom_reference)
            .service(xs_kit::events::internal_feed),
    );
}
