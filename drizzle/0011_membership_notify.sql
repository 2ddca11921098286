-- Cached verifications now carry the organizations the key's user belongs to (the authorizer
-- decides who sees a private algorithm from them, in memory), so joining or leaving one must reach
-- the caches like any other change to the key's owner: `owner:<user id>`.
CREATE OR REPLACE FUNCTION algoplane_notify_auth_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed record;
BEGIN
  IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
  IF TG_TABLE_NAME = 'api_keys' THEN
    PERFORM pg_notify('algoplane_auth', 'key:' || changed.id);
  ELSIF TG_TABLE_NAME = 'api_key_secrets' THEN
    PERFORM pg_notify('algoplane_auth', 'key:' || changed.api_key_id);
  ELSIF TG_TABLE_NAME = 'organization_members' THEN
    PERFORM pg_notify('algoplane_auth', 'owner:' || changed.user_id);
    IF TG_OP = 'UPDATE' AND OLD.user_id <> NEW.user_id THEN
      PERFORM pg_notify('algoplane_auth', 'owner:' || OLD.user_id);
    END IF;
  ELSE
    PERFORM pg_notify('algoplane_auth', 'owner:' || changed.id);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER organization_members_auth_change
  AFTER INSERT OR DELETE OR UPDATE OF organization_id, user_id ON organization_members
  FOR EACH ROW EXECUTE FUNCTION algoplane_notify_auth_change();
