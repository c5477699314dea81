//! Cursor (keyset) pagination: `?limit=&cursor=` in, `{items, next_cursor}` out.
//!
//! A cursor encodes the sort key of the last item served; the next page starts strictly after
//! it. Items appended while a client pages are never repeated and never make it skip one.

use crate::error::{ApiError, ApiResult};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// What a cursor looks like, as every document states it: up to 2048 base64url characters.
pub const CURSOR_PATTERN: &str = "^[A-Za-z0-9_-]{0,2048}$";

/// The schema of a cursor parameter (`#[param(schema_with = ...)]` where the parameter is not
/// named `cursor`, which [`crate::apidoc`] states by itself).
pub fn cursor_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(CURSOR_PATTERN))
        .build()
}

/// Does `cursor` match [`CURSOR_PATTERN`]? Outside it the schema refuses the cursor (400);
/// inside, one a list did not give out is a 422.
pub fn cursor_shaped(cursor: &str) -> bool {
    cursor.len() <= 2048
        && cursor
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The query of a list that has no filters: `?limit=&cursor=`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A validated page request: how many, and the key to start after.
#[derive(Debug, Clone)]
pub struct PageRequest<K> {
    pub limit: i64,
    pub after: Option<K>,
}

impl<K: DeserializeOwned> PageRequest<K> {
    pub fn parse(limit: Option<i64>, cursor: Option<&str>) -> ApiResult<Self> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::field(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = match cursor.filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(decode_cursor(c)?),
        };
        Ok(PageRequest { limit, after })
    }

    /// Rows to fetch: one more than the page, to learn whether another page follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    /// Cut the fetched rows to a page, with the cursor of its last row when more follow.
    pub fn page<R, T, KS: Serialize>(
        &self,
        mut rows: Vec<R>,
        key: impl Fn(&R) -> KS,
        view: impl FnMut(R) -> T,
    ) -> Page<T> {
        let more = rows.len() as i64 > self.limit;
        rows.truncate(self.limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| encode_cursor(&key(r)))
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(view).collect(),
            next_cursor,
        }
    }
}

pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

pub fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> ApiResult<K> {
    // Outside the documented alphabet the schema refuses it (400); inside, it is simply not one
    // this list gave out (422).
    if !cursor_shaped(cursor) {
        return Err(ApiError::field(
            "cursor",
            "must be a next_cursor (base64url)",
        ));
    }
    let bad = || ApiError::unprocessable("cursor", "is not a cursor this list gave out");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    serde_json::from_slice(&bytes).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked() {
        assert!(PageRequest::<String>::parse(Some(0), None).is_err());
        assert!(PageRequest::<String>::parse(Some(201), None).is_err());
        assert_eq!(
            PageRequest::<String>::parse(None, None)
                .map(|p| p.limit)
                .ok(),
            Some(50)
        );
    }

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = encode_cursor(&("2026-01-01", "abc"));
        let back: (String, String) = decode_cursor(&c).expect("decodes");
        assert_eq!(back, ("2026-01-01".to_string(), "abc".to_string()));
        assert!(decode_cursor::<(String, String)>("not a cursor!").is_err());
        assert!(decode_cursor::<i64>(&encode_cursor(&"text")).is_err());
    }

    #[test]
    fn page_cuts_and_points_at_last_row() {
        let req = PageRequest::<i64> {
            limit: 2,
            after: None,
        };
        let p = req.page(vec![1, 2, 3], |r| *r, |r| r * 10);
        assert_eq!(p.items, vec![10, 20]);
        assert_eq!(
            decode_cursor::<i64>(p.next_cursor.as_deref().unwrap_or("")).ok(),
            Some(2)
        );
        let last = req.page(vec![4], |r| *r, |r| r);
        assert!(last.next_cursor.is_none());
    }
}
