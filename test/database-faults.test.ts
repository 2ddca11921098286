/**
 * The server through database outages (Postgres only: the embedded database cannot go away):
 * requests fail fast with 503 SERVICE_UNAVAILABLE, /ready says so, nothing is retried blindly,
 * and the same process serves again once the database is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createUser, localId, ON_POSTGRES, startTestApp, type TestApp, type TestDatabase } from './helpers/app.js';
import { startFaultProxy, type FaultMode, type FaultProxy } from './helpers/fault-proxy.js';
import { holdTableLock } from './helpers/lock.js';

describe.skipIf(!ON_POSTGRES)('database faults (Postgres only)', () => {
  let database: TestDatabase;
  let proxy: FaultProxy;
  let t: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    const real = new URL(database.url!);
    proxy = await startFaultProxy({ host: real.hostname, port: Number(real.port || 5432) });
    const viaProxy = new URL(database.url!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    t = await startTestApp({
      database: { url: viaProxy.toString(), drop: async () => {} },
      env: { DATABASE_CONNECT_TIMEOUT_MS: '1000', KEY_CACHE_TTL_MS: '300000', STATEMENT_TIMEOUT_MS: '500', REQUEST_TIMEOUT_MS: '1500' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await database?.drop();
  });

  async function until(check: () => Promise<boolean>, limitMs: number): Promise<boolean> {
    const started = Date.now();
    while (Date.now() - started < limitMs) {
      if (await check()) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }

  it('bounds a slow query with statement_timeout: 503, and the server carries on', async () => {
    const lock = await holdTableLock(database.url!, 'users', 'access exclusive');
    try {
      const started = Date.now();
      const response = await t.gql('{ admin { users(first: 1) { totalCount } } }', { key: t.adminKey });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(response.status).toBe(503);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await lock.release();
    }
    expect((await t.gql('{ admin { users(first: 1) { totalCount } } }', { key: t.adminKey })).status).toBe(200);
  });

  const outages: FaultMode[] = ['reset', 'refuse', 'blackhole', 'stall'];
  it.each(outages)('during a %s outage: fast 503s, /ready down, no blind retry; then it recovers by itself', async (mode) => {
    const user = await createUser(t);
    expect((await t.gql('{ viewer { user { username } } }', { key: user.key })).status).toBe(200);

    await proxy.setMode(mode);
    const started = Date.now();
    const during = await t.gql('{ viewer { user { username } } }', { key: user.key });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('5');
    expect(during.body.errors?.[0]).toMatchObject({
      message: 'The database is unavailable; try again shortly.',
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    expect(JSON.stringify(during.body)).not.toMatch(/ECONN|postgres|127\.0\.0\.1|stack/i);
    expect((await t.fetch('/ready')).status).toBe(503);

    const write = await t.gql(`mutation { createUser(input: { username: "during_${mode}", email: "d_${mode}@example.com" }) { userErrors { code } } }`, {
      key: t.adminKey,
    });
    expect(write.status).toBe(503);

    await proxy.setMode('pass');
    expect(await until(async () => (await t.fetch('/ready')).status === 200, 10_000)).toBe(true);
    expect(await until(async () => (await t.gql('{ viewer { user { username } } }', { key: user.key })).status === 200, 10_000)).toBe(true);
    const notWritten = await t.gql(`{ admin { user(username: "during_${mode}") { id } } }`, { key: t.adminKey });
    expect(notWritten.body).toEqual({ data: { admin: { user: null } } });
  });

  it('keeps key usage counted through an outage and writes it once the database is back', async () => {
    const user = await createUser(t);
    const viewer = await t.gql('{ viewer { key { id } } }', { key: user.key });
    const keyId = localId(viewer.body.data!.viewer.key.id);
    await proxy.setMode('reset');
    try {
      for (let i = 0; i < 3; i++) t.app.usage.countCall(keyId, 'allowed');
      t.app.usage.countCall(keyId, 'refused');
      const started = Date.now();
      await t.app.usage.flush();
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await proxy.setMode('pass');
    }
    expect(await until(async () => (await t.fetch('/ready')).status === 200, 10_000)).toBe(true);
    const USAGE = '{ viewer { key { usage { calls refused } } } }';
    // The flush during the outage wrote nothing; it kept the counts for the next one.
    expect((await t.gql(USAGE, { key: user.key })).body.data).toEqual({ viewer: { key: { usage: [] } } });
    await t.app.usage.flush();
    const usage = await t.gql(USAGE, { key: user.key });
    expect(usage.body.data).toEqual({ viewer: { key: { usage: [{ calls: 3, refused: 1 }] } } });
  });
});

describe.skipIf(!ON_POSTGRES)('a deadline and an Idempotency-Key (Postgres only)', () => {
  it('stops a timed-out mutation (rolled back, claim released), so a retry does it once', async () => {
    const database = await createTestDatabase();
    const t = await startTestApp({ database, env: { REQUEST_TIMEOUT_MS: '1000' } });
    const lock = await holdTableLock(database.url!, 'users', 'share row exclusive');
    try {
      const CREATE = `mutation { createUser(input: { username: "slowpoke", email: "slow@example.com" }) { user { username } userErrors { code } } }`;
      const send = () => t.gql(CREATE, { key: t.adminKey, headers: { 'idempotency-key': 'slow-1' } });
      const first = await send();
      expect(first.status).toBe(503);
      await lock.release();
      // The deadline cancelled the insert: nothing of it is left once the lock goes.
      const none = await t.gql('{ admin { users(query: "slowpoke") { totalCount } } }', { key: t.adminKey });
      expect(none.body.data).toEqual({ admin: { users: { totalCount: 0 } } });
      let retry = await send();
      for (let i = 0; i < 50 && retry.status !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        retry = await send();
      }
      expect(retry.body.data).toEqual({ createUser: { user: { username: 'slowpoke' }, userErrors: [] } });
      expect((retry.body as { extensions?: unknown }).extensions).toBeUndefined();
      // And a second retry replays it rather than doing it again.
      expect(((await send()).body as { extensions?: unknown }).extensions).toMatchObject({ idempotency: { replayed: true } });
      const found = await t.gql('{ admin { users(query: "slowpoke") { totalCount } } }', { key: t.adminKey });
      expect(found.body.data).toEqual({ admin: { users: { totalCount: 1 } } });
    } finally {
      await lock.release();
      await t.close();
      await database.drop();
    }
  });
});
