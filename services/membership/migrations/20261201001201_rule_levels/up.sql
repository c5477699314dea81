-- Points by level, for the activity types whose worth depends on how far the activity reached
-- (report_adopted: adopted by the municipal, provincial or national committee, or by a
-- department). A level the year's table leaves out earns the type's own points
-- (evaluation_rules), so a table without levels works as before. Replaced with the year's
-- table (PUT /evaluation-rules/{year}, `level_points`).
CREATE TABLE evaluation_rule_levels (
    year INTEGER NOT NULL REFERENCES evaluation_rule_years (year) ON DELETE CASCADE,
    activity_type TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('municipal', 'provincial', 'national', 'department')),
    points INTEGER NOT NULL CHECK (points >= 0),
    PRIMARY KEY (year, activity_type, level)
);

-- The default scheme's table gets levels: an adoption counts more the higher it reaches.
INSERT INTO evaluation_rule_levels (year, activity_type, level, points)
SELECT year, 'report_adopted', 'municipal', 10 FROM evaluation_rule_years WHERE year = 2026
UNION ALL
SELECT year, 'report_adopted', 'department', 10 FROM evaluation_rule_years WHERE year = 2026
UNION ALL
SELECT year, 'report_adopted', 'provincial', 15 FROM evaluation_rule_years WHERE year = 2026
UNION ALL
SELECT year, 'report_adopted', 'national', 20 FROM evaluation_rule_years WHERE year = 2026;
