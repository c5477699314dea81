pub mod compatriots;
pub mod enterprises;
pub mod events;
pub mod internal;
pub mod requests;
pub mod stats;

use actix_web::HttpResponse;
use xs_kit::client::ServiceClient;
use xs_kit::contracts::MemberRef;
use xs_kit::error::{Problem, problem_response};
use xs_kit::{ApiResult, FieldError};

/// The kind of workroom a liaison point is.
pub(crate) const LIAISON_POINT_KIND: &str = "taiwan_liaison_point";

/// References to other resources (members, workrooms, districts, and this service's own
/// compatriots and enterprises) that do not exist or lie in another district: collected and
/// answered at once as a 422 naming each field.
#[derive(Debug, Default)]
pub(crate) struct Refs(Vec<FieldError>);

impl Refs {
    pub(crate) fn new() -> Refs {
        Refs::default()
    }

    pub(crate) fn push(&mut self, field: &str, message: &str) {
        self.0.push(FieldError::new(field, message));
    }

    /// The 422 answer when a reference is wrong, else `None`.
    pub(crate) fn answer(self) -> Option<HttpResponse> {
        if self.0.is_empty() {
            return None;
        }
        let detail = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Some(problem_response(&Problem {
            type_: "https://xieshang.example/problems/unprocessable".into(),
            title: "Unprocessable request".into(),
            status: 422,
            detail: Some(detail),
            instance: None,
            errors: self.0,
            allowed_actions: None,
            request_id: None,
        }))
    }

    /// A district code (already checked to be a code) must exist in membership's register.
    pub(crate) async fn district(
        &mut self,
        client: &ServiceClient,
        field: &str,
        code: &str,
    ) -> ApiResult<()> {
        let path = format!("/api/v1/districts/{code}");
        let found: Option<serde_json::Value> = client.get_json("membership", &path).await?;
        if found.is_none() {
            self.push(field, "no such district");
        }
        Ok(())
    }

    /// A member must exist and belong to `district`.
    pub(crate) async fn member(
        &mut self,
        client: &ServiceClient,
        field: &str,
        id: &str,
        district: &str,
    ) -> ApiResult<Option<MemberRef>> {
        let found = client.member(id).await?;
        match &found {
            None => self.push(field, "no such member"),
            Some(m) if m.district != district => {
                self.push(field, &format!("is not a member of district {district}"))
            }
            Some(m) if m.status != "active" => self.push(field, "is not an active member"),
            Some(_) => {}
        }
        Ok(found)
    }

    /// Each member of a list, named `field[i]`.
    pub(crate) async fn members(
        &mut self,
        client: &ServiceClient,
        field: &str,
        ids: &[String],
        district: &str,
    ) -> ApiResult<()> {
        for (i, id) in ids.iter().enumerate() {
            self.member(client, &format!("{field}[{i}]"), id, district)
                .await?;
        }
        Ok(())
    }

    /// A liaison point: a membership workroom of kind `taiwan_liaison_point` in `district`.
    pub(crate) async fn liaison_point(
        &mut self,
        client: &ServiceClient,
        field: &str,
        id: &str,
        district: &str,
    ) -> ApiResult<()> {
        match client.workroom(id).await? {
            None => self.push(field, "no such workroom"),
            Some(w) if w.district != district => {
                self.push(field, &format!("is not a workroom of district {district}"))
            }
            Some(w) if w.kind != LIAISON_POINT_KIND => self.push(
                field,
                "is not a Taiwan liaison point (taiwan_liaison_point)",
            ),
            Some(_) => {}
        }
        Ok(())
    }
}

/// An instant as both backends store it: whole microseconds.
pub(crate) fn micros(t: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    use chrono::Timelike;
    t.with_nanosecond(t.nanosecond() / 1000 * 1000).unwrap_or(t)
}

/// A name search (`q`): blank is no filter; see [`xs_kit::search::query_param`].
pub(crate) fn name_query(q: Option<String>) -> xs_kit::ApiResult<Option<String>> {
    let mut v = xs_kit::validate::Validator::new();
    let q = xs_kit::search::query_param(&mut v, "q", q);
    v.finish()?;
    Ok(q)
}
