-- The consultation service: topics (议题), consultations (微协商) with opinions, recipients and
-- follow-ups, mediation cases (政协+调解) and visitor receptions (来访接待). Members, workrooms,
-- districts and subdistricts live in membership: they are referenced by id or code and checked
-- through its API, never by foreign key. JSON lists are text.

CREATE TABLE topics (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    district_code TEXT NOT NULL,
    subdistrict_code TEXT NOT NULL,
    community_code TEXT,
    workroom_id TEXT,
    category TEXT NOT NULL CHECK (category IN ('livelihood', 'environment', 'traffic',
        'property_management', 'elderly_care', 'education', 'health', 'public_safety',
        'legal', 'economy', 'culture', 'cross_strait', 'other')),
    origin TEXT NOT NULL CHECK (origin IN ('assigned', 'public', 'member_chosen')),
    status TEXT NOT NULL CHECK (status IN ('open', 'claimed', 'scheduled', 'consulted',
        'resolved', 'unresolved', 'declined', 'merged')),
    -- Who raised it: the account, its role, and the member when a member proposed it.
    raised_by TEXT NOT NULL,
    raised_by_role TEXT NOT NULL,
    proposer_member_id TEXT,
    -- A resident's contact details (personal data): masked or withheld as the policy says.
    contact_name TEXT,
    contact_phone TEXT,
    claimed_members TEXT NOT NULL DEFAULT '[]',
    claimed_workroom_id TEXT,
    declined_reason TEXT,
    merged_into TEXT REFERENCES topics (id),
    raised_on DATE NOT NULL,
    resolved_on DATE,
    resolution_days INTEGER,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX topics_district ON topics (district_code, id);
CREATE INDEX topics_district_status ON topics (district_code, status, id);
CREATE INDEX topics_subdistrict_status ON topics (subdistrict_code, status, id);
CREATE INDEX topics_raised_by ON topics (raised_by, id);
CREATE INDEX topics_merged_into ON topics (merged_into);
CREATE INDEX topics_workroom ON topics (workroom_id, id);
-- The statistics: topics raised in a period by origin and status, and those resolved.
CREATE INDEX topics_raised ON topics (district_code, raised_on, origin, status, subdistrict_code);
CREATE INDEX topics_resolved ON topics (district_code, resolved_on, resolution_days, subdistrict_code);

CREATE TABLE consultations (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    district_code TEXT NOT NULL,
    subdistrict_code TEXT,
    workroom_id TEXT,
    scheduled_on DATE NOT NULL,
    place TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('on_site', 'online', 'mixed')),
    host TEXT NOT NULL,
    residents_count INTEGER NOT NULL DEFAULT 0 CHECK (residents_count >= 0),
    resident_names TEXT NOT NULL DEFAULT '[]',
    grassroots_units TEXT NOT NULL DEFAULT '[]',
    departments TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL CHECK (status IN ('planned', 'held', 'submitted', 'following_up',
        'implemented', 'closed_unresolved', 'cancelled')),
    minutes TEXT,
    held_on DATE,
    submitted_on DATE,
    closed_on DATE,
    closing_note TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX consultations_district ON consultations (district_code, id);
CREATE INDEX consultations_held ON consultations (district_code, held_on, subdistrict_code);

CREATE TABLE consultation_topics (
    consultation_id TEXT NOT NULL REFERENCES consultations (id),
    topic_id TEXT NOT NULL REFERENCES topics (id),
    PRIMARY KEY (consultation_id, topic_id)
);
CREATE INDEX consultation_topics_topic ON consultation_topics (topic_id, consultation_id);

CREATE TABLE consultation_members (
    consultation_id TEXT NOT NULL REFERENCES consultations (id),
    member_id TEXT NOT NULL,
    PRIMARY KEY (consultation_id, member_id)
);
CREATE INDEX consultation_members_member ON consultation_members (member_id, consultation_id);

-- 协商意见: each with the body responsible for it and its follow-up status.
CREATE TABLE opinions (
    id TEXT PRIMARY KEY NOT NULL,
    consultation_id TEXT NOT NULL REFERENCES consultations (id),
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    responsible_body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'in_progress', 'adopted', 'implemented',
        'not_adopted')),
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX opinions_consultation ON opinions (consultation_id, position);

-- 报送 (main recipients, each with a due date for a reply) and 抄送 (copies).
CREATE TABLE recipients (
    id TEXT PRIMARY KEY NOT NULL,
    consultation_id TEXT NOT NULL REFERENCES consultations (id),
    district_code TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('main', 'copy')),
    body TEXT NOT NULL CHECK (body IN ('district_committee', 'party_committee', 'government',
        'department')),
    name TEXT,
    due_on DATE,
    replied_on DATE,
    reply TEXT,
    CHECK ((kind = 'main') = (due_on IS NOT NULL))
);
CREATE INDEX recipients_consultation ON recipients (consultation_id, id);
CREATE INDEX recipients_due ON recipients (district_code, due_on, id);

CREATE TABLE follow_ups (
    id TEXT PRIMARY KEY NOT NULL,
    consultation_id TEXT NOT NULL REFERENCES consultations (id),
    follow_up_on DATE NOT NULL,
    by_whom TEXT NOT NULL,
    note TEXT NOT NULL,
    recipient_id TEXT REFERENCES recipients (id),
    reply TEXT,
    opinion_statuses TEXT NOT NULL DEFAULT '[]',
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX follow_ups_consultation ON follow_ups (consultation_id, id);

CREATE TABLE mediation_cases (
    id TEXT PRIMARY KEY NOT NULL,
    district_code TEXT NOT NULL,
    subdistrict_code TEXT,
    workroom_id TEXT,
    dispute_type TEXT NOT NULL CHECK (dispute_type IN ('work_injury', 'labour', 'neighbour',
        'contract', 'family', 'consumer', 'other')),
    summary TEXT NOT NULL,
    -- The parties (names and contacts): personal data, never logged, masked outside the
    -- district's staff and the case's mediators.
    parties TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('received', 'in_mediation', 'agreement_signed',
        'failed', 'referred')),
    received_on DATE NOT NULL,
    started_on DATE,
    outcome_on DATE,
    agreement_summary TEXT,
    referred_to TEXT CHECK (referred_to IN ('court', 'arbitration')),
    outcome_note TEXT,
    days_taken INTEGER,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX mediation_cases_district ON mediation_cases (district_code, id);
CREATE INDEX mediation_cases_outcome ON mediation_cases (district_code, outcome_on, status, days_taken, subdistrict_code);

CREATE TABLE mediation_mediators (
    case_id TEXT NOT NULL REFERENCES mediation_cases (id),
    member_id TEXT NOT NULL,
    PRIMARY KEY (case_id, member_id)
);
CREATE INDEX mediation_mediators_member ON mediation_mediators (member_id, case_id);

CREATE TABLE mediation_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES mediation_cases (id),
    session_on DATE NOT NULL,
    note TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX mediation_sessions_case ON mediation_sessions (case_id, session_on, id);

CREATE TABLE receptions (
    id TEXT PRIMARY KEY NOT NULL,
    district_code TEXT NOT NULL,
    subdistrict_code TEXT NOT NULL,
    workroom_id TEXT NOT NULL,
    received_on DATE NOT NULL,
    -- The visitor (optional, personal data): masked outside the district's staff and the
    -- receiving members.
    visitor_name TEXT,
    visitor_contact TEXT,
    channel TEXT NOT NULL CHECK (channel IN ('visit', 'mailbox', 'hotline', 'wechat')),
    category TEXT NOT NULL CHECK (category IN ('legal_consultation', 'livelihood', 'dispute',
        'policy', 'suggestion', 'cross_strait', 'other')),
    concern TEXT NOT NULL,
    handling TEXT NOT NULL CHECK (handling IN ('answered', 'referred', 'became_topic',
        'became_report')),
    referred_to TEXT,
    topic_id TEXT REFERENCES topics (id),
    report_id TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL,
    CHECK ((handling = 'referred') = (referred_to IS NOT NULL)),
    CHECK ((handling = 'became_topic') = (topic_id IS NOT NULL)),
    CHECK ((handling = 'became_report') = (report_id IS NOT NULL))
);
CREATE INDEX receptions_district ON receptions (district_code, id);
CREATE INDEX receptions_date ON receptions (district_code, received_on, channel, category, subdistrict_code);

CREATE TABLE reception_members (
    reception_id TEXT NOT NULL REFERENCES receptions (id),
    member_id TEXT NOT NULL,
    PRIMARY KEY (reception_id, member_id)
);
CREATE INDEX reception_members_member ON reception_members (member_id, reception_id);
