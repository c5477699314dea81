-- The consultation topic a report came from (consultation service; checked through the
-- service client, never joined).
ALTER TABLE reports ADD COLUMN topic_id TEXT;
-- Each author's sector (界别) as membership gave it when the authors were checked (on creation
-- and whenever the authors change): a snapshot, so the statistics by sector stay as they were
-- when a member later changes sector. NULL for authors without a sector, and for authors
-- named before this column existed.
ALTER TABLE report_authors ADD COLUMN member_sector TEXT;
