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

crate::text_enum! {
    /// The level an activity reached, for the activity types whose points the rule table
    /// gives by level (`report_adopted`: who adopted the report).
    #[derive(PartialOrd, Ord)]
    pub enum ActivityLevel {
        /// 市政协
        Municipal = "municipal",
        /// 省政协
        Provincial = "provincial",
        /// 全国政协
        National = "national",
        /// A named department.
        Department = "department",
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
    /// For a type the rule table gives points by level (`report_adopted`): the level, whose
    /// points it earns. Left out otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<ActivityLevel>,
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
    /// Sector code (界别), if the member has one.
    #[serde(default)]
    pub sector: Option<String>,
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

/// The reports service's internal endpoint that opens a draft report on another service's
/// behalf (a liaison-event suggestion or a reception becoming a report); body
/// [`DraftReportRequest`], answer [`ReportRef`]. Sent with an `Idempotency-Key`, so a retried
/// call opens one draft.
pub const REPORTS_DRAFTS: &str = "/internal/v1/reports/drafts";

/// A draft report another service asks the reports service to open. The reports service
/// checks every reference itself (authors are members of `district`; the source exists).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftReportRequest {
    pub title: String,
    pub body: String,
    /// A report category (`economy`, `livelihood`, … `cross_strait`, `other`).
    pub category: String,
    /// District code the report belongs to.
    pub district: String,
    /// Member ids; at least one.
    pub authors: Vec<String>,
    /// `reception` or `liaison_event` for drafts opened by another service.
    pub source_channel: String,
    /// The reception it came from (consultation service), if any.
    pub reception: Option<String>,
    /// The liaison event and the suggestion raised there (liaison service), if any.
    pub liaison_event: Option<String>,
    pub liaison_suggestion: Option<String>,
    /// The account on whose behalf the draft is opened (recorded as its creator).
    pub requested_by: String,
}

/// A report as other services see it (`GET reports:/internal/v1/reports/{id}`, and the answer
/// of [`REPORTS_DRAFTS`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReportRef {
    pub id: String,
    pub title: String,
    /// District code.
    pub district: String,
    /// Lifecycle state (`draft`, `submitted`, … `adopted`).
    pub status: String,
}

/// A consultation topic as other services see it
/// (`GET consultation:/internal/v1/topics/{id}`): a report may name the topic it came from.
/// No proposer or contact data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TopicRef {
    pub id: String,
    pub title: String,
    /// District code.
    pub district: String,
    /// Lifecycle state (`open`, `claimed`, … `resolved`, `declined`, `merged`).
    pub status: String,
}

/// A visitor reception as other services see it
/// (`GET consultation:/internal/v1/receptions/{id}`). No visitor data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReceptionRef {
    pub id: String,
    /// District code.
    pub district: String,
    pub workroom: String,
    pub date: NaiveDate,
    /// Receiving member ids.
    pub members: Vec<String>,
}

/// A suggestion raised at a liaison event as other services see it
/// (`GET liaison:/internal/v1/liaison-suggestions/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SuggestionRef {
    pub id: String,
    /// The liaison event it was raised at.
    pub event: String,
    /// District code.
    pub district: String,
    /// The report it became, if it has.
    pub report: Option<String>,
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
        assert_eq!(e.level, None);
        // No level: the field is left out, so events of every other type stay as they were.
        let sent = serde_json::to_value(&e).expect("serialises");
        assert!(sent.get("level").is_none(), "{sent}");
        let mut adopted = ok.clone();
        adopted["type"] = serde_json::json!("report_adopted");
        adopted["level"] = serde_json::json!("national");
        let e: ActivityEvent = serde_json::from_value(adopted).expect("a level is taken");
        assert_eq!(e.level, Some(ActivityLevel::National));
        let mut bad = ok;
        bad["extra"] = serde_json::json!(1);
        assert!(serde_json::from_value::<ActivityEvent>(bad).is_err());
    }
}
