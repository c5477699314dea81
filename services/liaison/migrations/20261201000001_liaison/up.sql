-- The liaison service: compatriots (台胞), Taiwan enterprises and youth bases, liaison events
-- with registrations and suggestions, and compatriots' requests with follow-up notes.
-- Members and workrooms (liaison points) live in membership: they are referred to by id only,
-- checked through membership's internal endpoints, so there are no foreign keys to them.

CREATE TABLE compatriots (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    origin TEXT NOT NULL,
    occupation TEXT,
    employer TEXT,
    district_code TEXT NOT NULL,
    -- Personal data: masked for everyone but the district's office staff, admins and the
    -- compatriot; never logged.
    contact TEXT,
    id_number TEXT,
    -- The resident account that registered itself through the app (sees only this record).
    account_sub TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX compatriots_district ON compatriots (district_code, id);
CREATE UNIQUE INDEX compatriots_account ON compatriots (account_sub);

CREATE TABLE taiwan_enterprises (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('enterprise', 'youth_base', 'association')),
    name TEXT NOT NULL,
    district_code TEXT NOT NULL,
    address TEXT NOT NULL,
    sector TEXT,
    contact_person TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX taiwan_enterprises_district ON taiwan_enterprises (district_code, id);

-- The members who visit an enterprise or base (member ids in membership).
CREATE TABLE enterprise_members (
    enterprise_id TEXT NOT NULL REFERENCES taiwan_enterprises (id),
    member_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (enterprise_id, member_id)
);
CREATE INDEX enterprise_members_member ON enterprise_members (member_id);

CREATE TABLE liaison_events (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('lecture', 'study_class', 'symposium', 'enterprise_visit',
        'youth_base_visit', 'cultural_exchange', 'volunteer_service', 'social_event',
        'heritage_survey')),
    title TEXT NOT NULL,
    district_code TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP,
    place TEXT NOT NULL,
    -- A membership workroom of kind taiwan_liaison_point.
    liaison_point TEXT,
    enterprise_id TEXT REFERENCES taiwan_enterprises (id),
    -- NULL: no limit.
    capacity INTEGER CHECK (capacity IS NULL OR capacity >= 1),
    status TEXT NOT NULL CHECK (status IN ('planned', 'open_for_registration', 'held',
        'cancelled')),
    people_served INTEGER CHECK (people_served IS NULL OR people_served >= 0),
    volunteers INTEGER CHECK (volunteers IS NULL OR volunteers >= 0),
    summary TEXT,
    cancel_reason TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX liaison_events_district ON liaison_events (district_code, starts_at, id);
CREATE INDEX liaison_events_starts ON liaison_events (starts_at, id);

-- The members who organise an event (credited when it is held).
CREATE TABLE event_organisers (
    event_id TEXT NOT NULL REFERENCES liaison_events (id),
    member_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (event_id, member_id)
);

-- One per person and event while not cancelled; over capacity a registration waits, in
-- `queue_no` order, and is promoted when a confirmed one is cancelled.
CREATE TABLE event_registrations (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL REFERENCES liaison_events (id),
    compatriot_id TEXT REFERENCES compatriots (id),
    member_id TEXT,
    -- `compatriot:<id>` or `member:<id>`: what "one per person" is unique on.
    person TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'cancelled')),
    queue_no INTEGER NOT NULL,
    attended BOOLEAN,
    promoted_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL,
    CHECK ((compatriot_id IS NULL) <> (member_id IS NULL))
);
CREATE UNIQUE INDEX event_registrations_person ON event_registrations (event_id, person)
    WHERE status <> 'cancelled';
CREATE INDEX event_registrations_event ON event_registrations (event_id, status, queue_no);
CREATE INDEX event_registrations_compatriot ON event_registrations (compatriot_id);

CREATE TABLE event_suggestions (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL REFERENCES liaison_events (id),
    district_code TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    raised_by TEXT,
    -- The draft report in the reports service it became.
    report_id TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX event_suggestions_event ON event_suggestions (event_id, id);

CREATE TABLE compatriot_requests (
    id TEXT PRIMARY KEY NOT NULL,
    district_code TEXT NOT NULL,
    compatriot_id TEXT REFERENCES compatriots (id),
    enterprise_id TEXT REFERENCES taiwan_enterprises (id),
    kind TEXT NOT NULL CHECK (kind IN ('entrepreneurship', 'employment', 'medical', 'housing',
        'education', 'legal', 'travel', 'other')),
    description TEXT NOT NULL,
    assigned_member TEXT,
    status TEXT NOT NULL CHECK (status IN ('received', 'assigned', 'in_progress', 'resolved',
        'unresolvable')),
    received_on DATE NOT NULL,
    closed_on DATE,
    resolution TEXT,
    unresolvable_reason TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL,
    CHECK ((compatriot_id IS NULL) <> (enterprise_id IS NULL))
);
CREATE INDEX compatriot_requests_district ON compatriot_requests (district_code, id);
CREATE INDEX compatriot_requests_open ON compatriot_requests (status, received_on);
CREATE INDEX compatriot_requests_member ON compatriot_requests (assigned_member, id);

CREATE TABLE request_notes (
    id TEXT PRIMARY KEY NOT NULL,
    request_id TEXT NOT NULL REFERENCES compatriot_requests (id),
    note TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX request_notes_request ON request_notes (request_id, id);
