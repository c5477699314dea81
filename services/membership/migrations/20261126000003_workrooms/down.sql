DROP TABLE workroom_assignments;
DROP TABLE workroom_transitions;
DROP TABLE workrooms;
