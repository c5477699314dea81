//! An account as stored and as the API shows it.

use crate::schema::gw_accounts;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;
use xs_kit::Role;

pub const KIND_USER: &str = "user";
pub const KIND_CLIENT: &str = "client";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = gw_accounts)]
pub struct AccountRow {
    pub id: String,
    pub username: String,
    pub kind: String,
    pub display_name: Option<String>,
    pub password_hash: String,
    pub roles: String,
    pub district: Option<String>,
    pub member_id: Option<String>,
    pub disabled: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Raised whenever the account's powers change; see `xs_kit::revocation`.
    pub token_epoch: i64,
}

impl AccountRow {
    pub fn role_list(&self) -> Vec<Role> {
        parse_roles(&self.roles)
    }
}

/// An account as the API shows it (never its hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Account {
    pub id: String,
    /// Login name; for machine clients, the `client_id`.
    pub username: String,
    /// `user` or `client`.
    pub kind: String,
    pub display_name: Option<String>,
    pub roles: Vec<Role>,
    pub district: Option<String>,
    pub member_id: Option<String>,
    pub disabled: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<AccountRow> for Account {
    fn from(r: AccountRow) -> Self {
        let roles = r.role_list();
        Account {
            id: r.id,
            username: r.username,
            kind: r.kind,
            display_name: r.display_name,
            roles,
            district: r.district,
            member_id: r.member_id,
            disabled: r.disabled,
            version: r.version,
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        }
    }
}

pub fn roles_text(roles: &[Role]) -> String {
    let mut names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

pub fn parse_roles(s: &str) -> Vec<Role> {
    s.split(',')
        .filter_map(|name| Role::ALL.into_iter().find(|r| r.as_str() == name.trim()))
        .collect()
}
