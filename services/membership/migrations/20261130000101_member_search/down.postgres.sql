DELETE FROM kit_search_pending WHERE kind = 'member';
DELETE FROM kit_search WHERE kind = 'member';
