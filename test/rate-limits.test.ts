/**
 * Request budgets as clients meet them: per key (server default or the key's own), failed
 * authentication per address, headers, and one budget across instances when Redis is configured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createUser, graphqlRequest, ON_POSTGRES, startTestApp, type TestApp } from './helpers/app.js';
import { unknownKey } from './helpers/auth-matrix.js';

const VIEWER = '{ viewer { rateLimit { limit remaining resetAt } } }';

describe('per-key budgets', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '5' } });
  });
  afterAll(() => t?.close());

  it('counts down, in cost points, in headers and in viewer.rateLimit, then answers 429 with Retry-After', async () => {
    const user = await createUser(t);
    // 5 requests are 500 points (RATE_LIMIT_POINTS_PER_REQUEST 100); VIEWER costs 5 of them.
    for (let i = 1; i <= 5; i++) {
      const response = await t.gql(VIEWER, { key: user.key });
      expect(response.status).toBe(200);
      expect(response.headers.get('ratelimit-limit')).toBe('500');
      expect(response.headers.get('ratelimit-remaining')).toBe(String(500 - 5 * i));
      expect(response.body.data!.viewer.rateLimit).toMatchObject({ limit: 500, remaining: 500 - 5 * i });
    }
    const refused = await t.gql(VIEWER, { key: user.key });
    expect(refused.status).toBe(429);
    // Out of requests, no point can be spent until the window ends.
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(refused.body.data).toBeUndefined();

    const other = await createUser(t);
    expect((await t.gql(VIEWER, { key: other.key })).status).toBe(200);
  });

  it("lets an admin give a key its own budget, effective at once", async () => {
    const user = await createUser(t);
    const keyId = (await t.gql('{ viewer { key { id } } }', { key: user.key })).body.data!.viewer.key.id;
    const SET = `mutation($id: ID!, $n: Int) { setApiKeyRateLimit(input: { id: $id, requestsPerMinute: $n }) {
      apiKey { rateLimitPerMinute } userErrors { field message code } } }`;
    const invalid = await t.gql(SET, { key: t.adminKey, variables: { id: keyId, n: 0 } });
    expect(invalid.body.data!.setApiKeyRateLimit).toEqual({
      apiKey: null,
      userErrors: [
        { field: ['requestsPerMinute'], code: 'INVALID', message: 'requestsPerMinute: must be a whole number from 1 to 1000000, or null for the default' },
      ],
    });
    const set = await t.gql(SET, { key: t.adminKey, variables: { id: keyId, n: 2 } });
    expect(set.body.data!.setApiKeyRateLimit).toEqual({ apiKey: { rateLimitPerMinute: 2 }, userErrors: [] });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await t.gql(VIEWER, { key: user.key })).status);
    expect(statuses).toEqual([200, 200, 429]);
  });
});

describe('failed authentication per address', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_FAILURES_PER_MINUTE: '3' } });
  });
  afterAll(() => t?.close());

  it('answers 429 to an address after repeated bad keys, before looking keys up', async () => {
    const user = await createUser(t);
    const known = await createUser(t);
    expect((await t.gql(VIEWER, { key: known.key })).status).toBe(200); // verified, and remembered as good
    for (let i = 0; i < 3; i++) expect((await t.gql(VIEWER, { key: unknownKey() })).status).toBe(401);
    const before = t.queries.length;
    const blocked = await t.gql(VIEWER, { key: unknownKey() });
    expect(blocked.status).toBe(429);
    expect(blocked.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(t.queries.length).toBe(before);
    // The whole address waits out the window, good keys included (even one it used a moment ago):
    // guessing from it stops paying.
    expect((await t.gql(VIEWER, { key: user.key })).status).toBe(429);
    expect((await t.gql(VIEWER, { key: known.key })).status).toBe(429);
  });
});

describe('failed authentication, in parallel', () => {
  it('cannot be outrun by sending guesses at once', async () => {
    const t = await startTestApp({ env: { AUTH_FAILURES_PER_MINUTE: '3' } });
    try {
      const statuses = await Promise.all(Array.from({ length: 20 }, () => t.gql(VIEWER, { key: unknownKey() }).then((r) => r.status)));
      expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(3);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(17);
    } finally {
      await t.close();
    }
  });
});

describe('client addresses behind proxies (TRUST_PROXY)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_FAILURES_PER_MINUTE: '3', GRAPHIQL_REQUESTS_PER_MINUTE: '2', TRUST_PROXY: '10.0.0.0/8' } });
  });
  afterAll(() => t?.close());

  /** A request as Node's server hands it to yoga, from the socket address `peer`. */
  const from = (peer: string, path: string, init: RequestInit) =>
    Promise.resolve(t.app.yoga.fetch(new Request(`http://localhost${path}`, init), { req: { socket: { remoteAddress: peer } } }));
  const graphql = (peer: string, key: string, forwardedFor?: string) =>
    from(peer, '/graphql', graphqlRequest(VIEWER, { key, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} })).then((r) => r.status);
  const restList = (peer: string, user: { username: string; key: string }, forwardedFor: string) =>
    from(peer, `/v1/users/${user.username}/algorithms`, { headers: { authorization: user.key, 'x-forwarded-for': forwardedFor } }).then((r) => r.status);

  it('believes X-Forwarded-For from a trusted proxy only: clients behind one proxy keep their own budgets, a forged header from elsewhere dodges nothing', async () => {
    const user = await createUser(t);
    // Two clients behind the same load balancer (10.0.0.2): one guessing, one working.
    for (let i = 0; i < 3; i++) expect(await graphql('10.0.0.2', unknownKey(), '198.51.100.1, 203.0.113.1')).toBe(401);
    expect(await graphql('10.0.0.2', unknownKey(), '203.0.113.1')).toBe(429);
    expect(await graphql('10.0.0.2', user.key, '203.0.113.1')).toBe(429);
    expect(await restList('10.0.0.2', user, '203.0.113.1')).toBe(429); // one address for both transports
    expect(await graphql('10.0.0.2', user.key, '203.0.113.2')).toBe(200);
    expect(await restList('10.0.0.2', user, '203.0.113.2')).toBe(200);
    expect(t.logs.filter((line) => line.msg === 'request' && line.status === 429).map((line) => line.address)).toContain('203.0.113.1');

    // A client not behind a trusted proxy writing a new X-Forwarded-For on every guess is still one address.
    for (let i = 0; i < 3; i++) expect(await graphql('198.51.100.7', unknownKey(), `203.0.113.${100 + i}`)).toBe(401);
    expect(await graphql('198.51.100.7', unknownKey(), '203.0.113.200')).toBe(429);
    expect(await graphql('198.51.100.7', user.key, '203.0.113.2')).toBe(429);
    expect(await restList('198.51.100.7', user, '203.0.113.2')).toBe(429);
  });

  it('counts GraphiQL page requests by the forwarded client address', async () => {
    const page = (forwardedFor: string) => from('10.0.0.2', '/graphql', { headers: { accept: 'text/html', 'x-forwarded-for': forwardedFor } }).then((r) => r.status);
    expect([await page('203.0.113.50'), await page('203.0.113.50'), await page('203.0.113.50')]).toEqual([200, 200, 429]);
    expect(await page('203.0.113.51')).toBe(200);
  }, 60_000);

  it('counts an IPv6 client by its /64: moving within it dodges nothing, the next /64 is another client', async () => {
    const user = await createUser(t);
    for (let i = 1; i <= 3; i++) expect(await graphql(`2001:db8:1:2::${i}`, unknownKey())).toBe(401);
    expect(await graphql('2001:db8:1:2:ffff:ffff:ffff:fffe', unknownKey())).toBe(429);
    expect(await graphql('2001:db8:1:2::9', user.key)).toBe(429);
    expect(await graphql('2001:db8:1:3::1', user.key)).toBe(200);
  });
});

describe.skipIf(!process.env.REDIS_URL || !ON_POSTGRES)('one budget across instances (REDIS_URL set, on Postgres: instances share one database)', () => {
  it('counts requests to either instance against the same budget', async () => {
    const database = await createTestDatabase();
    const env = { RATE_LIMIT_PER_MINUTE: '4', REDIS_URL: process.env.REDIS_URL! };
    const a = await startTestApp({ database, env });
    const b = await startTestApp({ database, env });
    try {
      const user = await createUser(a);
      const statuses = [];
      for (const app of [a, b, a, b, a]) statuses.push((await app.gql(VIEWER, { key: user.key })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429]);
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});
