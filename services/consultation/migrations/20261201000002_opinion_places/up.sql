-- Opinions carry their consultation's district, subdistrict and day held (none of which change
-- once it is held), so the statistics count opinions from one index instead of joining every
-- opinion to its consultation. Opinions exist only once a consultation is held.
ALTER TABLE opinions ADD COLUMN district_code TEXT NOT NULL DEFAULT '';
ALTER TABLE opinions ADD COLUMN subdistrict_code TEXT;
ALTER TABLE opinions ADD COLUMN held_on DATE NOT NULL DEFAULT '2000-01-01';
UPDATE opinions SET
    district_code = (SELECT c.district_code FROM consultations c WHERE c.id = opinions.consultation_id),
    subdistrict_code = (SELECT c.subdistrict_code FROM consultations c WHERE c.id = opinions.consultation_id),
    held_on = (SELECT c.held_on FROM consultations c WHERE c.id = opinions.consultation_id);
CREATE INDEX opinions_held ON opinions (district_code, held_on, status, subdistrict_code);
-- Overdue replies: a district's consultations still awaiting replies.
CREATE INDEX consultations_status ON consultations (district_code, status, id);
