ALTER TABLE gw_accounts DROP COLUMN token_epoch;
