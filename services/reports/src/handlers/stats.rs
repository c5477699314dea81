//! Report statistics: received, accepted, forwarded, adopted (by level), instructions and the
//! adoption rate, for a district or the city and a period, optionally grouped.

use crate::domain::access::STATS;
use crate::models::stats::{self as model, Cohort, Key};
use crate::views::stats::*;
use actix_web::{HttpResponse, get, web};
use std::collections::BTreeMap;
use xs_kit::error::Problem;
use xs_kit::extract::Query;
use xs_kit::validate::Validator;
use xs_kit::{ApiResult, Caller, Db};

fn key_of(g: Option<GroupBy>) -> Key {
    match g {
        None => Key::Total,
        Some(GroupBy::District) => Key::District,
        Some(GroupBy::Category) => Key::Category,
        Some(GroupBy::Channel) => Key::Channel,
        Some(GroupBy::Member) => Key::Member,
        Some(GroupBy::Sector) => Key::Sector,
    }
}

/// Put the three queries' rows together, per key (sorted: the backends order differently).
fn assemble(
    reports: Vec<model::ReportCountRow>,
    adoptions: Vec<(String, String, i64)>,
    instructions: Vec<(String, String, i64)>,
) -> BTreeMap<String, ReportCounts> {
    let mut out: BTreeMap<String, ReportCounts> = BTreeMap::new();
    for (key, received, accepted, forwarded, adopted) in reports {
        let c = out.entry(key).or_default();
        c.received = received;
        c.accepted = accepted;
        c.forwarded = forwarded;
        c.adopted = adopted;
    }
    let mut adoptions = adoptions;
    adoptions.sort();
    for (key, level, count) in adoptions {
        let c = out.entry(key).or_default();
        c.adoptions += count;
        c.adoptions_by_level.push(LevelCount { level, count });
    }
    let mut instructions = instructions;
    instructions.sort();
    for (key, level, count) in instructions {
        let c = out.entry(key).or_default();
        c.instructions += count;
        c.instructions_by_level.push(LevelCount { level, count });
    }
    for c in out.values_mut() {
        c.adoption_rate = (c.received > 0)
            .then(|| (c.adopted as f64 / c.received as f64 * 10_000.0).round() / 10_000.0);
    }
    out
}

/// Report statistics
///
/// For the reports first submitted within `from`–`to` (whole days, UTC; open-ended when left
/// out): how many were received, accepted, forwarded and adopted (at least once), the
/// adoptions by level, the leader instructions by level, and the adoption rate (adopted /
/// received). With `group_by` the same per district, category, source channel, member (a
/// joint report counts for each of its authors; the totals count it once) or sector (the
/// authors' sectors as membership gave them when the authors were named; a joint report
/// counts once for each distinct sector among its authors; `""` for authors without one). The office staff
/// and coordinators of a district read their district; admins and read-only integrations (dashboards,
/// integrators) every district or the one they name; others get 403. No personal data.
#[utoipa::path(tag = "stats", params(StatsQuery), responses(
    (status = 200, body = ReportStats),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 503, body = Problem, content_type = "application/problem+json")))]
#[get("/stats/reports")]
pub async fn report_stats(
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
    v.finish()?;
    let district = scope.narrow(q.district, None)?.district;
    let cohort = Cohort {
        district: district.clone(),
        from: q.from,
        to: q.to,
    };
    let group_by = q.group_by;
    let (totals, groups) = db
        .read_consistent(move |c| {
            let totals = assemble(
                model::reports(c, Key::Total, &cohort)?,
                model::adoptions(c, Key::Total, &cohort)?,
                model::instructions(c, Key::Total, &cohort)?,
            );
            let key = key_of(group_by);
            let groups = if key == Key::Total {
                BTreeMap::new()
            } else {
                assemble(
                    model::reports(c, key, &cohort)?,
                    model::adoptions(c, key, &cohort)?,
                    model::instructions(c, key, &cohort)?,
                )
            };
            Ok((totals, groups))
        })
        .await?;
    let totals = totals.into_values().next().unwrap_or_default();
    Ok(HttpResponse::Ok().json(ReportStats {
        district,
        from: q.from,
        to: q.to,
        group_by,
        totals: ReportCounts {
            adoption_rate: totals.adoption_rate,
            ..totals
        },
        groups: groups
            .into_iter()
            .map(|(key, counts)| GroupCounts { key, counts })
            .collect(),
    }))
}
