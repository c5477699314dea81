DROP TABLE kit_search_pending;
DROP TABLE kit_search;
