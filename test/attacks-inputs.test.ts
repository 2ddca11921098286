/**
 * Issue 15, bounded inputs: a key's whitelist is capped (MAX_ACL_ENTRIES) and its redundancy
 * analysis is linear and done once per key per request; every free string and list is bounded, the
 * limit named in the error; one-line names refuse control, bidi and zero-width characters. Through
 * both transports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAcl, parseAcl } from '../src/auth/acl.js';
import { createUser, startTestApp, uniqueName, type TestApp } from './helpers/app.js';
import { rest } from './helpers/rest.js';

let t: TestApp;
let user: { key: string; username: string; id: string };
beforeAll(async () => {
  t = await startTestApp();
  user = await createUser(t);
});
afterAll(() => t?.close());

const CREATE_KEY = `mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { apiKey { id } userErrors { field message code } }
}`;
const UPDATE_KEY = `mutation($input: UpdateApiKeyInput!) {
  updateApiKey(input: $input) { apiKey { id } userErrors { field message code } }
}`;

type UserError = { field: string[] | null; message: string; code: string };

async function createKey(input: Record<string, unknown>, key = user.key): Promise<{ apiKey: { id: string } | null; userErrors: UserError[] }> {
  const response = await t.gql(CREATE_KEY, { key, variables: { input } });
  expect(response.status).toBe(200);
  return response.body.data!.createApiKey;
}

/** A top-level error for a query argument: a client error, its message naming the argument and the limit. */
async function refusedQuery(query: string, variables: Record<string, unknown>, message: string, key = user.key): Promise<void> {
  const response = await t.gql(query, { key, variables });
  expect(response.status).toBeLessThan(500);
  expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expect(response.body.errors?.[0]?.message).toBe(message);
}

const entries = (n: number, prefix = 'd') => Array.from({ length: n }, (_, i) => `algo://${prefix}/a${i}`);

describe('the whitelist is capped at MAX_ACL_ENTRIES (default 100)', () => {
  it('refuses 5,000 entries (84 KB) with one error naming the field and the limit, and creates nothing', async () => {
    const { apiKey, userErrors } = await createKey({ name: uniqueName('key'), algorithmAccess: entries(5000) });
    expect(apiKey).toBeNull();
    // One error: the list is counted before any entry is read.
    expect(userErrors).toEqual([{ code: 'INVALID', field: ['algorithmAccess'], message: 'algorithmAccess: must be at most 100 entries' }]);
  });

  it('refuses 101 entries on update too, and accepts exactly 100', async () => {
    const made = await createKey({ name: uniqueName('key'), algorithmAccess: entries(100) });
    expect(made.userErrors).toEqual([]);
    const response = await t.gql(UPDATE_KEY, { key: user.key, variables: { input: { id: made.apiKey!.id, algorithmAccess: entries(101) } } });
    expect(response.body.data!.updateApiKey.userErrors).toEqual([
      { code: 'INVALID', field: ['algorithmAccess'], message: 'algorithmAccess: must be at most 100 entries' },
    ]);
  });

  it('REST shares the same limit and the same words', async () => {
    const answer = await rest(t, 'POST', `/v1/admin/users/${user.username}/keys`, {
      key: t.adminKey,
      body: {
        key_label: uniqueName('key'),
        key_type: 'AlgorithmKey',
        permissions: { allow_data: false, allow_data_write: false, allow_algo: true, allow_web_algo: false, algo_acl: entries(101) },
      },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toBe('permissions.algo_acl: must be at most 100 entries');
  });

  it('refuses an entry longer than 100 characters, naming its position and the limit', async () => {
    const { userErrors } = await createKey({ name: uniqueName('key'), algorithmAccess: ['algo://demos/*', `algo://${'a'.repeat(100)}`] });
    expect(userErrors).toEqual([{ code: 'INVALID', field: ['algorithmAccess', '1'], message: 'algorithmAccess.1: must be at most 100 characters' }]);
  });

  it('analyses redundancy once per stored whitelist, in linear work: 20,000 entries, the quadratic way 400 million comparisons', () => {
    // Once per stored whitelist: a key read again (another alias, the same request) is not analysed again.
    const stored = ['algo://*', 'algo://a/b/*'];
    expect(describeAcl(stored)).toBe(describeAcl(stored));
    const input = ['algo://*', ...Array.from({ length: 20_000 }, (_, i) => `algo://owner_${i % 500}/name_${i}`), ...Array.from({ length: 500 }, (_, i) => `algo://owner_${i}/*`)];
    const parsed = parseAcl(input);
    expect(parsed.errors).toEqual([]);
    expect(parsed.redundant).toHaveLength(input.length - 1);
    expect(parsed.redundant.every((r) => r.coveredBy === 'algo://*')).toBe(true);
    const described = describeAcl(parsed.entries.slice(1));
    expect(described.filter((d) => d.coveredBy === null)).toHaveLength(500);
    expect(described.find((d) => d.entry === 'algo://owner_7/name_7/*')?.coveredBy).toBe('algo://owner_7/*');
  });

  it('caps referrer hosts at 100, and each at 253 characters', async () => {
    const hosts = Array.from({ length: 101 }, (_, i) => `h${i}.example.com`);
    const many = await createKey({ name: uniqueName('key'), callerOrigin: { allowBrowser: true, referrerHosts: hosts } });
    expect(many.userErrors).toEqual([
      { code: 'INVALID', field: ['callerOrigin', 'referrerHosts'], message: 'callerOrigin.referrerHosts: must be at most 100 entries' },
    ]);
    const long = await createKey({ name: uniqueName('key'), callerOrigin: { allowBrowser: true, referrerHosts: [`${'a.'.repeat(130)}com`] } });
    expect(long.userErrors).toEqual([
      { code: 'INVALID', field: ['callerOrigin', 'referrerHosts', '0'], message: 'callerOrigin.referrerHosts.0: must be at most 253 characters' },
    ]);
  });
});

describe('one-line names refuse control, bidi and zero-width characters', () => {
  const RULE = 'must not contain control, bidi or zero-width characters';

  it.each([
    ['a zero-width space', 'default-key\u200b', 'U+200B'],
    ['a right-to-left override', 'key\u202egnp.exe', 'U+202E'],
    ['a bidi isolate', '\u2066key', 'U+2066'],
    ['a zero-width joiner', 'ke\u200dy', 'U+200D'],
    ['a byte order mark', 'ke\ufeffy', 'U+FEFF'],
    ['a line separator', 'key\u2028two', 'U+2028'],
    ['a control character', 'key\u0007', 'U+0007'],
  ])('refuses a key name with %s', async (_what, name, found) => {
    const { apiKey, userErrors } = await createKey({ name });
    expect(apiKey).toBeNull();
    expect(userErrors).toEqual([{ code: 'INVALID', field: ['name'], message: `name: ${RULE} (found ${found})` }]);
  });

  it('refuses them in a key rename, and still takes names in any script, with emoji and spaces', async () => {
    const made = await createKey({ name: uniqueName('key') });
    const rename = (name: string) => t.gql(UPDATE_KEY, { key: user.key, variables: { input: { id: made.apiKey!.id, name } } });
    expect((await rename('renamed\u200b')).body.data!.updateApiKey.userErrors).toEqual([
      { code: 'INVALID', field: ['name'], message: `name: ${RULE} (found U+200B)` },
    ]);
    expect((await rename(`Ключ 鍵 مفتاح 🔑 ${uniqueName('k')}`)).body.data!.updateApiKey.userErrors).toEqual([]);
  });

  it("refuses them in a user's full name, company name and role", async () => {
    const username = uniqueName();
    const response = await t.gql(
      `mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } userErrors { field message } } }`,
      { key: t.adminKey, variables: { input: { username, email: `${username}@example.com`, fullName: 'Ada\u200b', companyName: 'Acme\u202e', companyRole: 'CTO\u2067' } } },
    );
    expect(response.body.data!.createUser.user).toBeNull();
    expect(response.body.data!.createUser.userErrors).toEqual([
      { field: ['fullName'], message: `fullName: ${RULE} (found U+200B)` },
      { field: ['companyName'], message: `companyName: ${RULE} (found U+202E)` },
      { field: ['companyRole'], message: `companyRole: ${RULE} (found U+2067)` },
    ]);
  });

  it("refuses them in an organization's label and contact name", async () => {
    const name = uniqueName('Org');
    const response = await t.gql(
      `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } userErrors { field message } } }`,
      { key: t.adminKey, variables: { input: { name, label: 'Acme\u200c', contactName: 'Bob\u061c', owners: [user.username] } } },
    );
    expect(response.body.data!.createOrganization.userErrors).toEqual([
      { field: ['label'], message: `label: ${RULE} (found U+200C)` },
      { field: ['contactName'], message: `contactName: ${RULE} (found U+061C)` },
    ]);
  });

  it("refuses them in an algorithm's label", async () => {
    const response = await t.gql(
      `mutation($input: CreateAlgorithmInput!) { createAlgorithm(input: $input) { algorithm { id } userErrors { field message } } }`,
      { key: user.key, variables: { input: { name: uniqueName('algo'), details: { label: 'Hello\u200b' }, settings: { language: 'PYTHON3', environment: 'CPU' } } } },
    );
    expect(response.body.data!.createAlgorithm.userErrors).toEqual([{ field: ['details', 'label'], message: `details.label: ${RULE} (found U+200B)` }]);
  });

  it('REST refuses them in a key label, a user profile and an organization label', async () => {
    const key = await rest(t, 'POST', `/v1/admin/users/${user.username}/keys`, {
      key: t.adminKey,
      body: {
        key_label: 'default-key\u200b',
        key_type: 'AlgorithmKey',
        permissions: { allow_data: false, allow_data_write: false, allow_algo: true, allow_web_algo: false, algo_acl: [] },
      },
    });
    expect(key.status).toBe(400);
    expect(key.body.error.message).toBe(`key_label: ${RULE} (found U+200B)`);

    const username = uniqueName();
    const person = await rest(t, 'POST', '/v1/users', { key: t.adminKey, body: { username, email: `${username}@example.com`, fullname: 'Ada\u202eL' } });
    expect(person.status).toBe(400);
    expect(person.body.error.message).toBe(`fullname: ${RULE} (found U+202E)`);

    const organization = await rest(t, 'POST', '/v1/organizations', { key: t.adminKey, body: { org_name: uniqueName('Org'), org_label: 'Acme\u2069' } });
    expect(organization.status).toBe(400);
    expect(organization.body.error.message).toBe(`org_label: ${RULE} (found U+2069)`);
  });
});

describe('every free argument is bounded, the limit named', () => {
  const long = (n: number) => 'a'.repeat(n);

  it('algorithm(ref:) and algorithmAccess(ref:, origin:)', async () => {
    await refusedQuery('query($ref: String!) { algorithm(ref: $ref) { id } }', { ref: `demos/${long(200)}` }, 'ref: must be at most 200 characters');
    await refusedQuery('query($ref: String!) { algorithmAccess(ref: $ref) { allowed } }', { ref: `demos/${long(200)}` }, 'ref: must be at most 200 characters');
    await refusedQuery(
      'query($origin: String) { algorithmAccess(ref: "demos/x", origin: $origin) { allowed } }',
      { origin: `https://${long(300)}.com` },
      'origin: must be at most 300 characters',
    );
  });

  it('names to look up: user, organization, algorithms(owner:), apiKeys(owner:)', async () => {
    await refusedQuery('query($u: String!) { user(username: $u) { id } }', { u: long(31) }, 'username: must be at most 30 characters');
    await refusedQuery('query($n: String!) { organization(name: $n) { id } }', { n: long(31) }, 'name: must be at most 30 characters');
    await refusedQuery('query($o: String) { algorithms(owner: $o) { totalCount } }', { o: long(31) }, 'owner: must be at most 30 characters');
    await refusedQuery('query($o: String) { apiKeys(owner: $o) { totalCount } }', { o: long(31) }, 'owner: must be at most 30 characters');
    await refusedQuery('query($o: String) { admin { apiKeys(owner: $o) { totalCount } } }', { o: long(31) }, 'owner: must be at most 30 characters', t.adminKey);
    await refusedQuery('query($u: String!) { admin { user(username: $u) { id } } }', { u: long(31) }, 'username: must be at most 30 characters', t.adminKey);
  });

  it('search text, audit filters and cursors', async () => {
    await refusedQuery('query($q: String) { admin { users(query: $q) { totalCount } } }', { q: long(101) }, 'query: must be at most 100 characters', t.adminKey);
    await refusedQuery('query($q: String) { admin { organizations(query: $q) { totalCount } } }', { q: long(101) }, 'query: must be at most 100 characters', t.adminKey);
    await refusedQuery('query($id: ID) { admin { auditEvents(targetId: $id) { totalCount } } }', { id: long(101) }, 'targetId: must be at most 100 characters', t.adminKey);
    await refusedQuery('query($c: String) { algorithms(after: $c) { totalCount } }', { c: long(201) }, 'after: must be at most 200 characters');
  });

  it('versions by semver and git hash', async () => {
    const algorithm = await t.gql(
      `mutation($input: CreateAlgorithmInput!) { createAlgorithm(input: $input) { algorithm { name } userErrors { message } } }`,
      { key: user.key, variables: { input: { name: uniqueName('algo'), details: { label: 'Hello' }, settings: { language: 'PYTHON3', environment: 'CPU' } } } },
    );
    const ref = `${user.username}/${algorithm.body.data!.createAlgorithm.algorithm.name}`;
    await refusedQuery('query($r: String!, $v: String!) { algorithm(ref: $r) { version(semver: $v) { id } } }', { r: ref, v: long(51) }, 'semver: must be at most 50 characters');
    await refusedQuery('query($r: String!, $h: String!) { algorithm(ref: $r) { versionByGitHash(gitHash: $h) { id } } }', { r: ref, h: long(41) }, 'gitHash: must be at most 40 characters');
  });

  it('names in mutation inputs', async () => {
    const response = await t.gql(
      `mutation($input: UpdateUserInput!) { updateUser(input: $input) { userErrors { field message } } }`,
      { key: t.adminKey, variables: { input: { username: long(31) } } },
    );
    expect(response.body.data!.updateUser.userErrors).toEqual([{ field: ['username'], message: 'username: must be at most 30 characters' }]);
    const member = await t.gql(
      `mutation($o: String!) { addOrganizationMember(input: { organization: $o, username: "x", role: MEMBER }) { userErrors { field message } } }`,
      { key: t.adminKey, variables: { o: long(31) } },
    );
    expect(member.body.data!.addOrganizationMember.userErrors).toEqual([{ field: ['organization'], message: 'organization: must be at most 30 characters' }]);
    const key = await createKey({ name: uniqueName('key'), owner: long(31) });
    expect(key.userErrors).toEqual([{ code: 'INVALID', field: ['owner'], message: 'owner: must be at most 30 characters' }]);
  });

  it('REST: a name in a path longer than any name is not found without being looked up', async () => {
    // A path that cannot name anything answers 404, as Algorithmia does, before any statement runs.
    for (const [path, key] of [
      [`/v1/users/${long(31)}`, t.adminKey],
      [`/v1/organizations/${long(31)}`, t.adminKey],
      [`/v1/algorithms/${user.username}/${long(31)}`, user.key],
      [`/v1/algorithms/${long(31)}/hello`, user.key],
    ] as const) {
      await rest(t, 'GET', '/v1/algorithms/nobody/nothing', { key }); // the key is verified and cached
      const before = t.queries.length;
      const answer = await rest(t, 'GET', path, { key });
      expect([path, answer.status]).toEqual([path, 404]);
      expect(t.queries.slice(before)).toEqual([]);
    }
  });

  it('REST: a marker names its limit', async () => {
    const page = await rest(t, 'GET', `/v1/users?marker=${long(201)}`, { key: t.adminKey });
    expect(page.status).toBe(400);
    expect(page.body.error.message).toBe('marker: must be at most 200 characters');
  });
});

describe("MAX_ACL_ENTRIES is the operator's", () => {
  // Last in the file: limits are process-wide, set by the app that starts last.
  let big: TestApp;
  let owner: { key: string };
  beforeAll(async () => {
    // A cost and an answer ceiling to match: each alias may return 5,000 entries (both count them).
    big = await startTestApp({ env: { MAX_ACL_ENTRIES: '5000', GRAPHQL_MAX_COST: '1000000', MAX_OBJECTS_PER_REQUEST: '100000' } });
    owner = await createUser(big);
  });
  afterAll(() => big?.close());

  const create = (algorithmAccess: string[]) =>
    big.gql(CREATE_KEY, { key: owner.key, variables: { input: { name: uniqueName('key'), algorithmAccess } } });

  it('a configured cap is the one enforced and named', async () => {
    const response = await create(entries(5001));
    expect(response.body.data!.createApiKey.userErrors).toEqual([
      { code: 'INVALID', field: ['algorithmAccess'], message: 'algorithmAccess: must be at most 5000 entries' },
    ]);
  });

  it('a whitelist of 5,000 entries, all redundant, reads under 15 aliases (6 s per alias before)', async () => {
    // The covering entry last: comparing each entry with the others in order finds it last.
    const whitelist = [...entries(4999), 'algo://*'];
    const made = await create(whitelist);
    expect(made.body.data!.createApiKey.userErrors).toEqual([]);
    const read = (n: number) =>
      big.gql(`query($id: ID!) { ${Array.from({ length: n }, (_, i) => `a${i}: node(id: $id) { ... on ApiKey { algorithmAccess { coveredBy } } }`).join(' ')} }`, {
        key: owner.key,
        variables: { id: made.body.data!.createApiKey.apiKey.id },
      });
    let before = big.queries.length;
    await read(1);
    const statementsForOne = big.queries.length - before;
    before = big.queries.length;
    const many = await read(15);
    // The key is loaded once and its whitelist analysed once, whatever the number of aliases.
    expect(big.queries.length - before, JSON.stringify(many.body.errors)).toBe(statementsForOne);
    expect(many.body.errors, JSON.stringify(many.body.errors)).toBeUndefined();
    const expected = whitelist.map((entry) => ({ coveredBy: entry === 'algo://*' ? null : 'algo://*' }));
    for (let i = 0; i < 15; i += 1) expect(many.body.data![`a${i}`].algorithmAccess).toEqual(expected);
  });
});
