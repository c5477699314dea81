DROP TABLE gw_webhook_feed;
DROP TABLE gw_webhook_attempts;
DROP TABLE gw_webhook_deliveries;
DROP TABLE gw_webhooks;
