//! Signing keys for access tokens: RS256, each with a `kid`, kept as PKCS#8 PEM files.
//!
//! The gateway signs with the newest key and publishes every active key's public half in its
//! JWKS, so a key can be rotated in with no downtime: add a file, restart, retire the old file
//! once the tokens it signed have expired.

use anyhow::{Context, bail};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use base64::Engine;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey};
use std::path::Path;

pub const ALGORITHM: Algorithm = Algorithm::RS256;

pub struct SigningKey {
    pub kid: String,
    pub encoding: EncodingKey,
    /// The public half, as published in the JWKS.
    pub jwk: Jwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    pub fn from_pem(kid: &str, pem: &[u8]) -> anyhow::Result<SigningKey> {
        let encoding = EncodingKey::from_rsa_pem(pem).context("reading RSA private key")?;
        let mut jwk = Jwk::from_encoding_key(&encoding, ALGORITHM).context("deriving JWK")?;
        jwk.common.key_id = Some(kid.to_string());
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        Ok(SigningKey {
            kid: kid.to_string(),
            encoding,
            jwk,
        })
    }

    /// A new 2048-bit RSA key, as PKCS#8 PEM.
    pub fn generate_pem() -> anyhow::Result<String> {
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| anyhow::anyhow!("RSA key generation failed"))?;
        let der = pair
            .as_der()
            .map_err(|_| anyhow::anyhow!("RSA key encoding failed"))?;
        Ok(pem_encode("PRIVATE KEY", der.as_ref()))
    }
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The keys in a directory: every `<kid>.pem`, sorted by name; the last one signs.
/// Generates a first key when the directory has none.
pub fn load_or_create_dir(dir: &Path) -> anyhow::Result<Vec<SigningKey>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut names: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pem"))
        .collect();
    names.sort();
    if names.is_empty() {
        let kid = format!("k{}", chrono::Utc::now().format("%Y%m%d%H%M%S"));
        let path = dir.join(format!("{kid}.pem"));
        write_private(&path, &SigningKey::generate_pem()?)?;
        tracing::info!(path = %path.display(), "generated a new token signing key");
        names.push(path);
    }
    let mut keys = Vec::new();
    for path in names {
        let kid = path
            .file_stem()
            .and_then(|s| s.to_str())
            .context("key file name")?
            .to_string();
        let pem = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        keys.push(SigningKey::from_pem(&kid, &pem).with_context(|| format!("key {kid}"))?);
    }
    if keys.is_empty() {
        bail!("no signing keys in {}", dir.display());
    }
    Ok(keys)
}

fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(pem.as_bytes())?;
    Ok(())
}

pub fn jwks(keys: &[SigningKey]) -> JwkSet {
    JwkSet {
        keys: keys.iter().map(|k| k.jwk.clone()).collect(),
    }
}
