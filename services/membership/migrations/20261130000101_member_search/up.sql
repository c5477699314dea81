-- Member names are found through the kit's text search (kind 'member'); the kit indexes the
-- existing ones, with its Rust tokenizer, right after this migration.
INSERT INTO kit_search_pending (kind, doc_id, body) SELECT 'member', id, name FROM members;
