DROP TABLE kit_events;
DROP TABLE kit_transitions;
