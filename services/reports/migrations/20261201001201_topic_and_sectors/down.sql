ALTER TABLE report_authors DROP COLUMN member_sector;
ALTER TABLE reports DROP COLUMN topic_id;
