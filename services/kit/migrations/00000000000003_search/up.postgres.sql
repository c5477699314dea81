-- Text search (kit::search). Tokens are made in Rust, the same for both backends (single
-- Chinese characters and neighbouring pairs, prefixes of other words); here they are stored
-- and matched. Nothing relies on the database's locale, text search configuration or pg_trgm.

-- One row per searchable document: its kind ('member', 'report', ...), id in the service and
-- tokens, as 64-bit hashes (kit::search::hash; integers compare far faster than text when a
-- single document is checked). A query needs all of its tokens: `tokens @> ARRAY[...]`,
-- served by the GIN index.
CREATE TABLE kit_search (
    kind TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    tokens BIGINT[] NOT NULL,
    PRIMARY KEY (kind, doc_id)
);
CREATE INDEX kit_search_tokens ON kit_search USING gin (tokens);
-- The planner's estimate of how many documents hold a token decides between reading the
-- matches and checking rows one by one; a longer list of common tokens keeps it accurate
-- for words down to about one document in a hundred (the default knows only the top ~15%).
ALTER TABLE kit_search ALTER COLUMN tokens SET STATISTICS 1000;

-- Documents a migration wants (re)indexed: the kit indexes them with its Rust tokenizer right
-- after migrating, before the service serves, e.g.
--   INSERT INTO kit_search_pending (kind, doc_id, body) SELECT 'member', id, name FROM members;
CREATE TABLE kit_search_pending (
    seq BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX kit_search_pending_doc ON kit_search_pending (kind, doc_id);
