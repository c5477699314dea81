//! Annual plans (年度计划) with quantified targets (量化指标), and the progress bulletin (通报):
//! which targets a plan may set, how actuals measure against them, how a target is prorated to
//! the end of a quarter, how workrooms rank, and who reads what.
//!
//! Arithmetic is exact: a target due by quarter Q is kept in quarter-units (annual × Q, against
//! actual × 4), so percentages and ranks never depend on rounding a fraction first.

use crate::domain::evaluation::{ActivityType, RankedSoFar, assign_ranks};
use chrono::NaiveDate;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use xs_kit::validate::Validator;

/// Targets per activity type: how many of each the workroom means to hold in the year.
pub type Targets = BTreeMap<ActivityType, i32>;

/// The largest target one type may have (a reception every day is 366).
pub const MAX_TARGET: i64 = 100_000;

/// The proration rule, stated once: returned with every bulletin and documented in the API.
pub const PRORATION_RULE: &str = "The target due by the end of quarter Q is the annual target \
    × Q / 4 (Q1 a quarter, Q2 half, Q3 three quarters, Q4 all of it), kept exact, not rounded; \
    actuals count the activities recorded at the workroom from 1 January to the quarter's last day.";

/// How a workroom's overall completion is computed, returned with every plan and bulletin.
pub const COMPLETION_RULE: &str = "A target's percent is actual ÷ target due × 100 and may pass \
    100. Overall completion is the mean, over the targets above 0, of those percents each capped \
    at 100 (so surpassing one target does not make up for missing another). Workrooms rank by \
    overall completion, highest first; equal completion shares a rank.";

/// Check the requested targets: every name an activity type, every value 0 to [`MAX_TARGET`],
/// at least one above 0 (a plan that asks for nothing measures nothing). Problems go to `v`
/// named `targets.<type>` (or `targets`); the valid ones come back.
pub fn check_targets(v: &mut Validator, requested: &BTreeMap<String, i64>) -> Targets {
    let mut targets = Targets::new();
    for (name, value) in requested {
        let field = format!("targets.{name}");
        let Some(kind) = ActivityType::parse(name) else {
            v.refuse(&field, "no such activity type");
            continue;
        };
        if (0..=MAX_TARGET).contains(value) {
            targets.insert(kind, *value as i32);
        } else {
            v.push(&field, "must be between 0 and 100000");
        }
    }
    if requested.is_empty() {
        v.refuse("targets", "must name at least one activity type");
    } else if targets.len() == requested.len() && targets.values().all(|t| *t == 0) {
        // Each target is schema-valid on its own; all of them 0 cannot be processed: 422.
        v.refuse("targets", "at least one target must be above 0");
    }
    targets
}

/// The part of the annual target due by the end of `quarter` (4 for the whole year).
pub fn target_due(annual: i32, quarter: u8) -> f64 {
    f64::from(annual) * f64::from(quarter) / 4.0
}

/// Actual against the target due by the end of `quarter`, in percent to one decimal place;
/// `None` when nothing is due (a target of 0).
pub fn percent(actual: i64, annual: i32, quarter: u8) -> Option<f64> {
    let due = i64::from(annual) * i64::from(quarter);
    if due <= 0 {
        return None;
    }
    let pct = (actual * 4) as f64 * 100.0 / due as f64;
    Some((pct * 10.0).round() / 10.0)
}

/// Overall completion in hundredths of a percent (rounded down), from each target's
/// (actual, annual target): the mean of the capped percents of the targets above 0. `None`
/// when no target is above 0. Integers, so equal completion compares equal for ranking.
pub fn completion(lines: &[(i64, i32)], quarter: u8) -> Option<i64> {
    let parts: Vec<i64> = lines
        .iter()
        .filter(|(_, annual)| *annual > 0)
        .map(|(actual, annual)| {
            let due = i64::from(*annual) * i64::from(quarter);
            ((*actual).max(0) * 4).min(due) * 10_000 / due
        })
        .collect();
    if parts.is_empty() {
        None
    } else {
        Some(parts.iter().sum::<i64>() / parts.len() as i64)
    }
}

/// Hundredths of a percent as a percent (`8333` → 83.33).
pub fn as_percent(hundredths: i64) -> f64 {
    hundredths as f64 / 100.0
}

/// The rank key of a workroom: its completion, with no completion below every real one.
pub fn rank_key(completion: Option<i64>) -> i64 {
    completion.unwrap_or(-1)
}

/// Bulletin order: higher completion first, then workroom id (stable, so a cursor of
/// (completion, id) says exactly where a page ended).
pub fn bulletin_order(a: (i64, &str), b: (i64, &str)) -> Ordering {
    b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1))
}

/// Sort workrooms into bulletin order and give each its competition rank ("1224") and
/// position. `key` is (rank key, workroom id).
pub fn rank_workrooms<T>(
    mut items: Vec<T>,
    key: impl Fn(&T) -> (i64, &str),
) -> Vec<(RankedSoFar, T)> {
    items.sort_by(|a, b| bulletin_order(key(a), key(b)));
    let totals: Vec<i64> = items.iter().map(|i| key(i).0).collect();
    assign_ranks(&totals, None).into_iter().zip(items).collect()
}

/// Quarters as the API takes them.
pub const QUARTERS: std::ops::RangeInclusive<i32> = 1..=4;

/// The days a bulletin counts: 1 January to the last day of `quarter`.
pub fn quarter_span(year: i32, quarter: u8) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1)?;
    let last = match quarter {
        1 => NaiveDate::from_ymd_opt(year, 3, 31)?,
        2 => NaiveDate::from_ymd_opt(year, 6, 30)?,
        3 => NaiveDate::from_ymd_opt(year, 9, 30)?,
        4 => NaiveDate::from_ymd_opt(year, 12, 31)?,
        _ => return None,
    };
    Some((first, last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActivityType as T;
    use xs_kit::ApiError;

    fn fields(v: &mut Validator) -> Vec<String> {
        match v.finish() {
            Ok(()) => Vec::new(),
            Err(ApiError::Validation(errs) | ApiError::UnprocessableFields(errs)) => {
                errs.into_iter().map(|e| e.field).collect()
            }
            Err(other) => panic!("{other:?}"),
        }
    }

    fn requested(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn targets_are_activity_types_with_sane_counts() {
        let mut v = Validator::new();
        let t = check_targets(
            &mut v,
            &requested(&[
                ("consultation", 12),
                ("reception", 48),
                ("report_submitted", 0),
            ]),
        );
        assert!(fields(&mut v).is_empty());
        assert_eq!(t[&T::Consultation], 12);
        assert_eq!(t[&T::Reception], 48);
        assert_eq!(t[&T::ReportSubmitted], 0);

        let mut v = Validator::new();
        check_targets(
            &mut v,
            &requested(&[("sightseeing", 1), ("lecture", -1), ("reception", 100_001)]),
        );
        assert_eq!(
            fields(&mut v),
            [
                "targets.lecture",
                "targets.reception",
                "targets.sightseeing"
            ]
        );

        let mut v = Validator::new();
        check_targets(&mut v, &requested(&[]));
        assert_eq!(fields(&mut v), ["targets"]);
        let mut v = Validator::new();
        check_targets(&mut v, &requested(&[("lecture", 0)]));
        assert_eq!(fields(&mut v), ["targets"]);
    }

    #[test]
    fn percentages_of_the_year_and_of_a_quarter() {
        // 5 of 12 consultations in the year: 41.7%.
        assert_eq!(percent(5, 12, 4), Some(41.7));
        // By the end of Q2 half is due: 6 of 12 is 100%, 9 is 150%.
        assert_eq!(percent(6, 12, 2), Some(100.0));
        assert_eq!(percent(9, 12, 2), Some(150.0));
        // Q1 of 6 reports is 1.5 due: 1 report is 66.7%.
        assert_eq!(target_due(6, 1), 1.5);
        assert_eq!(percent(1, 6, 1), Some(66.7));
        assert_eq!(target_due(48, 3), 36.0);
        assert_eq!(percent(0, 48, 3), Some(0.0));
        assert_eq!(percent(3, 0, 4), None, "nothing due, nothing to measure");
    }

    #[test]
    fn completion_is_the_mean_of_capped_percents() {
        // Year: 12 consultations (6 held = 50%), 6 reports (9 sent, capped at 100%).
        assert_eq!(completion(&[(6, 12), (9, 6)], 4), Some(7_500));
        // Surpassing one target does not make up for another at 0.
        assert_eq!(completion(&[(100, 12), (0, 6)], 4), Some(5_000));
        // Targets of 0 are left out, and with none above 0 there is no completion.
        assert_eq!(completion(&[(6, 12), (5, 0)], 4), Some(5_000));
        assert_eq!(completion(&[(5, 0)], 4), None);
        assert_eq!(completion(&[], 4), None);
        // Prorated: by Q2, 3 of the 6 due consultations is 50%; one third is rounded down.
        assert_eq!(completion(&[(3, 12)], 2), Some(5_000));
        assert_eq!(completion(&[(1, 12)], 1), Some(3_333));
        assert_eq!(as_percent(3_333), 33.33);
    }

    #[test]
    fn workrooms_rank_by_completion_with_ties_sharing() {
        let rooms = vec![
            ("w-b", Some(5_000)),
            ("w-a", Some(10_000)),
            ("w-d", None),
            ("w-c", Some(5_000)),
            ("w-e", Some(2_500)),
        ];
        let ranked = rank_workrooms(rooms, |(id, c)| (rank_key(*c), id));
        let got: Vec<(&str, i64, i64)> = ranked
            .iter()
            .map(|(r, (id, _))| (*id, r.rank, r.position))
            .collect();
        assert_eq!(
            got,
            [
                ("w-a", 1, 1),
                ("w-b", 2, 2),
                ("w-c", 2, 3),
                ("w-e", 4, 4),
                ("w-d", 5, 5)
            ]
        );
        assert_eq!(bulletin_order((5_000, "a"), (5_000, "b")), Ordering::Less);
        assert_eq!(
            bulletin_order((5_000, "b"), (7_000, "a")),
            Ordering::Greater
        );
    }

    #[test]
    fn quarters_end_on_their_last_day() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        assert_eq!(quarter_span(2026, 2), Some((d(2026, 1, 1), d(2026, 6, 30))));
        assert_eq!(quarter_span(2026, 4).map(|s| s.1), Some(d(2026, 12, 31)));
        assert_eq!(quarter_span(2026, 1).map(|s| s.1), Some(d(2026, 3, 31)));
        assert_eq!(quarter_span(2026, 5), None);
    }
}
