/**
 * Issue 15, class 1: one request must not take the server down. The cost counts every list for the
 * objects it can return (ids, aliases, fragments and repeated ids included), an answer has a ceiling
 * on its objects, and a request past its deadline stops: its running statements are cancelled and
 * no statement follows the 503.
 */
import postgres from 'postgres';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../src/graphql/schema.js';
import { operationCost } from '../src/graphql/limits.js';
import { createTestDatabase, createUser, ON_POSTGRES, startTestApp, type TestApp } from './helpers/app.js';
import { holdTableLock } from './helpers/lock.js';
import { rest } from './helpers/rest.js';

/** GitHub's cap on `nodes(ids:)`, which the README documents. */
const MAX_NODE_IDS = 100;

const CREATE_ALGORITHM = `mutation($input: CreateAlgorithmInput!) { createAlgorithm(input: $input) { algorithm { id } userErrors { message } } }`;
const PUBLISH = `mutation($id: ID!) { publishAlgorithm(input: { id: $id, versionType: MAJOR, callability: PUBLIC }) { userErrors { message } } }`;

async function publishedAlgorithm(t: TestApp, key: string, owner: string, name: string): Promise<void> {
  const input = { name, owner, details: { label: name }, settings: { language: 'PYTHON3', environment: 'CPU' } };
  const created = await t.gql(CREATE_ALGORITHM, { key, variables: { input } });
  const id = created.body.data?.createAlgorithm?.algorithm?.id;
  if (!id) throw new Error(`createAlgorithm failed: ${JSON.stringify(created.body)}`);
  await t.gql(PUBLISH, { key, variables: { id } });
}

const ids = (id: string, n: number) => JSON.stringify(Array.from({ length: n }, () => id));
/** The reported attack: one user's id n times, each with 49 algorithms of 100 versions. */
const HEAVY = `algorithms(first: 49) { nodes { name versions(first: 100) { nodes { semanticVersion releaseNotes sampleInput } } } }`;
const isAlgorithmRead = (q: string) => /from "?algorithm/.test(q);

function expectRefusedBeforeRunning(t: TestApp, before: number, response: { status: number; body: { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] } }, code: string) {
  expect(response.status).toBeLessThan(500);
  expect(response.body.data ?? null).toBeNull();
  expect(response.body.errors?.[0]?.extensions?.code).toBe(code);
  expect(t.queries.slice(before).filter(isAlgorithmRead)).toEqual([]);
}

describe('the cost of a request counts every list', () => {
  let t: TestApp;
  let user: { id: string; key: string; username: string };
  beforeAll(async () => {
    t = await startTestApp();
    user = await createUser(t);
    for (let i = 0; i < 3; i++) await publishedAlgorithm(t, user.key, user.username, `algo_${i}`);
  });
  afterAll(() => t?.close());

  const refused = async (query: string, code: string, variables?: Record<string, unknown>) => {
    const before = t.queries.length;
    const response = await t.gql(query, { key: user.key, variables });
    expectRefusedBeforeRunning(t, before, response, code);
    return response;
  };

  it('the reported request (one id 500 times) is refused before execution, naming the ids limit', async () => {
    const response = await refused(`{ nodes(ids: ${ids(user.id, 500)}) { ... on User { ${HEAVY} } } }`, 'TOO_MANY_IDS');
    expect(response.body.errors?.[0]?.message).toMatch(/at most 100 ids/);
  });

  it('more than 100 ids through a variable are refused too', async () => {
    await refused(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, 'TOO_MANY_IDS', { ids: Array.from({ length: MAX_NODE_IDS + 1 }, () => user.id) });
  });

  it('100 repeated ids, each with nested lists, cost 100 times one id', async () => {
    await refused(`{ nodes(ids: ${ids(user.id, MAX_NODE_IDS)}) { ... on User { ${HEAVY} } } }`, 'QUERY_TOO_COMPLEX');
  });

  it('aliases of nodes(ids:) add up', async () => {
    const alias = (i: number) => `a${i}: nodes(ids: ${ids(user.id, 20)}) { ... on User { algorithms(first: 10) { nodes { name versions(first: 5) { nodes { semanticVersion } } } } } }`;
    await refused(`{ ${Array.from({ length: 14 }, (_, i) => alias(i)).join(' ')} }`, 'QUERY_TOO_COMPLEX');
  });

  it('fragments count where they are spread', async () => {
    await refused(
      `query { nodes(ids: ${ids(user.id, 50)}) { ...U } } fragment U on User { algorithms(first: 20) { nodes { ...A } } } fragment A on Algorithm { versions(first: 20) { nodes { semanticVersion releaseNotes } } }`,
      'QUERY_TOO_COMPLEX',
    );
  });

  it('long texts cost for their length: many aliases of 100 000-character fields are refused', async () => {
    const alias = (i: number) => `a${i}: algorithms(first: 100) { nodes { sampleInput details { summary } versions(first: 5) { nodes { releaseNotes sampleOutput } } } }`;
    await refused(`{ ${Array.from({ length: 9 }, (_, i) => alias(i)).join(' ')} }`, 'QUERY_TOO_COMPLEX');
  });

  it('a cost worked out once for a document without variables belongs to its operation: the cheap one first, the dear one still refused', async () => {
    const document = `query Cheap { viewer { owner { name } } } query Dear { nodes(ids: ${ids(user.id, MAX_NODE_IDS)}) { ... on User { ${HEAVY} } } }`;
    for (let round = 0; round < 2; round++) {
      const cheap = await t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Simple ${user.key}` }, body: JSON.stringify({ query: document, operationName: 'Cheap' }) });
      expect((await cheap.json()).data.viewer.owner.name).toBe(user.username);
      const before = t.queries.length;
      const dear = await t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Simple ${user.key}` }, body: JSON.stringify({ query: document, operationName: 'Dear' }) });
      expectRefusedBeforeRunning(t, before, { status: dear.status, body: await dear.json() }, 'QUERY_TOO_COMPLEX');
    }
  });

  it('a request at the edge of the limits completes, with one statement for the repeated owner', async () => {
    const document = (n: number) => `{ nodes(ids: ${ids(user.id, n)}) { ... on User { username algorithms(first: 10) { nodes { name versions(first: 5) { nodes { semanticVersion } } } } } } }`;
    const cost = (n: number) => operationCost(schema, parse(document(n)), undefined, {});
    let n = 1;
    while (n < MAX_NODE_IDS && cost(n + 1) <= t.config.graphqlMaxCost) n++;
    expect(cost(n)).toBeLessThanOrEqual(t.config.graphqlMaxCost);
    expect(n === MAX_NODE_IDS || cost(n + 1) > t.config.graphqlMaxCost).toBe(true);
    const before = t.queries.length;
    const response = await t.gql(document(n), { key: user.key });
    expect(response.body.errors).toBeUndefined();
    const nodes = response.body.data!.nodes as { algorithms: { nodes: unknown[] } }[];
    expect(nodes).toHaveLength(n);
    expect(nodes.every((node) => node.algorithms.nodes.length === 3)).toBe(true);
    // Owner.algorithms is batched: the same owner n times is read once, however large n.
    expect(t.queries.slice(before).filter(isAlgorithmRead)).toHaveLength(1);
  });
});

describe('an answer has a ceiling on its objects (MAX_OBJECTS_PER_REQUEST)', () => {
  let t: TestApp;
  let user: { id: string; key: string; username: string };
  beforeAll(async () => {
    // A cost limit far above the ceiling, as a misjudged estimate would be: the ceiling still holds.
    t = await startTestApp({ env: { MAX_OBJECTS_PER_REQUEST: '100', GRAPHQL_MAX_COST: '1000000' } });
    user = await createUser(t);
  });
  afterAll(() => t?.close());

  it('a request whose lists exceed the ceiling stops with RESPONSE_TOO_LARGE, not a 500', async () => {
    const response = await t.gql(`{ a: nodes(ids: ${ids(user.id, 60)}) { id } b: nodes(ids: ${ids(user.id, 60)}) { id } }`, { key: user.key });
    expect(response.status).toBeLessThan(500);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('RESPONSE_TOO_LARGE');
    expect(response.body.errors?.[0]?.message).toMatch(/MAX_OBJECTS_PER_REQUEST/);
  });

  it('answers every field resolved after the ceiling stopped the request as RESPONSE_TOO_LARGE too, never a 500', async () => {
    const entries = Array.from({ length: 30 }, (_, i) => `algo://someone/algorithm_${i}`);
    const made = await t.gql(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } userErrors { message } } }`, {
      key: user.key,
      variables: { input: { name: 'thirty', algorithmAccess: entries } },
    });
    const id = made.body.data!.createApiKey.apiKey.id;
    const aliases = Array.from({ length: 6 }, (_, i) => `a${i}: node(id: $id) { ... on ApiKey { algorithmAccess { pattern } } }`);
    const response = await t.gql(`query($id: ID!) { ${aliases.join(' ')} }`, { key: user.key, variables: { id } });
    expect(response.status).toBeLessThan(500);
    const codes = new Set(response.body.errors?.map((e) => e.extensions?.code));
    expect([...codes]).toEqual(['RESPONSE_TOO_LARGE']);
    expect(t.logs.some((line) => line.msg === 'unexpected error')).toBe(false);
  });

  it('a request within it answers', async () => {
    const response = await t.gql(`{ a: nodes(ids: ${ids(user.id, 50)}) { id } b: nodes(ids: ${ids(user.id, 40)}) { id } }`, { key: user.key });
    expect(response.body.errors).toBeUndefined();
  });
});

describe.skipIf(!ON_POSTGRES)('the deadline stops the work (Postgres only: PGlite cannot hold a lock against the app)', () => {
  async function until(check: () => Promise<boolean>, limitMs: number): Promise<boolean> {
    const end = Date.now() + limitMs;
    while (Date.now() < end) {
      if (await check()) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return check();
  }

  it('cancels the running statement and sends none after the 503, through GraphQL and REST', async () => {
    const database = await createTestDatabase();
    const t = await startTestApp({ database, env: { REQUEST_TIMEOUT_MS: '1000' } });
    const observer = postgres(database.url!, { max: 1, onnotice: () => {} });
    const waiting = async () =>
      Number((await observer`select count(*)::int as n from pg_stat_activity where application_name = 'algoplane' and wait_event_type = 'Lock'`)[0]!.n);
    try {
      const user = await createUser(t);
      await publishedAlgorithm(t, user.key, user.username, 'slow');
      // Reads algorithms, then the owners' memberships: a second statement that must never be sent.
      const QUERY = `{ algorithms(first: 5) { nodes { name owner { ... on User { organizations { role } } } } } }`;
      expect((await t.gql(QUERY, { key: user.key })).body.errors).toBeUndefined();

      for (const send of [
        () => t.gql(QUERY, { key: user.key }).then((r) => r.status),
        () => rest(t, 'GET', `/v1/algorithms/${user.username}/slow`, { key: user.key }).then((r) => r.status),
      ]) {
        const lock = await holdTableLock(database.url!, 'algorithms', 'access exclusive');
        try {
          expect(await send()).toBe(503);
          const after503 = t.queries.length;
          // Cancelled on the server: nothing of the app's still waits on the lock.
          expect(await until(async () => (await waiting()) === 0, 2000)).toBe(true);
          await lock.release();
          await new Promise((resolve) => setTimeout(resolve, 1000));
          expect(t.queries.slice(after503)).toEqual([]);
        } finally {
          await lock.release();
        }
      }
      // The server is fine afterwards.
      expect((await t.gql(QUERY, { key: user.key })).body.errors).toBeUndefined();
    } finally {
      await observer.end();
      await t.close();
      await database.drop();
    }
  });
});
