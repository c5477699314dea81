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

    pub fn from_map(env: HashMap<String, String>) -> anyhow::Result<Config> {
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

    /// `XS_<SERVICE>_ADDR`, else its default port on the gateway's host.
    pub fn service_addr(&self, role: &str) -> anyhow::Result<SocketAddr> {
        let port = DEFAULT_PORTS
            .iter()
            .find(|(r, _)| *r == role)
            .map_or(0, |(_, p)| *p);
        let default = SocketAddr::new(self.gateway_addr.ip(), port).to_string();
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
            .unwrap_or_else(|| format!("http://{}/auth/revocations", self.gateway_addr))
    }

    /// Where a service in one-role mode gets its service token (client-credentials grant).
    pub fn token_url(&self) -> String {
        self.get("XS_TOKEN_URL")
            .unwrap_or_else(|| format!("http://{}/auth/token", self.gateway_addr))
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
        Ok(())
    }
}
