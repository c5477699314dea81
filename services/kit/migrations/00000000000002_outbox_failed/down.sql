DROP INDEX kit_outbox_due;
ALTER TABLE kit_outbox DROP COLUMN failed_at;
