-- Who read which person's unmasked personal data, when (PIPL): one row per person per request.
CREATE TABLE kit_personal_data_reads (
    id TEXT PRIMARY KEY NOT NULL,       -- UUIDv7: time-ordered, the list's cursor
    read_at TIMESTAMP NOT NULL,
    reader_sub TEXT NOT NULL,           -- the token subject
    reader_roles TEXT NOT NULL,         -- comma-separated role names
    reader_district TEXT,
    subject_kind TEXT NOT NULL,         -- e.g. member, compatriot
    subject_id TEXT NOT NULL,
    fields TEXT NOT NULL,               -- comma-separated field names served unmasked
    request_id TEXT NOT NULL
);
CREATE INDEX kit_personal_data_reads_subject ON kit_personal_data_reads (subject_kind, subject_id, id);
CREATE INDEX kit_personal_data_reads_reader ON kit_personal_data_reads (reader_sub, id);
CREATE INDEX kit_personal_data_reads_at ON kit_personal_data_reads (read_at);
