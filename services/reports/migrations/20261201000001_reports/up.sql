-- Social-situation reports (社情民意信息): the report with its current text, the authors' text
-- as last submitted (kept readable after the office edits it on acceptance), its place in the
-- lifecycle and the links to where it came from. Authors, revisions, forwards, adoptions and
-- leader instructions hang off it. Members, receptions and liaison suggestions live in other
-- services: their ids are kept as text and checked through the service client, never joined.
CREATE TABLE reports (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('economy', 'livelihood', 'governance',
        'environment', 'health', 'education', 'law', 'cross_strait', 'other')),
    district_code TEXT NOT NULL,
    source_channel TEXT NOT NULL CHECK (source_channel IN ('member_research', 'reception',
        'mailbox', 'hotline', 'wechat', 'liaison_group', 'liaison_event')),
    -- The resident who raised it, for reports from a resident channel (masked for all but staff).
    resident_name TEXT,
    resident_phone TEXT,
    reception_id TEXT,
    liaison_event_id TEXT,
    liaison_suggestion_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'under_review', 'returned',
        'rejected', 'accepted', 'forwarded', 'adopted')),
    -- The authors' text as they last submitted it.
    submitted_title TEXT,
    submitted_body TEXT,
    -- The latest return's comments and the rejection's reason.
    review_comments TEXT,
    rejection_reason TEXT,
    -- Milestones: the first submission, acceptance, first forward and first adoption.
    submitted_at TIMESTAMP,
    accepted_at TIMESTAMP,
    forwarded_at TIMESTAMP,
    adopted_at TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
-- Lists are newest first (ids are time-ordered) within a district, a status or all.
CREATE INDEX reports_district ON reports (district_code, id);
CREATE INDEX reports_status ON reports (status, id);
CREATE INDEX reports_submitted ON reports (submitted_at);

-- Joint reports have several authors; the name is the member's when they were named.
CREATE TABLE report_authors (
    report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    member_id TEXT NOT NULL,
    member_name TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (report_id, member_id)
);
CREATE INDEX report_authors_member ON report_authors (member_id, report_id);

-- Every version of the text: the first draft, each edit (authors' or office's) and the
-- office's text on acceptance.
CREATE TABLE report_revisions (
    id TEXT PRIMARY KEY NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('created', 'edited', 'office_edited')),
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (report_id, number)
);

-- Where an accepted report was sent: a level, or a named department.
CREATE TABLE report_forwards (
    id TEXT PRIMARY KEY NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    level TEXT NOT NULL CHECK (level IN ('municipal', 'provincial', 'national', 'department')),
    department TEXT,
    forwarded_on DATE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    CHECK ((level = 'department') = (department IS NOT NULL))
);
CREATE INDEX report_forwards_report ON report_forwards (report_id, id);

-- Each adoption (采用): by which level or department, when, under which document number.
CREATE TABLE report_adoptions (
    id TEXT PRIMARY KEY NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    level TEXT NOT NULL CHECK (level IN ('municipal', 'provincial', 'national', 'department')),
    department TEXT,
    adopted_on DATE NOT NULL,
    document_number TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    CHECK ((level = 'department') = (department IS NOT NULL))
);
CREATE INDEX report_adoptions_report ON report_adoptions (report_id, id);
CREATE INDEX report_adoptions_level ON report_adoptions (level, report_id);

-- Leader instructions (批示) on an accepted or adopted report.
CREATE TABLE report_instructions (
    id TEXT PRIMARY KEY NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    leader TEXT NOT NULL,
    leader_title TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('district', 'municipal', 'provincial', 'national')),
    instructed_on DATE NOT NULL,
    text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX report_instructions_report ON report_instructions (report_id, id);
