/**
 * Public pages served from cache (src/graphql/response-cache.ts): the catalogue, profiles and
 * versions as outsiders see them are answered once and shared by every outsider's key; an owner's
 * or a member's view never enters a shared answer nor comes out of one; every change outsiders
 * would see (publish, delete, a profile, a new owner) shows at once, through GraphQL or REST, on
 * this instance or another; and a cached answer is still authenticated and charged to the key.
 *
 * On Postgres with REDIS_URL the answers live in Redis, shared by the instances; otherwise in each
 * instance's memory. A hit is seen as the database seeing nothing of the read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../src/graphql/schema.js';
import { MemoryResponses, sharedFieldCoordinates } from '../src/graphql/response-cache.js';
import {
  createOrganization,
  createTestDatabase,
  createUser,
  ON_POSTGRES,
  readStatements,
  startTestApp,
  uniqueName,
  type TestApp,
  type TestDatabase,
} from './helpers/app.js';
import { rest } from './helpers/rest.js';

// The config refuses REDIS_URL without a shared Postgres.
const env: Record<string, string> = ON_POSTGRES && process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {};
const STORE = env.REDIS_URL ? 'Redis' : 'memory';

type User = Awaited<ReturnType<typeof createUser>>;

const CATALOGUE = `query Catalogue { algorithms(first: 100) {
  totalCount nodes { name owner { name } callability latestVersion { semanticVersion } } } }`;
const ORGANIZATION = `query Organization($name: String!) { organization(name: $name) {
  label algorithms(first: 100) { totalCount nodes { name } } } }`;
const PROFILE = `query Profile($username: String!) { user(username: $username) { username fullName } }`;
const CREATE = `mutation($input: CreateAlgorithmInput!) { createAlgorithm(input: $input) { algorithm { id name } userErrors { message } } }`;
const PUBLISH = `mutation($id: ID!, $callability: Callability!, $versionType: VersionType!) {
  publishAlgorithm(input: { id: $id, versionType: $versionType, callability: $callability }) { version { semanticVersion } userErrors { message } } }`;

let database: TestDatabase;
let t: TestApp;
let ada: User; // owns algorithms, and the organization
let bob: User; // a member of the organization; owns nothing himself
let carol: User; // strangers: own nothing, belong to nothing
let dave: User;
let frank: User; // a stranger with a budget of its own
let org: string;

async function createAlgorithm(app: TestApp, key: string, name: string, owner?: string): Promise<string> {
  const input = { name, owner, details: { label: name }, settings: { language: 'PYTHON3', environment: 'CPU' } };
  const created = (await app.gql(CREATE, { key, variables: { input } })).body.data!.createAlgorithm;
  expect(created.userErrors).toEqual([]);
  return created.algorithm.id;
}

async function publish(app: TestApp, key: string, id: string, callability: 'PUBLIC' | 'PRIVATE' = 'PUBLIC'): Promise<string> {
  // Taking a PUBLIC algorithm PRIVATE needs a major version.
  const versionType = callability === 'PRIVATE' ? 'MAJOR' : 'MINOR';
  const published = (await app.gql(PUBLISH, { key, variables: { id, callability, versionType } })).body.data!.publishAlgorithm;
  expect(published.userErrors, JSON.stringify(published.userErrors)).toEqual([]);
  return published.version.semanticVersion;
}

/** Has `app` verify each key once, so that a later read's statements are the read's own. */
async function warm(app: TestApp, ...users: User[]): Promise<void> {
  for (const user of users) expect((await app.gql('{ viewer { key { id } } }', { key: user.key })).status).toBe(200);
}

/** A new user who owns nothing, its key verified. */
async function stranger(): Promise<User> {
  const user = await createUser(t);
  await warm(t, user);
  return user;
}

/** An answer, and whether the database was asked anything for it (a hit asks nothing). */
async function read(app: TestApp, key: string, query: string, variables?: Record<string, unknown>) {
  const before = app.queries.length;
  const response = await app.gql(query, { key, variables });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  expect(response.body.errors).toBeUndefined();
  return { data: response.body.data!, executed: readStatements(app.queries.slice(before)).length > 0, headers: response.headers, cost: response.cost };
}

/**
 * `query` read by `first`, then by `second` from the entry `first` left. A change's notification
 * reaches each instance (its own too) a few milliseconds after the change, and clears everything
 * then, possibly just after `first`'s answer was stored: until earlier changes have landed, the
 * pair is read again, under a fresh text each time (a comment), so that `first` executes again.
 */
async function sharedRead(first: [TestApp, User], second: [TestApp, User], query: string, variables?: Record<string, unknown>) {
  for (let attempt = 0; ; attempt++) {
    const text = attempt === 0 ? query : `${query}\n# attempt ${attempt}`;
    const stored = await read(first[0], first[1].key, text, variables);
    const served = await read(second[0], second[1].key, text, variables);
    if (!served.executed) return { stored, served };
    if (attempt === 20) throw new Error('never served from the shared entry');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const names = (data: Record<string, any>) => (data.algorithms ?? data.organization.algorithms).nodes.map((node: { name: string }) => node.name);

/** Polls until `condition` holds: for changes an instance learns of by notification (milliseconds), not from its own request. */
async function eventually(condition: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  t = await startTestApp({ database, env });
  [ada, bob, carol, dave, frank] = [await createUser(t), await createUser(t), await createUser(t), await createUser(t), await createUser(t)];
  org = await createOrganization(t, [ada.username], [bob.username]);
  await warm(t, ada, bob, carol, dave, frank);
  await publish(t, ada.key, await createAlgorithm(t, ada.key, 'shown'));
  await createAlgorithm(t, ada.key, 'hidden');
  await publish(t, ada.key, await createAlgorithm(t, ada.key, 'orgShown', org));
  await createAlgorithm(t, ada.key, 'orgHidden', org);
});

afterAll(async () => {
  await t?.close();
  await database?.drop();
});

describe(`public pages from cache (${STORE})`, () => {
  it("serves one stranger's answer to another stranger's key, still authenticating every request", async () => {
    const { stored, served } = await sharedRead([t, carol], [t, dave], CATALOGUE);
    expect(names(stored.data)).toEqual(['shown', 'orgShown']);
    expect(served.data).toEqual(stored.data);

    const refused = await t.gql(CATALOGUE, { key: `${dave.key.slice(0, -4)}AAAA` });
    expect(refused.status).toBe(401);
    expect(refused.body.data).toBeUndefined();
  });

  it("never stores the owner's view, nor serves a stranger's to the owner", async () => {
    const own = await read(t, ada.key, `query { algorithms(first: 100) { totalCount nodes { name } } }`);
    expect(names(own.data)).toEqual(['shown', 'hidden', 'orgShown', 'orgHidden']);
    const stranger = await read(t, carol.key, `query { algorithms(first: 100) { totalCount nodes { name } } }`);
    expect(stranger.executed).toBe(true);
    expect(stranger.data.algorithms).toEqual({ totalCount: 2, nodes: [{ name: 'shown' }, { name: 'orgShown' }] });
    const ownAgain = await read(t, ada.key, `query { algorithms(first: 100) { totalCount nodes { name } } }`);
    expect(ownAgain.executed).toBe(true);
    expect(ownAgain.data).toEqual(own.data);
  });

  it("never lets a member's view of its organization reach a stranger", async () => {
    const member = await read(t, bob.key, ORGANIZATION, { name: org });
    expect(member.data.organization.algorithms).toEqual({ totalCount: 2, nodes: [{ name: 'orgShown' }, { name: 'orgHidden' }] });
    const stranger = await read(t, carol.key, ORGANIZATION, { name: org });
    expect(stranger.data.organization.algorithms).toEqual({ totalCount: 1, nodes: [{ name: 'orgShown' }] });
    expect((await sharedRead([t, carol], [t, dave], ORGANIZATION, { name: org })).served.data).toEqual(stranger.data);
    expect((await read(t, bob.key, ORGANIZATION, { name: org })).data).toEqual(member.data);
  });

  it('keeps account data out: a document asking for an email is never shared', async () => {
    const EMAIL = `query($username: String!) { user(username: $username) { username email } }`;
    expect((await read(t, ada.key, EMAIL, { username: ada.username })).data.user.email).toBe(`${ada.username}@example.com`);
    const stranger = await read(t, carol.key, EMAIL, { username: ada.username });
    expect(stranger.data.user).toEqual({ username: ada.username, email: null });
    expect((await read(t, dave.key, EMAIL, { username: ada.username })).executed).toBe(true);
    // An outsider to every algorithm reading its own account: its answer is its own.
    expect((await read(t, carol.key, EMAIL, { username: carol.username })).data.user.email).toBe(`${carol.username}@example.com`);
    expect((await read(t, dave.key, EMAIL, { username: carol.username })).data.user).toEqual({ username: carol.username, email: null });
  });

  it('shows a publish through GraphQL at once, and a new version of a listed algorithm', async () => {
    await sharedRead([t, carol], [t, dave], CATALOGUE);
    const id = await createAlgorithm(t, ada.key, uniqueName('fresh'));
    // Created but unpublished: outsiders see nothing new, and the answer may still be shared.
    expect(names((await read(t, carol.key, CATALOGUE)).data)).not.toContain('fresh');
    const published = await publish(t, ada.key, id);
    const after = await read(t, carol.key, CATALOGUE);
    expect(after.executed).toBe(true);
    const listed = after.data.algorithms.nodes.find((node: { name: string }) => node.name.startsWith('fresh'));
    expect(listed.latestVersion).toEqual({ semanticVersion: published });

    const again = await publish(t, ada.key, id);
    expect((await read(t, dave.key, CATALOGUE)).data.algorithms.nodes.find((node: { name: string }) => node.name === listed.name).latestVersion).toEqual({
      semanticVersion: again,
    });
    // A callability change to PRIVATE leaves what outsiders see as it was, and answers afresh.
    await publish(t, ada.key, id, 'PRIVATE');
    const afterPrivate = await read(t, carol.key, CATALOGUE);
    expect(afterPrivate.executed).toBe(true);
    expect(afterPrivate.data.algorithms.nodes.find((node: { name: string }) => node.name === listed.name).latestVersion).toEqual({ semanticVersion: again });
  });

  it("shows a publish through REST and an admin's delete at once", async () => {
    const name = uniqueName('viaRest');
    const id = await createAlgorithm(t, ada.key, name);
    await read(t, carol.key, CATALOGUE);
    const published = await rest(t, 'POST', `/v1/algorithms/${ada.username}/${name}/versions`, {
      key: ada.key,
      body: { settings: { algorithm_callability: 'public' }, version_info: { version_type: 'minor' } },
    });
    expect(published.status, published.text).toBe(200);
    expect(names((await read(t, dave.key, CATALOGUE)).data)).toContain(name);

    const deleted = await t.gql(`mutation($id: ID!) { adminDeleteAlgorithm(input: { id: $id }) { userErrors { message } } }`, {
      key: t.adminKey,
      variables: { id },
    });
    expect(deleted.body.data?.adminDeleteAlgorithm.userErrors).toEqual([]);
    expect(names((await read(t, carol.key, CATALOGUE)).data)).not.toContain(name);
  });

  it('stops sharing with a stranger who creates an algorithm (REST), and never shows it once deleted (REST)', async () => {
    const erin = await stranger();
    await sharedRead([t, carol], [t, erin], CATALOGUE);
    const name = uniqueName('draft');
    const created = await rest(t, 'POST', `/v1/algorithms/${erin.username}`, {
      key: erin.key,
      body: {
        name,
        details: { label: name },
        settings: { language: 'python3-1', environment: 'cpu', license: 'apl', network_access: 'isolated', pipeline_enabled: false, source_visibility: 'closed' },
      },
    });
    expect(created.status, created.text).toBe(201);
    const own = await read(t, erin.key, CATALOGUE);
    expect(own.executed).toBe(true);
    expect(names(own.data)).toContain(name);
    expect(names((await read(t, carol.key, CATALOGUE)).data)).not.toContain(name);

    expect((await rest(t, 'DELETE', `/v1/algorithms/${erin.username}/${name}`, { key: erin.key })).status).toBe(204);
    // Erin shares again once what the cache knows of her expires (RESPONSE_CACHE_TTL_MS): a former owner is an insider until then.
    expect(names((await read(t, erin.key, CATALOGUE)).data)).not.toContain(name);
  });

  it("shows a change to a public profile at once, and a new user's profile", async () => {
    expect((await sharedRead([t, carol], [t, dave], PROFILE, { username: ada.username })).served.data.user.fullName).toBeNull();
    const updated = await t.gql(`mutation($u: String!) { updateUser(input: { username: $u, fullName: "Ada Lovelace" }) { userErrors { message } } }`, {
      key: t.adminKey,
      variables: { u: ada.username },
    });
    expect(updated.body.data?.updateUser.userErrors).toEqual([]);
    expect((await read(t, dave.key, PROFILE, { username: ada.username })).data.user.fullName).toBe('Ada Lovelace');

    const later = uniqueName('later');
    expect((await sharedRead([t, carol], [t, dave], PROFILE, { username: later })).served.data.user).toBeNull();
    await createUser(t, later);
    // A new owner is told by notification (no trigger sees inserts): within milliseconds.
    await eventually(async () => (await read(t, dave.key, PROFILE, { username: later })).data.user !== null);
  });

  it("charges a cached answer to the key's budget like any other", async () => {
    const keyId = (await t.gql('{ viewer { key { id } } }', { key: frank.key })).body.data!.viewer.key.id;
    const set = await t.gql(`mutation($id: ID!) { setApiKeyRateLimit(input: { id: $id, requestsPerMinute: 30 }) { userErrors { message } } }`, {
      key: t.adminKey,
      variables: { id: keyId },
    });
    expect(set.body.data?.setApiKeyRateLimit.userErrors).toEqual([]);
    await warm(t, frank); // the first of its 30 requests: the changed key is verified afresh
    await read(t, carol.key, CATALOGUE);
    // Budgets count cost points: each answer, a hit or not, is charged the operation's cost, until
    // what is left no longer covers it.
    const answers: { hit: boolean; remaining: number; charged: number }[] = [];
    const ask = async () => {
      const before = t.queries.length;
      return { response: await t.gql(CATALOGUE, { key: frank.key }), hit: readStatements(t.queries.slice(before)).length === 0 };
    };
    let refused = await ask();
    while (refused.response.status === 200 && answers.length < 29) {
      answers.push({ hit: refused.hit, remaining: Number(refused.response.headers.get('ratelimit-remaining')), charged: refused.response.cost!.actual });
      refused = await ask();
    }
    const cost = answers[0]!.charged;
    expect(cost).toBeGreaterThan(1);
    expect(answers.length).toBeGreaterThanOrEqual(2);
    expect(answers.map((answer) => answer.charged)).toEqual(answers.map(() => cost));
    expect(answers.slice(1).map((answer, i) => answers[i]!.remaining - answer.remaining)).toEqual(answers.slice(1).map(() => cost));
    expect(answers.at(-1)!.remaining).toBeLessThan(cost);
    // Each is a hit, but for one that meets a change still landing (a notification clears all) or a store Redis was too slow for.
    expect(answers.filter((answer) => answer.hit).length).toBeGreaterThanOrEqual(answers.length - 1);
    expect(refused.response.status).toBe(429);
    expect(refused.response.body.errors?.[0]?.message).toMatch(/cost points with this key/);
    expect(refused.response.body.data).toBeUndefined();
  });
});

describe.skipIf(!ON_POSTGRES)(`two instances on one Postgres (${STORE})`, () => {
  let other: TestApp;
  beforeAll(async () => {
    other = await startTestApp({ database, env });
    await warm(other, ada, carol, dave);
  });
  afterAll(async () => {
    await other?.close();
  });

  it('shows a publish through one instance on the other, through GraphQL and REST', async () => {
    const name = uniqueName('twin');
    const id = await createAlgorithm(t, ada.key, name);
    const first = await publish(t, ada.key, id);
    const latestOf = async (app: TestApp, key: string) =>
      (await read(app, key, CATALOGUE)).data.algorithms.nodes.find((node: { name: string }) => node.name === name)?.latestVersion?.semanticVersion;
    expect(await latestOf(other, carol.key)).toBe(first);
    await sharedRead([other, carol], [other, dave], CATALOGUE);

    const second = await publish(t, ada.key, id);
    // Redis is cleared by the instance that published, before it answers; an instance's memory when the NOTIFY arrives.
    if (STORE === 'Redis') expect(await latestOf(other, carol.key)).toBe(second);
    else await eventually(async () => (await latestOf(other, carol.key)) === second);

    const third = await rest(other, 'POST', `/v1/algorithms/${ada.username}/${name}/versions`, {
      key: ada.key,
      body: { settings: { algorithm_callability: 'public' }, version_info: { version_type: 'minor' } },
    });
    expect(third.status, third.text).toBe(200);
    const semver = third.body.version_info.semantic_version;
    if (STORE === 'Redis') expect(await latestOf(t, dave.key)).toBe(semver);
    else await eventually(async () => (await latestOf(t, dave.key)) === semver);
  });

  it.skipIf(STORE !== 'Redis')('shares one answer between the instances through Redis', async () => {
    await sharedRead([t, carol], [other, dave], `query Shared { algorithms(first: 7) { nodes { name } } }`);
  });
});

describe('what may be shared', () => {
  it('names only fields the schema has', () => {
    const missing = sharedFieldCoordinates().filter((coordinate) => {
      const [type, field] = coordinate.split('.') as [string, string];
      const found = schema.getType(type);
      return !found || !('getFields' in found) || !(field in found.getFields());
    });
    expect(missing).toEqual([]);
  });

  it('keeps the memory store within its bounds, oldest first, and for the TTL only', async () => {
    const store = new MemoryResponses({ ttlMs: 50, maxEntries: 2, maxBytes: 30 });
    const put = (key: string, text: string) => store.set(key, { text }, JSON.stringify({ text }), store.mark());
    put('a', 'x');
    put('b', 'x');
    put('c', 'x');
    expect([store.get('a'), store.get('b'), store.get('c')]).toEqual([undefined, { text: 'x' }, { text: 'x' }]);
    put('d', 'x'.repeat(18));
    expect([store.get('b'), store.get('c'), store.get('d')]).toEqual([undefined, undefined, { text: 'x'.repeat(18) }]);
    put('e', 'x'.repeat(30));
    expect(store.get('e')).toBeUndefined();
    const mark = store.mark();
    store.clear();
    store.set('e', { text: 'x' }, '{"text":"x"}', mark);
    expect(store.get('e')).toBeUndefined();
    put('f', 'x');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(store.get('f')).toBeUndefined();
  });
});
