ALTER TABLE activities DROP CONSTRAINT activities_workroom_fkey;
UPDATE activities a SET workroom_id = o.workroom_id
FROM activity_workroom_orphans o
WHERE o.activity_id = a.id;
DROP TABLE activity_workroom_orphans;

DROP TABLE workroom_plan_targets;
DROP TABLE workroom_plans;
