DROP TABLE kit_event_positions;
DROP INDEX kit_events_unpublished;
DROP INDEX kit_events_seq;
ALTER TABLE kit_events DROP COLUMN seq;
