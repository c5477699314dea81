DROP TABLE gw_refresh_tokens;
DROP TABLE gw_accounts;
