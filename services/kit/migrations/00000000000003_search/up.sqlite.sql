-- Text search (kit::search). Tokens are made in Rust, the same for both backends (single
-- Chinese characters and neighbouring pairs, prefixes of other words); here they are stored
-- and matched.

-- One row per searchable document: its kind ('member', 'report', ...) and id in the service.
CREATE TABLE kit_search_docs (
    id INTEGER PRIMARY KEY,       -- the document's rowid in kit_search_fts
    kind TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    UNIQUE (kind, doc_id)
);

-- A document's tokens, space-separated. Contentless (the text lives in the service's tables)
-- and without positions: a match needs every token of the query, as on PostgreSQL.
CREATE VIRTUAL TABLE kit_search_fts USING fts5(
    tokens, content='', contentless_delete=1, detail='none', tokenize='ascii'
);

-- Documents a migration wants (re)indexed: the kit indexes them with its Rust tokenizer right
-- after migrating, before the service serves, e.g.
--   INSERT INTO kit_search_pending (kind, doc_id, body) SELECT 'member', id, name FROM members;
CREATE TABLE kit_search_pending (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX kit_search_pending_doc ON kit_search_pending (kind, doc_id);
