CREATE TABLE workroom_transitions (
    id TEXT PRIMARY KEY NOT NULL,
    workroom_id TEXT NOT NULL REFERENCES workrooms (id),
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX workroom_transitions_workroom ON workroom_transitions (workroom_id, id);
INSERT INTO workroom_transitions
    (id, workroom_id, action, from_status, to_status, details, created_at, created_by)
SELECT id, subject_id, action, from_state, to_state, details, created_at, created_by
FROM kit_transitions WHERE subject_kind = 'workroom';
DELETE FROM kit_transitions WHERE subject_kind = 'workroom';
