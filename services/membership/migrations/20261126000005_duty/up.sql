-- Duty shifts (轮值) and check-ins (报到).
-- Times of day are minutes since local midnight (0..1440): integers compare and sort the same
-- on both backends. A shift does not cross midnight.
CREATE TABLE duty_shifts (
    id TEXT PRIMARY KEY NOT NULL,
    workroom_id TEXT NOT NULL REFERENCES workrooms (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    shift_date DATE NOT NULL,
    start_minute INTEGER NOT NULL CHECK (start_minute >= 0 AND start_minute < 1440),
    end_minute INTEGER NOT NULL CHECK (end_minute <= 1440),
    -- 'manual' (one by one) or 'rota' (generated).
    origin TEXT NOT NULL CHECK (origin IN ('manual', 'rota')),
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    CHECK (end_minute > start_minute)
);
-- A workroom's shifts in order (lists, on-duty, the rota's staffed days).
CREATE INDEX duty_shifts_workroom ON duty_shifts (workroom_id, shift_date, start_minute, id);
-- A member's shifts on a day (overlaps, the shift a check-in answers).
CREATE INDEX duty_shifts_member ON duty_shifts (member_id, shift_date, start_minute);

-- One check-in per member, workroom and (local) day: the unique constraint holds it under
-- concurrent requests on both backends. Each check-in earns one activity record
-- (source 'membership', event 'check_in:<id>'), written in the same transaction.
CREATE TABLE check_ins (
    id TEXT PRIMARY KEY NOT NULL,
    workroom_id TEXT NOT NULL REFERENCES workrooms (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    -- The workroom's district: what scopes the lists.
    district_code TEXT NOT NULL REFERENCES districts (code),
    check_in_date DATE NOT NULL,
    checked_in_at TIMESTAMP NOT NULL,
    -- The shift it answers; none for a flexible check-in.
    shift_id TEXT REFERENCES duty_shifts (id),
    activity_id TEXT NOT NULL REFERENCES activities (id),
    created_by TEXT NOT NULL,
    CONSTRAINT check_ins_once_a_day UNIQUE (member_id, workroom_id, check_in_date)
);
CREATE INDEX check_ins_workroom ON check_ins (workroom_id, check_in_date, id);
CREATE INDEX check_ins_district ON check_ins (district_code, check_in_date, id);
CREATE INDEX check_ins_date ON check_ins (check_in_date, id);
