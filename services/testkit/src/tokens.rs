//! The test signing key and tokens for any caller. The key is the one a [`crate::TestStack`]'s
//! gateway signs with, so tokens minted here pass the gateway and the services alike.

use std::sync::{Arc, OnceLock};
use xs_kit::Role;
use xs_kit::auth::{Claims, KeySource};
use xs_kit::keys::SigningKey;
use xs_kit::service::{DEFAULT_AUDIENCE, DEFAULT_ISSUER};

/// One RSA key for the whole test process (generating one is slow), as PKCS#8 PEM: write it
/// into a gateway's keys directory and the gateway signs with it too.
pub fn test_key_pem() -> &'static str {
    static PEM: OnceLock<String> = OnceLock::new();
    PEM.get_or_init(|| SigningKey::generate_pem().expect("generate test key"))
}

pub const TEST_KID: &str = "test-key";

pub fn test_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| {
        SigningKey::from_pem(TEST_KID, test_key_pem().as_bytes()).expect("load test key")
    })
}

/// The test key as an owned signing key, for code that mints its own tokens (service tokens).
pub fn test_signing_key() -> Arc<SigningKey> {
    Arc::new(SigningKey::from_pem(TEST_KID, test_key_pem().as_bytes()).expect("load test key"))
}

pub fn test_key_source() -> KeySource {
    KeySource::Static(xs_kit::keys::jwks(std::slice::from_ref(test_key())))
}

/// Claims for a test caller; adjust fields before signing.
pub fn claims(sub: &str, roles: &[Role], district: Option<&str>) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        sub: sub.into(),
        roles: roles.to_vec(),
        district: district.map(str::to_owned),
        member_id: None,
        iss: DEFAULT_ISSUER.into(),
        aud: DEFAULT_AUDIENCE.into(),
        iat: now,
        exp: now + 900,
        nbf: None,
        jti: uuid::Uuid::new_v4().to_string(),
        rev: 0,
    }
}

/// Sign claims with the test key.
pub fn sign(claims: &Claims) -> String {
    let key = test_key();
    let mut header = jsonwebtoken::Header::new(xs_kit::keys::ALGORITHM);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding).expect("sign test token")
}

/// A token for a caller with these roles and district.
pub fn token(sub: &str, roles: &[Role], district: Option<&str>) -> String {
    sign(&claims(sub, roles, district))
}

/// A citywide admin (`sub` admin-1).
pub fn admin() -> String {
    token("admin-1", &[Role::Admin], None)
}

/// Office staff of one district (`sub` staff-<district>).
pub fn staff(district: &str) -> String {
    token(
        &format!("staff-{district}"),
        &[Role::OfficeStaff],
        Some(district),
    )
}

/// A member (`sub` user-<member id>) of one district.
pub fn member_token(member_id: &str, district: &str) -> String {
    let mut c = claims(
        &format!("user-{member_id}"),
        &[Role::Member],
        Some(district),
    );
    c.member_id = Some(member_id.to_string());
    sign(&c)
}
