//! The merged events feed, `GET /api/v1/events`: every service's domain events in one feed
//! that dashboards and integrations page through incrementally.
//!
//! The gateway holds no events. Each service keeps its own (`kit_events`, written in the
//! transaction of the change) and numbers them after commit (`xs_kit::events::publish`), so its
//! own feed, read by position, misses and repeats nothing. This handler checks the caller's
//! role and district (`xs_kit::events::ACCESS`), asks each service for its events after the
//! position the cursor holds for it (`GET /internal/v1/events`, concurrently, with a service
//! token and the caller's district), merges the pages by `occurred_at` and returns a cursor
//! holding, per service, the position of the last of its events served. Every page therefore
//! continues each service's feed exactly where the previous one stopped: under any concurrency
//! every committed event appears once, each service's events in commit order (so the changes of
//! one resource in the order they happened), and the services interleaved by time.
//!
//! A service that does not answer is named in `unavailable`; its position stays where it was,
//! so its events come later (after the others' newer ones) rather than never.

use crate::gate::Authed;
use crate::state::Shared;
use actix_web::{HttpResponse, get, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use utoipa::{IntoParams, ToSchema};
use xs_kit::error::Problem;
use xs_kit::events::{self, Event, InternalFeedPage, Positioned};
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult};

/// The services whose events the feed merges, in the order ties are broken.
pub const SERVICES: [&str; 4] = ["membership", "consultation", "reports", "liaison"];

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 500;

/// The feed's query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// `next_cursor` of the previous page; absent: from the first event. One this feed did not
    /// give out is a 422.
    #[param(schema_with = xs_kit::pagination::cursor_schema)]
    pub after: Option<String>,
    /// Comma-separated event types to keep, e.g. `topic.created,report.adopted` (absent or
    /// empty: all); each one the services raise, at most 50.
    #[param(schema_with = xs_kit::events::types_param_schema)]
    pub types: Option<String>,
    /// Only events of this district (office staff and district-bound dashboards get their own
    /// whatever they ask, and a 403 for another).
    #[param(pattern = "\\S", max_length = 64)]
    pub district: Option<String>,
    /// Events per page, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// One event of the feed, with the service it comes from.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FeedEvent {
    /// `membership`, `consultation`, `reports` or `liaison`.
    pub service: String,
    #[serde(flatten)]
    pub event: Event,
}

/// A page of the feed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FeedPage {
    /// Each service's events in the order they committed, the services interleaved by
    /// `occurred_at`.
    pub items: Vec<FeedEvent>,
    /// Always present: pass it as `after` for the next page, or keep it and ask again later to
    /// get only what happened since (with the same `types` and `district`).
    pub next_cursor: String,
    /// More events are ready now: ask again at once.
    pub has_more: bool,
    /// Services that did not answer: their events since the cursor are not in this page and
    /// will come in a later one.
    pub unavailable: Vec<String>,
}

/// Per service, the position of the last event served.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor(BTreeMap<String, i64>);

impl Cursor {
    /// A cursor this feed gave out (the empty text: the beginning), or `None`.
    pub fn decode(text: &str) -> Option<Cursor> {
        if text.is_empty() {
            return Some(Cursor::default());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let cursor: Cursor = serde_json::from_slice(&bytes).ok()?;
        let known = cursor
            .0
            .iter()
            .all(|(s, p)| SERVICES.contains(&s.as_str()) && *p >= 0);
        known.then_some(cursor)
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn at(&self, service: &str) -> i64 {
        self.0.get(service).copied().unwrap_or(0)
    }
}

/// The path of one service's internal feed for this request.
fn internal_path(after: i64, types: &[String], district: Option<&str>, limit: i64) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("after", &after.to_string())
        .append_pair("limit", &limit.to_string());
    if !types.is_empty() {
        q.append_pair("types", &types.join(","));
    }
    if let Some(d) = district {
        q.append_pair("district", d);
    }
    format!("/internal/v1/events?{}", q.finish())
}

/// Merge the services' pages (each in position order) into at most `limit` events: repeatedly
/// the earliest head by `occurred_at` (ties: service order), advancing that service's position.
/// Returns the events and whether any are left over.
fn merge(
    pages: Vec<(&'static str, VecDeque<Positioned>)>,
    cursor: &mut Cursor,
    limit: usize,
) -> (Vec<FeedEvent>, bool) {
    let mut pages = pages;
    let mut out = Vec::new();
    while out.len() < limit {
        let next = pages
            .iter()
            .enumerate()
            .filter_map(|(i, (_, q))| q.front().map(|e| (e.event.occurred_at, i)))
            .min();
        let Some((_, i)) = next else { break };
        let (service, queue) = &mut pages[i];
        let Some(e) = queue.pop_front() else { break };
        cursor.0.insert(service.to_string(), e.position);
        out.push(FeedEvent {
            service: service.to_string(),
            event: e.event,
        });
    }
    let left = pages.iter().any(|(_, q)| !q.is_empty());
    (out, left)
}

/// The domain events of every service, in one feed
///
/// For dashboards and integrations that sync incrementally: admins and integrators read every
/// district, dashboards every district or the one their token names, office staff their own
/// district (`district` narrows further; naming another district is a 403). Each event is the
/// envelope `id`, `type`, `occurred_at`, `district`, `subject` (the resource's path) and `data`
/// (the resource after the change as the least privileged reader may see it: names, phones and
/// parties masked), with the `service` it comes from.
///
/// Page with `after` = the previous page's `next_cursor`. Positions are given after commit, so
/// under concurrent writes no event is missed or repeated across pages: each service's events
/// come in the order they committed (one resource's changes in order), the services interleaved
/// by `occurred_at`. An empty page still returns a cursor: keep it and ask again later. A
/// service that does not answer is listed in `unavailable` and its events come in a later page.
#[utoipa::path(tag = "events", params(FeedQuery), responses(
    (status = 200, description = "A page of the feed", body = FeedPage),
    (status = 400, description = "A parameter or the cursor is malformed (named in the problem)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "`after` is not a cursor this feed gave out", body = Problem, content_type = "application/problem+json"),
    (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "The caller's role does not read events, or the district is not theirs", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "No service answered", body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/events")]
pub async fn feed(
    caller: Authed,
    shared: web::Data<Shared>,
    q: xs_kit::extract::Query<FeedQuery>,
) -> ApiResult<HttpResponse> {
    let caller = caller.0;
    let q = q.0;
    let scope = events::ACCESS.read_scope(&caller)?;
    let mut v = Validator::new();
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    v.check(
        (1..=MAX_LIMIT).contains(&limit),
        "limit",
        &format!("must be between 1 and {MAX_LIMIT}"),
    )
    .opt_text("district", q.district.as_deref(), 64);
    let types = events::parse_types(&mut v, "types", q.types.as_deref());
    let after = q.after.as_deref().unwrap_or_default();
    let shaped = xs_kit::pagination::cursor_shaped(after);
    v.check(shaped, "after", "must be a next_cursor (base64url)");
    let cursor = Cursor::decode(after);
    // Shaped like one but not given out by this feed: schema-valid, so 422.
    v.require(
        !shaped || cursor.is_some(),
        "after",
        "is not a cursor this feed gave out",
    );
    v.finish()?;
    let cursor = cursor.unwrap_or_default();
    let district = scope.narrow(q.district, None)?.district;
    let page = fetch(
        &shared.membership,
        cursor,
        &types,
        district.as_deref(),
        limit,
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One page of the merged feed after `cursor` (no caller check: the handler's and the
/// webhook dispatcher's). 503 only when no service answered.
pub async fn fetch(
    client: &xs_kit::client::ServiceClient,
    mut cursor: Cursor,
    types: &[String],
    district: Option<&str>,
    limit: i64,
) -> ApiResult<FeedPage> {
    let answers = futures_util::future::join_all(SERVICES.iter().map(|service| {
        let path = internal_path(cursor.at(service), types, district, limit);
        async move {
            let page = client.get_json::<InternalFeedPage>(service, &path).await;
            (*service, page)
        }
    }))
    .await;
    let mut pages = Vec::new();
    let mut unavailable = Vec::new();
    let mut more_behind = false;
    for (service, page) in answers {
        match page {
            Ok(Some(p)) => {
                more_behind |= p.has_more;
                pages.push((service, VecDeque::from(p.events)));
            }
            Ok(None) => unavailable.push(service.to_string()),
            Err(e) => {
                tracing::debug!(service, error = %e, "events feed: a service did not answer");
                unavailable.push(service.to_string());
            }
        }
    }
    if pages.is_empty() {
        return Err(ApiError::Unavailable(
            "no service answered for the events feed".into(),
        ));
    }
    let (items, left) = merge(pages, &mut cursor, limit as usize);
    Ok(FeedPage {
        items,
        next_cursor: cursor.encode(),
        has_more: left || more_behind,
        unavailable,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn ev(position: i64, minute: u32) -> Positioned {
        Positioned {
            position,
            event: Event {
                id: format!("e{position}-{minute}"),
                event_type: "topic.created".into(),
                occurred_at: NaiveDate::from_ymd_opt(2026, 1, 1)
                    .unwrap()
                    .and_hms_opt(8, minute, 0)
                    .unwrap(),
                district: Some("siming".into()),
                subject: "/api/v1/topics/x".into(),
                data: serde_json::json!({}),
            },
        }
    }

    #[test]
    fn cursors_round_trip_and_refuse_strangers() {
        let mut c = Cursor::default();
        c.0.insert("reports".into(), 7);
        assert_eq!(Cursor::decode(&c.encode()), Some(c.clone()));
        assert_eq!(c.at("reports"), 7);
        assert_eq!(c.at("liaison"), 0);
        for bad in ["x", "e30", &URL_SAFE_NO_PAD.encode(br#"{"mail":1}"#)] {
            // "e30" is `{}` without padding: valid, empty.
            if bad == "e30" {
                assert_eq!(Cursor::decode(bad), Some(Cursor::default()));
            } else {
                assert_eq!(Cursor::decode(bad), None, "{bad}");
            }
        }
        assert_eq!(
            Cursor::decode(&URL_SAFE_NO_PAD.encode(br#"{"reports":-1}"#)),
            None
        );
    }

    #[test]
    fn merge_keeps_each_service_in_position_order_and_advances_only_what_it_served() {
        // Positions are commit order; occurred_at may disagree with it within a service.
        let pages = vec![
            (
                "membership",
                VecDeque::from(vec![ev(1, 5), ev(2, 1), ev(3, 9)]),
            ),
            ("consultation", VecDeque::from(vec![ev(10, 2), ev(11, 3)])),
        ];
        let mut cursor = Cursor::default();
        let (out, left) = merge(pages, &mut cursor, 4);
        let got: Vec<(String, String)> = out
            .iter()
            .map(|e| (e.service.clone(), e.event.id.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("consultation".into(), "e10-2".into()),
                ("consultation".into(), "e11-3".into()),
                ("membership".into(), "e1-5".into()),
                ("membership".into(), "e2-1".into()),
            ]
        );
        assert!(left);
        assert_eq!(cursor.at("membership"), 2);
        assert_eq!(cursor.at("consultation"), 11);
    }

    #[test]
    fn internal_paths_carry_the_filters() {
        assert_eq!(
            internal_path(
                3,
                &["topic.created".into(), "report.adopted".into()],
                Some("si ming"),
                10
            ),
            "/internal/v1/events?after=3&limit=10&types=topic.created%2Creport.adopted&district=si+ming"
        );
        assert_eq!(
            internal_path(0, &[], None, 100),
            "/internal/v1/events?after=0&limit=100"
        );
    }
}
