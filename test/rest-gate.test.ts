/**
 * REST behind the same request gate as GraphQL (docs/REST.md, docs/ARCHITECTURE.md "A request's
 * path"): the Authorization forms, one request budget per key across both APIs, failed-auth limits
 * per address, body limits, CORS by key, request ids, Idempotency-Key, database faults, and what
 * answers without a key. Every refusal is Algorithmia's envelope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createUser, ON_POSTGRES, startTestApp, uniqueName, type TestApp, type TestDatabase } from './helpers/app.js';
import { unknownKey } from './helpers/auth-matrix.js';
import { startFaultProxy, type FaultMode, type FaultProxy } from './helpers/fault-proxy.js';
import { holdTableLock } from './helpers/lock.js';
import { algorithmBody, expectEnvelope } from './helpers/rest-auth-matrix.js';
import { rest } from './helpers/rest.js';

const VIEWER = '{ viewer { key { name } } }';
const MAX_BODY_BYTES = 4096;

/** A new user with a private algorithm; returns the user and the algorithm's path. */
async function userWithAlgorithm(t: TestApp): Promise<{ username: string; key: string; path: string }> {
  const user = await createUser(t);
  const name = uniqueName('algo');
  const created = await rest(t, 'POST', `/v1/algorithms/${user.username}`, { key: user.key, body: algorithmBody(name) });
  expect(created.status, created.text).toBe(201);
  return { ...user, path: `/v1/algorithms/${user.username}/${name}` };
}

describe('one gate', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { MAX_BODY_BYTES: String(MAX_BODY_BYTES) } });
  });
  afterAll(() => t?.close());

  it('takes the key bare, as `Simple <key>` and as `Bearer <key>`', async () => {
    const user = await createUser(t);
    for (const form of [user.key, `Simple ${user.key}`, `Bearer ${user.key}`]) {
      const answer = await rest(t, 'GET', `/v1/users/${user.username}/algorithms`, { key: form });
      expect(answer.status, form.split(' ')[0]).toBe(200);
      expect(answer.body).toEqual([]);
    }
  });

  describe('bodies', () => {
    it(`refuses a body over MAX_BODY_BYTES: 413`, async () => {
      const user = await createUser(t);
      const body = { ...algorithmBody('too_large'), details: { label: 'x', summary: 'x'.repeat(MAX_BODY_BYTES) } };
      expectEnvelope(await rest(t, 'POST', `/v1/algorithms/${user.username}`, { key: user.key, body }), 413, 2015, 'Request body too large.');
      // Declared too large: refused before it is read.
      const declared = await t.fetch(`/v1/algorithms/${user.username}`, {
        method: 'POST',
        headers: { authorization: user.key, 'content-type': 'application/json', 'content-length': String(MAX_BODY_BYTES + 1) },
        body: '{}',
      });
      expect(declared.status).toBe(413);
      expect((await rest(t, 'GET', `/v1/users/${user.username}/algorithms`, { key: user.key })).body).toEqual([]);
    });

    it('refuses a NUL in a string, nesting 40 deep, and a JSON array: 400', async () => {
      const user = await createUser(t);
      const path = `/v1/algorithms/${user.username}`;
      const nul = await rest(t, 'POST', path, { key: user.key, body: { ...algorithmBody('nul'), details: { label: 'a\u0000b' } } });
      expectEnvelope(nul, 400, 6001, 'Strings may not contain the NUL character (\\u0000).');
      let deep: unknown = 'bottom';
      for (let i = 0; i < 40; i++) deep = { deep };
      expectEnvelope(await rest(t, 'POST', path, { key: user.key, body: { ...algorithmBody('deep'), deep } }), 400, 6001, 'Input is nested too deeply.');
      expectEnvelope(await rest(t, 'POST', path, { key: user.key, body: [algorithmBody('array')] }), 400, 2013);
      expectEnvelope(await rest(t, 'POST', path, { key: user.key, body: '{"name":' }), 400, 2013);
      expect((await rest(t, 'GET', `/v1/users/${user.username}/algorithms`, { key: user.key })).body).toEqual([]);
    });

    it('takes a POST without a body as `{}` (compile)', async () => {
      const { key, path } = await userWithAlgorithm(t);
      const compiled = await t.fetch(`${path}/compile`, { method: 'POST', headers: { authorization: key } });
      expect(compiled.status).toBe(200);
      expect((await compiled.json()).version_info.git_hash).toMatch(/^[0-9a-f]{40}$/);
    });
  });

  describe('CORS by key', () => {
    it('answers a preflight from any origin: 204, with PUT and DELETE among the methods', async () => {
      const preflight = await t.fetch('/v1/algorithms/anyone/anything', {
        method: 'OPTIONS',
        headers: { origin: 'https://anywhere.example.org', 'access-control-request-method': 'DELETE' },
      });
      expect(preflight.status).toBe(204);
      const methods = preflight.headers.get('access-control-allow-methods')!.split(/,\s*/);
      expect(methods).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'DELETE']));
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://anywhere.example.org');
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);
      expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    });

    it("lets the key's own origins read answers, and refuses others unreadably", async () => {
      const { key: ownerKey, username, path } = await userWithAlgorithm(t);
      const created = await t.gql(
        `mutation { createApiKey(input: { name: "browser", algorithmAccess: ["algo://*"],
          callerOrigin: { allowBrowser: true, allowNativeClients: false, referrerHosts: ["app.example.com"] } }) { secret userErrors { message } } }`,
        { key: ownerKey },
      );
      expect(created.body.data?.createApiKey?.userErrors).toEqual([]);
      const key = created.body.data!.createApiKey.secret as string;

      const allowed = await rest(t, 'GET', path, { key, headers: { origin: 'https://app.example.com' } });
      expect(allowed.status, allowed.text).toBe(200);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      // What a page needs of ours beyond the body: the request id, the budget, when to retry, whether it was a replay.
      expect(allowed.headers.get('access-control-expose-headers')!.toLowerCase().split(/,\s*/)).toEqual(
        expect.arrayContaining(['x-request-id', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after', 'idempotent-replayed']),
      );
      expect(allowed.headers.get('vary')).toMatch(/Origin/);

      const evil = await rest(t, 'GET', path, { key, headers: { origin: 'https://evil.example.com' } });
      expectEnvelope(evil, 403, 2001, 'This key may not be used from this origin.');
      expect(evil.headers.get('access-control-allow-origin')).toBeNull();
      // Refused before anything ran: the algorithm is still there, unchanged.
      const deleted = await rest(t, 'DELETE', path, { key, headers: { origin: 'https://evil.example.com' } });
      expect(deleted.status).toBe(403);
      expect((await rest(t, 'GET', `/v1/users/${username}/algorithms`, { key: ownerKey })).body).toHaveLength(1);

      const native = await rest(t, 'GET', path, { key });
      expectEnvelope(native, 403, 2001, 'This key may be used only from web browsers.');
    });
  });

  it("echoes a caller's harmless X-Request-Id in the header and error.id, and replaces any other", async () => {
    const given = await rest(t, 'GET', '/v1/algorithms/nobody/nothing', { headers: { 'x-request-id': 'trace-42.a_b' } });
    expectEnvelope(given, 401, 2002, 'authorization required');
    expect(given.body.error.id).toBe('trace-42.a_b');
    const user = await createUser(t);
    const found = await rest(t, 'GET', `/v1/users/${user.username}/algorithms`, { key: user.key, headers: { 'x-request-id': 'ok-1' } });
    expect(found.headers.get('x-request-id')).toBe('ok-1');

    const harmful = await rest(t, 'GET', '/v1/algorithms/nobody/nothing', { headers: { 'x-request-id': 'evil id <script>' } });
    expectEnvelope(harmful, 401, 2002);
    expect(harmful.body.error.id).not.toContain('evil');
  });

  describe('Idempotency-Key', () => {
    it('replays a PUT, and refuses the key with another body: 422', async () => {
      const { key, path } = await userWithAlgorithm(t);
      const headers = { 'idempotency-key': uniqueName('put') };
      const first = await rest(t, 'PUT', path, { key, headers, body: { details: { label: 'First' } } });
      expect(first.status).toBe(200);
      await rest(t, 'PUT', path, { key, body: { details: { label: 'Changed since' } } });
      const replay = await rest(t, 'PUT', path, { key, headers, body: { details: { label: 'First' } } });
      expect(replay.status).toBe(200);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body).toEqual(first.body);
      expect((await rest(t, 'GET', path, { key })).body.details.label).toBe('Changed since');

      const reused = await rest(t, 'PUT', path, { key, headers, body: { details: { label: 'Other' } } });
      expectEnvelope(reused, 422, 2015, 'This Idempotency-Key was used with a different request.');
    });

    it('replays a DELETE: 204 with an empty body, and the algorithm deleted once', async () => {
      const { key, path } = await userWithAlgorithm(t);
      const headers = { 'idempotency-key': uniqueName('delete') };
      expect((await rest(t, 'DELETE', path, { key, headers })).status).toBe(204);
      const replay = await rest(t, 'DELETE', path, { key, headers });
      expect(replay.status).toBe(204);
      expect(replay.text).toBe('');
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expectEnvelope(await rest(t, 'DELETE', path, { key }), 404, 1000);
    });

    it('refuses a malformed Idempotency-Key: 400', async () => {
      const { key, path } = await userWithAlgorithm(t);
      const answer = await rest(t, 'PUT', path, { key, headers: { 'idempotency-key': 'x'.repeat(256) }, body: { details: { label: 'Never' } } });
      expectEnvelope(answer, 400, 6001, 'Idempotency-Key must be 1 to 255 visible ASCII characters.');
    });
  });

  it('answers an unknown /v1 path with a good key: 404', async () => {
    const user = await createUser(t);
    const answer = await rest(t, 'GET', '/v1/no/such/thing', { key: user.key });
    expectEnvelope(answer, 404, 2015, 'No such endpoint: GET /v1/no/such/thing');
    expectEnvelope(await rest(t, 'PATCH', `/v1/users/${user.username}/algorithms`, { key: user.key }), 404, 2015);
  });

  it('answers GET /v1/openapispec without a key, and with one; any other method goes through the gate', async () => {
    const document = await rest(t, 'GET', '/v1/openapispec');
    expect(document.status).toBe(200);
    expect(document.headers.get('cache-control')).toMatch(/max-age/);
    expect((await rest(t, 'GET', '/v1/openapispec', { key: unknownKey() })).status).toBe(200);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      expectEnvelope(await rest(t, method, '/v1/openapispec'), 401, 2002, 'authorization required');
      expectEnvelope(await rest(t, method, '/v1/openapispec', { key: t.adminKey }), 404, 2015);
    }
  });

  it('refuses a NUL in a path or a query with 400, before any lookup, and logs no error', async () => {
    const user = await createUser(t);
    const errorsBefore = t.logs.filter((line) => Number(line.level) >= 50).length;
    for (const [key, path] of [
      [user.key, `/v1/users/${user.username}%00/algorithms`],
      [user.key, `/v1/algorithms/${user.username}/x%00`],
      [user.key, `/v1/algorithms/${user.username}/x/versions?marker=%00`],
      [t.adminKey, `/v1/users/x%00`],
      [t.adminKey, `/v1/organizations/x%00/members`],
    ] as const) {
      expectEnvelope(await rest(t, 'GET', path, { key }), 400, 6001, 'Strings may not contain the NUL character (\\u0000).');
    }
    expectEnvelope(await rest(t, 'DELETE', '/v1/organizations/x%00', { key: t.adminKey }), 400, 6001);
    expect(t.logs.filter((line) => Number(line.level) >= 50).length).toBe(errorsBefore);
  });
});

describe('one request budget per key, across GraphQL and REST', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '4' } });
  });
  afterAll(() => t?.close());

  it('counts both APIs against the same budget, then refuses both: 429 with Retry-After and RateLimit headers', async () => {
    const user = await createUser(t);
    const list = () => rest(t, 'GET', `/v1/users/${user.username}/algorithms`, { key: user.key });
    const remaining: (string | null)[] = [];
    for (const call of [() => t.gql(VIEWER, { key: user.key }), list, () => t.gql(VIEWER, { key: user.key }), list]) {
      const answer = await call();
      expect(answer.status).toBe(200);
      // In points: 4 requests are 400 (RATE_LIMIT_POINTS_PER_REQUEST 100).
      expect(answer.headers.get('ratelimit-limit')).toBe('400');
      remaining.push(answer.headers.get('ratelimit-remaining'));
    }
    // VIEWER costs 3 points, a REST request 1.
    expect(remaining).toEqual(['397', '396', '393', '392']);

    const refused = await list();
    expectEnvelope(refused, 429, 2015);
    expect(refused.body.error.message).toMatch(/^Too many requests with this key/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('ratelimit-limit')).toBe('400');
    // Out of requests: no point may be spent until the window ends.
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(refused.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    const graphql = await t.gql(VIEWER, { key: user.key });
    expect(graphql.status).toBe(429);
    expect(graphql.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');

    // Another key has its own budget.
    const other = await createUser(t);
    expect((await rest(t, 'GET', `/v1/users/${other.username}/algorithms`, { key: other.key })).status).toBe(200);
  });
});

describe('failed authentication per address, across GraphQL and REST', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_FAILURES_PER_MINUTE: '3' } });
  });
  afterAll(() => t?.close());

  it('answers 429 to an address after repeated bad keys, good keys included', async () => {
    const user = await createUser(t);
    const list = (key: string) => rest(t, 'GET', `/v1/users/${user.username}/algorithms`, { key });
    expect((await list(user.key)).status).toBe(200);
    expect((await t.gql(VIEWER, { key: unknownKey() })).status).toBe(401);
    expectEnvelope(await list(unknownKey()), 401, 2002);
    expectEnvelope(await list(unknownKey()), 401, 2002);
    const blocked = await list(unknownKey());
    expectEnvelope(blocked, 429, 2015);
    expect(blocked.body.error.message).toMatch(/^Too many failed authentications from this address/);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expectEnvelope(await list(user.key), 429, 2015);
    expect((await t.gql(VIEWER, { key: user.key })).status).toBe(429);
  });
});

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

  const expectUnavailable = (answer: Awaited<ReturnType<typeof rest>>) => {
    expectEnvelope(answer, 503, 5001, 'The database is unavailable; try again shortly.');
    expect(answer.headers.get('retry-after')).toBe('5');
    expect(answer.text).not.toMatch(/ECONN|postgres|127\.0\.0\.1|stack/i);
  };

  it('answers a statement past its timeout with 503, and carries on', async () => {
    const { key, path } = await userWithAlgorithm(t);
    const lock = await holdTableLock(database.url!, 'algorithms', 'access exclusive');
    try {
      const started = Date.now();
      expectUnavailable(await rest(t, 'GET', path, { key }));
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await lock.release();
    }
    expect((await rest(t, 'GET', path, { key })).status).toBe(200);
  });

  const outages: FaultMode[] = ['reset', 'stall'];
  it.each(outages)('during a %s outage: fast 503s for reads and writes; then it recovers by itself', async (mode) => {
    const { key, path } = await userWithAlgorithm(t);
    expect((await rest(t, 'GET', path, { key })).status).toBe(200);
    await proxy.setMode(mode);
    try {
      const started = Date.now();
      expectUnavailable(await rest(t, 'GET', path, { key }));
      expectUnavailable(await rest(t, 'PUT', path, { key, body: { details: { label: 'During' } } }));
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await proxy.setMode('pass');
    }
    expect(await until(async () => (await rest(t, 'GET', path, { key })).status === 200, 10_000)).toBe(true);
    expect((await rest(t, 'GET', path, { key })).body.details.label).not.toBe('During');
  });
});

describe.skipIf(!ON_POSTGRES)('Idempotency-Key while the first request still runs (Postgres only)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('refuses the retry: 409, then replays once the first has finished', async () => {
    const { key, path } = await userWithAlgorithm(t);
    const headers = { 'idempotency-key': uniqueName('slow') };
    const body = { details: { label: 'Slow' } };
    // Reads go on; the first PUT's write waits for the lock, holding its claim.
    const lock = await holdTableLock(t.config.databaseUrl!, 'algorithms', 'share row exclusive');
    let first: Promise<Awaited<ReturnType<typeof rest>>>;
    try {
      first = rest(t, 'PUT', path, { key, headers, body });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const retry = await rest(t, 'PUT', path, { key, headers, body });
      expectEnvelope(retry, 409, 2015, 'A request with this Idempotency-Key is still running; retry shortly.');
    } finally {
      await lock.release();
    }
    expect((await first).status).toBe(200);
    const replay = await rest(t, 'PUT', path, { key, headers, body });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.details.label).toBe('Slow');
  });
});
