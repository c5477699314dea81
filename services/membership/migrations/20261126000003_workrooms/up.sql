-- Workrooms (委员工作室 and kin), their lifecycle history and who serves in them.
-- reception_days and essentials are JSON text: small, always read whole, never filtered on.
CREATE TABLE workrooms (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('haoshangliang_studio', 'member_studio', 'activity_room',
                                       'liaison_group', 'taiwan_liaison_point')),
    district_code TEXT NOT NULL REFERENCES districts (code),
    subdistrict_code TEXT NOT NULL REFERENCES subdistricts (code),
    community_code TEXT REFERENCES communities (code),
    host_organisation TEXT,
    address TEXT NOT NULL,
    latitude DOUBLE PRECISION NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude DOUBLE PRECISION NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    opening_hours TEXT,
    reception_days TEXT NOT NULL,
    convener_id TEXT REFERENCES members (id),
    essentials TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('applied', 'inspected', 'approved', 'active',
                                           'suspended', 'closed')),
    inspected_on DATE,
    inspector TEXT,
    inspection_findings TEXT,
    inspection_passed BOOLEAN,
    approved_by TEXT,
    approved_on DATE,
    plaque_awarded_on DATE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX workrooms_district ON workrooms (district_code, id);
CREATE INDEX workrooms_subdistrict ON workrooms (subdistrict_code, id);
-- The bounding-box prefilter of the `near` search.
CREATE INDEX workrooms_position ON workrooms (latitude, longitude);

CREATE TABLE workroom_transitions (
    id TEXT PRIMARY KEY NOT NULL,
    workroom_id TEXT NOT NULL REFERENCES workrooms (id),
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX workroom_transitions_workroom ON workroom_transitions (workroom_id, id);

CREATE TABLE workroom_assignments (
    workroom_id TEXT NOT NULL REFERENCES workrooms (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    role TEXT NOT NULL CHECK (role IN ('convener', 'group_leader', 'member', 'full_time_staff')),
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (workroom_id, member_id)
);
CREATE INDEX workroom_assignments_member ON workroom_assignments (member_id, workroom_id);
