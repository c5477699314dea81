-- People and machine clients that may obtain tokens from the gateway.
CREATE TABLE gw_accounts (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,      -- login name, or client_id for machine clients
    kind TEXT NOT NULL,                 -- user | client
    display_name TEXT,
    password_hash TEXT NOT NULL,        -- argon2id PHC string (password or client secret)
    roles TEXT NOT NULL,                -- comma-separated role names
    district TEXT,
    member_id TEXT,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX gw_accounts_district ON gw_accounts (district, id);

-- Refresh tokens, stored only as SHA-256 hashes. Each use rotates the token within its family;
-- presenting a rotated token again revokes the whole family.
CREATE TABLE gw_refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    family_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES gw_accounts (id),
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX gw_refresh_tokens_family ON gw_refresh_tokens (family_id);
CREATE INDEX gw_refresh_tokens_account ON gw_refresh_tokens (account_id);
