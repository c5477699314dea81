//! Social-situation reports (社情民意信息): categories, source channels, the lifecycle
//! (draft → submitted → under review → returned / rejected / accepted → forwarded → adopted),
//! leader instructions, and the rule on the body's length.
//!
//! The lifecycle is the kit's [`Lifecycle`] on [`ReportStatus`], every legal move in
//! [`ReportStatus::target`]. A returned report goes back to its authors, who edit it and submit
//! it again. Forwarding may add levels after the first forward (and after an adoption); each
//! adoption is one more `adopt` (several levels or departments may adopt one report); a leader
//! instruction (`instruct`) is recorded on an accepted, forwarded or adopted report and leaves
//! its state as it is.

use xs_kit::lifecycle::Lifecycle;

/// A report to be submitted has at most this many characters in its body (Chinese characters
/// count one each).
pub const SUBMIT_MAX_CHARS: usize = 1_500;
/// A draft may be longer, while the authors work on it.
pub const DRAFT_MAX_CHARS: usize = 20_000;
pub const TITLE_MAX_CHARS: usize = 200;

xs_kit::text_enum! {
    /// What a report is about.
    pub enum Category {
        Economy = "economy",
        Livelihood = "livelihood",
        Governance = "governance",
        Environment = "environment",
        Health = "health",
        Education = "education",
        Law = "law",
        CrossStrait = "cross_strait",
        Other = "other",
    }
}

xs_kit::text_enum! {
    /// Where what the report says came from.
    pub enum Channel {
        /// 委员调研
        MemberResearch = "member_research",
        /// 来访接待 (a visitor reception in a workroom)
        Reception = "reception",
        /// 委员信箱
        Mailbox = "mailbox",
        /// 热线
        Hotline = "hotline",
        /// 微信
        Wechat = "wechat",
        /// 委员联络组
        LiaisonGroup = "liaison_group",
        /// A suggestion raised at a cross-strait liaison event.
        LiaisonEvent = "liaison_event",
    }
}

impl Channel {
    /// Channels through which a resident reached a member: the report may carry the
    /// resident's contact, masked for everyone but the district's staff.
    pub fn is_resident_channel(self) -> bool {
        matches!(
            self,
            Channel::Reception | Channel::Mailbox | Channel::Hotline | Channel::Wechat
        )
    }
}

xs_kit::text_enum! {
    /// Where a report is in its lifecycle.
    pub enum ReportStatus {
        /// Being written by its authors.
        Draft = "draft",
        /// Sent to the office, not yet taken up.
        Submitted = "submitted",
        UnderReview = "under_review",
        /// Sent back to the authors for revision, with comments.
        Returned = "returned",
        /// Not taken further, with a reason. Nothing follows.
        Rejected = "rejected",
        /// Taken up (编发) by the office; its text is the office's version from now on.
        Accepted = "accepted",
        /// Sent upward (报送) to one or more levels or departments.
        Forwarded = "forwarded",
        /// Adopted (采用) by at least one level or department.
        Adopted = "adopted",
    }
}

impl ReportStatus {
    /// Accepted and after: visible beyond the authors and the district's staff.
    pub const PUBLISHED: [ReportStatus; 3] = [
        ReportStatus::Accepted,
        ReportStatus::Forwarded,
        ReportStatus::Adopted,
    ];

    pub fn is_published(self) -> bool {
        Self::PUBLISHED.contains(&self)
    }

    /// The authors may change the text (and everything else about the report).
    pub fn authors_edit(self) -> bool {
        matches!(self, ReportStatus::Draft | ReportStatus::Returned)
    }

    /// The office may edit the text while it reviews it.
    pub fn office_edits(self) -> bool {
        matches!(self, ReportStatus::Submitted | ReportStatus::UnderReview)
    }
}

xs_kit::text_enum! {
    /// What can be done to a report (`POST /reports/{id}/transitions`).
    pub enum ReportAction {
        /// The authors (or the office on their behalf) send it in; again after a return.
        Submit = "submit",
        /// The office takes it up for review.
        StartReview = "start_review",
        /// Back to the authors for revision (`comments`).
        Return = "return",
        /// Not taken further (`reason`).
        Reject = "reject",
        /// Taken up; optional `title` / `body` are the office's edited version.
        Accept = "accept",
        /// Sent to one or more levels or departments (`targets`).
        Forward = "forward",
        /// Adopted by one level or department (`adoption`); may happen several times.
        Adopt = "adopt",
        /// A leader's instruction (`instruction`), on an accepted or adopted report.
        Instruct = "instruct",
    }
}

impl ReportAction {
    /// Actions the authors take themselves; all others are the office's.
    pub fn by_authors(self) -> bool {
        matches!(self, ReportAction::Submit)
    }
}

xs_kit::text_enum! {
    /// Where a report is forwarded to, or who adopted it.
    pub enum Level {
        /// 市政协
        Municipal = "municipal",
        /// 省政协
        Provincial = "provincial",
        /// 全国政协
        National = "national",
        /// A named department (`department`).
        Department = "department",
    }
}

xs_kit::text_enum! {
    /// The level of the leader who gave an instruction.
    pub enum InstructionLevel {
        District = "district",
        Municipal = "municipal",
        Provincial = "provincial",
        National = "national",
    }
}

xs_kit::text_enum! {
    /// How a revision of the text came about.
    pub enum RevisionKind {
        /// The first text.
        Created = "created",
        /// The authors (or the office on their behalf) edited a draft or returned report.
        Edited = "edited",
        /// The office edited it while reviewing, or on accepting it.
        OfficeEdited = "office_edited",
    }
}

/// What a transition knows beyond the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guards {
    /// Characters in the body as it stands (after this request's edits).
    pub body_chars: usize,
}

impl Lifecycle for ReportStatus {
    type Action = ReportAction;
    type Guards = Guards;
    const SUBJECT: &'static str = "report";

    /// Every legal move, in one place.
    fn target(self, action: ReportAction, _: &Guards) -> Option<ReportStatus> {
        use ReportAction as A;
        use ReportStatus as S;
        match (self, action) {
            (S::Draft | S::Returned, A::Submit) => Some(S::Submitted),
            (S::Submitted, A::StartReview) => Some(S::UnderReview),
            (S::UnderReview, A::Return) => Some(S::Returned),
            (S::UnderReview, A::Reject) => Some(S::Rejected),
            (S::UnderReview, A::Accept) => Some(S::Accepted),
            (S::Accepted | S::Forwarded, A::Forward) => Some(S::Forwarded),
            // More levels after an adoption: the report stays adopted.
            (S::Adopted, A::Forward) => Some(S::Adopted),
            (S::Forwarded | S::Adopted, A::Adopt) => Some(S::Adopted),
            (S::Accepted | S::Forwarded | S::Adopted, A::Instruct) => Some(self),
            _ => None,
        }
    }

    /// A report is submitted only with a body of at most 1,500 characters.
    fn guard(self, action: ReportAction, g: &Guards) -> Result<(), String> {
        if action == ReportAction::Submit && g.body_chars > SUBMIT_MAX_CHARS {
            return Err(format!(
                "the body has {} characters; a report is submitted with at most {SUBMIT_MAX_CHARS}",
                g.body_chars
            ));
        }
        Ok(())
    }

    fn event_type(_from: Option<Self>, action: &str, to: Self) -> Option<String> {
        Some(match action {
            "create" => "report.created".to_string(),
            "instruct" => "report.instructed".to_string(),
            "forward" => "report.forwarded".to_string(),
            "adopt" => "report.adopted".to_string(),
            _ => format!("report.{}", to.as_str()),
        })
    }
}

/// Characters in a text as the length rules count them (trimmed).
pub fn chars(text: &str) -> usize {
    text.trim().chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use xs_kit::ApiError;
    use xs_kit::lifecycle::{allowed, apply};

    use ReportAction as A;
    use ReportStatus as S;

    /// The table written out independently of `target`.
    const LEGAL: [(S, A, S); 14] = [
        (S::Draft, A::Submit, S::Submitted),
        (S::Returned, A::Submit, S::Submitted),
        (S::Submitted, A::StartReview, S::UnderReview),
        (S::UnderReview, A::Return, S::Returned),
        (S::UnderReview, A::Reject, S::Rejected),
        (S::UnderReview, A::Accept, S::Accepted),
        (S::Accepted, A::Forward, S::Forwarded),
        (S::Forwarded, A::Forward, S::Forwarded),
        (S::Adopted, A::Forward, S::Adopted),
        (S::Forwarded, A::Adopt, S::Adopted),
        (S::Adopted, A::Adopt, S::Adopted),
        (S::Accepted, A::Instruct, S::Accepted),
        (S::Forwarded, A::Instruct, S::Forwarded),
        (S::Adopted, A::Instruct, S::Adopted),
    ];

    fn legal(from: S, action: A) -> Option<S> {
        LEGAL
            .iter()
            .find(|(f, a, _)| *f == from && *a == action)
            .map(|(_, _, t)| *t)
    }

    #[test]
    fn every_pair_of_state_and_action() {
        let ok = Guards { body_chars: 10 };
        for from in S::ALL.iter().copied() {
            let expected: Vec<A> = A::ALL
                .iter()
                .copied()
                .filter(|a| legal(from, *a).is_some())
                .collect();
            assert_eq!(allowed(from, &ok), expected, "{from:?}");
            for action in A::ALL.iter().copied() {
                match (legal(from, action), apply(from, action, &ok)) {
                    (Some(to), Ok(got)) => assert_eq!(got, to, "{from:?} --{action:?}"),
                    (None, Err(ApiError::IllegalTransition { allowed, .. })) => {
                        let names: Vec<&str> = expected.iter().map(|a| a.as_str()).collect();
                        assert_eq!(allowed, names, "{from:?} --{action:?}");
                    }
                    (want, got) => panic!("{from:?} --{action:?}: want {want:?}, got {got:?}"),
                }
            }
        }
        assert!(allowed(S::Rejected, &ok).is_empty());
    }

    #[test]
    fn a_long_body_cannot_be_submitted() {
        let long = Guards {
            body_chars: SUBMIT_MAX_CHARS + 1,
        };
        assert!(!allowed(S::Draft, &long).contains(&A::Submit));
        match apply(S::Returned, A::Submit, &long) {
            Err(ApiError::IllegalTransition { detail, .. }) => {
                assert!(detail.contains("1501"), "{detail}")
            }
            other => panic!("{other:?}"),
        }
        let exact = Guards {
            body_chars: SUBMIT_MAX_CHARS,
        };
        assert_eq!(apply(S::Draft, A::Submit, &exact).ok(), Some(S::Submitted));
    }

    #[test]
    fn events_name_what_happened() {
        assert_eq!(
            S::event_type(Some(S::Adopted), "adopt", S::Adopted).as_deref(),
            Some("report.adopted")
        );
        assert_eq!(
            S::event_type(Some(S::Accepted), "instruct", S::Accepted).as_deref(),
            Some("report.instructed")
        );
        assert_eq!(
            S::event_type(Some(S::UnderReview), "return", S::Returned).as_deref(),
            Some("report.returned")
        );
        assert_eq!(
            S::event_type(None, "create", S::Draft).as_deref(),
            Some("report.created")
        );
    }

    #[test]
    fn resident_channels_and_text_length() {
        assert!(Channel::Hotline.is_resident_channel());
        assert!(Channel::Reception.is_resident_channel());
        assert!(!Channel::MemberResearch.is_resident_channel());
        assert!(!Channel::LiaisonEvent.is_resident_channel());
        assert_eq!(chars("  停车难  "), 3);
        assert!(S::Adopted.is_published() && !S::UnderReview.is_published());
    }
}
