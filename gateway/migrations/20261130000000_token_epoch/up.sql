-- The account's revocation epoch: raised when its powers change (disabled, roles, district,
-- member, password reset); access tokens signed under a lower epoch are refused.
ALTER TABLE gw_accounts ADD COLUMN token_epoch BIGINT NOT NULL DEFAULT 0;
