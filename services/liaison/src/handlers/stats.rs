//! The liaison statistics: events held by kind, compatriots' participations, volunteers,
//! people served, suggestions, requests by kind and state and the median days to resolve —
//! the figures of the Huli story (116 volunteers, 70,000+ people served, 100+ suggestions).

use crate::domain::access::STATS;
use crate::domain::event::EventKind;
use crate::domain::request::{RequestKind, RequestStatus};
use crate::domain::stats::median;
use crate::models::stats as model;
use crate::views::stats::*;
use actix_web::{HttpResponse, get, web};
use std::collections::BTreeMap;
use xs_kit::error::Problem;
use xs_kit::extract::Query;
use xs_kit::validate::Validator;
use xs_kit::{ApiResult, Caller, Db};

/// Liaison statistics
///
/// For a district (office staff and coordinators: their own; dashboards and integrators and admins: any, or
/// every district when left out) and a period of days (`from`, `to`, both inclusive; open
/// ends when left out). Events count when held and starting in the period; compatriots'
/// participations are their attendances marked at those events (total, and distinct
/// compatriots); volunteers and people served are summed over them; suggestions are those
/// raised at them. Requests count when received in the period, by kind and by state; the
/// median days to resolve is over the requests resolved in the period. Every kind and state
/// is listed, zeros included. Aggregates only, no personal data.
#[utoipa::path(tag = "stats", params(StatsQuery), responses(
    (status = 200, body = LiaisonStats),
    (status = 400, description = "`to` is before `from`, or a date is malformed", body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "The role may not read statistics, or the district is outside the caller's scope", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json")))]
#[get("/stats/liaison")]
pub async fn liaison_stats(
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
    v.finish()?;
    let district = scope.narrow(q.district, None)?.district;
    let (from, to) = (q.from, q.to);
    let stats = db
        .read_consistent(move |c| {
            let d = district.as_deref();
            let kinds = model::held_by_kind(c, d, from, to)?;
            let (participations, distinct) = model::compatriot_attendances(c, d, from, to)?;
            let (suggestions, suggestions_reported) = model::suggestions(c, d, from, to)?;
            let requests = model::requests(c, d, from, to)?;
            let mut resolved: Vec<i64> = model::resolved(c, d, from, to)?
                .into_iter()
                .filter_map(|(received, closed)| closed.map(|day| (day - received).num_days()))
                .collect();

            let by_kind: BTreeMap<&str, i64> =
                kinds.iter().map(|(k, n, _, _)| (k.as_str(), *n)).collect();
            let mut requests_by_kind: BTreeMap<&str, i64> =
                RequestKind::ALL.iter().map(|k| (k.as_str(), 0)).collect();
            let mut requests_by_status: Vec<(&str, i64)> =
                RequestStatus::ALL.iter().map(|s| (s.as_str(), 0)).collect();
            for (kind, status, n) in &requests {
                if let Some(k) = requests_by_kind.get_mut(kind.as_str()) {
                    *k += n;
                }
                if let Some(entry) = requests_by_status.iter_mut().find(|(s, _)| s == status) {
                    entry.1 += n;
                }
            }
            Ok(LiaisonStats {
                district,
                from,
                to,
                events_held: kinds.iter().map(|k| k.1).sum(),
                events_by_kind: EventKind::ALL
                    .iter()
                    .map(|k| KindCount {
                        kind: k.as_str().into(),
                        count: by_kind.get(k.as_str()).copied().unwrap_or(0),
                    })
                    .collect(),
                compatriot_participations: participations,
                distinct_compatriots: distinct,
                volunteers: kinds.iter().map(|k| k.3.unwrap_or(0)).sum(),
                people_served: kinds.iter().map(|k| k.2.unwrap_or(0)).sum(),
                suggestions,
                suggestions_reported,
                requests: requests.iter().map(|r| r.2).sum(),
                requests_by_kind: RequestKind::ALL
                    .iter()
                    .map(|k| KindCount {
                        kind: k.as_str().into(),
                        count: requests_by_kind.get(k.as_str()).copied().unwrap_or(0),
                    })
                    .collect(),
                requests_by_status: requests_by_status
                    .into_iter()
                    .map(|(status, count)| StatusCount {
                        status: status.into(),
                        count,
                    })
                    .collect(),
                requests_resolved: resolved.len() as i64,
                median_days_to_resolve: median(&mut resolved),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(stats))
}
