-- Stored responses for POSTs sent with an Idempotency-Key.
CREATE TABLE kit_idempotency (
    scope TEXT NOT NULL,          -- caller subject + method + path
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    location TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX kit_idempotency_created ON kit_idempotency (created_at);

-- Cross-service effects, written in the same transaction as the change that causes them.
CREATE TABLE kit_outbox (
    id TEXT PRIMARY KEY NOT NULL,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX kit_outbox_pending ON kit_outbox (delivered_at, next_attempt_at);
