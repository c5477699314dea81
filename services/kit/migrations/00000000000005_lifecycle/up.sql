-- The history of every state machine in the service (xs_kit::lifecycle): what moved, from
-- which state to which, by whose action, when, with what details. Written in the transaction
-- of the change itself.
CREATE TABLE kit_transitions (
    id TEXT PRIMARY KEY NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX kit_transitions_subject ON kit_transitions (subject_kind, subject_id, id);

-- Domain events (xs_kit::events), written in the transaction of the change they describe, so
-- an event exists if and only if its change committed. `data` is the resource after the
-- change with personal fields masked.
CREATE TABLE kit_events (
    id TEXT PRIMARY KEY NOT NULL,
    event_type TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    district TEXT,
    subject TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX kit_events_type ON kit_events (event_type, id);
