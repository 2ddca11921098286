/**
 * Budgets in cost points, as clients meet them: the root `rateLimit` on both planes, each
 * response's `extensions.cost` agreeing with the RateLimit-* headers, a costly operation draining
 * the budget faster than a cheap one (and refused with 429 and Retry-After, spending nothing), one
 * that no window could afford refused as too complex, and REST costing one point.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, ON_POSTGRES, startTestApp, type GraphQLResponse, type TestApp } from './helpers/app.js';
import { rest } from './helpers/rest.js';

const COUNTERS: [string, Record<string, string>][] = [
  ['in memory', {}],
  ...(process.env.REDIS_URL && ON_POSTGRES ? [['in Redis', { REDIS_URL: process.env.REDIS_URL }] as [string, Record<string, string>]] : []),
];

/** 1 for the field, 1 for each of its four: 5 points. */
const RATE_LIMIT = '{ rateLimit { limit remaining resetAt cost } }';
/** 2 points. */
const CHEAP = '{ rateLimit { remaining } }';
/** 1 + 100 objects × (nodes 1 + name 1): 201 points. */
const COSTLY = '{ algorithms(first: 100) { nodes { name } } }';
/** 1 + 100 × (1 + 1 + (1 + 10 × 2)): 2 301 points, more than a whole window of the keys below. */
const TOO_COSTLY = '{ algorithms(first: 100) { nodes { name versions(first: 10) { nodes { semanticVersion } } } } }';

const headersOf = (response: GraphQLResponse | { headers: Headers }) => ({
  limit: response.headers.get('ratelimit-limit'),
  remaining: response.headers.get('ratelimit-remaining'),
  retryAfter: response.headers.get('retry-after'),
});

describe.each(COUNTERS)('budgets in cost points, counted %s', (_where, counters) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: counters });
  });
  afterAll(() => t?.close());

  /** A new user whose key an admin gave 10 requests a minute: 1 000 points (RATE_LIMIT_POINTS_PER_REQUEST 100). */
  async function userWithBudget() {
    const user = await createUser(t);
    const { id } = (await t.gql('{ viewer { key { id } } }', { key: user.key })).body.data!.viewer.key;
    const set = await t.gql(`mutation($id: ID!) { setApiKeyRateLimit(input: { id: $id, requestsPerMinute: 10 }) { userErrors { message } } }`, {
      key: t.adminKey,
      variables: { id },
    });
    expect(set.body.data!.setApiKeyRateLimit.userErrors).toEqual([]);
    return user;
  }

  it('answers rateLimit on both planes, as the headers and extensions.cost say it', async () => {
    const user = await userWithBudget();
    const standard = await t.gql(RATE_LIMIT, { key: user.key });
    expect(standard.status).toBe(200);
    expect(standard.body.data!.rateLimit).toEqual({ limit: 1000, remaining: 995, resetAt: expect.any(String), cost: 5 });
    expect(Date.parse(standard.body.data!.rateLimit.resetAt) - Date.now()).toBeGreaterThan(0);
    expect(standard.cost).toEqual({ requested: 5, actual: 5, limit: 1000, remaining: 995 });
    expect(headersOf(standard)).toEqual({ limit: '1000', remaining: '995', retryAfter: null });

    const admin = await t.gql('{ admin { rateLimit { limit remaining cost } } }', { key: t.adminKey });
    const { limit, remaining, cost } = admin.body.data!.admin.rateLimit;
    expect(cost).toBe(5);
    expect(admin.cost).toEqual({ requested: 5, actual: 5, limit, remaining });
    expect(headersOf(admin)).toEqual({ limit: String(limit), remaining: String(remaining), retryAfter: null });

    // Every root field has one plane.
    expect((await t.gql('{ admin { rateLimit { limit } } }', { key: user.key })).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(RATE_LIMIT, { key: t.adminKey })).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('drains the budget by cost: a costly operation is refused with 429 and Retry-After long before cheap ones are, and spends nothing then', async () => {
    const cheap = await userWithBudget();
    const costly = await userWithBudget();

    const costlyAnswers = [];
    for (let i = 0; i < 5; i++) costlyAnswers.push(await t.gql(COSTLY, { key: costly.key }));
    expect(costlyAnswers.map((a) => a.status)).toEqual([200, 200, 200, 200, 429]);
    expect(costlyAnswers.slice(0, 4).map((a) => a.cost)).toEqual([799, 598, 397, 196].map((remaining) => ({ requested: 201, actual: 201, limit: 1000, remaining })));
    const refused = costlyAnswers[4]!;
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(refused.body.data).toBeUndefined();
    // What is left is what the request's one point left: the operation spent nothing.
    expect(refused.cost).toEqual({ requested: 201, actual: 1, limit: 1000, remaining: 195 });
    const { retryAfter, ...budget } = headersOf(refused);
    expect(budget).toEqual({ limit: '1000', remaining: '195' });
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    expect(refused.headers.get('ratelimit-reset')).toBe(retryAfter);

    // The same key can still afford a cheap operation.
    const after = await t.gql(CHEAP, { key: costly.key });
    expect(after.status).toBe(200);
    expect(after.body.data!.rateLimit).toEqual({ remaining: 193 });

    // Cheap operations go on to the end of the request budget (10 a minute).
    const cheapAnswers = [];
    for (let i = 0; i < 11; i++) cheapAnswers.push(await t.gql(CHEAP, { key: cheap.key }));
    expect(cheapAnswers.map((a) => a.status)).toEqual([...Array(10).fill(200), 429]);
    expect(cheapAnswers[9]!.cost).toEqual({ requested: 2, actual: 2, limit: 1000, remaining: 980 });
    // Out of requests, the budget has no points to spend either, until the window ends.
    const outOfRequests = headersOf(cheapAnswers[10]!);
    expect(outOfRequests).toMatchObject({ limit: '1000', remaining: '0' });
    expect(Number(outOfRequests.retryAfter)).toBeGreaterThan(0);
    expect(cheapAnswers[10]!.body.errors?.[0]?.message).toMatch(/^Too many requests with this key: try again in \d+ s\.$/);
  });

  it('refuses an operation no window could afford as too complex, not as something to retry', async () => {
    const user = await userWithBudget();
    const refused = await t.gql(TOO_COSTLY, { key: user.key });
    expect(refused.status).toBe(200);
    expect(refused.body).toEqual({
      errors: [
        {
          message:
            'This operation costs 2301 points, more than this key and its owner may spend in a minute (1000): ask for smaller pages, fewer nested lists or fewer fields.',
          extensions: { code: 'QUERY_TOO_COMPLEX' },
        },
      ],
    });
    expect(refused.cost).toEqual({ requested: 2301, actual: 1, limit: 1000, remaining: 999 });
    expect(headersOf(refused)).toEqual({ limit: '1000', remaining: '999', retryAfter: null });
  });

  it('charges a REST request one point, from the same budget', async () => {
    const user = await userWithBudget();
    const listed = await rest(t, 'GET', `/v1/users/${user.username}/algorithms`, { key: user.key });
    expect(listed.status).toBe(200);
    expect(headersOf(listed)).toEqual({ limit: '1000', remaining: '999', retryAfter: null });
    expect((await t.gql(RATE_LIMIT, { key: user.key })).cost).toMatchObject({ requested: 5, remaining: 994 });
  });
});
