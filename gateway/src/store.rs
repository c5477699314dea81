//! The state gateway replicas share (`XS_REDIS_URL`): rate-limit windows, sign-in and
//! registration attempts, and accounts' revocation epochs, kept on Redis so that N replicas
//! behave as one. Every change is one Lua script, atomic on the server, never read-then-write.
//!
//! Redis is an accelerator, not a dependency: when it cannot be reached the gateway keeps
//! serving — limits are counted per process, revocations travel through the database — and
//! it logs that once per outage, counts it in `/metrics`, says `degraded` on `/readyz`, and a
//! probe reconnects it when Redis answers again (every [`PROBE_EVERY`]).

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Script};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, RwLock};
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// How long connecting, and then any one command, may take before Redis counts as down.
pub const TIMEOUT: Duration = Duration::from_millis(500);
/// How often a probe tries to reconnect while Redis is down.
pub const PROBE_EVERY: Duration = Duration::from_millis(500);

/// Every key the gateway writes starts with this.
const PREFIX: &str = "xs:gw:";

/// A connection to the shared Redis, with its up/down state.
pub struct Redis {
    client: redis::Client,
    conn: RwLock<Option<MultiplexedConnection>>,
    down: AtomicBool,
    /// Times Redis was found unreachable after being up (or at start).
    outages: AtomicU64,
    /// Decisions taken in-process because Redis could not be asked.
    fallbacks: AtomicU64,
    wake_probe: Notify,
    /// Raised each time a connection is (re)established, so that followers resynchronise.
    connected: watch::Sender<u64>,
}

fn config() -> AsyncConnectionConfig {
    AsyncConnectionConfig::new()
        .set_connection_timeout(Some(TIMEOUT))
        .set_response_timeout(Some(TIMEOUT))
}

impl Redis {
    /// Parse the URL and try to connect; an unreachable Redis is not an error (the gateway
    /// starts degraded and the probe connects later), a malformed URL is.
    pub async fn connect(url: &str) -> anyhow::Result<Arc<Redis>> {
        let client = redis::Client::open(url)
            .map_err(|e| anyhow::anyhow!("XS_REDIS_URL is not a Redis URL: {e}"))?;
        let redis = Arc::new(Redis {
            client,
            conn: RwLock::new(None),
            down: AtomicBool::new(true),
            outages: AtomicU64::new(0),
            fallbacks: AtomicU64::new(0),
            wake_probe: Notify::new(),
            connected: watch::channel(0).0,
        });
        match redis.open().await {
            Ok(()) => tracing::info!("sharing limits and revocations through Redis"),
            Err(e) => {
                redis.outages.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "Redis unreachable at start: limits are per process and revocations travel through the database until it answers");
            }
        }
        Ok(redis)
    }

    async fn open(&self) -> redis::RedisResult<()> {
        let mut conn = self
            .client
            .get_multiplexed_async_connection_with_config(&config())
            .await?;
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        *self.conn.write().unwrap_or_else(|p| p.into_inner()) = Some(conn);
        self.down.store(false, Ordering::SeqCst);
        self.connected.send_modify(|n| *n += 1);
        Ok(())
    }

    /// The probe: while Redis is down, try to reconnect every [`PROBE_EVERY`].
    pub fn spawn_probe(self: &Arc<Redis>) -> tokio::task::JoinHandle<()> {
        let redis = self.clone();
        tokio::spawn(async move {
            loop {
                if !redis.is_down() {
                    redis.wake_probe.notified().await;
                    continue;
                }
                match redis.open().await {
                    Ok(()) => tracing::info!(
                        "Redis answers again: limits and revocations are shared again"
                    ),
                    Err(_) => tokio::time::sleep(PROBE_EVERY).await,
                }
            }
        })
    }

    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::SeqCst)
    }

    pub fn client(&self) -> &redis::Client {
        &self.client
    }

    /// A receiver that changes each time a connection is established.
    pub fn connections(&self) -> watch::Receiver<u64> {
        self.connected.subscribe()
    }

    fn mark_down(&self, error: &redis::RedisError) {
        if !self.down.swap(true, Ordering::SeqCst) {
            self.outages.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%error, "Redis unreachable: limits are per process and revocations travel through the database until it answers again");
            *self.conn.write().unwrap_or_else(|p| p.into_inner()) = None;
            self.wake_probe.notify_one();
        }
    }

    /// Run `f` on the shared connection; `None` (and a fallback counted) when Redis is down or
    /// the command fails, which marks it down.
    pub async fn run<T, F, Fut>(&self, f: F) -> Option<T>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let conn = if self.is_down() {
            None
        } else {
            self.conn.read().ok().and_then(|c| c.clone())
        };
        let Some(conn) = conn else {
            self.fallbacks.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        match f(conn).await {
            Ok(v) => Some(v),
            Err(e) => {
                self.mark_down(&e);
                self.fallbacks.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Ask Redis whether it is there (marking it down if not): after a sign that it went away.
    pub async fn ping(&self) -> bool {
        self.run(|mut c| async move {
            let _: String = redis::cmd("PING").query_async(&mut c).await?;
            Ok(())
        })
        .await
        .is_some()
    }

    /// `/metrics`: whether Redis is down, outages and in-process fallbacks.
    pub fn metrics_source(self: &Arc<Redis>) -> xs_kit::telemetry::MetricsSource {
        let redis = self.clone();
        Box::new(move |m| {
            m.family(
                "redis_down",
                "gauge",
                "1 while the shared Redis cannot be reached (limits per process, revocations through the database)",
                &[(vec![], if redis.is_down() { 1.0 } else { 0.0 })],
            );
            m.family(
                "redis_outages_total",
                "counter",
                "Times the shared Redis was found unreachable",
                &[(vec![], redis.outages.load(Ordering::Relaxed) as f64)],
            );
            m.family(
                "redis_fallbacks_total",
                "counter",
                "Limit checks and revocation updates done without Redis because it was unreachable",
                &[(vec![], redis.fallbacks.load(Ordering::Relaxed) as f64)],
            );
        })
    }
}

pub fn key(kind: &str, key: &str) -> String {
    format!("{PREFIX}{kind}:{key}")
}

/// A fixed window: count, start the window's clock on the first hit, answer the count and
/// the milliseconds left.
static RATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
",
    )
});

/// A sliding log of attempts in a sorted set scored by the server's clock: drop those older
/// than the period; refuse (answering the seconds to wait) when `max` remain, else add one.
/// ARGV: max, period (ms), a unique member, and 1 to count or 0 to only look.
static ATTEMPT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local period = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
local n = redis.call('ZCARD', KEYS[1])
if n >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local wait = math.ceil((tonumber(oldest[2]) + period - now) / 1000)
  if wait < 1 then wait = 1 end
  return wait
end
if ARGV[4] == '1' then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], period)
end
return 0
",
    )
});

/// Raise (never lower) accounts' epochs; for each one raised, bump the sequence number and
/// publish `id epoch`. KEYS: the hash, the sequence; ARGV: the channel, then id/epoch pairs.
static RAISE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local raised = 0
for i = 2, #ARGV, 2 do
  local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if tonumber(ARGV[i + 1]) > cur then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    redis.call('PUBLISH', ARGV[1], ARGV[i] .. ' ' .. ARGV[i + 1])
    raised = raised + 1
  end
end
if raised > 0 then redis.call('INCR', KEYS[2]) end
return raised
",
    )
});

impl Redis {
    /// One hit on a fixed window of `window`: the count so far (this one included) and the
    /// milliseconds until the window ends.
    pub async fn rate_hit(&self, key: &str, window: Duration) -> Option<(u64, u64)> {
        let k = self::key("rate", key);
        let ms = window.as_millis().max(1) as u64;
        self.run(|mut c| async move {
            let (n, ttl): (i64, i64) = RATE.key(&k).arg(ms).invoke_async(&mut c).await?;
            Ok((n.max(0) as u64, ttl.max(0) as u64))
        })
        .await
    }

    /// An attempt against `key` (`count`: record it, else only look): `Ok(())` when allowed,
    /// `Err(seconds to wait)` when refused; `None` when Redis could not be asked.
    pub async fn attempt(
        &self,
        kind: &str,
        key: &str,
        max: usize,
        period: Duration,
        count: bool,
    ) -> Option<Result<(), u64>> {
        let k = self::key(kind, key);
        let member = uuid::Uuid::new_v4().simple().to_string();
        let ms = period.as_millis().max(1) as u64;
        self.run(|mut c| async move {
            let wait: i64 = ATTEMPT
                .key(&k)
                .arg(max)
                .arg(ms)
                .arg(member)
                .arg(if count { "1" } else { "0" })
                .invoke_async(&mut c)
                .await?;
            Ok(if wait > 0 { Err(wait as u64) } else { Ok(()) })
        })
        .await
    }

    /// Remove the latest attempt recorded for `key`.
    pub async fn attempt_forget_one(&self, kind: &str, key: &str) -> Option<()> {
        let k = self::key(kind, key);
        self.run(|mut c| async move {
            let _: redis::Value = redis::cmd("ZPOPMAX").arg(&k).query_async(&mut c).await?;
            Ok(())
        })
        .await
    }

    pub async fn attempt_clear(&self, kind: &str, key: &str) -> Option<()> {
        let k = self::key(kind, key);
        self.run(|mut c| async move {
            let _: i64 = redis::cmd("DEL").arg(&k).query_async(&mut c).await?;
            Ok(())
        })
        .await
    }
}

/// Where the revocation epochs live on Redis.
pub const EPOCHS: &str = "xs:gw:revocations";
pub const EPOCHS_SEQ: &str = "xs:gw:revocations:seq";
pub const EPOCHS_CHANNEL: &str = "xs:gw:revocations";

impl Redis {
    /// Raise these epochs on Redis (and tell every replica). `false` when Redis was not asked.
    pub async fn raise_epochs(&self, epochs: &[(String, i64)]) -> bool {
        if epochs.is_empty() {
            return true;
        }
        let mut ok = true;
        for chunk in epochs.chunks(500) {
            let done = self
                .run(|mut c| async move {
                    let mut inv = RAISE.key(EPOCHS);
                    inv.key(EPOCHS_SEQ).arg(EPOCHS_CHANNEL);
                    for (id, epoch) in chunk {
                        inv.arg(id).arg(*epoch);
                    }
                    let _: i64 = inv.invoke_async(&mut c).await?;
                    Ok(())
                })
                .await;
            ok &= done.is_some();
        }
        ok
    }

    /// The sequence number of the epochs (raised with every change).
    pub async fn epochs_seq(&self) -> Option<i64> {
        self.run(|mut c| async move {
            let seq: Option<i64> = redis::cmd("GET")
                .arg(EPOCHS_SEQ)
                .query_async(&mut c)
                .await?;
            Ok(seq.unwrap_or(0))
        })
        .await
    }

    /// Every epoch on Redis.
    pub async fn all_epochs(&self) -> Option<std::collections::HashMap<String, i64>> {
        self.run(|mut c| async move { redis::cmd("HGETALL").arg(EPOCHS).query_async(&mut c).await })
            .await
    }
}
