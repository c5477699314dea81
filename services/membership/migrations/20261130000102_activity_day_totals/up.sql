-- Records per district, day and type, kept in the same transaction as each record (and any
-- removal or correction), so a district's statistics for a period add up at most a row per
-- day and type instead of reading every record. Rebuild, if records are ever loaded by hand:
--   DELETE FROM activity_day_totals;
--   INSERT INTO activity_day_totals (district_code, activity_date, activity_type, activities,
--       beneficiaries, problems_solved)
--   SELECT district_code, activity_date, activity_type, COUNT(*), SUM(beneficiaries),
--       SUM(problems_solved)
--   FROM activities GROUP BY district_code, activity_date, activity_type;
CREATE TABLE activity_day_totals (
    district_code TEXT NOT NULL REFERENCES districts (code),
    activity_date DATE NOT NULL,
    activity_type TEXT NOT NULL,
    activities BIGINT NOT NULL,
    beneficiaries BIGINT NOT NULL,
    problems_solved BIGINT NOT NULL,
    PRIMARY KEY (district_code, activity_date, activity_type)
);
-- Citywide statistics for a period.
CREATE INDEX activity_day_totals_date ON activity_day_totals (activity_date);

INSERT INTO activity_day_totals (district_code, activity_date, activity_type, activities,
    beneficiaries, problems_solved)
SELECT district_code, activity_date, activity_type, COUNT(*), SUM(beneficiaries),
    SUM(problems_solved)
FROM activities GROUP BY district_code, activity_date, activity_type;
