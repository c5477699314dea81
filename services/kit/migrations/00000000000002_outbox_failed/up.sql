-- A message the target refused for good (a 4xx other than 408/429) is marked failed, not retried.
ALTER TABLE kit_outbox ADD COLUMN failed_at TIMESTAMP;
-- What the relay polls: messages neither delivered nor failed, by when they are due.
CREATE INDEX kit_outbox_due ON kit_outbox (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
