//! The platform's local time. Stored instants are UTC; "today" (check-ins, shifts, due dates,
//! overdue lists) is the local day. The offset is a setting (`XS_UTC_OFFSET`, default
//! `+08:00`, China Standard Time, which has no daylight saving), set once at start.

pub use chrono::FixedOffset;
use chrono::{NaiveDate, NaiveDateTime};
use std::sync::atomic::{AtomicI32, Ordering};

/// China Standard Time, the default.
pub const DEFAULT_OFFSET_SECS: i32 = 8 * 3600;

static OFFSET_SECS: AtomicI32 = AtomicI32::new(DEFAULT_OFFSET_SECS);

/// `"+08:00"`, `"-03:30"`, `"+0800"`, `"+8"` or `"Z"` → an offset; `None` for anything else or
/// beyond ±14 hours.
pub fn parse_offset(s: &str) -> Option<FixedOffset> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("z") || s.eq_ignore_ascii_case("utc") {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits = |t: &str| !t.is_empty() && t.len() <= 2 && t.bytes().all(|b| b.is_ascii_digit());
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) if digits(h) && m.len() == 2 && digits(m) => (h, m),
        None if rest.len() == 4 && rest.bytes().all(|b| b.is_ascii_digit()) => {
            (&rest[..2], &rest[2..])
        }
        None if digits(rest) => (rest, "0"),
        _ => return None,
    };
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if m >= 60 || h * 60 + m > 14 * 60 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// Set the local offset (at start, from the configuration).
pub fn set_offset(offset: FixedOffset) {
    OFFSET_SECS.store(offset.local_minus_utc(), Ordering::Relaxed);
}

/// The local offset in effect.
pub fn offset() -> FixedOffset {
    FixedOffset::east_opt(OFFSET_SECS.load(Ordering::Relaxed))
        .unwrap_or_else(|| FixedOffset::east_opt(DEFAULT_OFFSET_SECS).expect("a valid offset"))
}

/// A stored UTC instant as local wall-clock time.
pub fn to_local(utc: NaiveDateTime) -> NaiveDateTime {
    utc + chrono::Duration::seconds(i64::from(offset().local_minus_utc()))
}

/// Today's local date.
pub fn today() -> NaiveDate {
    to_local(crate::db::now()).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse_in_the_usual_spellings_and_nothing_else() {
        let secs = |s: &str| parse_offset(s).map(|o| o.local_minus_utc());
        assert_eq!(secs("+08:00"), Some(8 * 3600));
        assert_eq!(secs("+0800"), Some(8 * 3600));
        assert_eq!(secs("+8"), Some(8 * 3600));
        assert_eq!(secs("-03:30"), Some(-(3 * 3600 + 1800)));
        assert_eq!(secs("Z"), Some(0));
        assert_eq!(secs("+14:00"), Some(14 * 3600));
        for bad in [
            "",
            "8",
            "+15:00",
            "+08:60",
            "+8:0",
            "UTC+8",
            "+08:00:00",
            "++8",
        ] {
            assert_eq!(secs(bad), None, "{bad}");
        }
    }

    #[test]
    fn local_time_is_shifted_by_the_offset() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).expect("a date");
        let utc = day(1).and_hms_opt(23, 30, 0).expect("a time");
        // The default (no test sets another): 23:30 UTC is 07:30 the next morning in Xiamen.
        assert_eq!(to_local(utc).date(), day(2));
    }
}
