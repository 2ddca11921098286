/**
 * The gateway authorizer (docs/AUTHORIZER.md) through a real port, in both forms gateways ask it
 * (nginx: X-Original-Method and X-Original-URI; Envoy: the original method on /v1/authorize + the
 * original path): every rule and every reason of its contract, the headers it answers, and how
 * soon changes made through GraphQL reach it, in this instance and in another.
 */
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys, organizationMembers, owners } from '../src/db/schema.js';
import { createOrganization, createTestDatabase, createUser, localId, ON_POSTGRES, startTestApp, type TestApp } from './helpers/app.js';
import { authorize, send, type Authorization, type GatewayForm } from './helpers/authorize.js';

// Long TTLs: whatever the authorizer learns of a change in time, it learned from a notification.
const env = { ALGORITHM_CACHE_TTL_MS: '300000', KEY_CACHE_TTL_MS: '300000', METRICS_PORT: '0' };
const FORMS: GatewayForm[] = ['nginx', 'envoy'];

let t: TestApp;
let port: number;

type Payload = Record<string, any>;

async function mustGql(query: string, key: string, variables?: Record<string, unknown>): Promise<Payload> {
  const response = await t.gql(query, { key, variables });
  const data = response.body.data;
  const userErrors = data && Object.values(data).flatMap((field: any) => field?.userErrors ?? []);
  if (response.body.errors || userErrors?.length) throw new Error(`${query}: ${JSON.stringify(response.body)}`);
  return data!;
}

async function createAlgorithm(key: string, name: string, owner?: string): Promise<string> {
  const data = await mustGql(
    'mutation($input: CreateAlgorithmInput!) { createAlgorithm(input: $input) { algorithm { id } userErrors { message } } }',
    key,
    { input: { name, owner, details: { label: name }, settings: { language: 'PYTHON3', environment: 'CPU' } } },
  );
  return data.createAlgorithm.algorithm.id;
}

async function publish(key: string, id: string, versionType: string, callability: 'PUBLIC' | 'PRIVATE'): Promise<{ semanticVersion: string; gitHash: string }> {
  const data = await mustGql(
    'mutation($input: PublishAlgorithmInput!) { publishAlgorithm(input: $input) { version { semanticVersion gitHash } userErrors { message } } }',
    key,
    { input: { id, versionType, callability } },
  );
  return data.publishAlgorithm.version;
}

async function createKey(key: string, input: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const data = await mustGql(
    'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } secret userErrors { message } } }',
    key,
    { input },
  );
  return { id: data.createApiKey.apiKey.id, secret: data.createApiKey.secret };
}

const ADMIN_DELETE = 'mutation($id: ID!) { adminDeleteAlgorithm(input: { id: $id }) { deletedAlgorithmId userErrors { message } } }';

/** Names, ids and keys the table refers to as `{alice}`, `{mixedId}`, … and by key name. */
const names: Record<string, string> = {};
const keys: Record<string, string> = {};

const filled = (text: string) => text.replace(/\{(\w+)\}/g, (_, name: string) => names[name] ?? `{${name}}`);

const NATIVE_ONLY = { allowNativeClients: true, allowBrowser: false, referrerHosts: [] };

beforeAll(async () => {
  t = await startTestApp({ env });
  port = await t.app.listen(0, '127.0.0.1');
  const [alice, bob, boss, member] = await Promise.all([createUser(t), createUser(t), createUser(t), createUser(t)]);
  Object.assign(names, { alice: alice.username, bob: bob.username });
  Object.assign(keys, { alice: alice.key, bob: bob.key, boss: boss.key, member: member.key, admin: t.adminKey, bad: 'simNotAKeyAtAll' });

  const mixed = await createAlgorithm(alice.key, 'mixed');
  const versions: [string, 'PUBLIC' | 'PRIVATE'][] = [
    ['MINOR', 'PRIVATE'], // 0.1.0
    ['MAJOR', 'PUBLIC'], // 1.0.0
    ['MINOR', 'PUBLIC'], // 1.1.0
    ['REVISION', 'PUBLIC'], // 1.1.1
    ['MAJOR', 'PRIVATE'], // 2.0.0
  ];
  for (const [versionType, callability] of versions) {
    const { semanticVersion, gitHash } = await publish(alice.key, mixed, versionType, callability);
    if (semanticVersion === '1.0.0') names.hash100 = gitHash;
  }
  await createAlgorithm(alice.key, 'unpublished');
  const secret = await createAlgorithm(alice.key, 'secret');
  await publish(alice.key, secret, 'MAJOR', 'PRIVATE');
  Object.assign(names, { mixedId: localId(mixed), secretId: localId(secret) });

  const org = await createOrganization(t, [boss.username], [member.username]);
  names.org = org;
  const team = await createAlgorithm(boss.key, 'team', org);
  await publish(boss.key, team, 'MAJOR', 'PUBLIC');
  await publish(boss.key, team, 'MAJOR', 'PRIVATE');
  const orgKey = await mustGql(
    'mutation($input: AdminCreateApiKeyInput!) { adminCreateApiKey(input: $input) { secret userErrors { message } } }',
    t.adminKey,
    { input: { name: 'org-data', username: boss.username, organization: org, dataAccess: 'READ_WRITE' } },
  );
  keys.org = orgKey.adminCreateApiKey.secret;

  const bobKey = (input: Record<string, unknown>) => createKey(bob.key, { algorithmAccess: ['algo://*'], ...input }).then((made) => made.secret);
  Object.assign(keys, {
    listed: await bobKey({ name: 'listed', algorithmAccess: [`algo://${alice.username}/mixed`] }),
    unlisted: await bobKey({ name: 'unlisted', algorithmAccess: ['algo://somebody_else/*'] }),
    browser: await bobKey({ name: 'browser', callerOrigin: { allowNativeClients: false, allowBrowser: true, referrerHosts: ['app.example.com'] } }),
    native: await bobKey({ name: 'native', callerOrigin: NATIVE_ONLY }),
    dataNone: await bobKey({ name: 'data-none' }),
    dataRead: await bobKey({ name: 'data-read', dataAccess: 'READ' }),
    dataRW: await bobKey({ name: 'data-rw', dataAccess: 'READ_WRITE' }),
  });
  const disabled = await createKey(bob.key, { name: 'disabled' });
  await mustGql('mutation($id: ID!) { updateApiKey(input: { id: $id, disabled: true }) { userErrors { message } } }', bob.key, { id: disabled.id });
  const revoked = await createKey(bob.key, { name: 'revoked' });
  await mustGql('mutation($id: ID!) { revokeApiKey(input: { id: $id }) { userErrors { message } } }', bob.key, { id: revoked.id });
  const expired = await createKey(bob.key, { name: 'expired' });
  await t.app.database.db.update(apiKeys).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(apiKeys.id, localId(expired.id)));
  Object.assign(keys, { disabled: disabled.secret, revoked: revoked.secret, expired: expired.secret });
});
afterAll(() => t?.close());

/** A call as the table writes it: `{name}`s filled, the key by its name ('none': no key). */
interface Row {
  key: string;
  method: string;
  uri: string;
  headers?: Record<string, string>;
  /** 200 with this version, or refused for this reason (its status follows from it). */
  expect: { version: string; algorithm?: string } | { reason: string } | 'allowed';
}

const ask = (form: GatewayForm, row: Pick<Row, 'key' | 'method' | 'uri' | 'headers'>) =>
  authorize(port, form, { method: row.method, uri: filled(row.uri), key: row.key === 'none' ? undefined : keys[row.key], headers: row.headers });

const STATUS: Record<string, number> = { BAD_REQUEST: 400, UNAUTHENTICATED: 401, RATE_LIMITED: 429 };

function expectAnswer(answer: Authorization, expected: Row['expect']): void {
  if (expected === 'allowed' || 'version' in expected) {
    expect({ status: answer.status, reason: answer.headers['x-algoplane-reason'], body: answer.body }).toEqual({ status: 200, reason: undefined, body: '' });
    if (expected !== 'allowed') {
      expect(answer.headers['x-algoplane-version']).toBe(expected.version);
      expect(answer.headers['x-algoplane-algorithm']).toBe(filled(expected.algorithm ?? '{alice}/mixed'));
    }
    return;
  }
  const status = STATUS[expected.reason] ?? 403;
  expect({ status: answer.status, reason: answer.headers['x-algoplane-reason'], real: answer.headers['x-algoplane-status'] }).toEqual({
    status,
    reason: expected.reason,
    real: String(status),
  });
}

const POST = 'POST';
const algorithmRows: [string, Row][] = [
  ['none: the newest PUBLIC version', { key: 'bob', method: POST, uri: '/v1/algo/{alice}/mixed', expect: { version: '1.1.1' } }],
  ['latest, said outright', { key: 'bob', method: POST, uri: '/v1/algo/{alice}/mixed/latest', expect: { version: '1.1.1' } }],
  ['latestPrivate for the owner: the newest of all', { key: 'alice', method: POST, uri: '/v1/algo/{alice}/mixed/latestPrivate', expect: { version: '2.0.0' } }],
  [
    'latestPrivate for a member of the owning organization',
    { key: 'member', method: POST, uri: '/v1/algo/{org}/team/latestPrivate', expect: { version: '2.0.0', algorithm: '{org}/team' } },
  ],
  ['latestPrivate for anyone else: refused, never a PUBLIC version', { key: 'bob', method: POST, uri: '/v1/algo/{alice}/mixed/latestPrivate', expect: { reason: 'LATEST_PRIVATE_NOT_ALLOWED' } }],
  ["latestPrivate of an organization's algorithm for a non-member", { key: 'bob', method: POST, uri: '/v1/algo/{org}/team/latestPrivate', expect: { reason: 'LATEST_PRIVATE_NOT_ALLOWED' } }],
  ['1.0.*: the newest PUBLIC 1.0.x', { key: 'bob', method: POST, uri: '/v1/algo/{alice}/mixed/1.0.*', expect: { version: '1.0.0' } }],
  ['1.*: the newest PUBLIC 1.x', { key: 'bob', method: POST, uri: '/v1/algo/{alice}/mixed/1.*', expect: { version: '1.1.1' } }],
  ['2.*: no PUBLIC 2.x, even for the owner', { key: 'alice', method: POST, uri: '/v1/algo/{alice}/mixed/2.*', expect: { reason: 'VERSION_NOT_FOUND' } }],
  ['an exact PUBLIC version', { key: 'bob', method: POST, uri: '/v1/algo/{alice}/mixed/1.0.0', expect: { version: '1.0.0' } }],
  ['an exact PRIVATE version, for the owner', { key: 'alice', method: POST, uri: '/v1/algo/{alice}/mixed/0.1.0', expect: { version: '0.1.0' } }],
  ['an exact PRIVATE version, for anyone else', { key: 'bob', method: POST, uri: '/v1/algo/{alice}/mixed/0.1.0', expect: { reason: 'VERSION_NOT_FOUND' } }],
  ['an exact version that does not exist', { key: 'bob', method: POST, uri: '/v1/algo/{alice}/mixed/9.9.9', expect: { reason: 'VERSION_NOT_FOUND' } }],
  ['a version reference that is none', { key: 'bob', method: POST, uri: '/v1/algo/{alice}/mixed/1.2', expect: { reason: 'VERSION_NOT_FOUND' } }],
  ["a version's git hash", { key: 'bob', method: POST, uri: '/v1/algo/{alice}/mixed/{hash100}', expect: { version: '1.0.0' } }],
  ['the id form', { key: 'bob', method: POST, uri: '/v1/algo/{mixedId}', expect: { version: '1.1.1' } }],
  ['the id form, with a version', { key: 'bob', method: POST, uri: '/v1/algo/{mixedId}/1.0.0', expect: { version: '1.0.0' } }],
  ["a client's trailing slash and query", { key: 'bob', method: POST, uri: '/v1/algo/{alice}/mixed/1.0.0/?timeout=300&stdout=false', expect: { version: '1.0.0' } }],
  ['no PUBLIC version for latest (the owner sees it)', { key: 'alice', method: POST, uri: '/v1/algo/{alice}/unpublished', expect: { reason: 'NO_PUBLIC_VERSION' } }],
  ['a private algorithm of another owner: never revealed', { key: 'bob', method: POST, uri: '/v1/algo/{alice}/secret', expect: { reason: 'NOT_FOUND' } }],
  ['a private algorithm of another owner, by id', { key: 'bob', method: POST, uri: '/v1/algo/{secretId}', expect: { reason: 'NOT_FOUND' } }],
  ['an algorithm that does not exist', { key: 'bob', method: POST, uri: '/v1/algo/{alice}/nothing_here', expect: { reason: 'NOT_FOUND' } }],
  ['a whitelist that covers it', { key: 'listed', method: POST, uri: '/v1/algo/{alice}/mixed', expect: { version: '1.1.1' } }],
  ['a whitelist that does not', { key: 'unlisted', method: POST, uri: '/v1/algo/{alice}/mixed', expect: { reason: 'NOT_IN_ACL' } }],
  ['a whitelist that does not, by id (once found)', { key: 'unlisted', method: POST, uri: '/v1/algo/{mixedId}', expect: { reason: 'NOT_IN_ACL' } }],
];

const originRows: [string, Row][] = [
  ['a browser origin the key allows', { key: 'browser', method: POST, uri: '/v1/algo/{alice}/mixed', headers: { origin: 'https://app.example.com' }, expect: 'allowed' }],
  ['a Referer stands for the origin', { key: 'browser', method: POST, uri: '/v1/algo/{alice}/mixed', headers: { referer: 'https://app.example.com/page' }, expect: 'allowed' }],
  ['a browser origin on a host the key does not list', { key: 'browser', method: POST, uri: '/v1/algo/{alice}/mixed', headers: { origin: 'https://evil.example.net' }, expect: { reason: 'ORIGIN_NOT_ALLOWED' } }],
  ['a native call with a browser-only key', { key: 'browser', method: POST, uri: '/v1/algo/{alice}/mixed', expect: { reason: 'ORIGIN_NOT_ALLOWED' } }],
  ['a browser call with a native-only key', { key: 'native', method: POST, uri: '/v1/algo/{alice}/mixed', headers: { origin: 'https://app.example.com' }, expect: { reason: 'ORIGIN_NOT_ALLOWED' } }],
  ['a browser origin on a data call', { key: 'native', method: 'GET', uri: '/v1/data/.my/x', headers: { origin: 'https://app.example.com' }, expect: { reason: 'ORIGIN_NOT_ALLOWED' } }],
];

const keyRows: [string, Row][] = [
  ['no key', { key: 'none', method: POST, uri: '/v1/algo/{alice}/mixed', expect: { reason: 'UNAUTHENTICATED' } }],
  ['a key that is none', { key: 'bad', method: POST, uri: '/v1/algo/{alice}/mixed', expect: { reason: 'UNAUTHENTICATED' } }],
  ['a disabled key', { key: 'disabled', method: POST, uri: '/v1/algo/{alice}/mixed', expect: { reason: 'UNAUTHENTICATED' } }],
  ['an expired key', { key: 'expired', method: POST, uri: '/v1/algo/{alice}/mixed', expect: { reason: 'UNAUTHENTICATED' } }],
  ['a revoked key', { key: 'revoked', method: POST, uri: '/v1/algo/{alice}/mixed', expect: { reason: 'UNAUTHENTICATED' } }],
  ['an admin key, on an algorithm', { key: 'admin', method: POST, uri: '/v1/algo/{alice}/mixed', expect: { reason: 'ADMIN_KEY' } }],
  ['an admin key, on data', { key: 'admin', method: 'GET', uri: '/v1/data/.my/x', expect: { reason: 'ADMIN_KEY' } }],
];

const DATA_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'];
const dataAccessRows: [string, Row][] = (
  [
    ['dataNone', 'NONE', []],
    ['dataRead', 'READ', ['GET', 'HEAD']],
    ['dataRW', 'READ_WRITE', DATA_METHODS],
  ] as const
).flatMap(([key, access, allowed]) =>
  DATA_METHODS.map((method): [string, Row] => [
    `dataAccess ${access}, ${method}`,
    { key, method, uri: '/v1/data/.my/things/file.txt', expect: (allowed as readonly string[]).includes(method) ? 'allowed' : { reason: 'DATA_ACCESS_DENIED' } },
  ]),
);

const dataRows: [string, Row][] = [
  ["the key owner's data, by name", { key: 'dataRW', method: 'PUT', uri: '/v1/data/{bob}/things/file.txt', expect: 'allowed' }],
  ["another owner's data", { key: 'dataRW', method: 'GET', uri: '/v1/data/{alice}/things/file.txt', expect: { reason: 'NOT_OWN_DATA' } }],
  ['the connector form, .my', { key: 'dataRW', method: 'DELETE', uri: '/v1/connector/data/.my/things/file.txt', expect: 'allowed' }],
  ["the connector form, another owner's", { key: 'dataRead', method: 'GET', uri: '/v1/connector/data/{alice}/things', expect: { reason: 'NOT_OWN_DATA' } }],
  ["a connector to the owner's own storage", { key: 'dataRead', method: 'GET', uri: '/v1/connector/s3+backup/bucket/file.txt', expect: 'allowed' }],
  ["a connector, written with READ only", { key: 'dataRead', method: 'PUT', uri: '/v1/connector/dropbox/file.txt', expect: { reason: 'DATA_ACCESS_DENIED' } }],
  ["Python's /v1/data/<scheme>://…", { key: 'dataRead', method: 'GET', uri: '/v1/data/s3://bucket/file.txt', expect: 'allowed' }],
  ["Java's encoded slashes", { key: 'dataRead', method: 'GET', uri: '/v1/data/{bob}%2Fthings%2Ffile.txt', expect: 'allowed' }],
  ["Java's encoded slashes, another owner's", { key: 'dataRead', method: 'GET', uri: '/v1/data/{alice}%2Fthings', expect: { reason: 'NOT_OWN_DATA' } }],
  ["an organization's data, with its key", { key: 'org', method: 'PUT', uri: '/v1/data/{org}/things/file.txt', expect: 'allowed' }],
  ["an organization's data, with a member's key", { key: 'boss', method: 'GET', uri: '/v1/data/{org}/things/file.txt', expect: { reason: 'NOT_OWN_DATA' } }],
  ['a dot segment in a data path', { key: 'dataRW', method: 'GET', uri: '/v1/data/{bob}/../{alice}/file.txt', expect: { reason: 'BAD_REQUEST' } }],
  ['an encoded dot segment', { key: 'dataRW', method: 'GET', uri: '/v1/data/{bob}%2F..%2F{alice}%2Ffile.txt', expect: { reason: 'BAD_REQUEST' } }],
  ['broken percent-encoding', { key: 'dataRW', method: 'GET', uri: '/v1/data/{bob}/%E0%A4%A', expect: { reason: 'BAD_REQUEST' } }],
];

const unknownRows: [string, Row][] = [
  ['not an algorithm or data call', { key: 'bob', method: 'GET', uri: '/v1/algorithms/{alice}/mixed', expect: { reason: 'UNKNOWN_CALL' } }],
  ['an algorithm path not POSTed', { key: 'bob', method: 'GET', uri: '/v1/algo/{alice}/mixed', expect: { reason: 'UNKNOWN_CALL' } }],
  ['a method the Data API does not serve', { key: 'dataRW', method: 'OPTIONS', uri: '/v1/data/.my/x', expect: { reason: 'UNKNOWN_CALL' } }],
];

const ROWS = [...algorithmRows, ...originRows, ...keyRows, ...dataAccessRows, ...dataRows, ...unknownRows];

describe.each(FORMS)('as %s asks', (form) => {
  it.each(ROWS)('%s', async (_label, row) => {
    expectAnswer(await ask(form, row), row.expect);
  });
});

describe('the decision is the one GraphQL algorithmAccess makes', () => {
  const ACCESS = 'query($ref: String!) { algorithmAccess(ref: $ref) { reason } seen: algorithm(ref: $ref) { id } }';
  // GraphQL takes references by name only, and refuses one that is none as bad input.
  const byName = algorithmRows.filter(([, row]) => !/\{\w+Id\}|\?|\/1\.2$/.test(row.uri));

  it.each(byName)('%s', async (_label, row) => {
    const ref = filled(row.uri).slice('/v1/algo/'.length);
    const data = await mustGql(ACCESS, keys[row.key]!, { ref });
    const reason = row.expect === 'allowed' || 'version' in row.expect ? 'ALLOWED' : row.expect.reason;
    expect(data.algorithmAccess.reason).toBe(reason);
    // The in-memory visibility agrees with the catalogue's SQL: found unless NOT_FOUND (or refused before looking).
    if (reason !== 'NOT_IN_ACL') expect(data.seen === null).toBe(reason === 'NOT_FOUND');
  });
});

describe('what it answers', () => {
  it('allows with who calls, the data access granted, the algorithm and the version, and the budget', async () => {
    const viewer = await mustGql('{ viewer { key { id } } }', keys.bob!);
    for (const form of FORMS) {
      const answer = await authorize(port, form, { method: POST, uri: filled('/v1/algo/{alice}/mixed/1.*'), key: keys.bob, headers: { 'x-request-id': 'gateway-1' } });
      expect(answer.status).toBe(200);
      expect(answer.body).toBe('');
      expect(answer.headers).toMatchObject({
        'x-request-id': 'gateway-1',
        'x-algoplane-key-id': viewer.viewer.key.id,
        'x-algoplane-owner': names.bob,
        'x-algoplane-data-access': 'READ_WRITE',
        'x-algoplane-algorithm': `${names.alice}/mixed`,
        'x-algoplane-version': '1.1.1',
        'ratelimit-limit': expect.stringMatching(/^\d+$/),
        'ratelimit-remaining': expect.stringMatching(/^\d+$/),
        'ratelimit-reset': expect.stringMatching(/^\d+$/),
      });
      const data = await authorize(port, form, { method: 'GET', uri: '/v1/data/.my/x', key: keys.dataRead });
      expect(data.headers['x-algoplane-data-access']).toBe('READ');
      expect(data.headers['x-algoplane-algorithm']).toBeUndefined();
    }
  });

  it('refuses with the error envelope, in the body and on one header line, and the reason', async () => {
    const answer = await authorize(port, 'nginx', { method: POST, uri: filled('/v1/algo/{alice}/secret'), key: keys.bob, headers: { 'x-request-id': 'gateway-2' } });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toEqual({ error: { id: 'gateway-2', code: 1000, message: 'No such algorithm, or not one the key may see.' } });
    expect(answer.headers['x-algoplane-error']).toBe(answer.body);
    expect(answer.headers).toMatchObject({ 'x-algoplane-status': '403', 'x-algoplane-reason': 'NOT_FOUND', 'content-type': 'application/json' });

    const unauthenticated = await authorize(port, 'envoy', { method: POST, uri: filled('/v1/algo/{alice}/mixed') });
    expect(unauthenticated.headers['www-authenticate']).toMatch(/^Simple /);
    expect(JSON.parse(unauthenticated.body).error).toMatchObject({ code: 2002, message: 'authorization required' });

    const origin = await authorize(port, 'nginx', { method: POST, uri: filled('/v1/algo/{alice}/mixed'), key: keys.native, headers: { origin: 'https://app.example.com' } });
    expect(JSON.parse(origin.body).error.message).toBe('This key may not be used from web browsers.');
  });

  it('tells what is wrong with how the call was given: 400 BAD_REQUEST', async () => {
    const cases: [string, Record<string, string>][] = [
      ['/v1/authorize', {}],
      ['/v1/authorize', { 'x-original-uri': '/v1/algo/a/b' }],
      ['/v1/authorize', { 'x-original-method': 'POST', 'x-original-uri': `/v1/algo/a/b?${'x'.repeat(8192)}` }],
      ['/v1/authorize', { 'x-original-method': 'POST', 'x-original-uri': 'http://elsewhere/v1/algo/a/b' }],
      [`/v1/authorize/v1/algo/a/b?${'x'.repeat(8192)}`, {}],
    ];
    for (const [path, headers] of cases) {
      const answer = await send(port, 'POST', path, { authorization: `Simple ${keys.bob}`, ...headers });
      expect({ status: answer.status, reason: answer.headers['x-algoplane-reason'] }).toEqual({ status: 400, reason: 'BAD_REQUEST' });
    }
  });

  it('takes X-Original-URI over the path when a gateway sends both', async () => {
    const answer = await send(port, 'GET', '/v1/authorize/v1/algorithms/x', {
      authorization: `Simple ${keys.bob}`,
      'x-original-method': 'POST',
      'x-original-uri': filled('/v1/algo/{alice}/mixed'),
    });
    expect(answer.status).toBe(200);
  });

  it('spends the key budget: 429 with Retry-After, or 403 carrying the real status for nginx', async () => {
    const budgeted = await createKey(keys.bob!, { name: 'budgeted', algorithmAccess: ['algo://*'] });
    await mustGql('mutation($id: ID!) { setApiKeyRateLimit(input: { id: $id, requestsPerMinute: 2 }) { userErrors { message } } }', t.adminKey, {
      id: budgeted.id,
    });
    const call = { method: POST, uri: filled('/v1/algo/{alice}/mixed'), key: budgeted.secret };
    expect((await authorize(port, 'nginx', call)).status).toBe(200);
    expect((await authorize(port, 'envoy', call)).status).toBe(200);
    const spent = await authorize(port, 'envoy', call);
    expect(spent.status).toBe(429);
    expect(spent.headers).toMatchObject({ 'x-algoplane-reason': 'RATE_LIMITED', 'ratelimit-remaining': '0', 'retry-after': expect.stringMatching(/^\d+$/) });
    const forNginx = await authorize(port, 'nginx', { ...call, headers: { 'x-algoplane-refusal-status': '403' } });
    expect(forNginx.status).toBe(403);
    expect(forNginx.headers).toMatchObject({ 'x-algoplane-status': '429', 'x-algoplane-reason': 'RATE_LIMITED', 'retry-after': expect.stringMatching(/^\d+$/) });
  });

  it('answers every refusal but 401 as 403 when asked to, keeping the real status', async () => {
    const asked = { 'x-algoplane-refusal-status': '403' };
    const badRequest = await send(port, 'GET', '/v1/authorize', { authorization: `Simple ${keys.bob}`, ...asked });
    expect([badRequest.status, badRequest.headers['x-algoplane-status']]).toEqual([403, '400']);
    const unauthenticated = await authorize(port, 'nginx', { method: POST, uri: '/v1/algo/a/b', headers: asked });
    expect([unauthenticated.status, unauthenticated.headers['x-algoplane-status']]).toEqual([401, '401']);
  });
});

describe('changes reach it', () => {
  const algorithmCall = (key: string, ref: string) => authorize(port, 'nginx', { method: POST, uri: `/v1/algo/${ref}`, key });
  const reasonOf = async (key: string, ref: string) => {
    const answer = await algorithmCall(key, ref);
    return answer.status === 200 ? answer.headers['x-algoplane-version'] : answer.headers['x-algoplane-reason'];
  };

  it('reads an algorithm once, then decides from memory', async () => {
    const id = await createAlgorithm(keys.alice!, 'remembered');
    await publish(keys.alice!, id, 'MAJOR', 'PUBLIC');
    await reasonOf(keys.bob!, `${names.alice}/mixed`); // the key verified and cached
    const before = t.queries.length;
    expect(await reasonOf(keys.bob!, `${names.alice}/remembered`)).toBe('1.0.0');
    expect(t.queries.length - before).toBe(1);
    for (let i = 0; i < 5; i++) expect(await reasonOf(keys.bob!, `${names.alice}/remembered`)).toBe('1.0.0');
    for (let i = 0; i < 3; i++) expect(await reasonOf(keys.bob!, `${names.alice}/never_made`)).toBe('NOT_FOUND');
    expect(t.queries.length - before).toBe(2);
  });

  it('sees a create, a publish, a callability change and a delete through GraphQL at once', async () => {
    const ref = `${names.alice}/fresh`;
    expect(await reasonOf(keys.alice!, ref)).toBe('NOT_FOUND');
    const id = await createAlgorithm(keys.alice!, 'fresh');
    expect(await reasonOf(keys.alice!, ref)).toBe('NO_PUBLIC_VERSION');
    expect(await reasonOf(keys.bob!, ref)).toBe('NOT_FOUND');
    await publish(keys.alice!, id, 'MAJOR', 'PUBLIC');
    expect(await reasonOf(keys.bob!, ref)).toBe('1.0.0');
    await publish(keys.alice!, id, 'MAJOR', 'PRIVATE');
    expect(await reasonOf(keys.bob!, `${ref}/2.0.0`)).toBe('VERSION_NOT_FOUND');
    expect(await reasonOf(keys.alice!, `${ref}/latestPrivate`)).toBe('2.0.0');
    expect(await reasonOf(keys.bob!, ref)).toBe('1.0.0');
    await mustGql(ADMIN_DELETE, t.adminKey, { id });
    expect(await reasonOf(keys.bob!, ref)).toBe('NOT_FOUND');

    const draft = await createAlgorithm(keys.alice!, 'draft');
    await publish(keys.alice!, draft, 'MINOR', 'PRIVATE');
    expect(await reasonOf(keys.alice!, `${names.alice}/draft/latestPrivate`)).toBe('0.1.0');
    await mustGql('mutation($id: ID!) { deleteAlgorithm(input: { id: $id }) { userErrors { message } } }', keys.alice!, { id: draft });
    expect(await reasonOf(keys.alice!, `${names.alice}/draft/latestPrivate`)).toBe('NOT_FOUND');
  });

  it('sees joining and leaving an organization at once', async () => {
    const newcomer = await createUser(t);
    const ref = `${names.org}/team/latestPrivate`;
    expect(await reasonOf(newcomer.key, ref)).toBe('LATEST_PRIVATE_NOT_ALLOWED');
    const MEMBER = (op: string) => `mutation($o: String!, $u: String!) { ${op}(input: { organization: $o, username: $u${op === 'addOrganizationMember' ? ', role: MEMBER' : ''} }) { userErrors { message } } }`;
    await mustGql(MEMBER('addOrganizationMember'), t.adminKey, { o: names.org, u: newcomer.username });
    expect(await reasonOf(newcomer.key, ref)).toBe('2.0.0');
    await mustGql(MEMBER('removeOrganizationMember'), t.adminKey, { o: names.org, u: newcomer.username });
    expect(await reasonOf(newcomer.key, ref)).toBe('LATEST_PRIVATE_NOT_ALLOWED');
  });

  it('sees a membership changed behind the server\'s back within a second (the trigger notifies)', async () => {
    const newcomer = await createUser(t);
    const ref = `${names.org}/team/latestPrivate`;
    expect(await reasonOf(newcomer.key, ref)).toBe('LATEST_PRIVATE_NOT_ALLOWED'); // the key now cached
    const [org] = await t.app.database.db.select({ id: owners.id }).from(owners).where(eq(owners.name, names.org!));
    await t.app.database.db.insert(organizationMembers).values({ organizationId: org!.id, userId: localId(newcomer.id), role: 'MEMBER' });
    const started = performance.now();
    while ((await reasonOf(newcomer.key, ref)) !== '2.0.0' && performance.now() - started < 2000) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("sees an organization's algorithms go with it", async () => {
    const owner = await createUser(t);
    const org = await createOrganization(t, [owner.username]);
    const inside = await createAlgorithm(owner.key, 'inside', org);
    await publish(owner.key, inside, 'MINOR', 'PRIVATE');
    expect(await reasonOf(owner.key, `${org}/inside/latestPrivate`)).toBe('0.1.0');
    await mustGql('mutation($o: String!) { deleteOrganization(input: { organization: $o }) { userErrors { message } } }', t.adminKey, { o: org });
    const started = performance.now();
    while ((await reasonOf(owner.key, `${org}/inside/latestPrivate`)) !== 'NOT_FOUND' && performance.now() - started < 2000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it.skipIf(!ON_POSTGRES)('reaches a second instance on the same Postgres within a second (skipped on PGlite: one process only)', async () => {
    const database = await createTestDatabase();
    const a = await startTestApp({ env, database });
    const b = await startTestApp({ env, database });
    try {
      const bPort = await b.app.listen(0, '127.0.0.1');
      const [owner, caller] = [await createUser(a), await createUser(a)];
      const ref = `${owner.username}/shared`;
      const askB = async () => {
        const answer = await authorize(bPort, 'nginx', { method: POST, uri: `/v1/algo/${ref}`, key: caller.key });
        return answer.status === 200 ? answer.headers['x-algoplane-version'] : answer.headers['x-algoplane-reason'];
      };
      const msUntil = async (wanted: string) => {
        const started = performance.now();
        while ((await askB()) !== wanted && performance.now() - started < 2000) await new Promise((resolve) => setTimeout(resolve, 10));
        return performance.now() - started;
      };
      const ACCESS = 'query($ref: String!) { algorithmAccess(ref: $ref) { reason } }';
      const id = (await a.gql('mutation($input: CreateAlgorithmInput!) { createAlgorithm(input: $input) { algorithm { id } } }', {
        key: owner.key,
        variables: { input: { name: 'shared', details: { label: 'Shared' }, settings: { language: 'PYTHON3', environment: 'CPU' } } },
      })).body.data!.createAlgorithm.algorithm.id as string;
      expect(await askB()).toBe('NOT_FOUND'); // now cached in b
      const PUBLISH = 'mutation($id: ID!, $c: Callability!) { publishAlgorithm(input: { id: $id, versionType: MAJOR, callability: $c }) { userErrors { message } } }';
      await a.gql(PUBLISH, { key: owner.key, variables: { id, c: 'PUBLIC' } });
      expect(await msUntil('1.0.0')).toBeLessThan(1000);
      expect((await b.gql(ACCESS, { key: caller.key, variables: { ref } })).body.data!.algorithmAccess.reason).toBe('ALLOWED');
      await a.gql(ADMIN_DELETE, { key: a.adminKey, variables: { id } });
      expect(await msUntil('NOT_FOUND')).toBeLessThan(1000);
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});

describe('metrics', () => {
  it('counts decisions by outcome and reason, under the authorizer transport', async () => {
    await authorize(port, 'nginx', { method: POST, uri: filled('/v1/algo/{alice}/mixed'), key: keys.unlisted });
    const metricsPort = (t.app.metricsServer!.address() as AddressInfo).port;
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toMatch(/algoplane_requests_total\{transport="authorizer",operation="algorithm call",status="200"\} [1-9]/);
    expect(text).toMatch(/algoplane_refusals_total\{transport="authorizer",cause="not_in_acl"\} [1-9]/);
    expect(text).toMatch(/algoplane_refusals_total\{transport="authorizer",cause="missing_key"\} [1-9]/);
    expect(text).toMatch(/algoplane_algorithm_cache_lookups_total\{result="hit"\} [1-9]/);
  });

  it('logs each refusal with its reason, never the key', async () => {
    await authorize(port, 'nginx', { method: POST, uri: filled('/v1/algo/{alice}/secret'), key: keys.bob, headers: { 'x-request-id': 'logged-1' } });
    const line = t.logs.find((entry) => entry.requestId === 'logged-1');
    expect(line).toMatchObject({ msg: 'call refused', reason: 'NOT_FOUND', status: 403, method: 'POST', path: filled('/v1/algo/{alice}/secret') });
    expect(JSON.stringify(t.logs)).not.toContain(keys.bob);
  });
});

describe('usage', () => {
  it("counts each decision on a key's call in the key's usage for the day: allowed as calls, refused as refused", async () => {
    const caller = await createUser(t);
    const listed = await createKey(caller.key, { name: 'counted', algorithmAccess: [filled('algo://{alice}/mixed')] });
    const usageOf = async () => (await mustGql('query($id: ID!) { node(id: $id) { ... on ApiKey { usage { calls refused } } } }', caller.key, { id: listed.id })).node.usage;
    await t.app.usage.flush();
    expect(await usageOf()).toEqual([]);
    for (const form of FORMS) {
      expect((await authorize(port, form, { method: POST, uri: filled('/v1/algo/{alice}/mixed'), key: listed.secret })).status).toBe(200);
      expect((await authorize(port, form, { method: POST, uri: filled('/v1/algo/{alice}/secret'), key: listed.secret })).status).toBe(403);
    }
    expect((await authorize(port, 'nginx', { method: 'GET', uri: '/v1/data/.my/file.txt', key: listed.secret })).status).toBe(403);
    // Refused before any key was known: no key's to count.
    expect((await authorize(port, 'nginx', { method: POST, uri: filled('/v1/algo/{alice}/mixed') })).status).toBe(401);
    await t.app.usage.flush();
    expect(await usageOf()).toEqual([{ calls: 2, refused: 3 }]);
  });
});
