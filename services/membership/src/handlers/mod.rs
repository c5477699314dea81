pub mod activities;
pub mod duty;
pub mod evaluation;
pub mod internal;
pub mod members;
pub mod plans;
pub mod reference;
pub mod workrooms;

use crate::models::member as member_model;
use xs_kit::scope::Scope;
use xs_kit::{ApiResult, Db};

/// A list filtered to one member answers as reading that member would: 403 when the member
/// exists outside the caller's scope (not an empty 200 that differs from every other answer
/// about them). An unknown member is just a filter that selects nothing.
pub(crate) async fn member_filter_in_scope(
    db: &Db,
    scope: &Scope,
    member: Option<&str>,
    what: &'static str,
) -> ApiResult<()> {
    let (Scope::District(_), Some(id)) = (scope, member) else {
        return Ok(());
    };
    let id = id.to_string();
    let found = db.read(move |c| Ok(member_model::find(c, &id)?)).await?;
    match found {
        Some(m) => scope.require(&m.district_code, Some(&m.id), what),
        None => Ok(()),
    }
}
