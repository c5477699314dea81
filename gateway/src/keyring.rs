//! The signing keys across replicas: every replica reads the shared keys directory
//! (`XS_KEYS_DIR`: one volume, or one Kubernetes Secret mounted on every replica) at start and
//! again every `XS_KEYS_RELOAD_SECS`, publishing and verifying every key it finds, without a
//! restart. A key named `k<UTC time as YYYYmmddHHMMSS>` (as the gateway names the key it
//! generates, and as operators name new ones) signs only from that time plus
//! `XS_KEY_ACTIVATION_SECS`: by then every replica has reloaded and publishes it, so no replica
//! receives a token signed with a key it does not know. The rule reads only the name, so every
//! replica — also one started in the meantime — decides alike (file times are no good: a
//! Kubernetes Secret volume rewrites every file when one is added). The signing key is the
//! last, in name order, of the keys whose time has come (keys named otherwise count as
//! always ready); when none has (a new deployment's first key), the last.
//!
//! Zero-failure rotation (docs/OPERATIONS.md): add `k<now>.pem`; the replicas publish it within
//! the reload interval and switch to it by themselves after the activation time; remove the
//! old key once the access tokens it signed have expired (`XS_ACCESS_TTL_SECS` after the
//! switch).

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use xs_kit::keys::SigningKey;

/// The keys of a directory and which one signs.
pub struct Loaded {
    pub keys: Vec<SigningKey>,
    pub signing: usize,
}

fn pem_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pem"))
        .collect();
    names.sort();
    Ok(names)
}

/// When a key may start signing: the time in its name (`k20261201063000`), if any.
fn named_time(kid: &str) -> Option<SystemTime> {
    let digits = kid.strip_prefix('k')?;
    if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = chrono::NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M%S").ok()?;
    let secs = u64::try_from(t.and_utc().timestamp()).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

/// Which key signs: the last (in name order) whose named time plus `activation` has passed
/// (keys without a time are ready); when none has, the last.
fn signing_index(kids: &[String], activation: Duration, now: SystemTime) -> usize {
    kids.iter()
        .rposition(|kid| named_time(kid).is_none_or(|t| t + activation <= now))
        .unwrap_or(kids.len().saturating_sub(1))
}

/// Read the directory (creating a first key when it has none, as at first start).
pub fn load(dir: &Path, activation: Duration) -> anyhow::Result<Loaded> {
    if pem_files(dir).map(|n| n.is_empty()).unwrap_or(true) {
        xs_kit::keys::load_or_create_dir(dir)?;
    }
    let mut keys = Vec::new();
    for path in pem_files(dir)? {
        let kid = path
            .file_stem()
            .and_then(|s| s.to_str())
            .context("key file name")?
            .to_string();
        let pem = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        keys.push(SigningKey::from_pem(&kid, &pem).with_context(|| format!("key {kid}"))?);
    }
    anyhow::ensure!(!keys.is_empty(), "no signing keys in {}", dir.display());
    let kids: Vec<String> = keys.iter().map(|k| k.kid.clone()).collect();
    let signing = signing_index(&kids, activation, SystemTime::now());
    Ok(Loaded { keys, signing })
}

/// Reload the directory every `every`; install what changed in the signer and the verifier.
/// A directory that cannot be read (or holds no usable key) keeps the keys in use.
pub fn spawn_reload(
    dir: PathBuf,
    every: Duration,
    activation: Duration,
    shared: actix_web::web::Data<crate::state::Shared>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let d = dir.clone();
            let loaded = match tokio::task::spawn_blocking(move || {
                if pem_files(&d)?.is_empty() {
                    anyhow::bail!("no key files");
                }
                load(&d, activation)
            })
            .await
            {
                Ok(Ok(l)) => l,
                Ok(Err(e)) => {
                    tracing::warn!(dir = %dir.display(), error = %e, "signing keys not reloaded; keeping those in use");
                    continue;
                }
                Err(_) => continue,
            };
            let (signer, verifier) = (&shared.signer, &shared.verifier);
            let before = signer.kids();
            let kids: Vec<String> = loaded.keys.iter().map(|k| k.kid.clone()).collect();
            let signing = kids[loaded.signing].clone();
            if before == (kids.clone(), signing.clone()) {
                continue;
            }
            verifier.install(&xs_kit::keys::jwks(&loaded.keys));
            signer.replace(loaded.keys, loaded.signing);
            tracing::info!(published = ?kids, %signing, "signing keys reloaded");
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_signs_only_once_its_named_time_has_come() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000);
        let name = |ago: u64| {
            let t =
                chrono::DateTime::from_timestamp(1_780_000_000 - ago as i64, 0).expect("a time");
            t.format("k%Y%m%d%H%M%S").to_string()
        };
        let act = Duration::from_secs(60);
        let (old, new) = (name(600), name(5));
        assert_eq!(signing_index(&[old.clone(), new.clone()], act, now), 0);
        assert_eq!(signing_index(&[old.clone(), name(61)], act, now), 1);
        assert_eq!(signing_index(std::slice::from_ref(&new), act, now), 0);
        assert_eq!(
            signing_index(&[old.clone(), new.clone()], Duration::ZERO, now),
            1
        );
        // Names without a time are always ready, in name order.
        assert_eq!(signing_index(&[old, "test-key".into()], act, now), 1);
        assert_eq!(named_time("k2026120106300"), None);
        assert!(named_time("k20261201063000").is_some());
    }
}
