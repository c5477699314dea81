//! Reading and writing accounts; the first admin.

use super::model::*;
use super::passwords::*;
use crate::schema::{gw_accounts, gw_refresh_tokens};
use diesel::prelude::*;
use xs_kit::db::{Db, DbConn, new_id, now};
use xs_kit::{ApiError, ApiResult, Role};

pub fn find(conn: &mut DbConn, id: &str) -> ApiResult<AccountRow> {
    gw_accounts::table
        .find(id)
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("account"))
}

pub fn find_by_username(
    conn: &mut DbConn,
    username: &str,
    kind: &str,
) -> ApiResult<Option<AccountRow>> {
    Ok(gw_accounts::table
        .filter(gw_accounts::username.eq(username))
        .filter(gw_accounts::kind.eq(kind))
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?)
}

pub struct NewAccount {
    pub username: String,
    pub kind: &'static str,
    pub display_name: Option<String>,
    pub password_hash: String,
    pub roles: Vec<Role>,
    pub district: Option<String>,
    pub member_id: Option<String>,
}

pub fn insert(conn: &mut DbConn, a: &NewAccount) -> ApiResult<AccountRow> {
    let taken = gw_accounts::table
        .filter(gw_accounts::username.eq(&a.username))
        .count()
        .get_result::<i64>(conn)?;
    if taken > 0 {
        return Err(ApiError::Conflict(format!(
            "the username {} is taken",
            a.username
        )));
    }
    let id = new_id();
    let at = now();
    diesel::insert_into(gw_accounts::table)
        .values((
            gw_accounts::id.eq(&id),
            gw_accounts::username.eq(&a.username),
            gw_accounts::kind.eq(a.kind),
            gw_accounts::display_name.eq(&a.display_name),
            gw_accounts::password_hash.eq(&a.password_hash),
            gw_accounts::roles.eq(roles_text(&a.roles)),
            gw_accounts::district.eq(&a.district),
            gw_accounts::member_id.eq(&a.member_id),
            gw_accounts::disabled.eq(false),
            gw_accounts::version.eq(1i64),
            gw_accounts::created_at.eq(at),
            gw_accounts::updated_at.eq(at),
        ))
        .execute(conn)?;
    find(conn, &id)
}

/// Revoke every live refresh token of an account.
pub fn revoke_all_refresh(conn: &mut DbConn, account_id: &str) -> ApiResult<usize> {
    Ok(diesel::update(
        gw_refresh_tokens::table
            .filter(gw_refresh_tokens::account_id.eq(account_id))
            .filter(gw_refresh_tokens::revoked_at.is_null()),
    )
    .set(gw_refresh_tokens::revoked_at.eq(Some(now())))
    .execute(conn)?)
}

/// The revocation epochs of accounts ever revoked, to refuse their older tokens after a restart.
pub async fn revocation_epochs(db: &Db) -> ApiResult<Vec<(String, i64)>> {
    db.read(|conn| {
        Ok(gw_accounts::table
            .filter(gw_accounts::token_epoch.gt(0i64))
            .select((gw_accounts::id, gw_accounts::token_epoch))
            .load(conn)?)
    })
    .await
}

pub async fn disabled_ids(db: &Db) -> ApiResult<Vec<String>> {
    db.read(|conn| {
        Ok(gw_accounts::table
            .filter(gw_accounts::disabled.eq(true))
            .select(gw_accounts::id)
            .load(conn)?)
    })
    .await
}

async fn admin_exists(db: &Db) -> anyhow::Result<bool> {
    let n = db
        .read(|conn| {
            Ok(gw_accounts::table
                .filter(gw_accounts::roles.like("%admin%"))
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .map_err(|e| anyhow::anyhow!("looking for an admin account: {e}"))?;
    Ok(n > 0)
}

/// On first start, create `admin` unless an admin exists. Without a configured password a
/// random one is generated and shown once. Replicas starting together on one database race
/// for it: the unique username lets one insert win, and the others, finding the admin there
/// after their insert failed, carry on.
pub async fn ensure_admin(db: &Db, password: Option<String>) -> anyhow::Result<()> {
    if admin_exists(db).await? {
        return Ok(());
    }
    let generated = password.is_none();
    let password = password.unwrap_or_else(|| random_token(18));
    let hash = hash_password(password.clone())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let new = NewAccount {
        username: "admin".into(),
        kind: KIND_USER,
        display_name: Some("Administrator".into()),
        password_hash: hash,
        roles: vec![Role::Admin],
        district: None,
        member_id: None,
    };
    if let Err(e) = db.write(move |conn| insert(conn, &new)).await {
        if admin_exists(db).await? {
            tracing::info!("another gateway replica created account `admin` first");
            return Ok(());
        }
        anyhow::bail!("creating the admin account: {e}");
    }
    if generated {
        tracing::warn!(
            "created account `admin` with a generated password (shown once on stderr); set XS_ADMIN_PASSWORD to choose it"
        );
        eprintln!("Xieshang: created account `admin` with password: {password}");
    } else {
        tracing::info!("created account `admin` with the configured password");
    }
    Ok(())
}
