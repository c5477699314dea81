//! Duty (轮值) and check-in (报到): times of day, the local day, the fair rota, and which of a
//! member's shifts a check-in answers.
//!
//! The rota is one pure function, [`plan_rota`]: it gives each reception day in a range one
//! shift, round-robin over the workroom's members so that their shift counts in the range
//! (existing shifts included) end up as level as the days allow — differing by at most one
//! when nothing stands in the way. Days that already have a shift are left as they are.

use crate::domain::workroom::Weekday;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use std::collections::HashMap;
use xs_kit::FieldError;

/// Minutes in a day: times of day are minutes since midnight, `0..=1440` (1440 ends a shift at
/// midnight).
pub const DAY_MINUTES: i32 = 24 * 60;

/// The longest range one rota request may cover.
pub const MAX_ROTA_DAYS: i64 = 366;

/// The local date and minute of day of a stored (UTC) instant. "Today" for shifts and
/// check-ins is the local day (`xs_kit::localtime`, `XS_UTC_OFFSET`, default UTC+8): a
/// check-in at 07:30 in Xiamen is on that morning's date, not on the previous UTC day.
pub fn local_day_and_minute(utc: NaiveDateTime) -> (NaiveDate, i32) {
    let local = xs_kit::localtime::to_local(utc);
    let minute = chrono::Timelike::num_seconds_from_midnight(&local) / 60;
    (local.date(), minute as i32)
}

/// `"09:30"` → 570. Hours 00–24, minutes 00–59; `"24:00"` is the end of the day.
pub fn parse_time(s: &str) -> Option<i32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    let total = h * 60 + m;
    (m < 60 && total <= DAY_MINUTES).then_some(total)
}

/// 570 → `"09:30"`.
pub fn format_time(minute: i32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// The problem of a window whose end is not after its start.
pub const ORDER_MESSAGE: &str = "must be after start";

/// A shift's times: both well-formed, the end after the start (a shift does not cross
/// midnight). Problems name the fields `start` and `end`.
pub fn parse_window(start: &str, end: &str) -> Result<(i32, i32), Vec<FieldError>> {
    let mut errors = Vec::new();
    let s = parse_time(start);
    let e = parse_time(end);
    if s.is_none_or(|s| s >= DAY_MINUTES) {
        errors.push(FieldError::new("start", "must be a time of day, HH:MM"));
    }
    if e.is_none() {
        errors.push(FieldError::new(
            "end",
            "must be a time of day, HH:MM (24:00 at most)",
        ));
    }
    if let (Some(s), Some(e)) = (s, e)
        && errors.is_empty()
    {
        if e <= s {
            errors.push(FieldError::new("end", ORDER_MESSAGE));
        } else {
            return Ok((s, e));
        }
    }
    Err(errors)
}

/// Do two windows of the same day overlap? Touching (one ends as the next starts) is not.
pub fn overlaps(a: (i32, i32), b: (i32, i32)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// A rota range: `from` not after `to`, and at most [`MAX_ROTA_DAYS`] days.
pub fn check_range(from: NaiveDate, to: NaiveDate) -> Result<(), FieldError> {
    if to < from {
        return Err(FieldError::new("to", "must not be before from"));
    }
    if (to - from).num_days() + 1 > MAX_ROTA_DAYS {
        return Err(FieldError::new(
            "to",
            format!("the range may cover at most {MAX_ROTA_DAYS} days"),
        ));
    }
    Ok(())
}

pub fn weekday_of(date: NaiveDate) -> Weekday {
    match date.weekday() {
        chrono::Weekday::Mon => Weekday::Monday,
        chrono::Weekday::Tue => Weekday::Tuesday,
        chrono::Weekday::Wed => Weekday::Wednesday,
        chrono::Weekday::Thu => Weekday::Thursday,
        chrono::Weekday::Fri => Weekday::Friday,
        chrono::Weekday::Sat => Weekday::Saturday,
        chrono::Weekday::Sun => Weekday::Sunday,
    }
}

/// A shift already on the books, as the rota sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booked {
    pub member: String,
    pub date: NaiveDate,
    pub start: i32,
    pub end: i32,
    /// In this workroom (it counts for fairness and staffs its day) or elsewhere (it only
    /// makes the member busy then).
    pub here: bool,
}

/// What a rota is asked for.
#[derive(Debug, Clone)]
pub struct RotaRequest<'a> {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub start: i32,
    pub end: i32,
    pub reception_days: &'a [Weekday],
    /// The members who take turns (the workroom's assigned, active members).
    pub members: &'a [String],
    /// Shifts in the range: this workroom's, and the members' elsewhere.
    pub booked: &'a [Booked],
}

/// A shift the rota creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub member: String,
    pub date: NaiveDate,
    pub start: i32,
    pub end: i32,
}

xs_kit::text_enum! {
    /// Why a reception day got no new shift.
    pub enum SkipReason {
        /// The workroom already has a shift then; it is kept as it is.
        AlreadyStaffed = "already_staffed",
        /// Every member is on duty elsewhere then.
        NoMemberFree = "no_member_free",
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotaPlan {
    pub shifts: Vec<Planned>,
    pub skipped: Vec<(NaiveDate, SkipReason)>,
}

/// Plan a rota: each reception day in the range whose window is free in this workroom gets one
/// shift, for the member with the fewest shifts here in the range so far (existing and planned),
/// ties going to whoever served least recently, then by id — round-robin from an even start,
/// and levelling from an uneven one. A member already on duty elsewhere at that time is passed
/// over for that day. The caller checks the range first ([`check_range`]).
pub fn plan_rota(r: &RotaRequest) -> RotaPlan {
    let slot = (r.start, r.end);
    // Fewest shifts first, then longest since the last one (never is longest), then id.
    let mut count: HashMap<&str, usize> = r.members.iter().map(|m| (m.as_str(), 0)).collect();
    let mut last: HashMap<&str, NaiveDate> = HashMap::new();
    for b in r.booked.iter().filter(|b| b.here) {
        if let Some(n) = count.get_mut(b.member.as_str()) {
            *n += 1;
            let l = last.entry(b.member.as_str()).or_insert(b.date);
            *l = (*l).max(b.date);
        }
    }
    let mut plan = RotaPlan::default();
    let mut day = r.from;
    while day <= r.to {
        if r.reception_days.contains(&weekday_of(day)) {
            let on_day = |b: &&Booked| b.date == day && overlaps((b.start, b.end), slot);
            if r.booked.iter().filter(on_day).any(|b| b.here) {
                plan.skipped.push((day, SkipReason::AlreadyStaffed));
            } else {
                let busy: Vec<&str> = r
                    .booked
                    .iter()
                    .filter(on_day)
                    .map(|b| b.member.as_str())
                    .collect();
                let pick = r
                    .members
                    .iter()
                    .map(String::as_str)
                    .filter(|m| !busy.contains(m))
                    .min_by_key(|m| (count[m], last.get(m).copied(), *m));
                match pick {
                    Some(m) => {
                        if let Some(n) = count.get_mut(m) {
                            *n += 1;
                        }
                        last.insert(m, day);
                        plan.shifts.push(Planned {
                            member: m.to_string(),
                            date: day,
                            start: r.start,
                            end: r.end,
                        });
                    }
                    None => plan.skipped.push((day, SkipReason::NoMemberFree)),
                }
            }
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    plan
}

/// Which of a member's shifts that day a check-in at `minute` answers: the one under way, else
/// the next to start, else the last to end. `None` when there are none (a flexible check-in).
pub fn shift_for_check_in(shifts: &[(i32, i32)], minute: i32) -> Option<usize> {
    let under_way = shifts.iter().position(|&(s, e)| s <= minute && minute < e);
    let next = || {
        shifts
            .iter()
            .enumerate()
            .filter(|(_, (s, _))| *s > minute)
            .min_by_key(|(_, (s, _))| *s)
            .map(|(i, _)| i)
    };
    let last = || {
        shifts
            .iter()
            .enumerate()
            .max_by_key(|(_, (_, e))| *e)
            .map(|(i, _)| i)
    };
    under_way.or_else(next).or_else(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Weekday::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    fn members(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("m{i:02}")).collect()
    }

    fn counts(members: &[String], booked: &[Booked], plan: &RotaPlan) -> Vec<usize> {
        members
            .iter()
            .map(|m| {
                booked.iter().filter(|b| b.here && &b.member == m).count()
                    + plan.shifts.iter().filter(|p| &p.member == m).count()
            })
            .collect()
    }

    fn spread(c: &[usize]) -> usize {
        c.iter().max().copied().unwrap_or(0) - c.iter().min().copied().unwrap_or(0)
    }

    /// xorshift: deterministic "random-ish" inputs without a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
    }

    const WEEK: [Weekday; 7] = [
        Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday,
    ];

    #[test]
    fn times_parse_and_format() {
        assert_eq!(parse_time("09:30"), Some(570));
        assert_eq!(parse_time("00:00"), Some(0));
        assert_eq!(parse_time("24:00"), Some(1440));
        for bad in [
            "9:30", "24:01", "12:60", "ab:cd", "12:3", "1230", "", "+1:30",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert_eq!(format_time(570), "09:30");
        assert_eq!(format_time(1440), "24:00");
        assert_eq!(parse_window("09:00", "12:00"), Ok((540, 720)));
        let fields = |r: Result<(i32, i32), Vec<FieldError>>| -> Vec<String> {
            r.err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(fields(parse_window("12:00", "09:00")), ["end"]);
        assert_eq!(fields(parse_window("12:00", "12:00")), ["end"]);
        assert_eq!(fields(parse_window("24:00", "24:00")), ["start"]);
        assert_eq!(fields(parse_window("x", "y")), ["start", "end"]);
    }

    #[test]
    fn overlap_is_strict() {
        assert!(overlaps((540, 720), (600, 660)));
        assert!(overlaps((540, 720), (700, 800)));
        assert!(!overlaps((540, 720), (720, 800)));
        assert!(!overlaps((800, 900), (540, 800)));
    }

    #[test]
    fn the_local_day_is_utc_plus_eight() {
        let utc: NaiveDateTime = d("2026-03-01").and_hms_opt(23, 30, 0).expect("a time");
        assert_eq!(local_day_and_minute(utc), (d("2026-03-02"), 7 * 60 + 30));
        let utc: NaiveDateTime = d("2026-03-01").and_hms_opt(1, 0, 0).expect("a time");
        assert_eq!(local_day_and_minute(utc), (d("2026-03-01"), 9 * 60));
    }

    #[test]
    fn ranges_are_ordered_and_at_most_366_days() {
        assert!(check_range(d("2026-01-01"), d("2026-01-01")).is_ok());
        assert!(check_range(d("2028-01-01"), d("2028-12-31")).is_ok()); // 366 days, leap year
        assert!(check_range(d("2026-01-01"), d("2027-01-01")).is_ok()); // 366 days
        let e = check_range(d("2026-01-01"), d("2027-01-02")).err();
        assert_eq!(e.map(|e| e.field), Some("to".to_string()));
        assert!(check_range(d("2026-01-02"), d("2026-01-01")).is_err());
    }

    #[test]
    fn only_reception_days_round_robin() {
        let ms = members(3);
        // 2026-03-02 is a Monday; two weeks of Mondays and Wednesdays.
        let plan = plan_rota(&RotaRequest {
            from: d("2026-03-01"),
            to: d("2026-03-14"),
            start: 540,
            end: 720,
            reception_days: &[Monday, Wednesday],
            members: &ms,
            booked: &[],
        });
        let got: Vec<(String, String)> = plan
            .shifts
            .iter()
            .map(|p| (p.date.to_string(), p.member.clone()))
            .collect();
        let want = [
            ("2026-03-02", "m00"),
            ("2026-03-04", "m01"),
            ("2026-03-09", "m02"),
            ("2026-03-11", "m00"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want);
        assert!(plan.skipped.is_empty());
    }

    #[test]
    fn staffed_days_are_kept_and_counted() {
        let ms = members(2);
        let booked = vec![
            // m00 already has this Monday morning; overlapping the slot: the day is staffed.
            Booked {
                member: "m00".into(),
                date: d("2026-03-02"),
                start: 600,
                end: 660,
                here: true,
            },
            // An afternoon shift on Wednesday does not overlap the morning slot, but counts.
            Booked {
                member: "m00".into(),
                date: d("2026-03-04"),
                start: 840,
                end: 900,
                here: true,
            },
            // m01 is on duty elsewhere on the 9th: m00 takes it although m00 has more.
            Booked {
                member: "m01".into(),
                date: d("2026-03-09"),
                start: 500,
                end: 560,
                here: false,
            },
        ];
        let plan = plan_rota(&RotaRequest {
            from: d("2026-03-02"),
            to: d("2026-03-11"),
            start: 540,
            end: 720,
            reception_days: &[Monday, Wednesday],
            members: &ms,
            booked: &booked,
        });
        assert_eq!(
            plan.skipped,
            [(d("2026-03-02"), SkipReason::AlreadyStaffed)]
        );
        let got: Vec<(NaiveDate, &str)> = plan
            .shifts
            .iter()
            .map(|p| (p.date, p.member.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (d("2026-03-04"), "m01"),
                (d("2026-03-09"), "m00"),
                (d("2026-03-11"), "m01"),
            ]
        );
        // Nobody free at all: the day is reported, not forced.
        let all_busy: Vec<Booked> = ms
            .iter()
            .map(|m| Booked {
                member: m.clone(),
                date: d("2026-03-02"),
                start: 0,
                end: 1440,
                here: false,
            })
            .collect();
        let plan = plan_rota(&RotaRequest {
            from: d("2026-03-02"),
            to: d("2026-03-02"),
            start: 540,
            end: 720,
            reception_days: &[Monday],
            members: &ms,
            booked: &all_busy,
        });
        assert_eq!(plan.skipped, [(d("2026-03-02"), SkipReason::NoMemberFree)]);
        assert!(plan.shifts.is_empty());
    }

    /// The properties, over many generated inputs: only reception days in the range, never a
    /// staffed window, never a busy member, every reception day accounted for, and counts as
    /// level as they can be — within one when nothing else is booked, and never further apart
    /// than they started (nor than one) when only this workroom has shifts.
    #[test]
    fn fairness_holds_over_many_inputs() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for round in 0..2000 {
            let ms = members(1 + rng.below(9) as usize);
            let from = d("2026-01-01") + chrono::Days::new(rng.below(400));
            let to = from + chrono::Days::new(rng.below(120));
            let days: Vec<Weekday> = WEEK.into_iter().filter(|_| rng.below(2) == 0).collect();
            let (start, end) = (540, 720);
            let elsewhere = round % 3 == 0;
            let mut booked = Vec::new();
            let width = (to - from).num_days() as u64 + 1;
            for _ in 0..rng.below(12) {
                let date = from + chrono::Days::new(rng.below(width));
                let s = rng.below(1300) as i32;
                booked.push(Booked {
                    member: format!("m{:02}", rng.below(10)),
                    date,
                    start: s,
                    end: s + 1 + rng.below(139) as i32,
                    here: !elsewhere || rng.below(2) == 0,
                });
            }
            let r = RotaRequest {
                from,
                to,
                start,
                end,
                reception_days: &days,
                members: &ms,
                booked: &booked,
            };
            let plan = plan_rota(&r);
            let ctx = format!("round {round}: {r:?} → {plan:?}");
            for p in &plan.shifts {
                assert!(p.date >= from && p.date <= to, "{ctx}");
                assert!(days.contains(&weekday_of(p.date)), "{ctx}");
                assert!(ms.contains(&p.member), "{ctx}");
                assert!(
                    !booked.iter().any(|b| b.date == p.date
                        && overlaps((b.start, b.end), (start, end))
                        && (b.here || b.member == p.member)),
                    "{ctx}"
                );
            }
            let reception_days_in_range = (0..=(to - from).num_days())
                .filter(|i| days.contains(&weekday_of(from + chrono::Days::new(*i as u64))))
                .count();
            assert_eq!(
                plan.shifts.len() + plan.skipped.len(),
                reception_days_in_range,
                "{ctx}"
            );
            let mut dates: Vec<_> = plan.shifts.iter().map(|p| p.date).collect();
            dates.dedup();
            assert_eq!(dates.len(), plan.shifts.len(), "one shift a day: {ctx}");
            let before = counts(&ms, &booked, &RotaPlan::default());
            let after = counts(&ms, &booked, &plan);
            if booked.is_empty() {
                assert!(spread(&after) <= 1, "{ctx}");
            }
            if !elsewhere {
                assert!(spread(&after) <= spread(&before).max(1), "{ctx}");
                // Levelling: once enough shifts were added to lift everyone to the top, the
                // counts are within one.
                let top = before.iter().max().copied().unwrap_or(0);
                let deficit: usize = before.iter().map(|c| top - c).sum();
                if plan.shifts.len() >= deficit {
                    assert!(spread(&after) <= 1, "{ctx}");
                }
            }
        }
    }

    #[test]
    fn generating_twice_stays_fair() {
        let ms = members(4);
        let days = [Monday, Wednesday, Friday];
        let first = plan_rota(&RotaRequest {
            from: d("2026-03-01"),
            to: d("2026-03-10"),
            start: 540,
            end: 720,
            reception_days: &days,
            members: &ms,
            booked: &[],
        });
        let booked: Vec<Booked> = first
            .shifts
            .iter()
            .map(|p| Booked {
                member: p.member.clone(),
                date: p.date,
                start: p.start,
                end: p.end,
                here: true,
            })
            .collect();
        let second = plan_rota(&RotaRequest {
            from: d("2026-03-01"),
            to: d("2026-03-31"),
            start: 540,
            end: 720,
            reception_days: &days,
            members: &ms,
            booked: &booked,
        });
        assert_eq!(second.skipped.len(), first.shifts.len());
        assert!(
            second
                .skipped
                .iter()
                .all(|(_, why)| *why == SkipReason::AlreadyStaffed)
        );
        assert!(spread(&counts(&ms, &booked, &second)) <= 1);
        // Nothing left to do: a third run creates nothing.
        let mut all = booked.clone();
        all.extend(second.shifts.iter().map(|p| Booked {
            member: p.member.clone(),
            date: p.date,
            start: p.start,
            end: p.end,
            here: true,
        }));
        let third = plan_rota(&RotaRequest {
            from: d("2026-03-01"),
            to: d("2026-03-31"),
            start: 540,
            end: 720,
            reception_days: &days,
            members: &ms,
            booked: &all,
        });
        assert!(third.shifts.is_empty());
    }

    #[test]
    fn a_check_in_answers_the_shift_under_way_or_the_next() {
        let shifts = [(540, 720), (840, 960)];
        assert_eq!(shift_for_check_in(&shifts, 600), Some(0));
        assert_eq!(shift_for_check_in(&shifts, 500), Some(0));
        assert_eq!(shift_for_check_in(&shifts, 780), Some(1));
        assert_eq!(shift_for_check_in(&shifts, 900), Some(1));
        assert_eq!(shift_for_check_in(&shifts, 1200), Some(1));
        assert_eq!(shift_for_check_in(&[], 600), None);
    }
}
