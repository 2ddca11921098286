/**
 * First start on an empty database: the `admin` user (a cluster administrator) and one admin key.
 * Runs under the start-up lock, so instances starting together create exactly one.
 */
import { consoleActor } from './auth/permissions.js';
import type { Db } from './db/connect.js';
import { createAdminApiKey } from './modules/api-keys/service.js';
import { createUser } from './modules/users/service.js';
import { countUsers } from './modules/users/store.js';

export const BOOTSTRAP_ADMIN_USERNAME = 'admin';
const BOOTSTRAP_ACTOR = consoleActor('bootstrap');

/** The new admin key's secret, or null when the database already had users. */
export async function bootstrapAdmin(db: Db, adminEmail: string): Promise<string | null> {
  if ((await countUsers(db)) > 0) return null;
  return db.transaction(async (tx) => {
    await createUser(tx, BOOTSTRAP_ACTOR, { username: BOOTSTRAP_ADMIN_USERNAME, email: adminEmail, isAdmin: true });
    const { secret } = await createAdminApiKey(tx, BOOTSTRAP_ACTOR, { username: BOOTSTRAP_ADMIN_USERNAME, name: 'admin-key' });
    return secret;
  });
}
