//! The gateway's signer: the keys it publishes, the one that signs access tokens, and the
//! anonymous readers' token. Shared state ([`crate::state`]) holds it; the token endpoint
//! ([`crate::tokens`]) and the key reloads ([`crate::keyring`]) use it.

use crate::accounts::AccountRow;
use jsonwebtoken::jwk::JwkSet;
use std::sync::Arc;
use std::time::Duration;
use xs_kit::auth::Claims;
use xs_kit::keys::SigningKey;
use xs_kit::service::{DEFAULT_AUDIENCE, DEFAULT_ISSUER};
use xs_kit::{ApiError, ApiResult};

/// The keys in use: all published and verifying; one of them signs.
struct Ring {
    keys: Arc<Vec<SigningKey>>,
    signing: usize,
}

/// Signs access tokens with the signing key and publishes all of them. The set can change
/// while the gateway runs ([`crate::keyring`]): a new key is published first and signs only
/// once every replica can verify it.
#[derive(Clone)]
pub struct Signer {
    ring: Arc<std::sync::RwLock<Arc<Ring>>>,
    access_ttl: Duration,
    /// The anonymous readers' token and its expiry.
    anonymous: Arc<std::sync::Mutex<Option<(String, i64)>>>,
}

impl Signer {
    /// The last key signs.
    pub fn new(keys: Vec<SigningKey>, access_ttl: Duration) -> anyhow::Result<Signer> {
        let signing = keys.len().saturating_sub(1);
        Signer::with_signing(keys, signing, access_ttl)
    }

    /// `keys[signing]` signs.
    pub fn with_signing(
        keys: Vec<SigningKey>,
        signing: usize,
        access_ttl: Duration,
    ) -> anyhow::Result<Signer> {
        anyhow::ensure!(signing < keys.len(), "no signing keys");
        Ok(Signer {
            ring: Arc::new(std::sync::RwLock::new(Arc::new(Ring {
                keys: Arc::new(keys),
                signing,
            }))),
            access_ttl,
            anonymous: Arc::default(),
        })
    }

    fn ring(&self) -> Arc<Ring> {
        self.ring.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Install another key set (`keys[signing]` signs).
    pub fn replace(&self, keys: Vec<SigningKey>, signing: usize) {
        if signing < keys.len() {
            *self.ring.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(Ring {
                keys: Arc::new(keys),
                signing,
            });
            // The cached anonymous token may be signed with a key that just left.
            *self.anonymous.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
    }

    pub fn jwks(&self) -> JwkSet {
        xs_kit::keys::jwks(&self.ring().keys)
    }

    pub fn keys(&self) -> Arc<Vec<SigningKey>> {
        self.ring().keys.clone()
    }

    /// The published key ids, in order, and the one that signs.
    pub fn kids(&self) -> (Vec<String>, String) {
        let ring = self.ring();
        (
            ring.keys.iter().map(|k| k.kid.clone()).collect(),
            ring.keys[ring.signing].kid.clone(),
        )
    }

    /// A copy of the signing key (for clients minting service tokens).
    pub fn signing_key(&self) -> SigningKey {
        let ring = self.ring();
        let k = &ring.keys[ring.signing];
        SigningKey {
            kid: k.kid.clone(),
            encoding: k.encoding.clone(),
            jwk: k.jwk.clone(),
        }
    }

    pub fn access_ttl_secs(&self) -> i64 {
        self.access_ttl.as_secs() as i64
    }

    /// An access token for the account.
    pub fn sign(&self, account: &AccountRow) -> ApiResult<String> {
        let ring = self.ring();
        let key = &ring.keys[ring.signing];
        let iat = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: account.id.clone(),
            roles: account.role_list(),
            district: account.district.clone(),
            member_id: account.member_id.clone(),
            iss: DEFAULT_ISSUER.into(),
            aud: DEFAULT_AUDIENCE.into(),
            iat,
            exp: iat + self.access_ttl_secs(),
            nbf: None,
            jti: uuid::Uuid::new_v4().to_string(),
            rev: account.token_epoch,
        };
        let mut header = jsonwebtoken::Header::new(xs_kit::keys::ALGORITHM);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, &claims, &key.encoding).map_err(ApiError::internal)
    }

    /// A short-lived token for an anonymous caller of a public read: a resident with no account
    /// and no district, so services show exactly what a resident sees. Reused until it has
    /// half its life left (signing costs more than the read).
    pub fn anonymous(&self) -> ApiResult<String> {
        const LIFE: i64 = 120;
        let now = chrono::Utc::now().timestamp();
        let mut cached = self.anonymous.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((token, exp)) = cached.as_ref()
            && exp - now > LIFE / 2
        {
            return Ok(token.clone());
        }
        let ring = self.ring();
        let key = &ring.keys[ring.signing];
        let claims = Claims {
            sub: ANONYMOUS.into(),
            roles: vec![xs_kit::Role::Resident],
            district: None,
            member_id: None,
            iss: DEFAULT_ISSUER.into(),
            aud: DEFAULT_AUDIENCE.into(),
            iat: now,
            exp: now + LIFE,
            nbf: None,
            jti: uuid::Uuid::new_v4().to_string(),
            rev: 0,
        };
        let mut header = jsonwebtoken::Header::new(xs_kit::keys::ALGORITHM);
        header.kid = Some(key.kid.clone());
        let token =
            jsonwebtoken::encode(&header, &claims, &key.encoding).map_err(ApiError::internal)?;
        *cached = Some((token.clone(), now + LIFE));
        Ok(token)
    }
}

/// The subject of anonymous public reads.
pub const ANONYMOUS: &str = "anonymous";
