-- Cached verifications now carry the organizations the key's user belongs to (the authorizer
-- decides who sees a private algorithm from them, in memory), so joining or leaving one must reach
-- the caches like any other change to the key's owner: `owner:<user id>` on algoplane_auth.
CREATE FUNCTION algoplane_notify_membership_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM pg_notify('algoplane_auth', 'owner:' || OLD.user_id); END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM pg_notify('algoplane_auth', 'owner:' || NEW.user_id); END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER organization_members_auth_change
  AFTER INSERT OR DELETE OR UPDATE OF organization_id, user_id ON organization_members
  FOR EACH ROW EXECUTE FUNCTION algoplane_notify_membership_change();
