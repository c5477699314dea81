CREATE TABLE districts (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE subdistricts (
    code TEXT PRIMARY KEY NOT NULL,
    district_code TEXT NOT NULL REFERENCES districts (code),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('subdistrict', 'town')),
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX subdistricts_district ON subdistricts (district_code, code);

CREATE TABLE sectors (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE members (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    gender TEXT NOT NULL CHECK (gender IN ('male', 'female')),
    birth_year INTEGER,
    sector_code TEXT REFERENCES sectors (code),
    affiliation TEXT,
    district_code TEXT NOT NULL REFERENCES districts (code),
    residence_subdistrict TEXT REFERENCES subdistricts (code),
    workplace_subdistrict TEXT REFERENCES subdistricts (code),
    phone TEXT,
    photo_url TEXT,
    taiwan_origin BOOLEAN NOT NULL DEFAULT FALSE,
    term TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'retired')),
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX members_district ON members (district_code, id);
CREATE INDEX members_sector ON members (sector_code, id);

CREATE TABLE member_specialties (
    member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    specialty TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (member_id, specialty)
);
CREATE INDEX member_specialties_specialty ON member_specialties (specialty, member_id);
