//! Where webhooks may be sent: no SSRF. Only `http` and `https` URLs without credentials; every
//! address the host resolves to must be public — loopback, private, link-local, shared,
//! unspecified, multicast, documentation and other special ranges are refused — unless the
//! operator's allow-list (`XS_WEBHOOK_ALLOWED_HOSTS`: host names or IP addresses) names the
//! host or the address. Checked when a subscription is registered or changed, and again at
//! every delivery: the delivery's HTTP client resolves through [`GuardedResolver`], which drops
//! refused addresses, so a name that resolves differently later (DNS rebinding) gets nowhere.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// The operator's allow-list.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    hosts: Vec<String>,
    ips: Vec<IpAddr>,
}

impl AllowList {
    pub fn new(entries: &[String]) -> AllowList {
        let mut list = AllowList::default();
        for e in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            let bare = e.trim_start_matches('[').trim_end_matches(']');
            match bare.parse::<IpAddr>() {
                Ok(ip) => list.ips.push(ip),
                Err(_) => list.hosts.push(e.to_ascii_lowercase()),
            }
        }
        list
    }

    fn host(&self, host: &str) -> bool {
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    fn ip(&self, ip: IpAddr) -> bool {
        self.ips.contains(&ip)
    }

    /// May a request to `host` go to `ip`?
    pub fn permits(&self, host: &str, ip: IpAddr) -> bool {
        is_public(ip) || self.host(host) || self.ip(ip)
    }
}

/// Is this an address on the public internet?
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return public_v4(v4);
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64
                || (s[0] == 0x2002) // 6to4 may embed private IPv4
                || s[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible
        }
    }
}

fn public_v4(v4: Ipv4Addr) -> bool {
    let o = v4.octets();
    !(v4.is_private()
        || v4.is_loopback()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // shared address space (CGNAT)
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking
        || o[0] >= 240) // reserved
}

/// Why a URL is refused, as a field message.
pub type Refusal = String;

/// Check the URL's form: `http(s)://host[:port]/...`, no user info. Returns the host.
pub fn check_form(url: &str) -> Result<url::Url, Refusal> {
    let parsed = url::Url::parse(url).map_err(|e| format!("is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must be an http or https URL".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not carry a user name or password".into());
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("must name a host".into());
    }
    if url.len() > 2000 {
        return Err("must be at most 2000 characters".into());
    }
    Ok(parsed)
}

/// Check the URL's form and every address its host resolves to now.
pub async fn check(url: &str, allow: &AllowList) -> Result<url::Url, Refusal> {
    let parsed = check_form(url)?;
    let host = host_of(&parsed);
    let port = parsed.port_or_known_default().unwrap_or(80);
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| format!("host {host} does not resolve: {e}"))?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(format!("host {host} does not resolve"));
    }
    if let Some(bad) = addrs.iter().find(|a| !allow.permits(&host, a.ip())) {
        return Err(format!(
            "resolves to {}, a loopback, private, link-local or otherwise non-public address \
             (an operator may allow it in XS_WEBHOOK_ALLOWED_HOSTS)",
            bad.ip()
        ));
    }
    Ok(parsed)
}

/// The host as written, without IPv6 brackets.
pub fn host_of(url: &url::Url) -> String {
    url.host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string()
}

/// A resolver that gives the HTTP client only the addresses the allow-list permits.
#[derive(Debug, Clone)]
pub struct GuardedResolver(pub Arc<AllowList>);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow.permits(&host, a.ip()))
                .collect();
            if found.is_empty() {
                return Err(
                    format!("{host} resolves to no address webhooks may be sent to").into(),
                );
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "114.114.114.114", "2400:3200::1"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn urls_are_refused_unless_public_or_allowed() {
        let none = AllowList::default();
        for url in [
            "ftp://example.com/x",
            "file:///etc/passwd",
            "http://user:pw@8.8.8.8/",
            "not a url",
            "http://127.0.0.1:9/hook",
            "http://[::1]/hook",
            "http://10.0.0.7/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://localhost:8080/hook",
        ] {
            assert!(check(url, &none).await.is_err(), "{url}");
        }
        assert!(check("https://8.8.8.8/hook", &none).await.is_ok());
        let allow = AllowList::new(&["127.0.0.1".into(), "localhost".into()]);
        assert!(check("http://127.0.0.1:9/hook", &allow).await.is_ok());
        assert!(check("http://localhost:9/hook", &allow).await.is_ok());
        assert!(check("http://10.0.0.7/hook", &allow).await.is_err());
    }

    #[tokio::test]
    async fn the_resolver_drops_what_is_not_allowed() {
        let none = GuardedResolver(Arc::new(AllowList::default()));
        assert!(none.resolve("localhost".parse().unwrap()).await.is_err());
        let allow = GuardedResolver(Arc::new(AllowList::new(&["localhost".into()])));
        let addrs: Vec<SocketAddr> = allow
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()));
    }
}
