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
SELECT a.id, a.workroom_id, (now() AT TIME ZONE 'UTC')
FROM activities a
WHERE a.workroom_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM workrooms w WHERE w.id = a.workroom_id);
UPDATE activities SET workroom_id = NULL
WHERE id IN (SELECT activity_id FROM activity_workroom_orphans);
-- PostgreSQL adds the key in place; activities_workroom already indexes the column.
ALTER TABLE activities
    ADD CONSTRAINT activities_workroom_fkey FOREIGN KEY (workroom_id) REFERENCES workrooms (id);
