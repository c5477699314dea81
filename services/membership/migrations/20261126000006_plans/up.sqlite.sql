-- Annual plans (年度计划): one per workroom and year, with a quantified target (量化指标) per
-- activity type. Progress is never stored: it is counted from the activity records.
CREATE TABLE workroom_plans (
    id TEXT PRIMARY KEY NOT NULL,
    workroom_id TEXT NOT NULL REFERENCES workrooms (id),
    year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    note TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE UNIQUE INDEX workroom_plans_workroom_year ON workroom_plans (workroom_id, year);
-- The bulletin: a year's plans (joined to the district's workrooms).
CREATE INDEX workroom_plans_year ON workroom_plans (year, workroom_id);

-- Replaced whole with each PUT of the plan. Types are checked by the service, as in
-- evaluation_rules, so a new activity type needs no migration here.
CREATE TABLE workroom_plan_targets (
    plan_id TEXT NOT NULL REFERENCES workroom_plans (id) ON DELETE CASCADE,
    activity_type TEXT NOT NULL,
    target INTEGER NOT NULL CHECK (target >= 0),
    PRIMARY KEY (plan_id, activity_type)
);

-- activities.workroom_id gets its foreign key to workrooms (it had none: the two tables were
-- added in parallel).
--
-- Records that name a workroom that does not exist (possible until now) keep that name here
-- and lose the dangling reference, so the key can hold without the migration failing or a
-- record being dropped. Operators may resolve them by hand; the service does not read this.
CREATE TABLE activity_workroom_orphans (
    activity_id TEXT PRIMARY KEY NOT NULL,
    workroom_id TEXT NOT NULL,
    noted_at TIMESTAMP NOT NULL
);
INSERT INTO activity_workroom_orphans (activity_id, workroom_id, noted_at)
SELECT a.id, a.workroom_id, CURRENT_TIMESTAMP
FROM activities a
WHERE a.workroom_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM workrooms w WHERE w.id = a.workroom_id);

-- SQLite cannot add a foreign key to a table, so the table is rebuilt, inside this migration's
-- transaction (all or nothing). The data is set aside and the table created again under its
-- own name rather than renamed into place: renaming rewrites other tables' references to it,
-- and dropping it would strand rows of any table that references it. With the checks
-- deferred to the commit, those rows find their parents again when the records return.
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
    workroom_id TEXT REFERENCES workrooms (id),
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
-- `SELECT *` on purpose: had a column been added since, the counts would differ and this
-- migration would fail rather than drop the column's data.
INSERT INTO activities SELECT * FROM activities_old;
UPDATE activities SET workroom_id = NULL
WHERE id IN (SELECT activity_id FROM activity_workroom_orphans);
DROP TABLE activities_old;
CREATE UNIQUE INDEX activities_source_event ON activities (source_service, source_event_id);
CREATE INDEX activities_date ON activities (activity_date, id);
CREATE INDEX activities_member ON activities (member_id, activity_date, id);
CREATE INDEX activities_district ON activities (district_code, activity_date, id);
CREATE INDEX activities_workroom ON activities (workroom_id, activity_date, id);
CREATE INDEX activities_type ON activities (activity_type, activity_date, id);
