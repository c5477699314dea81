DROP TABLE kit_outbox;
DROP TABLE kit_idempotency;
