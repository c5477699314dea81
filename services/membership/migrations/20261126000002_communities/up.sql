CREATE TABLE communities (
    code TEXT PRIMARY KEY NOT NULL,
    subdistrict_code TEXT NOT NULL REFERENCES subdistricts (code),
    name TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX communities_subdistrict ON communities (subdistrict_code, code);
