DELETE FROM kit_search_pending WHERE kind = 'member';
DELETE FROM kit_search_fts WHERE rowid IN (SELECT id FROM kit_search_docs WHERE kind = 'member');
DELETE FROM kit_search_docs WHERE kind = 'member';
