-- Workroom history moves to the kit's lifecycle history (kit_transitions), where every state
-- machine of the service keeps its moves; the rows keep their ids, so cursors stay valid.
INSERT INTO kit_transitions
    (id, subject_kind, subject_id, action, from_state, to_state, details, created_at, created_by)
SELECT id, 'workroom', workroom_id, action, from_status, to_status, details, created_at, created_by
FROM workroom_transitions;
DROP TABLE workroom_transitions;
