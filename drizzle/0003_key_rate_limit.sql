ALTER TABLE "api_keys" ADD COLUMN "rate_limit_per_minute" integer;--> statement-breakpoint
-- The change trigger must also fire when a key's rate limit changes (cached verifications carry it).
DROP TRIGGER api_keys_auth_change ON api_keys;
--> statement-breakpoint
CREATE TRIGGER api_keys_auth_change
  AFTER DELETE OR UPDATE OF owner_id, name, kind, mask, expires_at, disabled, algorithm_access,
    manage_algorithms, manage_account, data_access, allow_native_clients, allow_browser, referrer_hosts,
    rate_limit_per_minute
  ON api_keys FOR EACH ROW EXECUTE FUNCTION algoplane_notify_auth_change();
