//! Visitor receptions (来访接待): channels, categories, how a concern was handled, and who sees
//! the visitor whole.

use crate::domain::access::RECEPTIONS;
use xs_kit::Caller;

xs_kit::text_enum! {
    /// How the visitor reached the members.
    pub enum ReceptionChannel {
        Visit = "visit",
        /// 委员信箱
        Mailbox = "mailbox",
        /// 热线
        Hotline = "hotline",
        Wechat = "wechat",
    }
}

xs_kit::text_enum! {
    /// What the visit was about.
    pub enum ReceptionCategory {
        /// 法律咨询
        LegalConsultation = "legal_consultation",
        Livelihood = "livelihood",
        Dispute = "dispute",
        Policy = "policy",
        Suggestion = "suggestion",
        CrossStrait = "cross_strait",
        Other = "other",
    }
}

xs_kit::text_enum! {
    /// How the concern was handled.
    pub enum Handling {
        Answered = "answered",
        /// Referred to a department (`referred_to`).
        Referred = "referred",
        /// Became a topic, created in the same request (`topic`).
        BecameTopic = "became_topic",
        /// Became a social-situation report (`report`, checked with the reports service).
        BecameReport = "became_report",
    }
}

/// Who sees the visitor whole: the district's staff and the receiving members.
pub fn sees_visitor(caller: &Caller, district: &str, members: &[String]) -> bool {
    let received = caller
        .member_id
        .as_deref()
        .is_some_and(|m| members.iter().any(|x| x == m));
    received || RECEPTIONS.may_read_personal(caller, district, None)
}

/// May the caller record a reception in `district` received by `members`? The district's
/// staff, or a member of the district who is among the receiving members.
pub fn may_record(caller: &Caller, district: &str, members: &[String]) -> bool {
    RECEPTIONS.may_write(caller, district)
        || (caller.covers_district(district)
            && caller
                .member_id
                .as_deref()
                .is_some_and(|m| members.iter().any(|x| x == m)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use xs_kit::Role;

    #[test]
    fn visitors_are_for_staff_and_receiving_members() {
        let c = |roles: &[Role], d: Option<&str>, m: Option<&str>| Caller {
            sub: "u".into(),
            roles: roles.to_vec(),
            district: d.map(Into::into),
            member_id: m.map(Into::into),
            token_id: "t".into(),
        };
        let members = vec!["m1".to_string()];
        assert!(sees_visitor(
            &c(&[Role::Member], Some("tongan"), Some("m1")),
            "tongan",
            &members
        ));
        assert!(!sees_visitor(
            &c(&[Role::Member], Some("tongan"), Some("m2")),
            "tongan",
            &members
        ));
        assert!(!sees_visitor(
            &c(&[Role::Integrator], None, None),
            "tongan",
            &members
        ));
        assert!(may_record(
            &c(&[Role::Member], Some("tongan"), Some("m1")),
            "tongan",
            &members
        ));
        assert!(!may_record(
            &c(&[Role::Member], Some("huli"), Some("m1")),
            "tongan",
            &members
        ));
    }
}
