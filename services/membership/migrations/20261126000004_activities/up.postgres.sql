-- Yearly evaluation rules: one table per year (points per activity type, grade thresholds).
-- A year without its own table uses the latest earlier one (the earliest, before the first).
CREATE TABLE evaluation_rule_years (
    year INTEGER PRIMARY KEY NOT NULL,
    excellent_min INTEGER NOT NULL,
    competent_min INTEGER NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL,
    CHECK (competent_min >= 0 AND excellent_min >= competent_min)
);

CREATE TABLE evaluation_rules (
    year INTEGER NOT NULL REFERENCES evaluation_rule_years (year) ON DELETE CASCADE,
    activity_type TEXT NOT NULL,
    points INTEGER NOT NULL CHECK (points >= 0),
    PRIMARY KEY (year, activity_type)
);

-- The current scheme, as the default table.
INSERT INTO evaluation_rule_years
    (year, excellent_min, competent_min, version, created_at, created_by, updated_at, updated_by)
VALUES (2026, 60, 20, 1, (now() AT TIME ZONE 'UTC'), 'migration', (now() AT TIME ZONE 'UTC'), 'migration');
INSERT INTO evaluation_rules (year, activity_type, points) VALUES
    (2026, 'duty_shift', 2),
    (2026, 'check_in', 1),
    (2026, 'consultation', 5),
    (2026, 'reception', 2),
    (2026, 'mediation', 5),
    (2026, 'report_submitted', 3),
    (2026, 'report_adopted', 10),
    (2026, 'lecture', 3),
    (2026, 'volunteer_service', 2),
    (2026, 'free_clinic', 3),
    (2026, 'warmth_delivery', 2),
    (2026, 'research_visit', 3),
    (2026, 'emergency_relief', 3),
    (2026, 'liaison_event', 2),
    (2026, 'other', 1);

-- Activity records (履职记录). Append-only: points are fixed when recorded, from the rule
-- table of `rule_year`, so every point of an evaluation traces back to one record.
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
CREATE UNIQUE INDEX activities_source_event ON activities (source_service, source_event_id);
CREATE INDEX activities_date ON activities (activity_date, id);
CREATE INDEX activities_member ON activities (member_id, activity_date, id);
-- Covers the statistics (by type, people helped, problems solved) without the table.
CREATE INDEX activities_district ON activities (district_code, activity_date, id)
    INCLUDE (activity_type, beneficiaries, problems_solved);
CREATE INDEX activities_workroom ON activities (workroom_id, activity_date, id);
CREATE INDEX activities_type ON activities (activity_type, activity_date, id);

-- Points per member and calendar year, kept in the same transaction as each record, so a
-- district's ranking reads an index in rank order instead of aggregating every record.
-- `district_code` is the member's (members do not change district; if they ever may, the
-- change must move these rows too). Rebuild, if records are ever loaded by hand:
--   DELETE FROM member_year_points;
--   INSERT INTO member_year_points (member_id, year, district_code, points, activity_count)
--   SELECT a.member_id, EXTRACT(YEAR FROM a.activity_date)::int, m.district_code, SUM(a.points), COUNT(*)
--   FROM activities a JOIN members m ON m.id = a.member_id GROUP BY 1, 2, 3;
CREATE TABLE member_year_points (
    member_id TEXT NOT NULL REFERENCES members (id),
    year INTEGER NOT NULL,
    district_code TEXT NOT NULL REFERENCES districts (code),
    points BIGINT NOT NULL,
    activity_count BIGINT NOT NULL,
    PRIMARY KEY (member_id, year)
);
-- A district's ranking in order, and "how many scored more" for one member's rank.
CREATE INDEX member_year_points_rank
    ON member_year_points (year, district_code, points DESC, member_id);
