-- Tells every running instance (LISTEN algoplane_auth) that cached key verifications are stale.
-- A trigger, not application code, so a change made by any process (another instance, psql, a
-- migration) reaches the caches. Only columns that change a verification result fire it: the
-- batched last_used_at writes must not flush the cache.
CREATE FUNCTION algoplane_notify_auth_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed record;
BEGIN
  IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
  IF TG_TABLE_NAME = 'api_keys' THEN
    PERFORM pg_notify('algoplane_auth', 'key:' || changed.id);
  ELSIF TG_TABLE_NAME = 'api_key_secrets' THEN
    PERFORM pg_notify('algoplane_auth', 'key:' || changed.api_key_id);
  ELSE
    PERFORM pg_notify('algoplane_auth', 'owner:' || changed.id);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER api_keys_auth_change
  AFTER DELETE OR UPDATE OF owner_id, name, kind, mask, expires_at, disabled, algorithm_access,
    manage_algorithms, manage_account, data_access, allow_native_clients, allow_browser, referrer_hosts
  ON api_keys FOR EACH ROW EXECUTE FUNCTION algoplane_notify_auth_change();
--> statement-breakpoint
CREATE TRIGGER api_key_secrets_auth_change
  AFTER DELETE OR UPDATE ON api_key_secrets
  FOR EACH ROW EXECUTE FUNCTION algoplane_notify_auth_change();
--> statement-breakpoint
CREATE TRIGGER owners_auth_change
  AFTER DELETE OR UPDATE OF name, deleted_at ON owners
  FOR EACH ROW EXECUTE FUNCTION algoplane_notify_auth_change();
--> statement-breakpoint
CREATE TRIGGER users_auth_change
  AFTER DELETE OR UPDATE OF is_admin ON users
  FOR EACH ROW EXECUTE FUNCTION algoplane_notify_auth_change();
