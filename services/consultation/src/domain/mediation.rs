//! Mediation cases (政协+调解): received → in_mediation → agreement_signed / failed / referred
//! (a case may also be referred straight from received), and who sees the parties whole.

use crate::domain::access::MEDIATION;
use xs_kit::Caller;
use xs_kit::lifecycle::Lifecycle;

xs_kit::text_enum! {
    /// What the dispute is about.
    pub enum DisputeType {
        WorkInjury = "work_injury",
        Labour = "labour",
        Neighbour = "neighbour",
        Contract = "contract",
        Family = "family",
        Consumer = "consumer",
        Other = "other",
    }
}

xs_kit::text_enum! {
    /// Where a case is; the last three are its outcome.
    pub enum MediationStatus {
        Received = "received",
        InMediation = "in_mediation",
        /// 调解协议 signed.
        AgreementSigned = "agreement_signed",
        Failed = "failed",
        /// Referred to a court or to arbitration.
        Referred = "referred",
    }
}

xs_kit::text_enum! {
    /// What can be done to a case (`POST /mediation-cases/{id}/transitions`).
    pub enum MediationAction {
        /// Mediation starts.
        Start = "start",
        /// The parties signed an agreement (date, summary).
        SignAgreement = "sign_agreement",
        /// Mediation failed (date, note).
        Fail = "fail",
        /// Referred to a court or arbitration (date, `referred_to`).
        Refer = "refer",
    }
}

xs_kit::text_enum! {
    /// Where a case is referred to.
    pub enum ReferredTo {
        Court = "court",
        Arbitration = "arbitration",
    }
}

impl Lifecycle for MediationStatus {
    type Action = MediationAction;
    type Guards = ();
    const SUBJECT: &'static str = "mediation_case";

    fn target(self, action: MediationAction, _: &()) -> Option<MediationStatus> {
        use MediationAction as A;
        use MediationStatus as S;
        match (self, action) {
            (S::Received, A::Start) => Some(S::InMediation),
            (S::InMediation, A::SignAgreement) => Some(S::AgreementSigned),
            (S::InMediation, A::Fail) => Some(S::Failed),
            (S::Received | S::InMediation, A::Refer) => Some(S::Referred),
            _ => None,
        }
    }

    /// `mediation_case.received` on creation, then named for the state reached.
    /// `mediation_case.received`, `mediation_case.in_mediation`, and `mediation_case.closed`
    /// for every outcome (agreement signed, failed, referred: `data.status` says which).
    fn event_type(from: Option<Self>, _action: &str, to: Self) -> Option<String> {
        Some(match from {
            None => "mediation_case.received".into(),
            Some(_) if to.is_outcome() => "mediation_case.closed".into(),
            Some(_) => format!("mediation_case.{}", to.as_str()),
        })
    }
}

impl MediationStatus {
    /// An outcome: the case is over (each mediator is credited).
    pub fn is_outcome(self) -> bool {
        matches!(
            self,
            MediationStatus::AgreementSigned | MediationStatus::Failed | MediationStatus::Referred
        )
    }
}

/// Who sees the parties whole: the district's staff and the case's mediators. Everyone else
/// who may read the case sees them masked.
pub fn sees_parties(caller: &Caller, district: &str, mediators: &[String]) -> bool {
    let is_mediator = caller
        .member_id
        .as_deref()
        .is_some_and(|m| mediators.iter().any(|x| x == m));
    is_mediator || MEDIATION.may_read_personal(caller, district, None)
}

/// May the caller record sessions and outcomes of this case? The district's staff (the
/// policy's writers) and the case's own mediators.
pub fn may_work_on(caller: &Caller, district: &str, mediators: &[String]) -> bool {
    MEDIATION.may_write(caller, district)
        || (caller.covers_district(district)
            && caller
                .member_id
                .as_deref()
                .is_some_and(|m| mediators.iter().any(|x| x == m)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use xs_kit::lifecycle::apply;
    use xs_kit::{ApiError, Role};

    use MediationAction as A;
    use MediationStatus as S;

    #[test]
    fn every_outcome_is_one_closed_event() {
        use xs_kit::lifecycle::Lifecycle;
        let e = |from: Option<S>, to: S| S::event_type(from, "x", to);
        assert_eq!(
            e(None, S::Received).as_deref(),
            Some("mediation_case.received")
        );
        assert_eq!(
            e(Some(S::Received), S::InMediation).as_deref(),
            Some("mediation_case.in_mediation")
        );
        for to in [S::AgreementSigned, S::Failed, S::Referred] {
            assert_eq!(
                e(Some(S::InMediation), to).as_deref(),
                Some("mediation_case.closed")
            );
        }
    }

    const LEGAL: &[(S, A, S)] = &[
        (S::Received, A::Start, S::InMediation),
        (S::Received, A::Refer, S::Referred),
        (S::InMediation, A::SignAgreement, S::AgreementSigned),
        (S::InMediation, A::Fail, S::Failed),
        (S::InMediation, A::Refer, S::Referred),
    ];

    #[test]
    fn every_pair_of_state_and_action() {
        for from in S::ALL.iter().copied() {
            for action in A::ALL.iter().copied() {
                let want = LEGAL
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, t)| *t);
                match (want, apply(from, action, &())) {
                    (Some(to), Ok(got)) => assert_eq!(got, to),
                    (None, Err(ApiError::IllegalTransition { .. })) => {}
                    (w, g) => panic!("{from:?} --{action:?}: want {w:?}, got {g:?}"),
                }
            }
        }
    }

    #[test]
    fn parties_are_for_staff_and_mediators() {
        let c = |roles: &[Role], d: Option<&str>, m: Option<&str>| Caller {
            sub: "u".into(),
            roles: roles.to_vec(),
            district: d.map(Into::into),
            member_id: m.map(Into::into),
            token_id: "t".into(),
        };
        let mediators = vec!["m1".to_string()];
        assert!(sees_parties(
            &c(&[Role::Member], Some("haicang"), Some("m1")),
            "haicang",
            &mediators
        ));
        assert!(!sees_parties(
            &c(&[Role::Member], Some("haicang"), Some("m2")),
            "haicang",
            &mediators
        ));
        assert!(sees_parties(
            &c(&[Role::OfficeStaff], Some("haicang"), None),
            "haicang",
            &mediators
        ));
        assert!(!sees_parties(
            &c(&[Role::OfficeStaff], Some("huli"), None),
            "haicang",
            &mediators
        ));
        assert!(!sees_parties(
            &c(&[Role::Dashboard], None, None),
            "haicang",
            &mediators
        ));
        assert!(may_work_on(
            &c(&[Role::Member], Some("haicang"), Some("m1")),
            "haicang",
            &mediators
        ));
        assert!(!may_work_on(
            &c(&[Role::Member], Some("haicang"), Some("m2")),
            "haicang",
            &mediators
        ));
    }
}
