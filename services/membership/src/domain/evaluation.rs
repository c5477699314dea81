//! Activity records and yearly evaluation (履职记录, 履职考评): the kinds of activity, how
//! points follow from the year's rule table, grades, ranks with ties, and who may see what.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// What a member did, and the level it reached: contracts with the services that report
/// activities, so they live in the kit.
pub use xs_kit::contracts::{ActivityLevel, ActivityType};

/// Points per activity type for one year.
pub type PointsTable = BTreeMap<ActivityType, i32>;

/// Points by level for the types that have levels, for one year. A level left out earns the
/// type's points from the [`PointsTable`].
pub type LevelPointsTable = BTreeMap<ActivityType, BTreeMap<ActivityLevel, i32>>;

/// Does the rule table give this type points by level? A report's adoption: by whom it was
/// adopted (municipal, provincial, national committee, or a department).
pub fn has_levels(kind: ActivityType) -> bool {
    kind == ActivityType::ReportAdopted
}

/// The points an activity of `kind` at `level` earns: the level's points where the table
/// gives them, else the type's.
pub fn points_at(
    kind: ActivityType,
    level: Option<ActivityLevel>,
    table: &PointsTable,
    levels: &LevelPointsTable,
) -> i32 {
    level
        .and_then(|l| levels.get(&kind).and_then(|by| by.get(&l)).copied())
        .unwrap_or_else(|| points_for(kind, table))
}

/// The largest number of points one activity may be worth.
pub const MAX_POINTS: i32 = 1000;

/// The points an activity of `kind` earns under `table` (a kind the table omits earns none).
pub fn points_for(kind: ActivityType, table: &PointsTable) -> i32 {
    table.get(&kind).copied().unwrap_or(0)
}

/// The rule table that governs `year`: its own, else the latest earlier one, else (for years
/// before the first table) the earliest. `None` only when there are no tables at all.
pub fn effective_rule_year(year: i32, available: &[i32]) -> Option<i32> {
    available
        .iter()
        .copied()
        .filter(|y| *y <= year)
        .max()
        .or_else(|| available.iter().copied().min())
}

/// The minimum totals for the upper grades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Thresholds {
    pub excellent_min: i32,
    pub competent_min: i32,
}

impl Thresholds {
    pub fn is_valid(&self) -> bool {
        self.competent_min >= 0 && self.excellent_min >= self.competent_min
    }
}

xs_kit::text_enum! {
    pub enum Grade {
        Excellent = "excellent",
        Competent = "competent",
        NeedsImprovement = "needs_improvement",
    }
}

/// The grade a year's total earns: at least `excellent_min` is excellent, at least
/// `competent_min` competent, anything less needs improvement.
pub fn grade(total: i64, t: Thresholds) -> Grade {
    if total >= i64::from(t.excellent_min) {
        Grade::Excellent
    } else if total >= i64::from(t.competent_min) {
        Grade::Competent
    } else {
        Grade::NeedsImprovement
    }
}

/// Where a ranked list stopped: the last row's total, rank and 1-based position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankedSoFar {
    pub total: i64,
    pub rank: i64,
    pub position: i64,
}

/// Competition ranks ("1224": ties share a rank, the next distinct total skips) for totals
/// in descending order, continuing from the previous page. Returns each row's rank and
/// position.
pub fn assign_ranks(totals: &[i64], prev: Option<RankedSoFar>) -> Vec<RankedSoFar> {
    let mut last = prev;
    totals
        .iter()
        .map(|&total| {
            let position = last.map_or(1, |l| l.position + 1);
            let rank = match last {
                Some(l) if l.total == total => l.rank,
                _ => position,
            };
            let here = RankedSoFar {
                total,
                rank,
                position,
            };
            last = Some(here);
            here
        })
        .collect()
}

/// A member's rank from how many members of the district scored more.
pub fn rank_from_ahead(ahead: i64) -> i64 {
    ahead + 1
}

/// The first and last day of a calendar year.
pub fn year_bounds(year: i32) -> Option<(NaiveDate, NaiveDate)> {
    Some((
        NaiveDate::from_ymd_opt(year, 1, 1)?,
        NaiveDate::from_ymd_opt(year, 12, 31)?,
    ))
}

/// The years the API accepts for rules and evaluations.
pub const YEARS: std::ops::RangeInclusive<i32> = xs_kit::validate::YEARS;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_come_from_the_table() {
        let table: PointsTable = [(ActivityType::Consultation, 5), (ActivityType::CheckIn, 1)]
            .into_iter()
            .collect();
        assert_eq!(points_for(ActivityType::Consultation, &table), 5);
        assert_eq!(points_for(ActivityType::CheckIn, &table), 1);
        assert_eq!(points_for(ActivityType::Lecture, &table), 0);
    }

    #[test]
    fn a_year_uses_its_own_table_or_the_latest_earlier_one() {
        let years = [2024, 2026];
        assert_eq!(effective_rule_year(2026, &years), Some(2026));
        assert_eq!(effective_rule_year(2025, &years), Some(2024));
        assert_eq!(effective_rule_year(2030, &years), Some(2026));
        assert_eq!(effective_rule_year(2020, &years), Some(2024));
        assert_eq!(effective_rule_year(2026, &[]), None);
    }

    #[test]
    fn grades_follow_the_thresholds() {
        let t = Thresholds {
            excellent_min: 60,
            competent_min: 20,
        };
        assert_eq!(grade(60, t), Grade::Excellent);
        assert_eq!(grade(59, t), Grade::Competent);
        assert_eq!(grade(20, t), Grade::Competent);
        assert_eq!(grade(19, t), Grade::NeedsImprovement);
        assert_eq!(grade(0, t), Grade::NeedsImprovement);
        let zero = Thresholds {
            excellent_min: 0,
            competent_min: 0,
        };
        assert_eq!(grade(0, zero), Grade::Excellent);
        assert!(t.is_valid() && zero.is_valid());
        assert!(
            !Thresholds {
                excellent_min: 10,
                competent_min: 20
            }
            .is_valid()
        );
    }

    #[test]
    fn ties_share_a_rank_and_the_next_total_skips() {
        let ranks: Vec<i64> = assign_ranks(&[30, 20, 20, 10, 10, 10, 0], None)
            .iter()
            .map(|r| r.rank)
            .collect();
        assert_eq!(ranks, [1, 2, 2, 4, 4, 4, 7]);
        assert!(assign_ranks(&[], None).is_empty());
    }

    #[test]
    fn ranks_continue_across_pages() {
        let all = [50, 40, 40, 40, 30, 30, 10];
        let whole = assign_ranks(&all, None);
        let first = assign_ranks(&all[..3], None);
        let second = assign_ranks(&all[3..], first.last().copied());
        let paged: Vec<_> = first.into_iter().chain(second).collect();
        assert_eq!(paged, whole);
        assert_eq!(
            paged[3].rank, 2,
            "a tie across the page break keeps its rank"
        );
        assert_eq!(paged[4].rank, 5);
        assert_eq!(rank_from_ahead(0), 1);
        assert_eq!(rank_from_ahead(4), 5);
    }

    #[test]
    fn type_names_round_trip() {
        for t in ActivityType::ALL.iter().copied() {
            assert_eq!(ActivityType::parse(t.as_str()), Some(t));
            let json = serde_json::to_string(&t).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
        }
        assert_eq!(ActivityType::parse("bogus"), None);
    }

    #[test]
    fn levels_earn_their_points_or_the_types() {
        let table: PointsTable = [(ActivityType::ReportAdopted, 10)].into_iter().collect();
        let levels: LevelPointsTable = [(
            ActivityType::ReportAdopted,
            [
                (ActivityLevel::National, 20),
                (ActivityLevel::Provincial, 15),
            ]
            .into_iter()
            .collect(),
        )]
        .into_iter()
        .collect();
        let adopted = |l| points_at(ActivityType::ReportAdopted, l, &table, &levels);
        assert_eq!(adopted(Some(ActivityLevel::National)), 20);
        assert_eq!(adopted(Some(ActivityLevel::Provincial)), 15);
        // A level the table leaves out, or none: the type's points.
        assert_eq!(adopted(Some(ActivityLevel::Municipal)), 10);
        assert_eq!(adopted(None), 10);
        assert!(has_levels(ActivityType::ReportAdopted));
        assert!(!has_levels(ActivityType::ReportSubmitted));
    }
}
