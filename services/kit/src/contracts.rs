//! What services send each other: the payloads of outbox messages and the answers of internal
//! endpoints. They live here, not in the receiving service, so a sender depends on the kit only.
//! Changing one is changing an API between services: add optional fields, never repurpose one.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Membership's internal endpoint for activity records (outbox target for an
/// [`ActivityEvent`], keyed by `source` + `source_event_id`).
pub const MEMBERSHIP_ACTIVITIES: &str = "membership:/internal/v1/activities";

crate::text_enum! {
    /// What a member did. Each kind earns the points the year's rule table gives it.
    #[derive(PartialOrd, Ord)]
    pub enum ActivityType {
        DutyShift = "duty_shift",
        CheckIn = "check_in",
        Consultation = "consultation",
        Reception = "reception",
        Mediation = "mediation",
        ReportSubmitted = "report_submitted",
        ReportAdopted = "report_adopted",
        Lecture = "lecture",
        VolunteerService = "volunteer_service",
        FreeClinic = "free_clinic",
        WarmthDelivery = "warmth_delivery",
        ResearchVisit = "research_visit",
        EmergencyRelief = "emergency_relief",
        LiaisonEvent = "liaison_event",
        Other = "other",
    }
}

/// An activity another service reports (a consultation held, a report adopted). Recorded
/// once per `source` + `source_event_id`, however often it is delivered.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityEvent {
    pub member: String,
    #[serde(rename = "type")]
    pub activity_type: ActivityType,
    pub date: NaiveDate,
    pub workroom: Option<String>,
    #[serde(default)]
    pub beneficiaries: i32,
    #[serde(default)]
    pub problems_solved: i32,
    pub note: Option<String>,
    /// The reporting service (`consultation`, `reports`, `liaison`).
    pub source: String,
    /// The event's id in that service.
    pub source_event_id: String,
}

/// A member as other services see it when they check a reference
/// (`GET membership:/internal/v1/members/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MemberRef {
    pub id: String,
    pub name: String,
    /// District code.
    pub district: String,
    /// `active` or `retired`.
    pub status: String,
    pub taiwan_origin: bool,
}

/// A workroom as other services see it when they check a reference
/// (`GET membership:/internal/v1/workrooms/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WorkroomRef {
    pub id: String,
    pub name: String,
    /// District code.
    pub district: String,
    /// Subdistrict code.
    pub subdistrict: String,
    /// `haoshangliang_studio`, `member_studio`, `activity_room`, `liaison_group` or
    /// `taiwan_liaison_point`.
    pub kind: String,
    /// Lifecycle state: `applied`, `inspected`, `approved`, `active`, `suspended` or `closed`.
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_types_round_trip() {
        for t in ActivityType::ALL.iter().copied() {
            assert_eq!(ActivityType::parse(t.as_str()), Some(t));
            assert_eq!(
                serde_json::to_value(t).ok(),
                Some(serde_json::Value::String(t.as_str().into()))
            );
        }
        assert_eq!(ActivityType::parse("bogus"), None);
    }

    #[test]
    fn an_activity_event_refuses_unknown_fields() {
        let ok = serde_json::json!({"member": "m", "type": "consultation", "date": "2026-06-01",
            "source": "consultation", "source_event_id": "c-1"});
        let e: ActivityEvent = serde_json::from_value(ok.clone()).expect("a valid event");
        assert_eq!(e.beneficiaries, 0);
        let mut bad = ok;
        bad["extra"] = serde_json::json!(1);
        assert!(serde_json::from_value::<ActivityEvent>(bad).is_err());
    }
}
