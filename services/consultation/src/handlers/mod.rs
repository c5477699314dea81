pub mod consultations;
pub mod internal;
pub mod mediation;
pub mod receptions;
pub mod stats;
pub mod topics;

use std::collections::HashMap;
use xs_kit::client::ServiceClient;
use xs_kit::contracts::{MemberRef, WorkroomRef};
use xs_kit::validate::Validator;
use xs_kit::{ApiError, ApiResult};

/// A reference that does not exist or lies in another district: 422, the detail naming the
/// field the same way a validation problem does (`members[1]: no such member`).
pub(crate) fn bad_reference(field: &str, message: &str) -> ApiError {
    ApiError::unprocessable(field, message)
}

/// An active member of `district`, checked with membership; 422 naming `field` otherwise, 503
/// when membership is down.
pub(crate) async fn check_member(
    client: &ServiceClient,
    field: &str,
    id: &str,
    district: &str,
) -> ApiResult<MemberRef> {
    let Some(m) = client.member(id).await? else {
        return Err(bad_reference(field, "no such member"));
    };
    if m.district != district {
        return Err(bad_reference(
            field,
            &format!("is not a member of district {district}"),
        ));
    }
    if m.status != "active" {
        return Err(bad_reference(field, "is not an active member"));
    }
    Ok(m)
}

/// Each of `ids` an active member of `district` (`<field>[i]` names the one that is not).
pub(crate) async fn check_members(
    client: &ServiceClient,
    field: &str,
    ids: &[String],
    district: &str,
) -> ApiResult<()> {
    for (i, id) in ids.iter().enumerate() {
        check_member(client, &format!("{field}[{i}]"), id, district).await?;
    }
    Ok(())
}

/// A workroom of `district`, checked with membership; 422 naming `field` otherwise.
pub(crate) async fn check_workroom(
    client: &ServiceClient,
    field: &str,
    id: &str,
    district: &str,
) -> ApiResult<WorkroomRef> {
    let Some(w) = client.workroom(id).await? else {
        return Err(bad_reference(field, "no such workroom"));
    };
    if w.district != district {
        return Err(bad_reference(
            field,
            &format!("is not a workroom of district {district}"),
        ));
    }
    Ok(w)
}

/// Is each of these workrooms active (membership's register)? For residents, who see public
/// topics of active workrooms only.
pub(crate) async fn active_workrooms(
    client: &ServiceClient,
    ids: impl IntoIterator<Item = String>,
) -> ApiResult<HashMap<String, bool>> {
    let mut out = HashMap::new();
    for id in ids {
        if out.contains_key(&id) {
            continue;
        }
        let active = client
            .workroom(&id)
            .await?
            .is_some_and(|w| w.status == "active");
        out.insert(id, active);
    }
    Ok(out)
}

#[derive(serde::Deserialize)]
struct PlaceRef {
    district: String,
}

/// A subdistrict of `district` (and a community of that subdistrict), checked with
/// membership's reference data; 422 naming the field otherwise.
pub(crate) async fn check_place(
    client: &ServiceClient,
    district: &str,
    subdistrict: &str,
    community: Option<&str>,
) -> ApiResult<()> {
    let path = format!("/api/v1/subdistricts/{subdistrict}");
    match client.get_json::<PlaceRef>("membership", &path).await? {
        None => return Err(bad_reference("subdistrict", "no such subdistrict")),
        Some(s) if s.district != district => {
            return Err(bad_reference(
                "subdistrict",
                &format!("is not in district {district}"),
            ));
        }
        Some(_) => {}
    }
    if let Some(code) = community {
        let path = format!("/api/v1/communities/{code}");
        match client
            .get_json::<serde_json::Value>("membership", &path)
            .await?
        {
            None => return Err(bad_reference("community", "no such community")),
            Some(c) if c["subdistrict"].as_str() != Some(subdistrict) => {
                return Err(bad_reference("community", "is not in the subdistrict"));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Reference codes must look like codes before they go into another service's path.
pub(crate) fn check_codes(v: &mut Validator, codes: &[(&str, Option<&str>)]) {
    for (field, code) in codes {
        if let Some(c) = code {
            v.code(field, c);
        }
    }
}

/// Trimmed ids, in the order given.
pub(crate) fn trimmed(ids: &[String]) -> Vec<String> {
    ids.iter().map(|s| s.trim().to_string()).collect()
}

/// Move one topic through its lifecycle inside the caller's transaction (the topic row locked
/// by the caller): the versioned state change with what `extra` sets, its history row and
/// its event. Used by the topics' own transitions and by consultations (schedule, consult,
/// resolve, …).
#[allow(clippy::too_many_arguments)]
pub(crate) fn move_topic(
    c: &mut xs_kit::DbConn,
    row: &crate::models::topic::TopicRow,
    action: crate::domain::topic::TopicAction,
    guards: &crate::domain::topic::Guards,
    extra: impl FnOnce(&mut crate::models::topic::LifecycleChanges),
    details: serde_json::Value,
    by: &str,
    at: chrono::NaiveDateTime,
) -> ApiResult<crate::models::topic::TopicRow> {
    use crate::domain::topic::{Face, TopicStatus};
    use crate::models::topic as model;
    use xs_kit::lifecycle::{self, Move, Publish};
    let from: TopicStatus = xs_kit::enums::stored("topic status", &row.status)?;
    let to = lifecycle::apply(from, action, guards)?;
    let mut changes = model::LifecycleChanges {
        status: to.as_str().into(),
        ..Default::default()
    };
    extra(&mut changes);
    let updated = model::set_lifecycle(c, &row.id, row.version, &changes, by, at)?;
    xs_kit::concurrency::check_updated(updated, || Ok(model::exists(c, &row.id)?), "topic")?;
    let after = model::find(c, &row.id)?.ok_or_else(|| ApiError::not_found("topic"))?;
    let consultations = model::consultations_of(c, &row.id)?;
    let view =
        crate::views::topic::Topic::from_row(after.clone(), Face::Register, consultations, vec![])?;
    Move {
        subject_id: row.id.clone(),
        from: Some(from),
        action: action.as_str().into(),
        to,
        details,
        by: by.to_string(),
        at,
    }
    .record(
        c,
        Publish {
            district: Some(row.district_code.clone()),
            subject: format!("/api/v1/topics/{}", row.id),
            data: serde_json::to_value(&view).map_err(ApiError::internal)?,
        },
    )?;
    Ok(after)
}
