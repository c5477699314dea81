-- The statistics count compatriots' attendances at a district's held events: a join from the
-- events to their registrations that this index answers without reading the table.
CREATE INDEX event_registrations_attended ON event_registrations (event_id, attended, compatriot_id);
