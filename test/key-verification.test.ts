/**
 * Key verification on the hot path: what it costs (SQL per request), how fast a change anywhere
 * reaches it, and lastUsedAt bookkeeping off the request path.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleActor } from '../src/auth/permissions.js';
import { apiKeys, owners, users } from '../src/db/schema.js';
import { createTestDatabase, createUser, localId, ON_POSTGRES, startTestApp, type TestApp } from './helpers/app.js';
import { badChecksum, unknownKey } from './helpers/auth-matrix.js';

// A long positive TTL: anything refused quickly below was refused because of a notification.
const env = { KEY_CACHE_TTL_MS: '300000', KEY_NEGATIVE_CACHE_TTL_MS: '300000' };
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env });
});
afterAll(() => t?.close());

const VIEWER = '{ viewer { key { name } } }';

/** Polls until the key is refused; returns how long that took (ms), or Infinity after `limitMs`. */
async function msUntilRefused(app: TestApp, key: string, limitMs = 1000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < limitMs * 2) {
    const response = await app.gql(VIEWER, { key });
    if (response.status === 401) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Infinity;
}

async function sqlDuring(run: () => Promise<unknown>): Promise<string[]> {
  const before = t.queries.length;
  await run();
  return t.queries.slice(before);
}

describe('verification cost', () => {
  it('rejects malformed keys and bad checksums without touching the database', async () => {
    const user = await createUser(t);
    const statements = await sqlDuring(async () => {
      expect((await t.gql(VIEWER, { key: 'sim123' })).status).toBe(401);
      expect((await t.gql(VIEWER, { key: badChecksum(user.key) })).status).toBe(401);
    });
    expect(statements).toEqual([]);
  });

  it('looks a key up once, then answers from the cache', async () => {
    const user = await createUser(t);
    const first = await sqlDuring(() => t.gql('{ viewer { owner { name } } }', { key: user.key }));
    const lookups = (statements: string[]) => statements.filter((s) => s.includes('"api_key_secrets"'));
    expect(lookups(first)).toHaveLength(1);
    const again = await sqlDuring(async () => {
      for (let i = 0; i < 5; i++) expect((await t.gql('{ viewer { owner { name } } }', { key: user.key })).status).toBe(200);
    });
    expect(lookups(again)).toEqual([]);
  });

  it('remembers unknown keys for a while, so guessing costs one lookup per key', async () => {
    const key = unknownKey();
    const statements = await sqlDuring(async () => {
      for (let i = 0; i < 3; i++) expect((await t.gql(VIEWER, { key })).status).toBe(401);
    });
    expect(statements).toHaveLength(1);
  });
});

describe('changes reach the cache within a second', () => {
  it('refuses a key disabled behind the server\'s back (any process, any tool)', async () => {
    const user = await createUser(t);
    expect((await t.gql(VIEWER, { key: user.key })).status).toBe(200);
    await t.app.database.db.update(apiKeys).set({ disabled: true }).where(eq(apiKeys.ownerId, localId(user.id)));
    expect(await msUntilRefused(t, user.key)).toBeLessThan(1000);
  });

  it('refuses a deleted key, and the keys of a deleted owner', async () => {
    const deletedKey = await createUser(t);
    const deletedOwner = await createUser(t);
    for (const user of [deletedKey, deletedOwner]) expect((await t.gql(VIEWER, { key: user.key })).status).toBe(200);
    await t.app.database.db.delete(apiKeys).where(eq(apiKeys.ownerId, localId(deletedKey.id)));
    await t.app.database.db.update(owners).set({ deletedAt: new Date() }).where(eq(owners.id, localId(deletedOwner.id)));
    expect(await msUntilRefused(t, deletedKey.key)).toBeLessThan(1000);
    expect(await msUntilRefused(t, deletedOwner.key)).toBeLessThan(1000);
  });

  it('retires the admin keys of a user who is no longer an administrator', async () => {
    const promoted = await createUser(t);
    await t.app.database.db.update(users).set({ isAdmin: true }).where(eq(users.id, localId(promoted.id)));
    const { createAdminApiKey } = await import('../src/modules/api-keys/service.js');
    const { secret } = await createAdminApiKey(t.app.database.db, consoleActor('cli'), {
      username: promoted.username,
      name: 'ops',
    });
    expect((await t.gql('{ admin { users(first: 1) { totalCount } } }', { key: secret })).status).toBe(200);
    await t.app.database.db.update(users).set({ isAdmin: false }).where(eq(users.id, localId(promoted.id)));
    expect(await msUntilRefused(t, secret)).toBeLessThan(1000);
  });

  it.skipIf(!ON_POSTGRES)('reaches a second instance on the same Postgres (skipped on PGlite: one process only)', async () => {
    const database = await createTestDatabase();
    const a = await startTestApp({ env, database });
    const b = await startTestApp({ env, database });
    try {
      const user = await createUser(a);
      expect((await b.gql(VIEWER, { key: user.key })).status).toBe(200); // now cached in b
      await a.app.database.db.delete(apiKeys).where(eq(apiKeys.ownerId, localId(user.id)));
      expect(await msUntilRefused(b, user.key)).toBeLessThan(1000);
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});

describe('lastUsedAt', () => {
  it('is recorded after use, with one UPDATE for many requests, none on the request path', async () => {
    const user = await createUser(t);
    const LAST_USED = '{ viewer { key { lastUsedAt } } }';
    expect((await t.gql(LAST_USED, { key: user.key })).body.data!.viewer.key.lastUsedAt).toBeNull();

    const during = await sqlDuring(async () => {
      for (let i = 0; i < 10; i++) await t.gql(VIEWER, { key: user.key });
    });
    expect(during.filter((s) => /^update "?api_keys/i.test(s.trim()))).toEqual([]);

    const flushed = await sqlDuring(() => t.app.usage.flush());
    expect(flushed.filter((s) => /update "?api_keys"?/i.test(s))).toHaveLength(1);

    const lastUsedAt = (await t.gql(LAST_USED, { key: user.key })).body.data!.viewer.key.lastUsedAt;
    expect(Date.now() - new Date(lastUsedAt).getTime()).toBeLessThan(60_000);
  });

  it('does not flush the verification cache (usage writes fire no change notification)', async () => {
    const user = await createUser(t);
    await t.gql(VIEWER, { key: user.key });
    await t.app.usage.flush();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const statements = await sqlDuring(() => t.gql(VIEWER, { key: user.key }));
    expect(statements.filter((s) => s.includes('"api_key_secrets"'))).toEqual([]);
    // ...although the flush did write the column.
    const [row] = await t.app.database.db
      .select({ lastUsedAt: apiKeys.lastUsedAt })
      .from(apiKeys)
      .where(eq(apiKeys.ownerId, localId(user.id)));
    expect(row?.lastUsedAt).toBeInstanceOf(Date);
  });
});
