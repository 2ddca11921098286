-- Cached verifications now carry the owner's profile (viewer.owner is answered from them), so any
-- change to a user's or an organization's row must reach the caches, not only is_admin.
DROP TRIGGER users_auth_change ON users;
--> statement-breakpoint
CREATE TRIGGER users_auth_change
  AFTER DELETE OR UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION algoplane_notify_auth_change();
--> statement-breakpoint
CREATE TRIGGER organizations_auth_change
  AFTER DELETE OR UPDATE ON organizations
  FOR EACH ROW EXECUTE FUNCTION algoplane_notify_auth_change();
