//! Accounts' revocation epochs across gateway replicas (see `xs_kit::revocation`).
//!
//! Each replica checks tokens against its own in-memory table, loaded from the database at
//! start. With Redis (`XS_REDIS_URL`) a replica that raises an epoch also raises it on Redis
//! in one script that publishes it; every replica
//!
//! - applies what it hears on the channel at once (pub/sub: as soon as Redis delivers it);
//! - every [`POLL_EVERY`] compares the epochs' sequence number on Redis with the last it read
//!   and reloads them when it moved (a message lost during a reconnection);
//! - while Redis is down, reads the epochs from the shared database instead, every
//!   [`POLL_EVERY`];
//! - when (re)connected, writes every epoch it knows to Redis (raising only), so changes made
//!   during an outage reach everyone, and reloads.
//!
//! So a revocation reaches every gateway replica within [`POLL_EVERY`] (plus the Redis timeout
//! when Redis has just failed), and every separately run service within that plus its own poll
//! of `GET /auth/revocations` (2 s): 3 s in all. Without Redis nothing is polled: one replica
//! learns another's changes at restart, as before.

use crate::state::Shared;
use crate::store::{EPOCHS_CHANNEL, Redis};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use xs_kit::Db;
use xs_kit::revocation::Revocations;

/// How often a replica checks Redis (or, while it is down, the database) for epochs it missed.
pub const POLL_EVERY: Duration = Duration::from_secs(1);

/// Record a raised epoch here and share it with the other replicas (its row is committed).
pub async fn publish(shared: &Shared, id: &str, epoch: i64) {
    shared.revocations.set(id, epoch);
    if let Some(redis) = &shared.redis {
        // When Redis cannot be asked, the others read the database until it answers again.
        redis.raise_epochs(&[(id.to_string(), epoch)]).await;
    }
}

/// The tasks that keep this replica's table current from Redis and the database.
pub fn spawn(redis: &Arc<Redis>, table: &Revocations, db: &Db) -> Vec<tokio::task::JoinHandle<()>> {
    vec![
        tokio::spawn(listen(redis.clone(), table.clone())),
        tokio::spawn(poll(redis.clone(), table.clone(), db.clone())),
    ]
}

fn merge(table: &Revocations, epochs: &std::collections::HashMap<String, i64>) {
    table.merge(epochs);
}

/// Follow the channel; after each (re)subscription reload everything (messages sent while
/// unsubscribed are not replayed).
async fn listen(redis: Arc<Redis>, table: Revocations) {
    loop {
        let subscribed = tokio::time::timeout(crate::store::TIMEOUT * 4, async {
            let mut pubsub = redis.client().get_async_pubsub().await?;
            pubsub.subscribe(EPOCHS_CHANNEL).await?;
            Ok::<_, redis::RedisError>(pubsub)
        })
        .await;
        if let Ok(Ok(pubsub)) = subscribed {
            if let Some(all) = redis.all_epochs().await {
                merge(&table, &all);
            }
            let mut messages = pubsub.into_on_message();
            while let Some(msg) = messages.next().await {
                let Ok(text) = msg.get_payload::<String>() else {
                    continue;
                };
                if let Some((id, epoch)) = text.split_once(' ')
                    && let Ok(epoch) = epoch.parse::<i64>()
                {
                    table.set(id, epoch);
                }
            }
            // The subscription ended: Redis probably went away; find out now rather than at
            // the next request, so that /readyz and the fallbacks follow at once.
            redis.ping().await;
        }
        tokio::time::sleep(crate::store::PROBE_EVERY).await;
    }
}

/// The safety net under the channel: the sequence number on Redis, or the database while
/// Redis is down; and a resynchronisation at every (re)connection.
async fn poll(redis: Arc<Redis>, table: Revocations, db: Db) {
    let mut connections = redis.connections();
    let mut last_seq: Option<i64> = None;
    let mut resync = true;
    loop {
        if connections.has_changed().unwrap_or(false) {
            connections.mark_unchanged();
            resync = true;
        }
        if redis.is_down() {
            match crate::accounts::revocation_epochs(&db).await {
                Ok(epochs) => {
                    for (id, epoch) in epochs {
                        table.set(&id, epoch);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "revocation epochs not read from the database")
                }
            }
            resync = true;
        } else {
            if resync {
                let mine: Vec<(String, i64)> = table.snapshot().into_iter().collect();
                resync = !redis.raise_epochs(&mine).await;
                last_seq = None;
            }
            if let Some(seq) = redis.epochs_seq().await
                && last_seq != Some(seq)
                && let Some(all) = redis.all_epochs().await
            {
                merge(&table, &all);
                last_seq = Some(seq);
            }
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}
