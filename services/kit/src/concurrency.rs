//! Optimistic concurrency: every mutable resource carries a `version`; an update names the
//! version it was based on (`If-Match: "3"` or a `version` field) and a stale one gets 412.

use crate::error::{ApiError, ApiResult};
use crate::extract::IfMatch;

/// The ETag for a version: a strong tag holding the number.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// Parse `"3"` or `W/"3"` into 3.
pub fn parse_etag(s: &str) -> Option<i64> {
    let s = s.trim();
    let s = s.strip_prefix("W/").unwrap_or(s);
    // A bare version number is taken too: what a version means is the same either way.
    let s = match s.strip_prefix('"') {
        Some(quoted) => quoted.strip_suffix('"')?,
        None if s.bytes().all(|b| b.is_ascii_digit()) => s,
        None => return None,
    };
    if s.is_empty() || s.len() > 18 {
        return None;
    }
    s.parse().ok()
}

/// The version an update is based on. Both forms given must agree; neither is a 428, since
/// an update that does not say what it read could silently overwrite someone else's change.
pub fn expected_version(if_match: IfMatch, body_version: Option<i64>) -> ApiResult<i64> {
    match (if_match.0, body_version) {
        (Some(h), Some(b)) if h != b => Err(ApiError::unprocessable(
            "version",
            "differs from the If-Match header",
        )),
        (Some(v), _) | (None, Some(v)) => Ok(v),
        (None, None) => Err(ApiError::PreconditionRequired(
            "send the version you read, as If-Match or a version field".into(),
        )),
    }
}

/// After `UPDATE ... WHERE id = ? AND version = ?`: no row changed means the resource is gone
/// (404) or someone else changed it first (412).
pub fn check_updated(
    rows: usize,
    exists: impl FnOnce() -> ApiResult<bool>,
    what: &str,
) -> ApiResult<()> {
    if rows > 0 {
        Ok(())
    } else if exists()? {
        Err(ApiError::PreconditionFailed(format!(
            "the {what} was changed by someone else; read it again and retry"
        )))
    } else {
        Err(ApiError::not_found(what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_parse() {
        assert_eq!(parse_etag("\"3\""), Some(3));
        assert_eq!(parse_etag("W/\"12\""), Some(12));
        assert_eq!(parse_etag("3"), Some(3));
        assert_eq!(parse_etag("3x"), None);
        assert_eq!(parse_etag("1234567890123456789"), None);
        assert_eq!(parse_etag("\"x\""), None);
        assert_eq!(parse_etag(&etag(7)), Some(7));
    }

    #[test]
    fn version_sources_must_agree() {
        assert_eq!(expected_version(IfMatch(Some(2)), None).ok(), Some(2));
        assert_eq!(expected_version(IfMatch(None), Some(4)).ok(), Some(4));
        assert!(matches!(
            expected_version(IfMatch(Some(2)), Some(3)),
            Err(ApiError::UnprocessableFields(_))
        ));
        assert!(matches!(
            expected_version(IfMatch(None), None),
            Err(ApiError::PreconditionRequired(_))
        ));
    }
}
