DROP TABLE activity_day_totals;
