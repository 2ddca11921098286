/**
 * Issue 15, item 7: budgets must not multiply with keys. An owner's keys, algorithms and versions
 * are capped (refused as QUOTA_EXCEEDED, REST 409, naming the quota and writing nothing), also
 * when the writes race; and all of an owner's keys share one request budget across GraphQL and
 * REST, so more keys never mean more throughput, while other owners are unaffected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, createUser, ON_POSTGRES, startTestApp, uniqueName, type TestApp } from './helpers/app.js';
import { rest } from './helpers/rest.js';
import { algorithmBody, expectEnvelope } from './helpers/rest-auth-matrix.js';

const CREATE_KEY = `mutation($name: String!, $owner: String) {
  createApiKey(input: { name: $name, owner: $owner, algorithmAccess: ["algo://*"] }) { apiKey { id } secret userErrors { field message code } }
}`;
const KEY_COUNT = `query($owner: String) { apiKeys(owner: $owner) { totalCount } }`;
const CREATE_ALGORITHM = `mutation($input: CreateAlgorithmInput!) { createAlgorithm(input: $input) { algorithm { id } userErrors { field message code } } }`;
const ALGORITHM_COUNT = `query($owner: String!) { algorithms(owner: $owner) { totalCount } }`;
const PUBLISH = `mutation($input: PublishAlgorithmInput!) {
  publishAlgorithm(input: $input) { version { semanticVersion } userErrors { field message code } }
}`;
const VERSIONS = `query($id: ID!) { node(id: $id) { ... on Algorithm { details { label } versions { totalCount } } } }`;
const VIEWER = '{ viewer { rateLimit { limit remaining } } }';

const quotaError = (quota: string, limit: number, things: string) => ({
  field: null,
  code: 'QUOTA_EXCEEDED',
  message: expect.stringMatching(new RegExp(`^${quota}: an? \\w+ may hold at most ${limit} ${things} .*and this one holds ${limit}`)),
});

/** A REST key creation body (Algorithmia's shape) for a key that may call anything and manage nothing. */
const keyBody = (label: string) => ({
  key_label: label,
  key_type: 'AlgorithmKey',
  permissions: { allow_data: false, allow_data_write: false, allow_algo: true, allow_web_algo: false, algo_acl: ['algo://*'] },
});

const algorithmInput = (name: string, owner?: string) => ({
  name,
  owner,
  details: { label: name },
  settings: { language: 'PYTHON3', environment: 'CPU' },
});

describe('quotas (MAX_KEYS_PER_OWNER=3, MAX_ALGORITHMS_PER_OWNER=2, MAX_VERSIONS_PER_ALGORITHM=2)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { MAX_KEYS_PER_OWNER: '3', MAX_ALGORITHMS_PER_OWNER: '2', MAX_VERSIONS_PER_ALGORITHM: '2' } });
  });
  afterAll(() => t?.close());

  const keyCount = async (key: string, owner?: string) =>
    (await t.gql(KEY_COUNT, { key, variables: { owner } })).body.data!.apiKeys.totalCount as number;

  it('refuses the fourth key through GraphQL and both admin REST routes, writes nothing, and frees a place on revocation', async () => {
    const user = await createUser(t); // its default-key is the first
    for (let i = 0; i < 2; i++) {
      expect((await t.gql(CREATE_KEY, { key: user.key, variables: { name: uniqueName('k') } })).body.data!.createApiKey.userErrors).toEqual([]);
    }
    const refused = await t.gql(CREATE_KEY, { key: user.key, variables: { name: 'one-too-many' } });
    expect(refused.body.data!.createApiKey).toEqual({ apiKey: null, secret: null, userErrors: [quotaError('keysPerOwner', 3, 'standard API keys')] });

    const byAdmin = await rest(t, 'POST', `/v1/admin/users/${user.username}/keys`, { key: t.adminKey, body: keyBody('from-admin') });
    expectEnvelope(byAdmin, 409, 2015);
    expect(byAdmin.body.error.message).toMatch(/^keysPerOwner: .* at most 3 standard API keys/);
    expect(await keyCount(user.key)).toBe(3);

    const newest = (await t.gql('{ apiKeys(last: 1) { nodes { id } } }', { key: user.key })).body.data!.apiKeys.nodes[0].id;
    const revoked = await t.gql(`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { userErrors { message } } }`, { key: user.key, variables: { id: newest } });
    expect(revoked.body.data!.revokeApiKey.userErrors).toEqual([]);
    expect((await t.gql(CREATE_KEY, { key: user.key, variables: { name: 'in-its-place' } })).body.data!.createApiKey.userErrors).toEqual([]);
  });

  it("counts an organization's keys apart from its owner's, and refuses the admin's key for it past the quota", async () => {
    const owner = await createUser(t);
    const org = await createOrganization(t, [owner.username]);
    for (let i = 0; i < 3; i++) {
      const made = await t.gql(CREATE_KEY, { key: owner.key, variables: { name: uniqueName('k'), owner: org } });
      expect(made.body.data!.createApiKey.userErrors).toEqual([]);
    }
    const refused = await rest(t, 'POST', `/v1/organizations/${org}/members/${owner.username}/keys`, { key: t.adminKey, body: keyBody('fourth') });
    expectEnvelope(refused, 409, 2015);
    expect(refused.body.error.message).toMatch(/^keysPerOwner: /);
    expect(await keyCount(owner.key, org)).toBe(3);
    expect(await keyCount(owner.key)).toBe(1);
  });

  it('lets no more keys through than the quota when they are created at once', async () => {
    const user = await createUser(t);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => t.gql(CREATE_KEY, { key: user.key, variables: { name: uniqueName('k') } }).then((r) => r.body.data!.createApiKey)),
    );
    expect(answers.filter((a) => a.userErrors.length === 0)).toHaveLength(2);
    expect(answers.filter((a) => a.userErrors[0]?.code === 'QUOTA_EXCEEDED')).toHaveLength(4);
    expect(await keyCount(user.key)).toBe(3);
  });

  it('refuses the third algorithm through GraphQL and REST, writes nothing, and counts each owner apart', async () => {
    const user = await createUser(t);
    for (let i = 0; i < 2; i++) {
      expect((await t.gql(CREATE_ALGORITHM, { key: user.key, variables: { input: algorithmInput(uniqueName('a')) } })).body.data!.createAlgorithm.userErrors).toEqual([]);
    }
    const refused = await t.gql(CREATE_ALGORITHM, { key: user.key, variables: { input: algorithmInput('third') } });
    expect(refused.body.data!.createAlgorithm).toEqual({ algorithm: null, userErrors: [quotaError('algorithmsPerOwner', 2, 'algorithms')] });
    const viaRest = await rest(t, 'POST', `/v1/algorithms/${user.username}`, { key: user.key, body: algorithmBody('third') });
    expectEnvelope(viaRest, 409, 2015);
    expect(viaRest.body.error.message).toMatch(/^algorithmsPerOwner: .* at most 2 algorithms/);
    expect((await t.gql(ALGORITHM_COUNT, { key: user.key, variables: { owner: user.username } })).body.data!.algorithms.totalCount).toBe(2);

    // The user's organization has its own quota.
    const org = await createOrganization(t, [user.username]);
    expect((await t.gql(CREATE_ALGORITHM, { key: user.key, variables: { input: algorithmInput('shared', org) } })).body.data!.createAlgorithm.userErrors).toEqual([]);
  });

  it('lets no more algorithms through than the quota when they are created at once', async () => {
    const user = await createUser(t);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.gql(CREATE_ALGORITHM, { key: user.key, variables: { input: algorithmInput(uniqueName('a')) } }).then((r) => r.body.data!.createAlgorithm),
      ),
    );
    expect(answers.filter((a) => a.userErrors.length === 0)).toHaveLength(2);
    expect(answers.filter((a) => a.userErrors[0]?.code === 'QUOTA_EXCEEDED')).toHaveLength(3);
    expect((await t.gql(ALGORITHM_COUNT, { key: user.key, variables: { owner: user.username } })).body.data!.algorithms.totalCount).toBe(2);
  });

  it('refuses the third version through GraphQL and REST, and applies none of the changes sent with it', async () => {
    const user = await createUser(t);
    const name = uniqueName('a');
    const id = (await t.gql(CREATE_ALGORITHM, { key: user.key, variables: { input: algorithmInput(name) } })).body.data!.createAlgorithm.algorithm.id;
    const published = await Promise.all(
      Array.from({ length: 4 }, () => t.gql(PUBLISH, { key: user.key, variables: { input: { id, versionType: 'MINOR' } } }).then((r) => r.body.data!.publishAlgorithm)),
    );
    expect(published.filter((p) => p.userErrors.length === 0)).toHaveLength(2);
    expect(published.filter((p) => p.userErrors[0]?.code === 'QUOTA_EXCEEDED')).toHaveLength(2);

    const refused = await t.gql(PUBLISH, { key: user.key, variables: { input: { id, versionType: 'MINOR', releaseNotes: 'third' } } });
    expect(refused.body.data!.publishAlgorithm).toEqual({ version: null, userErrors: [quotaError('versionsPerAlgorithm', 2, 'versions')] });
    const viaRest = await rest(t, 'POST', `/v1/algorithms/${user.username}/${name}/versions`, {
      key: user.key,
      body: { details: { label: 'Changed by a refused publish' }, version_info: { version_type: 'minor' } },
    });
    expectEnvelope(viaRest, 409, 2015);
    expect(viaRest.body.error.message).toMatch(/^versionsPerAlgorithm: .* at most 2 versions/);
    expect((await t.gql(VERSIONS, { key: user.key, variables: { id } })).body.data!.node).toEqual({ details: { label: name }, versions: { totalCount: 2 } });
  });
});

// Counters in memory, and in Redis when REDIS_URL is set on Postgres (every instance then draws on
// one budget; Redis goes with a shared database only).
const COUNTERS: [string, Record<string, string>][] = [
  ['in memory', {}],
  ...(process.env.REDIS_URL && ON_POSTGRES ? [['in Redis', { REDIS_URL: process.env.REDIS_URL }] as [string, Record<string, string>]] : []),
];

describe.each(COUNTERS)('one request budget per owner (RATE_LIMIT_PER_MINUTE=6, so the owner budget defaults to 6), counted %s', (_where, counters) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '6', ...counters } });
    // The admin user's keys share a budget of 6 as well: give the admin key room for the fixtures.
    const admin = await t.gql('{ admin { apiKeys(kind: ADMIN) { nodes { id } } } }', { key: t.adminKey });
    await t.gql(`mutation($id: ID!) { setApiKeyRateLimit(input: { id: $id, requestsPerMinute: 1000 }) { userErrors { message } } }`, {
      key: t.adminKey,
      variables: { id: admin.body.data!.admin.apiKeys.nodes[0].id },
    });
  });
  afterAll(() => t?.close());

  /** A further standard key for `username`, issued on the admin plane (so the owner's budget is not spent making it). */
  const issueKey = async (username: string): Promise<string> => {
    const answer = await rest(t, 'POST', `/v1/admin/users/${username}/keys`, { key: t.adminKey, body: keyBody(uniqueName('k')) });
    expect(answer.status, answer.text).toBe(200);
    return answer.body.api_key;
  };

  /** The global id of the key `secret` is, asked with that key. */
  const globalKeyId = async (secret: string): Promise<string> => (await t.gql('{ viewer { key { id } } }', { key: secret })).body.data!.viewer.key.id;

  it("gives three keys of one owner, over GraphQL and REST together, no more than the owner's 6 requests; another owner is unaffected", async () => {
    const alice = await createUser(t);
    const bob = await createUser(t);
    const keys = [alice.key, await issueKey(alice.username), await issueKey(alice.username)];
    const calls = [(key: string) => t.gql(VIEWER, { key }), (key: string) => rest(t, 'GET', `/v1/users/${alice.username}/algorithms`, { key })];

    const answers = [];
    // Four rounds of one request per key: no key reaches its own budget of 6.
    for (let round = 0; round < 4; round++) {
      for (const [i, key] of keys.entries()) answers.push(await calls[(round + i) % 2]!(key));
    }
    expect(answers.map((a) => a.status)).toEqual([...Array(6).fill(200), ...Array(6).fill(429)]);
    // The headers report the tighter budget, in points: the owner's, once a sibling has spent from
    // it. VIEWER costs 4 points, a REST request 1, of the owner's 600 (6 requests × 100).
    expect(answers.slice(0, 6).map((a) => a.headers.get('ratelimit-remaining'))).toEqual(['596', '595', '591', '590', '586', '585']);
    for (const refused of answers.slice(6)) {
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.headers.get('ratelimit-limit')).toBe('600');
      expect(refused.headers.get('ratelimit-remaining')).toBe('0');
      const message = 'errors' in refused.body ? refused.body.errors[0].message : refused.body.error.message;
      expect(message).toMatch(/^Too many requests by this key's owner \(all its keys together\)/);
    }

    expect((await t.gql(VIEWER, { key: bob.key })).status).toBe(200);
  });

  it("lets a key an operator raised use its own budget within the owner's, while its siblings stop at the owner's", async () => {
    const carol = await createUser(t);
    const raised = await issueKey(carol.username);
    const sibling = await issueKey(carol.username);
    const id = await globalKeyId(raised); // carol's 1st request
    const set = await t.gql(`mutation($id: ID!) { setApiKeyRateLimit(input: { id: $id, requestsPerMinute: 10 }) { userErrors { message } } }`, {
      key: t.adminKey,
      variables: { id },
    });
    expect(set.body.data!.setApiKeyRateLimit.userErrors).toEqual([]);
    for (let i = 0; i < 5; i++) expect((await t.gql(VIEWER, { key: carol.key })).status).toBe(200);
    expect((await t.gql(VIEWER, { key: sibling })).status).toBe(429); // the owner's 7th: past 6
    const raisedAnswers = [];
    for (let i = 0; i < 4; i++) raisedAnswers.push(await t.gql(VIEWER, { key: raised }));
    // The owner's 8th to 10th are within the raised key's 10; the 11th is not.
    expect(raisedAnswers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    // In points (10 requests: 1 000), the owner's is the tighter: 3 (the key's id) + 5 × 4 (VIEWER)
    // + 1 (the sibling's refused request) + 4 spent.
    expect(raisedAnswers[0]!.body.data!.viewer.rateLimit).toEqual({ limit: 1000, remaining: 972 });
  });

});
