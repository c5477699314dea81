DROP TABLE evaluation_rule_levels;
