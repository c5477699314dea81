//! The dashboard summary, `GET /api/v1/dashboard/summary`: one document for a district (or the
//! city) and a period, drawn from the four services' own statistics.
//!
//! The gateway holds no figures. It checks the caller's role and district, then asks the
//! services concurrently, with the caller's own token (so each service applies its own checks
//! again), for what they already publish:
//!
//! | part | from |
//! |---|---|
//! | `workrooms` | `GET /api/v1/stats/membership` |
//! | `evaluation` | `GET /api/v1/evaluations` (every page; a named district only) |
//! | `consultation`, `series.topics_by_status` | `GET /api/v1/stats/consultation` (once for the period, once per bucket of the series) |
//! | `reports` | `GET /api/v1/stats/reports` |
//! | `liaison` | `GET /api/v1/stats/liaison` |
//!
//! Every part has its own deadline ([`PART_DEADLINE`]). A service that is down, slow or failing
//! leaves its parts `null` and is named in `unavailable`; the others still answer. A service
//! that refuses the request itself (400, 403, 422: e.g. an unknown district) makes the whole
//! answer that refusal, since every other part would be just as wrong.

use crate::gate::Authed;
use crate::proxy::{Proxy, WorkerClient};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{Datelike, Months, NaiveDate};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};
use xs_kit::error::Problem;
use xs_kit::scope::Access;
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult, Role};

/// How long one part may take before it counts as unavailable.
pub const PART_DEADLINE: Duration = Duration::from_millis(2500);

/// The most buckets the topic series has: months up to two years, years beyond.
const MAX_MONTHS: u32 = 24;

/// The longest period, in years (the series has one bucket per year beyond two years).
const MAX_YEARS: u32 = 10;

/// Who reads the summary: office staff their district, dashboards every district (or the one
/// their token names), admins everything.
pub const ACCESS: Access = Access {
    what: "the dashboard summary",
    district_readers: &[Role::OfficeStaff],
    citywide_readers: &[Role::Dashboard],
    owner_readers: &[],
    personal_readers: &[],
    writers: &[],
};

/// The summary's query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// A district code. Office staff and district-bound dashboards get their own whatever they
    /// leave out (another is 403); admins and citywide dashboards get every district without it.
    #[param(pattern = "^[a-z][a-z0-9_-]{1,39}$")]
    pub district: Option<String>,
    /// First day of the period (inclusive).
    pub from: Option<NaiveDate>,
    /// Last day of the period (inclusive).
    pub to: Option<NaiveDate>,
}

/// How many records have this value (an enum value: its display name is in
/// `GET /api/v1/labels`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = DashboardCount)]
pub struct Count {
    pub value: String,
    pub count: i64,
}

/// Workrooms and members, and the members' activity records (membership).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkroomFigures {
    /// Workrooms in the register now, in any state (not limited by the period).
    pub workrooms: i64,
    /// By `WorkroomKind`.
    pub workrooms_by_kind: Vec<Count>,
    /// By `WorkroomStatus`.
    pub workrooms_by_status: Vec<Count>,
    /// Active members, and those serving in a workroom that is not closed.
    pub members: i64,
    pub members_placed: i64,
    /// Activity records in the period, the people they helped and the problems they solved.
    pub activities: i64,
    pub people_helped: i64,
    pub problems_solved: i64,
    /// By `ActivityType`.
    pub activities_by_type: Vec<Count>,
}

/// Mediation in the period.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MediationFigures {
    pub cases_received: i64,
    /// Cases that reached an outcome in the period.
    pub disputes_mediated: i64,
    /// By outcome (`MediationStatus`).
    pub by_outcome: Vec<Count>,
    /// Agreements signed out of all outcomes; `null` without outcomes.
    pub success_rate: Option<f64>,
}

/// Topics, consultations, mediation and receptions (consultation).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConsultationFigures {
    /// Topics raised in the period, by `TopicOrigin` and by `TopicStatus` (where they are now).
    pub topics: i64,
    pub topics_by_origin: Vec<Count>,
    pub topics_by_status: Vec<Count>,
    /// Topics resolved in the period.
    pub problems_solved: i64,
    pub consultations_held: i64,
    pub mediation: MediationFigures,
    /// Receptions in the period, by `ReceptionChannel`; of them, legal consultations.
    pub receptions: i64,
    pub receptions_by_channel: Vec<Count>,
    pub legal_consultations: i64,
}

/// Social-situation reports first submitted in the period (reports).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReportFigures {
    pub received: i64,
    pub accepted: i64,
    pub forwarded: i64,
    /// Reports adopted at least once, and adoptions (one report adopted at two levels counts
    /// twice), by level (`municipal`, `provincial`, `national`, `department`; levels without
    /// adoptions left out).
    pub adopted: i64,
    pub adoptions: i64,
    pub adoptions_by_level: Vec<Count>,
    /// Leader instructions.
    pub instructions: i64,
    /// `adopted / received`; `null` when nothing was received.
    pub adoption_rate: Option<f64>,
}

/// Cross-strait work in the period (liaison).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LiaisonFigures {
    /// Events held, by `LiaisonEventKind`.
    pub events_held: i64,
    pub events_by_kind: Vec<Count>,
    pub people_served: i64,
    pub volunteers: i64,
    pub compatriot_participations: i64,
    /// Compatriot requests received, and resolved, in the period.
    pub requests: i64,
    pub requests_resolved: i64,
}

/// The yearly evaluation of a district's members (membership).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EvaluationFigures {
    /// The calendar year of `to` (or the current year).
    pub year: i32,
    pub ranked_members: i64,
    /// Members per `Grade`, every grade.
    pub by_grade: Vec<Count>,
}

/// One bucket of a series.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TopicBucket {
    /// First and last day of the bucket (a calendar month, or a year for long periods, cut to
    /// the period).
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Topics raised in the bucket by where they are now (`TopicStatus`, every status).
    pub by_status: Vec<Count>,
}

/// What the page charts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Series {
    /// Topics by status over time: the period in months (years beyond 24 months). Without
    /// `from`, the twelve months ending at `to` (or today). `null` when consultation did not
    /// answer for every bucket.
    pub topics_by_status: Option<Vec<TopicBucket>>,
    /// Reports adopted by level: `reports.adoptions_by_level`.
    pub reports_adopted_by_level: Option<Vec<Count>>,
    /// Liaison events by kind: `liaison.events_by_kind`.
    pub events_by_kind: Option<Vec<Count>>,
}

/// The dashboard summary of a district (or the city) and a period.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DashboardSummary {
    /// `null`: every district.
    pub district: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// `null` when membership did not answer in time.
    pub workrooms: Option<WorkroomFigures>,
    /// `null` when consultation did not answer in time.
    pub consultation: Option<ConsultationFigures>,
    /// `null` when reports did not answer in time.
    pub reports: Option<ReportFigures>,
    /// `null` when liaison did not answer in time.
    pub liaison: Option<LiaisonFigures>,
    /// `null` for every district at once (members are ranked within one), when the year has no
    /// evaluation rules, or when membership did not answer in time.
    pub evaluation: Option<EvaluationFigures>,
    pub series: Series,
    /// The services (`membership`, `consultation`, `reports`, `liaison`) that did not answer in
    /// time: their parts are `null`. Empty when the document is complete.
    pub unavailable: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// What the services answer (only the fields used; unknown ones are ignored).

#[derive(Deserialize)]
struct MembershipStats {
    members: i64,
    members_placed: i64,
    activities: i64,
    people_helped: i64,
    problems_solved: i64,
    activities_by_type: Vec<TypeStats>,
    workrooms: i64,
    workrooms_by_kind: Vec<KindWorkrooms>,
    workrooms_by_status: Vec<StatusWorkrooms>,
}
#[derive(Deserialize)]
struct TypeStats {
    #[serde(rename = "type")]
    activity_type: String,
    activities: i64,
}
#[derive(Deserialize)]
struct KindWorkrooms {
    kind: String,
    workrooms: i64,
}
#[derive(Deserialize)]
struct StatusWorkrooms {
    status: String,
    workrooms: i64,
}

#[derive(Deserialize)]
struct ConsultationStats {
    topics: i64,
    topics_by_origin: Vec<Count>,
    topics_by_status: Vec<Count>,
    consultations_held: i64,
    problems_solved: i64,
    mediation: MediationFigures,
    receptions: i64,
    receptions_by_channel: Vec<Count>,
    legal_consultations: i64,
}

#[derive(Deserialize)]
struct ReportStats {
    totals: ReportCounts,
}
#[derive(Deserialize)]
struct ReportCounts {
    received: i64,
    accepted: i64,
    forwarded: i64,
    adopted: i64,
    adoptions: i64,
    adoptions_by_level: Vec<LevelCount>,
    instructions: i64,
    adoption_rate: Option<f64>,
}
#[derive(Deserialize)]
struct LevelCount {
    level: String,
    count: i64,
}

#[derive(Deserialize)]
struct LiaisonStats {
    events_held: i64,
    events_by_kind: Vec<KindCount>,
    compatriot_participations: i64,
    volunteers: i64,
    people_served: i64,
    requests: i64,
    requests_resolved: i64,
}
#[derive(Deserialize)]
struct KindCount {
    kind: String,
    count: i64,
}

#[derive(Deserialize)]
struct EvaluationPage {
    ranked_members: i64,
    items: Vec<EvaluationEntry>,
    next_cursor: Option<String>,
}
#[derive(Deserialize)]
struct EvaluationEntry {
    grade: String,
}

/// Every grade, in order, so the distribution always lists all three.
const GRADES: [&str; 3] = ["excellent", "competent", "needs_improvement"];

// ---------------------------------------------------------------------------------------------
// Calling the services

/// How one call ended, short of an answer to use.
#[derive(Debug)]
enum Failure {
    /// Down, slow, or a server error: the part is unavailable.
    Unavailable,
    /// The service answered 404 (e.g. no evaluation rules for the year): the part is empty.
    NotFound,
    /// The service refused the request itself: the whole answer is this refusal.
    Refused(u16, bytes::Bytes),
}

/// The caller's request, as the services will see it.
struct Calls<'a> {
    proxy: &'a Proxy,
    client: &'a reqwest::Client,
    authorization: Option<&'a str>,
    request_id: Option<&'a str>,
}

impl Calls<'_> {
    /// `GET /api/v1/<path>` at `service` with the caller's token, read as `T`; each replica in
    /// turn while connections are refused.
    async fn get<T: DeserializeOwned>(&self, service: &str, path: &str) -> Result<T, Failure> {
        let pool = self
            .proxy
            .services
            .get(service)
            .ok_or(Failure::Unavailable)?;
        for upstream in &pool.upstreams {
            let mut request = self
                .client
                .get(format!("{}/api/v1/{path}", upstream.base))
                .header(header::ACCEPT.as_str(), "application/json");
            if let Some(a) = self.authorization {
                request = request.header(header::AUTHORIZATION.as_str(), a);
            }
            if let Some(id) = self.request_id {
                request = request.header("x-request-id", id);
            }
            let res = match request.send().await {
                Ok(res) => res,
                Err(e) if e.is_connect() => continue,
                Err(e) => {
                    tracing::debug!(service, error = %e, "dashboard: no answer");
                    return Err(Failure::Unavailable);
                }
            };
            let status = res.status();
            if status.is_success() {
                return res.json::<T>().await.map_err(|e| {
                    tracing::warn!(service, error = %e, "dashboard: unreadable statistics");
                    Failure::Unavailable
                });
            }
            if status == reqwest::StatusCode::NOT_FOUND {
                return Err(Failure::NotFound);
            }
            if status.is_client_error() && status != reqwest::StatusCode::UNAUTHORIZED {
                let body = res.bytes().await.unwrap_or_default();
                return Err(Failure::Refused(status.as_u16(), body));
            }
            tracing::debug!(service, %status, "dashboard: statistics failed");
            return Err(Failure::Unavailable);
        }
        Err(Failure::Unavailable)
    }

    /// [`Calls::get`] within the part's deadline.
    async fn part<T, F>(&self, service: &str, work: F) -> Result<T, Failure>
    where
        F: std::future::Future<Output = Result<T, Failure>>,
    {
        match tokio::time::timeout(PART_DEADLINE, work).await {
            Ok(r) => r,
            Err(_) => {
                tracing::debug!(service, "dashboard: past the part's deadline");
                Err(Failure::Unavailable)
            }
        }
    }
}

/// `?district=&from=&to=` plus `extra`, for a service's statistics.
fn query(district: Option<&str>, from: Option<NaiveDate>, to: Option<NaiveDate>) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    if let Some(d) = district {
        q.append_pair("district", d);
    }
    if let Some(f) = from {
        q.append_pair("from", &f.to_string());
    }
    if let Some(t) = to {
        q.append_pair("to", &t.to_string());
    }
    q.finish()
}

/// The buckets of the topic series: calendar months of `[from, to]` (years when that is more
/// than [`MAX_MONTHS`] months), the first and last cut to the period.
pub fn buckets(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32 + 1;
    let yearly = months > MAX_MONTHS as i32;
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        let first_of_next = if yearly {
            NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)
        } else {
            start
                .with_day(1)
                .and_then(|d| d.checked_add_months(Months::new(1)))
        };
        let Some(next) = first_of_next else { break };
        let end = next.pred_opt().unwrap_or(next).min(to);
        out.push((start, end));
        start = next;
    }
    out
}

/// The period of the topic series: `[from, to]`, or the twelve months ending at `to`.
fn series_period(from: Option<NaiveDate>, to: Option<NaiveDate>) -> (NaiveDate, NaiveDate) {
    let to = to.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let from = from.unwrap_or_else(|| {
        to.with_day(1)
            .and_then(|d| d.checked_sub_months(Months::new(11)))
            .unwrap_or(to)
    });
    (from, to)
}

fn counts<T>(items: Vec<T>, f: impl Fn(T) -> (String, i64)) -> Vec<Count> {
    items
        .into_iter()
        .map(|i| {
            let (value, count) = f(i);
            Count { value, count }
        })
        .collect()
}

/// Get the dashboard summary
///
/// One document for a district (or the city) and a period (`from`, `to`, inclusive days): workrooms
/// and members, activities, topics and problems solved, consultations, mediation, receptions,
/// reports and adoptions by level, liaison events and people served, the members' evaluation by
/// grade, and series to chart (topics by status per month, reports adopted by level, events by
/// kind). Counts only, no personal data. Enum values are codes; their display names are in
/// `GET /api/v1/labels`.
///
/// For dashboards (every district, or the one their token names), office staff (their own
/// district; another is 403) and admins; every other role gets 403. The figures are the four
/// services' own statistics (`/api/v1/stats/...`, `/api/v1/evaluations`), asked concurrently
/// with the caller's token. A service that does not answer within 2.5 s leaves its parts `null`
/// and is named in `unavailable`: the answer is still 200, within a few seconds. A service
/// refusing the request itself (an unknown district: 422) makes the whole answer that refusal.
#[utoipa::path(tag = "dashboard", params(SummaryQuery), responses(
    (status = 200, description = "The summary; parts of services that did not answer are `null` and named in `unavailable`", body = DashboardSummary),
    (status = 400, description = "A parameter is malformed (named in the problem)", body = Problem, content_type = "application/problem+json"),
    (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "The caller's role does not read the summary, or the district is not theirs", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "`to` is before `from`, the period spans more than ten years, a day falls outside the years 2000 to 2100, or the district does not exist", body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/dashboard/summary")]
pub async fn summary(
    req: HttpRequest,
    caller: Authed,
    proxy: web::Data<Proxy>,
    client: web::Data<WorkerClient>,
    q: xs_kit::extract::Query<SummaryQuery>,
) -> ApiResult<HttpResponse> {
    let caller = caller.0;
    let q = q.0;
    let scope = ACCESS.read_scope(&caller)?;
    let mut v = Validator::new();
    if let Some(d) = &q.district {
        v.code("district", d);
    }
    v.finish()?;
    // The evaluation part asks for the year of `to`: a day outside the years the services keep
    // is schema-valid (a date) but cannot be answered.
    for (field, day) in [("from", q.from), ("to", q.to)] {
        if day.is_some_and(|d| !xs_kit::validate::YEARS.contains(&d.year())) {
            return Err(ApiError::unprocessable(
                field,
                format!(
                    "must be a day of the years {} to {}",
                    xs_kit::validate::YEARS.start(),
                    xs_kit::validate::YEARS.end()
                ),
            ));
        }
    }
    if let (Some(f), Some(t)) = (q.from, q.to) {
        if f > t {
            return Err(ApiError::unprocessable("to", "must not be before from"));
        }
        if f.checked_add_months(Months::new(12 * MAX_YEARS))
            .is_none_or(|end| end <= t)
        {
            return Err(ApiError::unprocessable(
                "from",
                format!("the period may span at most {MAX_YEARS} years"),
            ));
        }
    }
    let district = scope.narrow(q.district, None)?.district;
    let headers = req.headers();
    let calls = Calls {
        proxy: &proxy,
        client: &client.http,
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
        request_id: headers.get("x-request-id").and_then(|v| v.to_str().ok()),
    };
    match build(&calls, district, q.from, q.to).await {
        Ok(summary) => Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .json(summary)),
        Err((status, body)) => Ok(HttpResponse::build(
            actix_web::http::StatusCode::from_u16(status)
                .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY),
        )
        .content_type("application/problem+json")
        .body(body)),
    }
}

/// Ask every service at once and assemble the document, or the first refusal.
async fn build(
    calls: &Calls<'_>,
    district: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<DashboardSummary, (u16, bytes::Bytes)> {
    let d = district.as_deref();
    let period = query(d, from, to);
    let (series_from, series_to) = series_period(from, to);
    let year = to.unwrap_or_else(|| chrono::Utc::now().date_naive()).year();

    let paths = ["membership", "consultation", "reports", "liaison"]
        .map(|service| format!("stats/{service}?{period}"));
    let membership = calls.part(
        "membership",
        calls.get::<MembershipStats>("membership", &paths[0]),
    );
    let consultation = calls.part(
        "consultation",
        calls.get::<ConsultationStats>("consultation", &paths[1]),
    );
    let reports = calls.part("reports", calls.get::<ReportStats>("reports", &paths[2]));
    let liaison = calls.part("liaison", calls.get::<LiaisonStats>("liaison", &paths[3]));
    let evaluation = calls.part("membership", evaluation(calls, d, year));
    let series = calls.part("consultation", async {
        let parts = buckets(series_from, series_to)
            .into_iter()
            .map(|(f, t)| async move {
                let path = format!("stats/consultation?{}", query(d, Some(f), Some(t)));
                let s = calls
                    .get::<ConsultationStats>("consultation", &path)
                    .await?;
                Ok(TopicBucket {
                    from: f,
                    to: t,
                    by_status: s.topics_by_status,
                })
            });
        futures_util::future::join_all(parts)
            .await
            .into_iter()
            .collect::<Result<Vec<_>, Failure>>()
    });
    let (membership, consultation, reports, liaison, evaluation, series) = tokio::join!(
        membership,
        consultation,
        reports,
        liaison,
        evaluation,
        series
    );

    let mut unavailable = BTreeMap::<&str, ()>::new();
    let membership = take(&mut unavailable, "membership", membership)?;
    let consultation = take(&mut unavailable, "consultation", consultation)?;
    let reports = take(&mut unavailable, "reports", reports)?;
    let liaison = take(&mut unavailable, "liaison", liaison)?;
    let evaluation = take(&mut unavailable, "membership", evaluation)?.flatten();
    let topics_series = take(&mut unavailable, "consultation", series)?;

    let workrooms = membership.map(|m| WorkroomFigures {
        workrooms: m.workrooms,
        workrooms_by_kind: counts(m.workrooms_by_kind, |k| (k.kind, k.workrooms)),
        workrooms_by_status: counts(m.workrooms_by_status, |s| (s.status, s.workrooms)),
        members: m.members,
        members_placed: m.members_placed,
        activities: m.activities,
        people_helped: m.people_helped,
        problems_solved: m.problems_solved,
        activities_by_type: counts(m.activities_by_type, |t| (t.activity_type, t.activities)),
    });
    let consultation = consultation.map(|c| ConsultationFigures {
        topics: c.topics,
        topics_by_origin: c.topics_by_origin,
        topics_by_status: c.topics_by_status,
        problems_solved: c.problems_solved,
        consultations_held: c.consultations_held,
        mediation: c.mediation,
        receptions: c.receptions,
        receptions_by_channel: c.receptions_by_channel,
        legal_consultations: c.legal_consultations,
    });
    let reports = reports.map(|r| {
        let t = r.totals;
        ReportFigures {
            received: t.received,
            accepted: t.accepted,
            forwarded: t.forwarded,
            adopted: t.adopted,
            adoptions: t.adoptions,
            adoptions_by_level: counts(t.adoptions_by_level, |l| (l.level, l.count)),
            instructions: t.instructions,
            adoption_rate: t.adoption_rate,
        }
    });
    let liaison = liaison.map(|l| LiaisonFigures {
        events_held: l.events_held,
        events_by_kind: counts(l.events_by_kind, |k| (k.kind, k.count)),
        people_served: l.people_served,
        volunteers: l.volunteers,
        compatriot_participations: l.compatriot_participations,
        requests: l.requests,
        requests_resolved: l.requests_resolved,
    });
    let series = Series {
        topics_by_status: topics_series,
        reports_adopted_by_level: reports.as_ref().map(|r| r.adoptions_by_level.clone()),
        events_by_kind: liaison.as_ref().map(|l| l.events_by_kind.clone()),
    };
    Ok(DashboardSummary {
        district,
        from,
        to,
        workrooms,
        consultation,
        reports,
        liaison,
        evaluation,
        series,
        unavailable: unavailable.into_keys().map(str::to_string).collect(),
    })
}

/// A part's answer: the figures, `None` (noting the service in `unavailable` if it did not
/// answer), or the service's refusal for the whole answer.
fn take<T>(
    unavailable: &mut BTreeMap<&'static str, ()>,
    service: &'static str,
    answer: Result<T, Failure>,
) -> Result<Option<T>, (u16, bytes::Bytes)> {
    match answer {
        Ok(v) => Ok(Some(v)),
        Err(Failure::NotFound) => Ok(None),
        Err(Failure::Unavailable) => {
            unavailable.insert(service, ());
            Ok(None)
        }
        Err(Failure::Refused(status, body)) => Err((status, body)),
    }
}

/// The district's members by grade for `year`, every page of the ranking (`None` citywide).
async fn evaluation(
    calls: &Calls<'_>,
    district: Option<&str>,
    year: i32,
) -> Result<Option<EvaluationFigures>, Failure> {
    let Some(district) = district else {
        return Ok(None);
    };
    let mut by_grade = BTreeMap::<String, i64>::new();
    let mut cursor: Option<String> = None;
    let ranked = loop {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("district", district)
            .append_pair("year", &year.to_string())
            .append_pair("limit", "200");
        if let Some(c) = &cursor {
            q.append_pair("cursor", c);
        }
        let page: EvaluationPage = calls
            .get("membership", &format!("evaluations?{}", q.finish()))
            .await?;
        for e in page.items {
            *by_grade.entry(e.grade).or_default() += 1;
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break page.ranked_members,
        }
    };
    Ok(Some(EvaluationFigures {
        year,
        ranked_members: ranked,
        by_grade: GRADES
            .iter()
            .map(|g| Count {
                value: (*g).to_string(),
                count: by_grade.get(*g).copied().unwrap_or(0),
            })
            .collect(),
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn buckets_are_months_cut_to_the_period() {
        assert_eq!(
            buckets(day(2026, 1, 15), day(2026, 3, 10)),
            [
                (day(2026, 1, 15), day(2026, 1, 31)),
                (day(2026, 2, 1), day(2026, 2, 28)),
                (day(2026, 3, 1), day(2026, 3, 10)),
            ]
        );
        assert_eq!(
            buckets(day(2026, 5, 5), day(2026, 5, 5)),
            [(day(2026, 5, 5), day(2026, 5, 5))]
        );
        assert_eq!(buckets(day(2024, 1, 1), day(2025, 12, 31)).len(), 24);
    }

    #[test]
    fn long_periods_are_cut_into_years() {
        assert_eq!(
            buckets(day(2023, 6, 1), day(2026, 2, 1)),
            [
                (day(2023, 6, 1), day(2023, 12, 31)),
                (day(2024, 1, 1), day(2024, 12, 31)),
                (day(2025, 1, 1), day(2025, 12, 31)),
                (day(2026, 1, 1), day(2026, 2, 1)),
            ]
        );
    }

    #[test]
    fn the_series_defaults_to_twelve_months() {
        let (f, t) = series_period(None, Some(day(2026, 11, 20)));
        assert_eq!((f, t), (day(2025, 12, 1), day(2026, 11, 20)));
        assert_eq!(buckets(f, t).len(), 12);
    }
}
