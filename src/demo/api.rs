//! A small client of the gateway: sign in, list every page, create once, move through a lifecycle.

use anyhow::{Context, bail};
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

/// The gateway as one caller sees it.
#[derive(Clone)]
pub struct Api {
    client: Client,
    base: String,
    token: String,
    /// Requests sent (for the summary line).
    pub calls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Api {
    /// Sign in with a password (OAuth 2.0 password grant at `/auth/token`).
    pub async fn sign_in(base: &str, username: &str, password: &str) -> anyhow::Result<Api> {
        let client = Client::new();
        let r = client
            .post(format!("{base}/auth/token"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(
                url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("grant_type", "password")
                    .append_pair("username", username)
                    .append_pair("password", password)
                    .finish(),
            )
            .send()
            .await
            .with_context(|| format!("signing in as {username}"))?;
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("signing in as {username}: {status} {body}");
        }
        let token = body["access_token"]
            .as_str()
            .context("no access_token in the token answer")?
            .to_string();
        Ok(Api {
            client,
            base: base.trim_end_matches('/').to_string(),
            token,
            calls: Default::default(),
        })
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let r = loop {
            self.calls
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut req = self
                .client
                .request(method.clone(), format!("{}{path}", self.base))
                .bearer_auth(&self.token);
            if let Some(k) = key {
                req = req.header("Idempotency-Key", k);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            let r = req
                .send()
                .await
                .with_context(|| format!("{method} {path}"))?;
            if r.status() != StatusCode::TOO_MANY_REQUESTS {
                break r;
            }
            // A rate limit set lower than the demo's load: wait as the gateway says.
            let wait = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                .unwrap_or(1)
                .clamp(1, 60);
            println!("  rate-limited by the gateway (XS_RATE_LIMIT_PER_MINUTE); waiting {wait} s");
            tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
        };
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, value))
    }

    /// GET, expecting a 2xx.
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let (status, body) = self.send(Method::GET, path, None, None).await?;
        if !status.is_success() {
            bail!("GET {path}: {status} {body}");
        }
        Ok(body)
    }

    /// Every item of a cursor-paginated list (`path` may carry a query already).
    pub async fn all(&self, path: &str) -> anyhow::Result<Vec<Value>> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page_path = match &cursor {
                Some(c) => format!("{path}{sep}limit=200&cursor={c}"),
                None => format!("{path}{sep}limit=200"),
            };
            let page = self.get(&page_path).await?;
            if let Some(list) = page["items"].as_array() {
                items.extend(list.iter().cloned());
            }
            match page["next_cursor"].as_str() {
                Some(c) if !c.is_empty() => cursor = Some(c.to_string()),
                _ => return Ok(items),
            }
        }
    }

    /// POST with a stable Idempotency-Key (a retry within a day replays the first answer).
    pub async fn post(&self, path: &str, body: &Value, key: &str) -> anyhow::Result<Value> {
        let (status, answer) = self.send(Method::POST, path, Some(body), Some(key)).await?;
        if !status.is_success() {
            bail!("POST {path}: {status} {answer}\nsent: {body}");
        }
        Ok(answer)
    }

    /// PUT (whole-resource writes such as annual plans).
    pub async fn put(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let (status, answer) = self.send(Method::PUT, path, Some(body), None).await?;
        if !status.is_success() {
            bail!("PUT {path}: {status} {answer}\nsent: {body}");
        }
        Ok(answer)
    }

    /// Move `resource` (e.g. `/api/v1/reports/{id}`) along `steps`, each the status it leads to
    /// and the transition's body, starting after the step that led to `status` (the current
    /// one): a resource left half-way by an interrupted load is finished, a finished one is
    /// left alone.
    pub async fn advance(
        &self,
        resource: &str,
        status: &str,
        steps: &[(&str, Value)],
    ) -> anyhow::Result<()> {
        let start = steps
            .iter()
            .position(|(to, _)| *to == status)
            .map_or(0, |i| i + 1);
        for (i, (_, body)) in steps.iter().enumerate().skip(start) {
            let key = format!("demo:{resource}:step{i}");
            self.post(&format!("{resource}/transitions"), body, &key)
                .await?;
        }
        Ok(())
    }
}

/// The `id` of a created or listed object.
pub fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

/// Index listed objects by a natural key (a name, a title, a username).
pub fn by_key(items: Vec<Value>, field: &str) -> std::collections::HashMap<String, Value> {
    items
        .into_iter()
        .filter_map(|v| v[field].as_str().map(|k| (k.to_string(), v.clone())))
        .collect()
}
