-- The events feed (xs_kit::events::publish): each event gets its position in the service's
-- feed after its transaction committed, in the order the publisher found them committed, so a
-- reader paging "after position N" can never miss an event that committed late with an early id.
ALTER TABLE kit_events ADD COLUMN seq BIGINT;
CREATE UNIQUE INDEX kit_events_seq ON kit_events (seq);
CREATE INDEX kit_events_unpublished ON kit_events (id) WHERE seq IS NULL;

-- The last position handed out; its one row is locked by the publisher, so publishers (several
-- replicas on PostgreSQL) take turns and positions become visible in order.
CREATE TABLE kit_event_positions (
    id TEXT PRIMARY KEY NOT NULL,
    last_seq BIGINT NOT NULL
);
INSERT INTO kit_event_positions (id, last_seq) VALUES ('events', 0);
