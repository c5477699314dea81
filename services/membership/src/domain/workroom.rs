//! Workrooms: the lifecycle (申请 → 实地考察 → 党组批准 → 授牌), the six essentials (六有),
//! distances for "the nearest studio", and who is suggested for a workroom.
//!
//! The lifecycle is the kit's [`Lifecycle`] on [`WorkroomStatus`]: its legal moves are all in
//! one table, [`WorkroomStatus::target`]. A failed inspection is not a dead end: the workroom stays (or
//! falls back to) `applied`, the failed inspection is kept in the history, and it may be
//! inspected again once the problems are fixed. A re-inspection from `inspected` is allowed
//! too (e.g. after the essentials changed), and its result decides the state again.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use xs_kit::lifecycle::Lifecycle;
use xs_kit::{Caller, Role};

xs_kit::text_enum! {
    /// The kinds of workroom the register knows.
    pub enum WorkroomKind {
        /// 好商量工作室
        HaoshangliangStudio = "haoshangliang_studio",
        /// 委员工作室
        MemberStudio = "member_studio",
        /// 委员活动室
        ActivityRoom = "activity_room",
        /// 委员联络组
        LiaisonGroup = "liaison_group",
        /// 台籍委员联系点
        TaiwanLiaisonPoint = "taiwan_liaison_point",
    }
}

xs_kit::text_enum! {
    /// Where a workroom is in its lifecycle.
    pub enum WorkroomStatus {
        /// 申请: applied for, awaiting (or after a failed) on-site inspection.
        Applied = "applied",
        /// 实地考察: passed the on-site inspection.
        Inspected = "inspected",
        /// 党组批准: approved by the party group.
        Approved = "approved",
        /// 授牌: plaque awarded, working.
        Active = "active",
        Suspended = "suspended",
        /// Wound up; nothing follows.
        Closed = "closed",
    }
}

xs_kit::text_enum! {
    /// What can be done to a workroom's lifecycle (`POST /workrooms/{id}/transitions`).
    pub enum WorkroomAction {
        /// Record an on-site inspection; passed → `inspected`, failed → `applied`.
        Inspect = "inspect",
        /// Record the party group's approval; needs a passed inspection and all six essentials.
        Approve = "approve",
        /// Award the plaque: the workroom starts work.
        AwardPlaque = "award_plaque",
        Suspend = "suspend",
        /// Lift a suspension.
        Resume = "resume",
        /// Wind up (withdraw an application, or close a suspended workroom). An active workroom is
        /// suspended first, so a working studio is never closed by one slip.
        Close = "close",
    }
}

/// What a transition knows beyond the current state: the guards' inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guards {
    /// For `inspect`: did the inspection pass?
    pub inspection_passed: bool,
    /// For a passing `inspect` and for `approve`: the six essentials not met (after this
    /// request's changes).
    pub missing_essentials: Vec<&'static str>,
}

/// The dates a dated step (`inspect`, `approve`, `award_plaque`) is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepDates {
    /// The day the application was registered.
    pub applied: NaiveDate,
    pub inspected: Option<NaiveDate>,
    pub approved: Option<NaiveDate>,
    /// The latest acceptable date: today, with a day's slack for time zones.
    pub latest: NaiveDate,
}

impl WorkroomAction {
    /// Every dated step is checked the same way: not before the step it follows (the
    /// application, the inspection, the approval) and not in the future. `Err` says why, for
    /// the request's `date`.
    pub fn check_date(self, date: NaiveDate, d: &StepDates) -> Result<(), String> {
        let previous = match self {
            WorkroomAction::Inspect => Some(("the application", d.applied)),
            WorkroomAction::Approve => d.inspected.map(|i| ("the inspection", i)),
            WorkroomAction::AwardPlaque => d.approved.map(|a| ("the approval", a)),
            _ => None,
        };
        if let Some((what, day)) = previous
            && date < day
        {
            return Err(format!("must not be before {what} ({day})"));
        }
        if date > d.latest {
            return Err("must not be in the future".into());
        }
        Ok(())
    }
}

impl Lifecycle for WorkroomStatus {
    type Action = WorkroomAction;
    type Guards = Guards;
    const SUBJECT: &'static str = "workroom";

    /// Every legal move, in one place. `inspection_passed` decides where an inspection leads.
    fn target(self, action: WorkroomAction, g: &Guards) -> Option<WorkroomStatus> {
        use WorkroomAction as A;
        use WorkroomStatus as S;
        match (self, action) {
            (S::Applied | S::Inspected, A::Inspect) => Some(if g.inspection_passed {
                S::Inspected
            } else {
                S::Applied
            }),
            (S::Inspected, A::Approve) => Some(S::Approved),
            (S::Approved, A::AwardPlaque) => Some(S::Active),
            (S::Active, A::Suspend) => Some(S::Suspended),
            (S::Suspended, A::Resume) => Some(S::Active),
            (S::Applied | S::Inspected | S::Approved | S::Suspended, A::Close) => Some(S::Closed),
            _ => None,
        }
    }

    /// A passing inspection and an approval both need all six essentials (an inspection that
    /// finds one missing has failed); until then `approve` is not among the allowed actions,
    /// so a client shows exactly the buttons that will work.
    fn guard(self, action: WorkroomAction, g: &Guards) -> Result<(), String> {
        let needs_essentials = match action {
            WorkroomAction::Approve => Some("approval"),
            WorkroomAction::Inspect if g.inspection_passed => Some("a passed inspection"),
            _ => None,
        };
        if let Some(what) = needs_essentials
            && !g.missing_essentials.is_empty()
        {
            return Err(format!(
                "{what} needs all six essentials met; missing: {}",
                g.missing_essentials.join(", ")
            ));
        }
        Ok(())
    }

    /// Named for what happened: `workroom.applied` (created), `workroom.inspected` (whatever
    /// the result; the data says), `workroom.approved`, `workroom.activated` (plaque awarded),
    /// `workroom.suspended`, `workroom.resumed`, `workroom.closed`.
    fn event_type(_from: Option<Self>, action: &str, _to: Self) -> Option<String> {
        let what = match WorkroomAction::parse(action) {
            Some(WorkroomAction::Inspect) => "inspected",
            Some(WorkroomAction::Approve) => "approved",
            Some(WorkroomAction::AwardPlaque) => "activated",
            Some(WorkroomAction::Suspend) => "suspended",
            Some(WorkroomAction::Resume) => "resumed",
            Some(WorkroomAction::Close) => "closed",
            None => "applied",
        };
        Some(format!("workroom.{what}"))
    }
}

/// One of the six essentials (六有): met or not, with a note (e.g. where the venue is).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Essential {
    pub met: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "\\S", max_length = 500)]
    pub note: Option<String>,
}

/// The six essentials (六有): 场所、队伍、制度、标识牌、履职清单、经费. Any left out counts as
/// not met.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Essentials {
    #[serde(default)]
    pub venue: Essential,
    #[serde(default)]
    pub team: Essential,
    #[serde(default)]
    pub rules: Essential,
    #[serde(default)]
    pub signage: Essential,
    #[serde(default)]
    pub duty_list: Essential,
    #[serde(default)]
    pub funding: Essential,
}

impl Essentials {
    pub fn each(&self) -> [(&'static str, &Essential); 6] {
        [
            ("venue", &self.venue),
            ("team", &self.team),
            ("rules", &self.rules),
            ("signage", &self.signage),
            ("duty_list", &self.duty_list),
            ("funding", &self.funding),
        ]
    }

    /// The essentials not met, by name.
    pub fn missing(&self) -> Vec<&'static str> {
        self.each()
            .into_iter()
            .filter(|(_, e)| !e.met)
            .map(|(n, _)| n)
            .collect()
    }

    pub fn all_met(&self) -> bool {
        self.missing().is_empty()
    }
}

xs_kit::text_enum! {
    /// A weekday, for reception days (接待日).
    #[derive(PartialOrd, Ord)]
    pub enum Weekday {
        Monday = "monday",
        Tuesday = "tuesday",
        Wednesday = "wednesday",
        Thursday = "thursday",
        Friday = "friday",
        Saturday = "saturday",
        Sunday = "sunday",
    }
}

const EARTH_RADIUS_KM: f64 = 6371.0088;
/// Kilometres per degree of latitude (and of longitude at the equator).
const KM_PER_DEGREE: f64 = 111.32;
/// The widest `near` search: keeps the bounding-box candidate set small.
pub const MAX_RADIUS_KM: f64 = 50.0;
pub const DEFAULT_RADIUS_KM: f64 = 5.0;

/// Great-circle distance in km between two (latitude, longitude) points (haversine).
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let dlat = lat2 - lat1;
    let dlng = (b.1 - a.1).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlng / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// A (latitude, longitude) box that contains every point within `radius_km` of `center`,
/// slightly generously: rows outside it cannot be within the radius.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    pub lat_min: f64,
    pub lat_max: f64,
    pub lng_min: f64,
    pub lng_max: f64,
}

pub fn bounding_box(center: (f64, f64), radius_km: f64) -> BoundingBox {
    // 1% slack covers the difference between the spherical formula and this flat estimate.
    let r = radius_km * 1.01;
    let dlat = r / KM_PER_DEGREE;
    // Near the poles a degree of longitude shrinks to nothing: take the whole circle there.
    let cos = center.0.to_radians().cos();
    let dlng = if cos < 0.01 {
        180.0
    } else {
        (r / (KM_PER_DEGREE * cos)).min(180.0)
    };
    BoundingBox {
        lat_min: center.0 - dlat,
        lat_max: center.0 + dlat,
        lng_min: center.1 - dlng,
        lng_max: center.1 + dlng,
    }
}

/// The sort key of a `near` result: distance in millimetres, then id. Integers, so the cursor
/// that carries it compares exactly (a float could come back from JSON one bit different).
pub fn distance_key(km: f64) -> i64 {
    (km * 1_000_000.0).round() as i64
}

/// What `near` takes, as the API document states it: decimal degrees, latitude -90 to 90 and
/// longitude -180 to 180, no exponent, no leading zero, spaces allowed around each number.
/// [`parse_point`] accepts exactly the strings this matches.
pub const POINT_PATTERN: &str = r"^ *-?(90(\.0+)?|[1-8]?[0-9](\.[0-9]+)?) *, *-?(180(\.0+)?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]+)?) *$";

/// `"24.45,118.08"` → (24.45, 118.08), checked to be a place on Earth; exactly the strings
/// [`POINT_PATTERN`] matches.
pub fn parse_point(s: &str) -> Option<(f64, f64)> {
    let (lat, lng) = s.split_once(',')?;
    let lat = decimal(lat.trim_matches(' '))?;
    let lng = decimal(lng.trim_matches(' '))?;
    valid_point(lat, lng).then_some((lat, lng))
}

/// `-?` digits (no leading zero) with an optional `.` and digits: nothing else f64 parses
/// (exponents, `inf`, `+1`, `.5`).
fn decimal(s: &str) -> Option<f64> {
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match unsigned.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    let ok = digits(int) && (int == "0" || !int.starts_with('0')) && frac.is_none_or(digits);
    if ok { s.parse().ok() } else { None }
}

pub fn valid_point(lat: f64, lng: f64) -> bool {
    lat.is_finite()
        && lng.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lng)
}

xs_kit::text_enum! {
    /// Why a member is suggested for a workroom: they live in its subdistrict, or work there.
    #[derive(PartialOrd, Ord)]
    pub enum SuggestionMatch {
        Residence = "residence",
        Workplace = "workplace",
    }
}

/// "By need and where they live" (按需就近): a member matches a workroom's subdistrict by
/// residence first, workplace second; no match, no suggestion.
pub fn suggestion_match(
    workroom_subdistrict: &str,
    residence: Option<&str>,
    workplace: Option<&str>,
) -> Option<SuggestionMatch> {
    if residence == Some(workroom_subdistrict) {
        Some(SuggestionMatch::Residence)
    } else if workplace == Some(workroom_subdistrict) {
        Some(SuggestionMatch::Workplace)
    } else {
        None
    }
}

/// Residents (and anyone holding no working role) see active workrooms only: the public finds
/// working studios, not applications under review or suspended ones.
pub fn sees_only_active(caller: &Caller) -> bool {
    !caller.has_any(&[
        Role::Admin,
        Role::OfficeStaff,
        Role::Coordinator,
        Role::Member,
        Role::Integrator,
        Role::Dashboard,
        Role::Service,
    ])
}

impl WorkroomStatus {
    /// Only a working studio takes check-ins (and the activity points they bring).
    pub fn accepts_check_ins(self) -> bool {
        self == WorkroomStatus::Active
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use WorkroomAction as A;
    use WorkroomStatus as S;
    use xs_kit::ApiError;
    use xs_kit::lifecycle::{allowed, apply};

    const OK: Guards = Guards {
        inspection_passed: true,
        missing_essentials: Vec::new(),
    };

    /// The lifecycle as the brief draws it, written out independently of `target`.
    const LEGAL: [(S, A, S); 10] = [
        (S::Applied, A::Inspect, S::Inspected),
        (S::Applied, A::Close, S::Closed),
        (S::Inspected, A::Inspect, S::Inspected),
        (S::Inspected, A::Approve, S::Approved),
        (S::Inspected, A::Close, S::Closed),
        (S::Approved, A::AwardPlaque, S::Active),
        (S::Approved, A::Close, S::Closed),
        (S::Active, A::Suspend, S::Suspended),
        (S::Suspended, A::Resume, S::Active),
        (S::Suspended, A::Close, S::Closed),
    ];

    fn legal(from: S, action: A) -> Option<S> {
        LEGAL
            .iter()
            .find(|(f, a, _)| *f == from && *a == action)
            .map(|(_, _, to)| *to)
    }

    #[test]
    fn every_pair_is_legal_or_refused_with_the_allowed_actions() {
        for from in S::ALL.iter().copied() {
            for action in A::ALL.iter().copied() {
                match (legal(from, action), apply(from, action, &OK)) {
                    (Some(to), Ok(got)) => assert_eq!(got, to, "{from:?} --{action:?}"),
                    (None, Err(ApiError::IllegalTransition { allowed, detail })) => {
                        let expected: Vec<&str> = A::ALL
                            .iter()
                            .filter(|a| legal(from, **a).is_some())
                            .map(|a| a.as_str())
                            .collect();
                        assert_eq!(allowed, expected, "{from:?} --{action:?}");
                        assert!(detail.contains(from.as_str()), "{detail}");
                    }
                    (want, got) => panic!("{from:?} --{action:?}: want {want:?}, got {got:?}"),
                }
            }
        }
    }

    #[test]
    fn closed_is_final() {
        assert!(allowed(S::Closed, &OK).is_empty());
    }

    #[test]
    fn a_failed_inspection_leaves_the_application_open() {
        let failed = Guards {
            inspection_passed: false,
            ..OK
        };
        assert_eq!(
            apply(S::Applied, A::Inspect, &failed).ok(),
            Some(S::Applied)
        );
        assert_eq!(
            apply(S::Inspected, A::Inspect, &failed).ok(),
            Some(S::Applied)
        );
        // And then approval is not possible until an inspection passes.
        assert!(matches!(
            apply(S::Applied, A::Approve, &OK),
            Err(ApiError::IllegalTransition { .. })
        ));
    }

    #[test]
    fn an_inspection_passes_only_with_all_six_essentials() {
        let missing = Guards {
            missing_essentials: vec!["venue"],
            ..OK
        };
        assert!(matches!(
            apply(S::Applied, A::Inspect, &missing),
            Err(ApiError::IllegalTransition { detail, .. }) if detail.contains("venue")
        ));
        // Failing it is always possible.
        let failed = Guards {
            inspection_passed: false,
            ..missing
        };
        assert_eq!(
            apply(S::Applied, A::Inspect, &failed).ok(),
            Some(S::Applied)
        );
    }

    #[test]
    fn every_dated_step_follows_the_one_before_and_is_not_in_the_future() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d).expect("a date");
        let dates = StepDates {
            applied: day(1),
            inspected: Some(day(5)),
            approved: Some(day(10)),
            latest: day(20),
        };
        for (action, earliest) in [
            (A::Inspect, day(1)),
            (A::Approve, day(5)),
            (A::AwardPlaque, day(10)),
        ] {
            assert!(action.check_date(earliest, &dates).is_ok(), "{action:?}");
            let before = earliest.pred_opt().expect("a day before");
            assert!(action.check_date(before, &dates).is_err(), "{action:?}");
            assert!(action.check_date(day(21), &dates).is_err(), "{action:?}");
        }
    }

    #[test]
    fn approval_needs_all_six_essentials() {
        // An approval request says nothing about an inspection passing.
        let missing = Guards {
            inspection_passed: false,
            missing_essentials: vec!["funding"],
        };
        match apply(S::Inspected, A::Approve, &missing) {
            Err(ApiError::IllegalTransition { allowed, detail }) => {
                assert_eq!(allowed, ["inspect", "close"]);
                assert!(detail.contains("six essentials"), "{detail}");
                assert!(detail.contains("funding"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            allowed(S::Inspected, &OK),
            [A::Inspect, A::Approve, A::Close]
        );
    }

    #[test]
    fn events_say_what_happened() {
        let e = |action: &str, to| S::event_type(None, action, to);
        assert_eq!(e("apply", S::Applied).as_deref(), Some("workroom.applied"));
        assert_eq!(
            e("award_plaque", S::Active).as_deref(),
            Some("workroom.activated")
        );
        assert_eq!(e("resume", S::Active).as_deref(), Some("workroom.resumed"));
        assert_eq!(
            e("inspect", S::Applied).as_deref(),
            Some("workroom.inspected")
        );
    }

    #[test]
    fn essentials_report_what_is_missing() {
        let mut e = Essentials::default();
        assert_eq!(e.missing().len(), 6);
        for x in [
            &mut e.venue,
            &mut e.team,
            &mut e.rules,
            &mut e.signage,
            &mut e.duty_list,
        ] {
            x.met = true;
        }
        assert_eq!(e.missing(), ["funding"]);
        e.funding.met = true;
        assert!(e.all_met());
        let parsed: Essentials =
            serde_json::from_str(r#"{"venue":{"met":true,"note":"社区二楼"}}"#).expect("parses");
        assert_eq!(parsed.venue.note.as_deref(), Some("社区二楼"));
        assert!(!parsed.team.met);
    }

    #[test]
    fn distances_on_the_ground() {
        // Xiamen: Zhongshan Road to Huli district government, about 9 km.
        let zhongshan = (24.4555, 118.0822);
        let huli = (24.5128, 118.1466);
        let d = distance_km(zhongshan, huli);
        assert!((8.5..9.5).contains(&d), "{d}");
        assert_eq!(distance_km(zhongshan, zhongshan), 0.0);
        // One degree of latitude is about 111 km.
        let d = distance_km((24.0, 118.0), (25.0, 118.0));
        assert!((110.5..111.7).contains(&d), "{d}");
    }

    #[test]
    fn the_box_holds_the_circle() {
        let c = (24.45, 118.08);
        let b = bounding_box(c, 3.0);
        // Points 3 km due north, south, east and west are inside.
        for (dlat, dlng) in [(1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0)] {
            let step = 3.0 / 111.32;
            let p = (
                c.0 + dlat * step,
                c.1 + dlng * step / c.0.to_radians().cos(),
            );
            assert!(distance_km(c, p) <= 3.01);
            assert!(p.0 >= b.lat_min && p.0 <= b.lat_max && p.1 >= b.lng_min && p.1 <= b.lng_max);
        }
        let polar = bounding_box((89.999, 0.0), 10.0);
        assert_eq!(polar.lng_max - polar.lng_min, 360.0);
    }

    #[test]
    fn points_parse_and_are_checked() {
        assert_eq!(parse_point("24.45,118.08"), Some((24.45, 118.08)));
        assert_eq!(parse_point(" 24.45 , 118.08 "), Some((24.45, 118.08)));
        assert_eq!(parse_point("91,0"), None);
        assert_eq!(parse_point("24.45"), None);
        assert_eq!(parse_point("NaN,1"), None);
        assert_eq!(parse_point("-90,-180"), Some((-90.0, -180.0)));
        assert_eq!(parse_point("0,180.000"), Some((0.0, 180.0)));
        // Only what the documented pattern takes: no exponents, signs, bare dots, tabs or
        // leading zeros, and nothing past the poles or the date line.
        for s in [
            "1e1,0", "+1,0", ".5,0", "1.,0", "\t1,0", "08,0", "90.5,0", "0,180.1", "", ",",
        ] {
            assert_eq!(parse_point(s), None, "{s:?}");
        }
    }

    #[test]
    fn the_point_pattern_and_the_parser_agree() {
        let pattern =
            regex::Regex::new(&POINT_PATTERN.replace("^", "^(?:").replace("$", ")$")).unwrap();
        for s in [
            "24.45,118.08",
            " 24.45 , 118.08 ",
            "-90,-180",
            "90.0,180.00",
            "0,0",
            "-0,-0",
            "89.9999,179.9999",
            "1e1,0",
            "+1,0",
            ".5,0",
            "1.,0",
            "08,0",
            "90.5,0",
            "0,180.1",
            "100,0",
            "0,1000",
            "",
            ",",
            "1,2,3",
            "\t1,0",
            "nan,1",
            "inf,1",
        ] {
            assert_eq!(pattern.is_match(s), parse_point(s).is_some(), "{s:?}");
        }
        // The document states this very pattern for `near`.
        use utoipa::IntoParams;
        let params = crate::views::workroom::WorkroomQuery::into_params(|| None);
        let near = params.iter().find(|p| p.name == "near").unwrap();
        let near = serde_json::to_value(near).unwrap();
        assert_eq!(near["schema"]["pattern"], POINT_PATTERN);
        assert_eq!(distance_key(1.2345674), 1_234_567);
    }

    #[test]
    fn residence_comes_before_workplace() {
        use SuggestionMatch::*;
        assert_eq!(
            suggestion_match("jialian", Some("jialian"), Some("x")),
            Some(Residence)
        );
        assert_eq!(
            suggestion_match("jialian", Some("x"), Some("jialian")),
            Some(Workplace)
        );
        assert_eq!(suggestion_match("jialian", None, Some("x")), None);
        assert!(Residence < Workplace);
    }
}
