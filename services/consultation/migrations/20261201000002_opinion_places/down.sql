DROP INDEX consultations_status;
DROP INDEX opinions_held;
ALTER TABLE opinions DROP COLUMN held_on;
ALTER TABLE opinions DROP COLUMN subdistrict_code;
ALTER TABLE opinions DROP COLUMN district_code;
