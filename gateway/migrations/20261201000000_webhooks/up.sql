-- Webhook subscriptions (gateway/src/webhooks): where to send which events, signed with the
-- subscription's secret (Standard Webhooks 1.0). The secret is kept to sign every delivery and
-- shown once, when the subscription is created.
CREATE TABLE gw_webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    event_types TEXT NOT NULL,      -- JSON array of types; empty: every type
    district TEXT,                  -- only this district's events; NULL: every district
    description TEXT,
    secret TEXT NOT NULL,           -- whsec_<base64 of the key bytes>
    enabled BOOLEAN NOT NULL,
    disabled_reason TEXT,
    owner TEXT NOT NULL,            -- the account that created it (integrators manage their own)
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX gw_webhooks_owner ON gw_webhooks (owner, id);

-- One event for one subscription, delivered at least once.
CREATE TABLE gw_webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,   -- msg_<uuid>: the webhook-id header, the same on every attempt
    webhook_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,           -- pending, delivered, failed
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    failed_at TIMESTAMP
);
CREATE UNIQUE INDEX gw_webhook_deliveries_event ON gw_webhook_deliveries (webhook_id, event_id);
CREATE INDEX gw_webhook_deliveries_due ON gw_webhook_deliveries (next_attempt_at) WHERE status = 'pending';

-- Every attempt of a delivery and how it ended.
CREATE TABLE gw_webhook_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    delivery_id TEXT NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    response_status INTEGER,
    error TEXT,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX gw_webhook_attempts_delivery ON gw_webhook_attempts (delivery_id, id);

-- How far the dispatcher has read the merged events feed (its cursor), one row.
CREATE TABLE gw_webhook_feed (
    id TEXT PRIMARY KEY NOT NULL,
    cursor TEXT NOT NULL
);
INSERT INTO gw_webhook_feed (id, cursor) VALUES ('feed', '');
