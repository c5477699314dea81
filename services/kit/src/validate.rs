//! Collecting every field problem of a request at once, so a client fixes them in one go.
//!
//! Two kinds, two statuses: what the API document's schema itself refuses (a pattern, a length,
//! a range: [`Validator::check`], 400) and what the schema admits but the data cannot be
//! processed with (an unknown reference, `from` after `to`: [`Validator::refuse`], 422). A
//! request with both kinds answers 400 naming every field, so the client still fixes them in
//! one go.

use crate::error::{ApiError, ApiResult, FieldError};

/// The shape of an http(s) URL as the documents state it: the scheme, `://` and a first host
/// character. [`url_shaped`] checks exactly this.
pub const URL_PATTERN: &str = r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\s]";

/// Does `s` match [`URL_PATTERN`]?
pub fn url_shaped(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &s[8..]
    } else if lower.starts_with("http://") {
        &s[7..]
    } else {
        return false;
    };
    rest.chars()
        .next()
        .is_some_and(|c| !matches!(c, '/' | '?' | '#') && !c.is_whitespace())
}
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer};

/// The calendar years the platform keeps rules, plans and evaluations for (`year` parameters).
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// The earliest date of anything recorded on the platform (2000-01-01): activity credits,
/// receptions, mediation, consultation and report steps.
pub fn earliest_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// The latest date of something that happened: today (UTC) with a day's slack, so that a
/// client ahead of UTC (China Standard Time is 8 hours ahead) may record its own today.
pub fn latest_past_date() -> NaiveDate {
    chrono::Utc::now().date_naive() + chrono::Days::new(1)
}

#[derive(Debug, Default)]
pub struct Validator {
    /// Every problem, in the order found.
    errors: Vec<FieldError>,
    /// Whether any of them is one the schema states (else all are 422 kinds).
    schema_refuses: bool,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn check(&mut self, ok: bool, field: &str, message: &str) -> &mut Self {
        if !ok {
            self.errors.push(FieldError::new(field, message));
            self.schema_refuses = true;
        }
        self
    }

    /// Non-blank text of at most `max` characters (counted as sent, so that the schema's
    /// `maxLength` states the rule exactly).
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> &mut Self {
        self.check(!value.trim().is_empty(), field, "must not be blank");
        self.check(
            value.chars().count() <= max,
            field,
            &format!("must be at most {max} characters"),
        )
    }

    pub fn opt_text(&mut self, field: &str, value: Option<&str>, max: usize) -> &mut Self {
        match value {
            Some(v) => self.text(field, v, max),
            None => self,
        }
    }

    /// A stable code: lowercase letters, digits, `_` and `-`, starting with a letter.
    pub fn code(&mut self, field: &str, value: &str) -> &mut Self {
        let ok = (2..=40).contains(&value.len())
            && value.starts_with(|c: char| c.is_ascii_lowercase())
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        self.check(
            ok,
            field,
            "must be 2 to 40 of a-z, 0-9, _ and -, starting with a letter",
        )
    }

    /// A mainland mobile or landline number: digits with an optional leading + and dashes.
    pub fn phone(&mut self, field: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            let digits = v.chars().filter(|c| c.is_ascii_digit()).count();
            let ok = (7..=15).contains(&digits)
                && v.chars().enumerate().all(|(i, c)| {
                    c.is_ascii_digit() || c == '-' || c == ' ' || (i == 0 && c == '+')
                });
            self.check(ok, field, "must be a phone number (7 to 15 digits)");
        }
        self
    }

    /// An http(s) URL. The schema states its shape ([`URL_PATTERN`]: the scheme and the start of
    /// a host), so a string without it is a 400; one with it that the URL parser still refuses
    /// (an invalid host or port) is schema-valid and a 422.
    pub fn url(&mut self, field: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            if url_shaped(v) {
                let ok = url::Url::parse(v).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
                self.require(ok, field, "is not a valid http(s) URL");
            } else {
                self.check(false, field, "must be an http(s) URL");
            }
        }
        self
    }

    /// A list of non-blank texts of at most `max` characters each, with `items` entries and
    /// no entry twice. The schema states all of it (`minItems`/`maxItems`, each item's `\S`
    /// pattern and `maxLength`, `uniqueItems`: `#[schema(value_type =
    /// BTreeSet<xs_kit::apidoc::Text64>, inline, max_items = 20)]`), so each is a 400. Two
    /// entries that differ only in surrounding whitespace are distinct to the schema but the
    /// same entry here (entries are stored trimmed): a 422.
    pub fn texts(
        &mut self,
        field: &str,
        list: &[String],
        items: std::ops::RangeInclusive<usize>,
        max: usize,
    ) -> &mut Self {
        let (min, most) = (*items.start(), *items.end());
        if min > 0 {
            self.check(
                list.len() >= min,
                field,
                &format!("must have at least {min} entries"),
            );
        }
        self.check(
            list.len() <= most,
            field,
            &format!("must have at most {most} entries"),
        );
        for (i, s) in list.iter().enumerate() {
            self.text(&format!("{field}[{i}]"), s, max);
        }
        let mut exact = std::collections::HashSet::new();
        let unique = list.iter().all(|s| exact.insert(s.as_str()));
        self.check(unique, field, "must not repeat an entry");
        if unique {
            let mut trimmed = std::collections::HashSet::new();
            self.require(
                list.iter().all(|s| trimmed.insert(s.trim())),
                field,
                "must not repeat an entry (entries are compared without surrounding spaces)",
            );
        }
        self
    }

    /// A day something happened on: from [`earliest_date`] on and not after
    /// [`latest_past_date`]. The schema states a date's format, not what today is: 422.
    pub fn past_date(&mut self, field: &str, date: NaiveDate) -> &mut Self {
        self.require(
            (earliest_date()..=latest_past_date()).contains(&date),
            field,
            "must be a date from 2000 on, not in the future",
        )
    }

    /// A dated step that cannot precede an earlier one (`what`, on `earliest`) nor lie in the
    /// future: both depend on stored state or today, so 422.
    pub fn step_date(
        &mut self,
        field: &str,
        date: NaiveDate,
        earliest: Option<(&str, NaiveDate)>,
    ) -> &mut Self {
        if let Some((what, day)) = earliest
            && date < day
        {
            return self.refuse(field, &format!("must not be before {what} ({day})"));
        }
        self.require(
            date <= latest_past_date(),
            field,
            "must not be in the future",
        )
    }

    pub fn push(&mut self, field: &str, message: &str) -> &mut Self {
        self.check(false, field, message)
    }

    /// A problem the schema cannot state (422): `v.refuse("district", "no such district")`.
    pub fn refuse(&mut self, field: &str, message: &str) -> &mut Self {
        self.errors.push(FieldError::new(field, message));
        self
    }

    /// [`Validator::refuse`] unless `ok`.
    pub fn require(&mut self, ok: bool, field: &str, message: &str) -> &mut Self {
        if !ok {
            self.refuse(field, message);
        }
        self
    }

    pub fn finish(&mut self) -> ApiResult<()> {
        let errors = std::mem::take(&mut self.errors);
        let schema_refuses = std::mem::take(&mut self.schema_refuses);
        match (errors.is_empty(), schema_refuses) {
            (true, _) => Ok(()),
            (false, true) => Err(ApiError::Validation(errors)),
            (false, false) => Err(ApiError::UnprocessableFields(errors)),
        }
    }
}

/// For PATCH bodies: absent field → `None`, `null` → `Some(None)`, a value → `Some(Some(v))`.
/// Use as `#[serde(default, deserialize_with = "xs_kit::validate::present")]`.
pub fn present<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    T::deserialize(d).map(Some)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn schema_problems_are_400_and_the_rest_422_naming_every_field_in_order() {
        let mut v = Validator::new();
        v.refuse("member", "no such member")
            .require(false, "to", "must not be before from");
        match v.finish() {
            Err(ApiError::UnprocessableFields(e)) => {
                assert_eq!(
                    e.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
                    ["member", "to"]
                )
            }
            other => panic!("{other:?}"),
        }
        let mut v = Validator::new();
        v.refuse("member", "no such member").text("name", " ", 10);
        match v.finish() {
            Err(ApiError::Validation(e)) => {
                assert_eq!(
                    e.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
                    ["member", "name"]
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(Validator::new().require(true, "x", "y").finish().is_ok());
    }

    #[test]
    fn text_lists_refuse_what_the_schema_states_with_400_and_trimmed_repeats_with_422() {
        let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let status =
            |items: &[&str]| match Validator::new().texts("l", &list(items), 1..=2, 4).finish() {
                Ok(()) => 200,
                Err(ApiError::Validation(_)) => 400,
                Err(ApiError::UnprocessableFields(_)) => 422,
                Err(other) => panic!("{other:?}"),
            };
        assert_eq!(status(&["a", "b"]), 200);
        assert_eq!(status(&[]), 400, "minItems");
        assert_eq!(status(&["a", "b", "c"]), 400, "maxItems");
        assert_eq!(status(&["a", " "]), 400, "an item's pattern");
        assert_eq!(status(&["a", "bbbbb"]), 400, "an item's maxLength");
        assert_eq!(status(&["a", "a"]), 400, "uniqueItems");
        assert_eq!(status(&["a", " a"]), 422, "the same once trimmed");
    }

    #[test]
    fn past_dates_are_422() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let unprocessable = |d| {
            matches!(
                Validator::new().past_date("date", d).finish(),
                Err(ApiError::UnprocessableFields(_))
            )
        };
        assert!(unprocessable(day(1999, 12, 31)));
        assert!(unprocessable(latest_past_date() + chrono::Days::new(1)));
        assert!(!unprocessable(day(2000, 1, 1)));
        assert!(!unprocessable(latest_past_date()));
        assert!(matches!(
            Validator::new()
                .step_date("date", day(2026, 1, 1), Some(("receipt", day(2026, 1, 2))))
                .finish(),
            Err(ApiError::UnprocessableFields(_))
        ));
    }

    #[test]
    fn url_shape_is_the_documented_pattern() {
        let pattern = regex::Regex::new(URL_PATTERN).unwrap();
        for s in [
            "http://a",
            "HTTPS://x.y/z",
            "https://[",
            "http://a b",
            "https://",
            "http:///x",
            "ftp://x",
            "",
            "http:/x",
            "https://?q",
            "http:// x",
            "httpsx://a",
            "http://\u{3000}",
        ] {
            assert_eq!(pattern.is_match(s), url_shaped(s), "{s:?}");
        }
        // Shaped but not a URL the parser takes: schema-valid, so 422.
        assert!(matches!(
            Validator::new().url("u", Some("https://[")).finish(),
            Err(ApiError::UnprocessableFields(_))
        ));
        assert!(
            Validator::new()
                .url("u", Some("https://example.org/p.jpg"))
                .finish()
                .is_ok()
        );
    }

    #[test]
    fn collects_every_problem() {
        let err = Validator::new()
            .text("name", " ", 10)
            .code("code", "Bad Code")
            .phone("phone", Some("12ab"))
            .url("photo_url", Some("ftp://x"))
            .finish();
        match err {
            Err(ApiError::Validation(errs)) => {
                let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, ["name", "code", "phone", "photo_url"]);
            }
            other => panic!("expected validation errors, got {other:?}"),
        }
        assert!(
            Validator::new()
                .code("code", "siming")
                .phone("p", Some("13812341234"))
                .finish()
                .is_ok()
        );
    }
}
