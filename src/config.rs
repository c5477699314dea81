//! Configuration from `XS_*` environment variables (the README has the table).

use anyhow::{Context, bail};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use xs_kit::telemetry::LogFormat;

/// Default ports of the services in whole-stack mode (the gateway is on 8080).
pub const DEFAULT_PORTS: [(&str, u16); 4] = [
    ("membership", 8081),
    ("consultation", 8082),
    ("reports", 8083),
    ("liaison", 8084),
];

#[derive(Clone)]
pub struct Config {
    pub gateway_addr: SocketAddr,
    pub data_dir: PathBuf,
    pub keys_dir: PathBuf,
    pub log: String,
    pub log_format: LogFormat,
    pub workers: usize,
    pub admin_password: Option<String>,
    /// Share of successful requests with an access log line (`XS_ACCESS_LOG`).
    pub access_log: f64,
    /// The platform's local time (`XS_UTC_OFFSET`, default `+08:00`): what "today" means.
    pub utc_offset: xs_kit::localtime::FixedOffset,
    env: HashMap<String, String>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets (admin password, database passwords in URLs).
        f.debug_struct("Config")
            .field("gateway_addr", &self.gateway_addr)
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn from_env() -> anyhow::Result<Config> {
        Self::from_map(
            std::env::vars()
                .filter(|(k, _)| k.starts_with("XS_"))
                .collect(),
        )
    }

    pub fn from_map(mut env: HashMap<String, String>) -> anyhow::Result<Config> {
        read_secret_files(&mut env)?;
        let get = |k: &str| env.get(k).filter(|v| !v.is_empty()).cloned();
        let data_dir = PathBuf::from(get("XS_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let log_format = match get("XS_LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => bail!("XS_LOG_FORMAT must be json or pretty, not {other}"),
        };
        Ok(Config {
            gateway_addr: parse_addr("XS_ADDR", get("XS_ADDR"), "127.0.0.1:8080")?,
            keys_dir: get("XS_KEYS_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("keys")),
            data_dir,
            log: get("XS_LOG").unwrap_or_else(|| "info,actix_server=warn".into()),
            log_format,
            workers: match get("XS_WORKERS") {
                Some(v) => v.parse().context("XS_WORKERS must be a number")?,
                None => std::thread::available_parallelism().map_or(2, |n| n.get()),
            },
            admin_password: get("XS_ADMIN_PASSWORD"),
            access_log: match get("XS_ACCESS_LOG").as_deref() {
                None | Some("on") => 1.0,
                Some("off") => 0.0,
                Some(v) => v
                    .parse::<f64>()
                    .ok()
                    .filter(|s| (0.0..=1.0).contains(s))
                    .with_context(|| {
                        format!("XS_ACCESS_LOG must be on, off or a share from 0 to 1, not {v}")
                    })?,
            },
            utc_offset: match get("XS_UTC_OFFSET") {
                None => {
                    xs_kit::localtime::FixedOffset::east_opt(xs_kit::localtime::DEFAULT_OFFSET_SECS)
                        .expect("a valid offset")
                }
                Some(v) => xs_kit::localtime::parse_offset(&v).with_context(|| {
                    format!("XS_UTC_OFFSET must be an offset such as +08:00, not {v}")
                })?,
            },
            env,
        })
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.env.get(key).filter(|v| !v.is_empty()).cloned()
    }

    fn upper(role: &str) -> String {
        role.to_ascii_uppercase()
    }

    /// `XS_<ROLE>_DATABASE_URL`, else a SQLite file in the data directory.
    pub fn database_url(&self, role: &str) -> String {
        self.get(&format!("XS_{}_DATABASE_URL", Self::upper(role)))
            .unwrap_or_else(|| {
                self.data_dir
                    .join(format!("{role}.db"))
                    .to_string_lossy()
                    .into_owned()
            })
    }

    /// `XS_<SERVICE>_ADDR`, else its default port on the gateway's host; on loopback when the
    /// gateway listens on every interface (`XS_ADDR=0.0.0.0:8080` in a container), since only
    /// the gateway is a public entry.
    pub fn service_addr(&self, role: &str) -> anyhow::Result<SocketAddr> {
        let port = DEFAULT_PORTS
            .iter()
            .find(|(r, _)| *r == role)
            .map_or(0, |(_, p)| *p);
        let host = match self.gateway_addr.ip() {
            ip if ip.is_unspecified() && ip.is_ipv4() => std::net::Ipv4Addr::LOCALHOST.into(),
            ip if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
            ip => ip,
        };
        let default = SocketAddr::new(host, port).to_string();
        parse_addr(
            &format!("XS_{}_ADDR", Self::upper(role)),
            self.get(&format!("XS_{}_ADDR", Self::upper(role))),
            &default,
        )
    }

    /// `XS_<SERVICE>_URL`: the gateway's upstreams for a service in one-role mode
    /// (comma-separated for replicas).
    pub fn upstream_urls(&self, role: &str) -> anyhow::Result<Vec<String>> {
        let urls: Vec<String> = match self.get(&format!("XS_{}_URL", Self::upper(role))) {
            Some(v) => v
                .split(',')
                .map(|s| s.trim().trim_end_matches('/').to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            None => vec![format!("http://{}", self.service_addr(role)?)],
        };
        for u in &urls {
            url::Url::parse(u)
                .with_context(|| format!("XS_{}_URL: {u} is not a URL", Self::upper(role)))?;
        }
        Ok(urls)
    }

    /// Where a service in one-role mode fetches the token keys.
    pub fn jwks_url(&self) -> String {
        self.get("XS_JWKS_URL")
            .unwrap_or_else(|| format!("http://{}/.well-known/jwks.json", self.gateway_addr))
    }

    /// Where a service in one-role mode learns the accounts' revocation epochs.
    pub fn revocations_url(&self) -> String {
        self.get("XS_REVOCATIONS_URL")
            .unwrap_or_else(|| format!("{}/auth/revocations", self.gateway_origin()))
    }

    /// The gateway as services reach it: the origin of `XS_JWKS_URL` when that is set (a
    /// container names the gateway there), else `XS_ADDR`.
    fn gateway_origin(&self) -> String {
        self.get("XS_JWKS_URL")
            .and_then(|u| u.strip_suffix("/.well-known/jwks.json").map(str::to_string))
            .unwrap_or_else(|| format!("http://{}", self.gateway_addr))
    }

    /// Where a service in one-role mode gets its service token (client-credentials grant).
    pub fn token_url(&self) -> String {
        self.get("XS_TOKEN_URL")
            .unwrap_or_else(|| format!("{}/auth/token", self.gateway_origin()))
    }

    /// `XS_SERVICE_CLIENT_ID` / `XS_SERVICE_CLIENT_SECRET`: the gateway client (holding the
    /// `service` role) a service in one-role mode authenticates its outbound calls with.
    /// Both or neither.
    pub fn service_client(&self) -> anyhow::Result<Option<(String, String)>> {
        match (
            self.get("XS_SERVICE_CLIENT_ID"),
            self.get("XS_SERVICE_CLIENT_SECRET"),
        ) {
            (Some(id), Some(secret)) => Ok(Some((id, secret))),
            (None, None) => Ok(None),
            _ => bail!("set both XS_SERVICE_CLIENT_ID and XS_SERVICE_CLIENT_SECRET, or neither"),
        }
    }

    pub fn seconds(&self, key: &str, default: u64) -> anyhow::Result<Duration> {
        match self.get(key) {
            Some(v) => {
                Ok(Duration::from_secs(v.parse().with_context(|| {
                    format!("{key} must be a number of seconds")
                })?))
            }
            None => Ok(Duration::from_secs(default)),
        }
    }

    pub fn number<T: std::str::FromStr>(&self, key: &str, default: T) -> anyhow::Result<T> {
        match self.get(key) {
            Some(v) => v
                .parse()
                .map_err(|_| anyhow::anyhow!("{key} must be a number")),
            None => Ok(default),
        }
    }

    /// `XS_MIGRATE_ON_START` (default true): false when an upgrade runs `xieshang migrate`
    /// once as a job before the new version starts.
    pub fn migrate_on_start(&self) -> anyhow::Result<bool> {
        self.flag("XS_MIGRATE_ON_START", true)
    }

    /// `XS_DRAIN_SECS`: how long a stopping server stays up, not ready, before it closes its
    /// listener. Defaults: 3 s for one role (the gateway's health checks take a replica out in
    /// that time), none for the whole stack in one process.
    pub fn drain(&self, one_role: bool) -> anyhow::Result<Duration> {
        self.seconds("XS_DRAIN_SECS", if one_role { 3 } else { 0 })
    }

    pub fn flag(&self, key: &str, default: bool) -> anyhow::Result<bool> {
        match self.get(key).as_deref() {
            None => Ok(default),
            Some("true" | "1" | "yes" | "on") => Ok(true),
            Some("false" | "0" | "no" | "off") => Ok(false),
            Some(other) => bail!("{key} must be true or false, not {other}"),
        }
    }

    pub fn list(&self, key: &str) -> Vec<String> {
        self.get(key)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Is `key` a secret that may come from a file (`<key>_FILE`), as orchestrators mount them?
fn is_file_secret(key: &str) -> bool {
    matches!(
        key,
        "XS_ADMIN_PASSWORD" | "XS_SERVICE_CLIENT_ID" | "XS_SERVICE_CLIENT_SECRET" | "XS_REDIS_URL"
    ) || (key.starts_with("XS_") && key.ends_with("_DATABASE_URL"))
}

/// Replace each `XS_<SECRET>_FILE` by `XS_<SECRET>` holding the file's content (without the
/// final line break). Setting both is an error: which one wins would be a guess.
fn read_secret_files(env: &mut HashMap<String, String>) -> anyhow::Result<()> {
    let files: Vec<(String, String)> = env
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .filter_map(|(k, v)| {
            let key = k.strip_suffix("_FILE")?;
            is_file_secret(key).then(|| (key.to_string(), v.clone()))
        })
        .collect();
    for (key, path) in files {
        if env.get(&key).is_some_and(|v| !v.is_empty()) {
            bail!("set {key} or {key}_FILE, not both");
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{key}_FILE: reading {path}"))?;
        let value = text.trim_end_matches(['\n', '\r']).to_string();
        if value.is_empty() {
            bail!("{key}_FILE: {path} is empty");
        }
        env.insert(key, value);
    }
    Ok(())
}

fn parse_addr(key: &str, value: Option<String>, default: &str) -> anyhow::Result<SocketAddr> {
    let v = value.unwrap_or_else(|| default.to_string());
    v.parse()
        .with_context(|| format!("{key} must be host:port, like 127.0.0.1:8080 (got {v})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> anyhow::Result<Config> {
        Config::from_map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn defaults_are_the_embedded_stack() -> anyhow::Result<()> {
        let c = cfg(&[])?;
        assert_eq!(c.gateway_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url("membership"), "./data/membership.db");
        assert_eq!(c.service_addr("reports")?.to_string(), "127.0.0.1:8083");
        assert_eq!(c.upstream_urls("liaison")?, vec!["http://127.0.0.1:8084"]);
        assert_eq!(c.token_url(), "http://127.0.0.1:8080/auth/token");
        assert_eq!(c.service_client()?, None);
        Ok(())
    }

    #[test]
    fn overrides_and_bad_values() -> anyhow::Result<()> {
        let c = cfg(&[
            ("XS_MEMBERSHIP_DATABASE_URL", "postgres://db/membership"),
            ("XS_MEMBERSHIP_URL", "http://m1:8081, http://m2:8081/"),
        ])?;
        assert_eq!(c.database_url("membership"), "postgres://db/membership");
        assert_eq!(
            c.upstream_urls("membership")?,
            vec!["http://m1:8081", "http://m2:8081"]
        );
        assert!(cfg(&[("XS_ADDR", "nonsense")]).is_err());
        let c = cfg(&[
            ("XS_ADDR", "0.0.0.0:9000"),
            ("XS_SERVICE_CLIENT_ID", "xsc_abc"),
            ("XS_SERVICE_CLIENT_SECRET", "s3cret"),
        ])?;
        assert_eq!(c.token_url(), "http://0.0.0.0:9000/auth/token");
        assert_eq!(
            c.service_client()?,
            Some(("xsc_abc".to_string(), "s3cret".to_string()))
        );
        let c = cfg(&[("XS_TOKEN_URL", "http://gateway:8080/auth/token")])?;
        assert_eq!(c.token_url(), "http://gateway:8080/auth/token");
        assert!(
            cfg(&[("XS_SERVICE_CLIENT_ID", "xsc_abc")])?
                .service_client()
                .is_err()
        );
        assert!(cfg(&[("XS_LOG_FORMAT", "xml")]).is_err());
        assert!(
            cfg(&[("XS_MEMBERSHIP_URL", "not a url")])?
                .upstream_urls("membership")
                .is_err()
        );
        assert!(
            cfg(&[("XS_MIGRATE_ON_START", "maybe")])?
                .migrate_on_start()
                .is_err()
        );
        Ok(())
    }

    #[test]
    fn services_find_the_gateway_where_their_jwks_url_points() -> anyhow::Result<()> {
        let c = cfg(&[
            ("XS_ADDR", "0.0.0.0:8080"),
            ("XS_JWKS_URL", "http://gateway:8080/.well-known/jwks.json"),
        ])?;
        assert_eq!(c.revocations_url(), "http://gateway:8080/auth/revocations");
        assert_eq!(c.token_url(), "http://gateway:8080/auth/token");
        let c = cfg(&[("XS_REVOCATIONS_URL", "http://gw/auth/revocations")])?;
        assert_eq!(c.revocations_url(), "http://gw/auth/revocations");
        assert_eq!(
            cfg(&[])?.revocations_url(),
            "http://127.0.0.1:8080/auth/revocations"
        );
        Ok(())
    }

    #[test]
    fn the_local_time_offset_is_a_setting() -> anyhow::Result<()> {
        assert_eq!(cfg(&[])?.utc_offset.local_minus_utc(), 8 * 3600);
        let c = cfg(&[("XS_UTC_OFFSET", "-03:30")])?;
        assert_eq!(c.utc_offset.local_minus_utc(), -(3 * 3600 + 1800));
        let e =
            cfg(&[("XS_UTC_OFFSET", "Asia/Shanghai")]).expect_err("a zone name is not an offset");
        assert!(e.to_string().contains("XS_UTC_OFFSET"), "{e}");
        Ok(())
    }

    #[test]
    fn container_settings() -> anyhow::Result<()> {
        // The gateway on every interface; the services it starts stay on loopback.
        let c = cfg(&[
            ("XS_ADDR", "0.0.0.0:8080"),
            ("XS_MIGRATE_ON_START", "false"),
        ])?;
        assert_eq!(c.service_addr("membership")?.to_string(), "127.0.0.1:8081");
        assert_eq!(c.upstream_urls("liaison")?, vec!["http://127.0.0.1:8084"]);
        assert!(!c.migrate_on_start()?);
        assert!(cfg(&[])?.migrate_on_start()?);
        assert_eq!(c.drain(true)?, Duration::from_secs(3));
        assert_eq!(c.drain(false)?, Duration::ZERO);
        let c = cfg(&[
            ("XS_ADDR", "0.0.0.0:8080"),
            ("XS_REPORTS_ADDR", "0.0.0.0:9083"),
        ])?;
        assert_eq!(c.service_addr("reports")?.to_string(), "0.0.0.0:9083");
        Ok(())
    }

    #[test]
    fn secrets_from_files() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let write = |name: &str, text: &str| -> anyhow::Result<String> {
            let path = dir.path().join(name);
            std::fs::write(&path, text)?;
            Ok(path.to_string_lossy().into_owned())
        };
        let url = write("db", "postgres://u:p@db/membership\n")?;
        let password = write("admin", "correct horse battery\r\n")?;
        let secret = write("secret", "s3cret")?;
        let c = cfg(&[
            ("XS_MEMBERSHIP_DATABASE_URL_FILE", url.as_str()),
            ("XS_ADMIN_PASSWORD_FILE", password.as_str()),
            ("XS_SERVICE_CLIENT_ID", "xsc_abc"),
            ("XS_SERVICE_CLIENT_SECRET_FILE", secret.as_str()),
        ])?;
        assert_eq!(c.database_url("membership"), "postgres://u:p@db/membership");
        assert_eq!(c.admin_password.as_deref(), Some("correct horse battery"));
        assert_eq!(
            c.service_client()?,
            Some(("xsc_abc".to_string(), "s3cret".to_string()))
        );
        // Both the value and its file; a missing file; an empty file.
        assert!(
            cfg(&[
                ("XS_ADMIN_PASSWORD", "x"),
                ("XS_ADMIN_PASSWORD_FILE", password.as_str()),
            ])
            .is_err()
        );
        let missing = dir.path().join("missing").to_string_lossy().into_owned();
        let err = cfg(&[("XS_GATEWAY_DATABASE_URL_FILE", missing.as_str())])
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(err.contains("XS_GATEWAY_DATABASE_URL_FILE"), "{err}");
        let empty = write("empty", "\n")?;
        assert!(cfg(&[("XS_ADMIN_PASSWORD_FILE", empty.as_str())]).is_err());
        // Not a secret: XS_JWKS_FILE keeps its own meaning (a JWKS document's path).
        let c = cfg(&[("XS_JWKS_FILE", "/nonexistent/jwks.json")])?;
        assert_eq!(
            c.get("XS_JWKS_FILE").as_deref(),
            Some("/nonexistent/jwks.json")
        );
        Ok(())
    }
}
