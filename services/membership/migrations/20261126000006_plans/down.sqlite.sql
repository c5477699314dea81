-- Back to activities without the foreign key (rebuilt the same way as on the way up), with
-- the set-aside workroom references restored.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE activities_old AS SELECT * FROM activities;
DROP TABLE activities;
CREATE TABLE activities (
    id TEXT PRIMARY KEY NOT NULL,
    member_id TEXT NOT NULL REFERENCES members (id),
    -- The member's district when the activity was recorded (statistics stay as they were).
    district_code TEXT NOT NULL REFERENCES districts (code),
    activity_type TEXT NOT NULL CHECK (activity_type IN (
        'duty_shift', 'check_in', 'consultation', 'reception', 'mediation',
        'report_submitted', 'report_adopted', 'lecture', 'volunteer_service', 'free_clinic',
        'warmth_delivery', 'research_visit', 'emergency_relief', 'liaison_event', 'other')),
    activity_date DATE NOT NULL,
    -- No foreign key yet: the workrooms table arrives in a parallel migration.
    workroom_id TEXT,
    beneficiaries INTEGER NOT NULL DEFAULT 0 CHECK (beneficiaries >= 0),
    problems_solved INTEGER NOT NULL DEFAULT 0 CHECK (problems_solved >= 0),
    note TEXT,
    points INTEGER NOT NULL CHECK (points >= 0),
    rule_year INTEGER NOT NULL REFERENCES evaluation_rule_years (year),
    points_overridden BOOLEAN NOT NULL DEFAULT FALSE,
    -- 'manual', or the service that reported it with its event id (delivered at least once).
    source_service TEXT NOT NULL,
    source_event_id TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    CHECK ((source_service = 'manual') = (source_event_id IS NULL))
);
INSERT INTO activities SELECT * FROM activities_old;
DROP TABLE activities_old;
UPDATE activities
SET workroom_id = (SELECT o.workroom_id FROM activity_workroom_orphans o WHERE o.activity_id = activities.id)
WHERE id IN (SELECT activity_id FROM activity_workroom_orphans);
CREATE UNIQUE INDEX activities_source_event ON activities (source_service, source_event_id);
CREATE INDEX activities_date ON activities (activity_date, id);
CREATE INDEX activities_member ON activities (member_id, activity_date, id);
CREATE INDEX activities_district ON activities (district_code, activity_date, id);
CREATE INDEX activities_workroom ON activities (workroom_id, activity_date, id);
CREATE INDEX activities_type ON activities (activity_type, activity_date, id);
DROP TABLE activity_workroom_orphans;

DROP TABLE workroom_plan_targets;
DROP TABLE workroom_plans;
