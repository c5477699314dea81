DROP TABLE member_year_points;
DROP TABLE activities;
DROP TABLE evaluation_rules;
DROP TABLE evaluation_rule_years;
