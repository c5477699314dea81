//! The consultation statistics: topics by origin and status, consultations held, problems
//! solved and how long they took, opinions by status, overdue replies, mediation outcomes and
//! receptions — counted from the records, so the districts' figures (Siming's 23 problems
//! solved, Haicang's 300+ legal consultations and 100+ disputes mediated) come out of the
//! data that produced them.

use crate::domain::access::STATS;
use crate::domain::consultation::{ConsultationStatus, OpinionStatus, median};
use crate::domain::mediation::MediationStatus;
use crate::domain::reception::{ReceptionCategory, ReceptionChannel};
use crate::domain::topic::{TopicOrigin, TopicStatus};
use crate::models::stats::{self as model, Slice};
use crate::views::stats::*;
use actix_web::{HttpResponse, get, web};
use std::collections::BTreeMap;
use xs_kit::error::Problem;
use xs_kit::extract::Query;
use xs_kit::validate::Validator;
use xs_kit::{ApiResult, Caller, Db};

/// Every value of an enum with its count (zero when absent), in the enum's order.
fn every(values: &[&'static str], counts: &BTreeMap<String, i64>) -> Vec<Count> {
    values
        .iter()
        .map(|v| Count {
            value: (*v).to_string(),
            count: counts.get(*v).copied().unwrap_or(0),
        })
        .collect()
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| name(*v)).collect()
}

/// Consultation statistics
///
/// For office staff and coordinators (their district), admins and read-only integrations
/// (citywide, or `district`); a `district` outside the caller's scope is 403. Optionally one
/// subdistrict and a period (`from`, `to`, inclusive): topics are counted by the day they were
/// raised, problems solved by the day they were resolved, consultations and their opinions by
/// the day they were held, mediation by the day of the outcome (cases received by the day
/// received), receptions by their day; overdue replies are those past due now. Read in one
/// consistent snapshot. No personal data.
#[utoipa::path(tag = "stats", params(StatsQuery), responses(
    (status = 200, body = ConsultationStats),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 503, body = Problem, content_type = "application/problem+json")))]
#[get("/stats/consultation")]
pub async fn consultation_stats(
    db: web::Data<Db>,
    caller: Caller,
    q: Query<StatsQuery>,
) -> ApiResult<HttpResponse> {
    let scope = STATS.read_scope(&caller)?;
    let q = q.0;
    let mut v = Validator::new();
    if let (Some(f), Some(t)) = (q.from, q.to) {
        v.require(f <= t, "to", "must not be before from");
    }
    if let Some(d) = &q.district {
        v.code("district", d);
    }
    if let Some(s) = &q.subdistrict {
        v.code("subdistrict", s);
    }
    v.finish()?;
    let slice = Slice {
        district: scope.narrow(q.district, None)?.district,
        subdistrict: q.subdistrict,
        from: q.from,
        to: q.to,
    };
    let today = chrono::Utc::now().date_naive();
    let stats = db
        .read_consistent(move |c| {
            let s = &slice;
            let mut pairs = model::topics_by_origin_and_status(c, s)?;
            pairs.sort();
            let mut by_origin = BTreeMap::new();
            let mut by_status = BTreeMap::new();
            for (o, st, n) in &pairs {
                *by_origin.entry(o.clone()).or_insert(0) += n;
                *by_status.entry(st.clone()).or_insert(0) += n;
            }
            let days = model::resolution_days(c, s)?;
            let opinions: BTreeMap<String, i64> =
                model::opinions_by_status(c, s)?.into_iter().collect();
            let awaiting: Vec<&str> = ConsultationStatus::ALL
                .iter()
                .filter(|st| st.awaits_replies())
                .map(|st| st.as_str())
                .collect();
            let outcomes = model::mediation_outcomes(c, s)?;
            let mut by_outcome = BTreeMap::new();
            for (st, _) in &outcomes {
                *by_outcome.entry(st.clone()).or_insert(0) += 1;
            }
            let signed = by_outcome
                .get(MediationStatus::AgreementSigned.as_str())
                .copied()
                .unwrap_or(0);
            let mediated = outcomes.len() as i64;
            let mut by_channel = BTreeMap::new();
            let mut by_category = BTreeMap::new();
            for (ch, cat, n) in model::receptions_by_channel_and_category(c, s)? {
                *by_channel.entry(ch).or_insert(0) += n;
                *by_category.entry(cat).or_insert(0) += n;
            }
            let outcome_names: Vec<&'static str> = MediationStatus::ALL
                .iter()
                .filter(|st| st.is_outcome())
                .map(|st| st.as_str())
                .collect();
            Ok(ConsultationStats {
                district: s.district.clone(),
                subdistrict: s.subdistrict.clone(),
                from: s.from,
                to: s.to,
                topics: pairs.iter().map(|(_, _, n)| n).sum(),
                topics_by_origin: every(&names(TopicOrigin::ALL, TopicOrigin::as_str), &by_origin),
                topics_by_status: every(&names(TopicStatus::ALL, TopicStatus::as_str), &by_status),
                topics_by_origin_and_status: pairs
                    .into_iter()
                    .map(|(origin, status, topics)| OriginStatusCount {
                        origin,
                        status,
                        topics,
                    })
                    .collect(),
                consultations_held: model::consultations_held(c, s)?,
                problems_solved: days.len() as i64,
                median_days_to_resolution: median(days),
                opinions_by_status: every(
                    &names(OpinionStatus::ALL, OpinionStatus::as_str),
                    &opinions,
                ),
                overdue_replies: model::overdue_replies(c, s, today, &awaiting)?,
                mediation: MediationStats {
                    cases_received: model::mediation_received(c, s)?,
                    disputes_mediated: mediated,
                    by_outcome: every(&outcome_names, &by_outcome),
                    success_rate: (mediated > 0).then(|| signed as f64 / mediated as f64),
                    median_days: median(outcomes.iter().filter_map(|(_, d)| *d).collect()),
                },
                receptions: by_channel.values().sum(),
                receptions_by_channel: every(
                    &names(ReceptionChannel::ALL, ReceptionChannel::as_str),
                    &by_channel,
                ),
                legal_consultations: by_category
                    .get(ReceptionCategory::LegalConsultation.as_str())
                    .copied()
                    .unwrap_or(0),
                receptions_by_category: every(
                    &names(ReceptionCategory::ALL, ReceptionCategory::as_str),
                    &by_category,
                ),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(stats))
}
