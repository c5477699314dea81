//! Passwords and client secrets: argon2id hashes, checked off the executor.

use actix_web::web;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::sync::OnceLock;
use xs_kit::{ApiError, ApiResult};

fn argon2() -> Argon2<'static> {
    Argon2::default()
}

/// An argon2id PHC string for `password`, with a fresh random salt.
pub fn hash_password_now(password: &str) -> ApiResult<String> {
    let mut salt = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt)
        .map_err(|_| ApiError::internal(anyhow::anyhow!("no randomness for a salt")))?;
    argon2()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(anyhow::anyhow!("hashing a password: {e}")))
}

/// Hash off the executor: argon2 takes tens of milliseconds by design.
pub async fn hash_password(password: String) -> ApiResult<String> {
    web::block(move || hash_password_now(&password))
        .await
        .map_err(ApiError::internal)?
}

/// Check `password` against `hash`, or, when there is no account, against a dummy hash, so
/// both cases take the same time. Off the executor.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    web::block(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| dummy_hash().to_string());
        let ok = argon2()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok();
        ok && known
    })
    .await
    .unwrap_or(false)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password_now(&random_token(24)).unwrap_or_default())
}

/// Warm the dummy hash so the first unknown-user login is not the slow one.
pub fn prepare() {
    let _ = dummy_hash();
}

/// `n` random bytes, base64url without padding.
pub fn random_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    // aws-lc's generator only fails when the OS has no entropy; then nothing is safe anyway.
    if aws_lc_rs::rand::fill(&mut buf).is_err() {
        tracing::error!("system randomness unavailable");
    }
    URL_SAFE_NO_PAD.encode(buf)
}
