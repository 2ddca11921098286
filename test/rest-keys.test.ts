/**
 * Algorithmia's admin key endpoints over HTTP (REST-CONTRACT.md §6, rows 24–25): an admin gives a
 * user who lost every key a new one, an organization's keys are listed without secrets, and a key
 * is issued for an organization on behalf of a member.
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, createUser, localId, startTestApp, uniqueName, type TestApp } from './helpers/app.js';
import { rest } from './helpers/rest.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const permissions = (overrides: Record<string, unknown> = {}) => ({
  allow_data: false,
  allow_data_write: false,
  allow_algo: true,
  allow_web_algo: false,
  algo_acl: [],
  ...overrides,
});

const creation = (overrides: Record<string, unknown> = {}) => ({
  key_label: 'recovered',
  key_type: 'AlgorithmKey',
  permissions: permissions(),
  ...overrides,
});

async function keysOf(owner: string): Promise<{ name: string }[]> {
  const response = await t.gql(`query($owner: String) { admin { apiKeys(owner: $owner) { nodes { name } } } }`, {
    key: t.adminKey,
    variables: { owner },
  });
  return response.body.data!.admin.apiKeys.nodes;
}

async function createdEvents(): Promise<number> {
  const response = await t.gql(`{ admin { auditEvents(action: API_KEY_CREATED) { totalCount } } }`, { key: t.adminKey });
  return response.body.data!.admin.auditEvents.totalCount;
}

describe('POST /v1/admin/users/{username}/keys', () => {
  it('gives a user who lost every key a working key, its secret shown once and never audited', async () => {
    const user = await createUser(t);
    const own = await t.gql('{ viewer { key { id } } }', { key: user.key });
    const revoked = await t.gql(`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { userErrors { message } } }`, {
      key: user.key,
      variables: { id: own.body.data!.viewer.key.id },
    });
    expect(revoked.body.data!.revokeApiKey.userErrors).toEqual([]);
    expect((await t.gql('{ viewer { key { id } } }', { key: user.key })).status).toBe(401);

    const answer = await rest(t, 'POST', `/v1/admin/users/${user.username}/keys`, {
      key: t.adminKey,
      body: creation({
        permissions: permissions({
          allow_data: true,
          allow_algo_management: true,
          allow_account_management: true,
          algo_acl: [`algo://${user.username}/*`, 'algo://acme/tool'],
          allow_web_algo: true,
          referer_host: 'app.example.com, *.example.org',
        }),
      }),
    });
    expect(answer.status).toBe(200);
    const secret: string = answer.body.api_key;
    expect(secret).toMatch(/^sim/);
    expect(answer.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      username: user.username,
      key_label: 'recovered',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      api_key_mask: expect.stringMatching(/^sim.+…/),
      api_key: secret,
      key_type: 'AlgorithmKey',
      permissions: {
        allow_data: true,
        allow_data_write: false,
        allow_algo: true,
        allow_web_algo: true,
        algo_acl: [`algo://${user.username.toLowerCase()}/*`, 'algo://acme/tool/*'],
        referer_host: 'app.example.com,*.example.org',
        allow_algo_management: true,
        allow_account_management: true,
      },
      owner_name: user.username,
    });

    // The key works, with the permissions it was given: it can manage its owner's keys again.
    const viewer = await t.gql(
      `{ viewer { owner { name } key { name manageAlgorithms manageAccount dataAccess algorithmAccess { pattern }
        callerOrigin { allowNativeClients allowBrowser referrerHosts } } } }`,
      { key: secret },
    );
    expect(viewer.body.data!.viewer).toEqual({
      owner: { name: user.username },
      key: {
        name: 'recovered',
        manageAlgorithms: true,
        manageAccount: true,
        dataAccess: 'READ',
        algorithmAccess: [{ pattern: `algo://${user.username.toLowerCase()}/*` }, { pattern: 'algo://acme/tool/*' }],
        callerOrigin: { allowNativeClients: true, allowBrowser: true, referrerHosts: ['app.example.com', '*.example.org'] },
      },
    });
    const sibling = await t.gql(`mutation { createApiKey(input: { name: "new-laptop" }) { secret userErrors { message } } }`, { key: secret });
    expect(sibling.body.data!.createApiKey.userErrors).toEqual([]);

    // Never again: not in lists, not in the audit trail, not in the logs.
    const listed = await t.gql('{ apiKeys { nodes { name mask } } }', { key: secret });
    expect(listed.body.data!.apiKeys.nodes.map((k: { name: string }) => k.name)).toEqual(['recovered', 'new-laptop']);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    const trail = await t.gql(
      `query($id: ID) { admin { auditEvents(action: API_KEY_CREATED, targetId: $id) { nodes { actorVia actorUser { username } summary } } } }`,
      { key: t.adminKey, variables: { id: encodeGlobalID('ApiKey', answer.body.id) } },
    );
    const events = trail.body.data!.admin.auditEvents.nodes;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actorVia: 'api',
      actorUser: { username: 'admin' },
      summary: { name: 'recovered', kind: 'STANDARD', ownerId: localId(user.id) },
    });
    expect(events[0].summary.permissions).toMatchObject({ manageAccount: true, dataAccess: 'READ' });
    expect(JSON.stringify(trail.body)).not.toContain(secret);
    expect(JSON.stringify(t.logs)).not.toContain(secret);
  });

  it('gives a new key no account management unless asked, and the defaults of every new key', async () => {
    const user = await createUser(t);
    const answer = await rest(t, 'POST', `/v1/admin/users/${user.username}/keys`, { key: t.adminKey, body: creation() });
    expect(answer.status).toBe(200);
    expect(answer.body.permissions).toEqual({
      allow_data: false,
      allow_data_write: false,
      allow_algo: true,
      allow_web_algo: false,
      algo_acl: [],
      allow_algo_management: false,
      allow_account_management: false,
    });
    const denied = await t.gql(`mutation { createApiKey(input: { name: "x" }) { secret } }`, { key: answer.body.api_key });
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses invalid bodies naming the field, and writes nothing', async () => {
    const user = await createUser(t);
    const before = { keys: await keysOf(user.username), events: await createdEvents() };
    const cases: [body: unknown, field: RegExp][] = [
      [creation({ permissions: permissions({ algo_acl: ['algo://*', 'https://nope'] }) }), /^permissions\.algo_acl\.1: /],
      [creation({ key_type: 'PlatformAdminKey' }), /^key_type: must be AlgorithmKey: .*createAdminApiKey/],
      [creation({ key_type: 'ManagementKey' }), /^key_type: /],
      [{ key_type: 'AlgorithmKey', permissions: permissions() }, /^key_label: is required/],
      [creation({ key_label: '   ' }), /^key_label: must not be empty/],
      [creation({ key_label: 'x'.repeat(65) }), /^key_label: must be at most 64 characters/],
      [creation({ permissions: undefined }), /^permissions: is required/],
      [creation({ permissions: permissions({ allow_data_write: true }) }), /^permissions\.allow_data_write: needs allow_data/],
      [creation({ permissions: permissions({ allow_web_algo: true, referer_host: 'ok.example.com,bad host' }) }), /^permissions\.referer_host\.1: /],
      [creation({ permissions: permissions({ algo_acl: Array.from({ length: 101 }, () => 'algo://*') }) }), /^permissions\.algo_acl: /],
    ];
    for (const [body, field] of cases) {
      const answer = await rest(t, 'POST', `/v1/admin/users/${user.username}/keys`, { key: t.adminKey, body });
      expect(answer.status, JSON.stringify(body).slice(0, 200)).toBe(400);
      expect(answer.body.error.code).toBe(6001);
      expect(answer.body.error.message).toMatch(field);
    }
    expect(await keysOf(user.username)).toEqual(before.keys);
    expect(await createdEvents()).toBe(before.events);
  });

  it('answers 409 for a key_label the user already has, 404 3000 for no such user or an organization', async () => {
    const user = await createUser(t);
    const taken = await rest(t, 'POST', `/v1/admin/users/${user.username}/keys`, { key: t.adminKey, body: creation({ key_label: 'default-key' }) });
    expect(taken.status).toBe(409);
    expect(taken.body.error.message).toMatch(/^key_label: this owner already has a key named "default-key"/);

    const organization = await createOrganization(t, [user.username]);
    for (const name of ['nobody_here', organization, 'x'.repeat(31)]) {
      const missing = await rest(t, 'POST', `/v1/admin/users/${name}/keys`, { key: t.adminKey, body: creation() });
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe(3000);
    }
  });

  it('refuses standard keys (403 2001) and requests without a key (401)', async () => {
    const user = await createUser(t);
    const organization = await createOrganization(t, [user.username]);
    const calls: [string, string][] = [
      ['POST', `/v1/admin/users/${user.username}/keys`],
      ['GET', `/v1/organizations/${organization}/keys`],
      ['POST', `/v1/organizations/${organization}/members/${user.username}/keys`],
    ];
    for (const [method, path] of calls) {
      const body = method === 'POST' ? creation({ key_label: 'sneaky' }) : undefined;
      const standard = await rest(t, method, path, { key: user.key, body });
      expect(standard.status).toBe(403);
      expect(standard.body.error.code).toBe(2001);
      expect((await rest(t, method, path, { body })).status).toBe(401);
    }
    expect((await keysOf(user.username)).map((k) => k.name)).toEqual(['default-key']);
  });

  it('replays an Idempotency-Key retry with the same answer, the secret withheld, and no second key', async () => {
    const user = await createUser(t);
    const retry = uniqueName('retry');
    const send = () =>
      rest(t, 'POST', `/v1/admin/users/${user.username}/keys`, {
        key: t.adminKey,
        body: creation({ key_label: 'once' }),
        headers: { 'Idempotency-Key': retry },
      });
    const first = await send();
    expect(first.status).toBe(200);
    expect(first.body.api_key).toMatch(/^sim/);
    const replay = await send();
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual({ ...first.body, api_key: null });
    expect(replay.text).not.toContain(first.body.api_key);
    expect((await keysOf(user.username)).map((k) => k.name)).toEqual(['default-key', 'once']);
  });
});

describe('organization keys', () => {
  it('issues a key owned by the organization, made by a member (201), and lists keys without secrets', async () => {
    const owner = await createUser(t);
    const member = await createUser(t);
    const outsider = await createUser(t);
    const organization = await createOrganization(t, [owner.username], [member.username]);

    const answer = await rest(t, 'POST', `/v1/organizations/${organization}/members/${member.username}/keys`, {
      key: t.adminKey,
      body: creation({ key_label: 'ci', permissions: permissions({ algo_acl: [`algo://${organization}/*`], allow_data: true, allow_data_write: true }) }),
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ username: member.username, owner_name: organization, key_label: 'ci', key_type: 'AlgorithmKey' });
    expect(answer.body.permissions).toMatchObject({ allow_data: true, allow_data_write: true, allow_account_management: false });
    const secret: string = answer.body.api_key;
    const viewer = await t.gql('{ viewer { owner { name } key { name dataAccess } } }', { key: secret });
    expect(viewer.body.data!.viewer).toEqual({ owner: { name: organization }, key: { name: 'ci', dataAccess: 'READ_WRITE' } });

    const listed = await rest(t, 'GET', `/v1/organizations/${organization}/keys`, { key: t.adminKey });
    expect(listed.status).toBe(200);
    const { api_key: _, ...shown } = answer.body;
    expect(listed.body).toEqual([shown]);
    expect('api_key' in listed.body[0]).toBe(false);
    expect(listed.text).not.toContain(secret);

    const notMember = await rest(t, 'POST', `/v1/organizations/${organization}/members/${outsider.username}/keys`, { key: t.adminKey, body: creation() });
    expect([notMember.status, notMember.body.error.code]).toEqual([404, 3000]);
    expect(notMember.body.error.message).toBe('The requested user was not found.');
    const noUser = await rest(t, 'POST', `/v1/organizations/${organization}/members/nobody_here/keys`, { key: t.adminKey, body: creation() });
    expect([noUser.status, noUser.body.error.code]).toEqual([404, 3000]);
    const noOrg = await rest(t, 'POST', `/v1/organizations/NoSuchOrg/members/${member.username}/keys`, { key: t.adminKey, body: creation() });
    expect([noOrg.status, noOrg.body.error.code]).toEqual([404, 3100]);
    const noOrgList = await rest(t, 'GET', '/v1/organizations/NoSuchOrg/keys', { key: t.adminKey });
    expect([noOrgList.status, noOrgList.body.error.code]).toEqual([404, 3100]);
    const userList = await rest(t, 'GET', `/v1/organizations/${member.username}/keys`, { key: t.adminKey });
    expect([userList.status, userList.body.error.code]).toEqual([404, 3100]);
    const taken = await rest(t, 'POST', `/v1/organizations/${organization}/members/${owner.username}/keys`, {
      key: t.adminKey,
      body: creation({ key_label: 'ci' }),
    });
    expect([taken.status, taken.body.error.message]).toEqual([409, 'key_label: this owner already has a key named "ci"']);
    expect((await rest(t, 'GET', `/v1/organizations/${organization}/keys`, { key: t.adminKey })).body).toHaveLength(1);
  });

  it('answers as the OpenAPI document says, and the document is valid OpenAPI 3.1', async () => {
    const document = (await rest(t, 'GET', '/v1/openapispec')).body;
    const validity = await new Validator().validate(document);
    expect(validity.errors ?? []).toEqual([]);
    const paths = document.paths;
    expect(paths['/v1/admin/users/{username}/keys'].post.operationId).toBe('importApiKey');
    expect(paths['/v1/organizations/{orgName}/keys'].get.operationId).toBe('listKeys');
    expect(paths['/v1/organizations/{orgName}/members/{username}/keys'].post.operationId).toBe('addOrganizationApiKey');
    expect(document.components.schemas.ApiKeyCreation.required).toEqual(['key_label', 'key_type', 'permissions']);

    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ ...document, $id: 'algoplane' });
    const schemaOf = (path: string, method: string, status: number) =>
      ajv.compile({ $ref: `algoplane#/paths/${path.replaceAll('/', '~1')}/${method}/responses/${status}/content/application~1json/schema` });

    const member = await createUser(t);
    const organization = await createOrganization(t, [member.username]);
    const answers: [string, string, number, Awaited<ReturnType<typeof rest>>][] = [
      ['/v1/admin/users/{username}/keys', 'post', 200, await rest(t, 'POST', `/v1/admin/users/${member.username}/keys`, { key: t.adminKey, body: creation() })],
      [
        '/v1/organizations/{orgName}/members/{username}/keys',
        'post',
        201,
        await rest(t, 'POST', `/v1/organizations/${organization}/members/${member.username}/keys`, {
          key: t.adminKey,
          body: creation({ permissions: permissions({ allow_web_algo: true, referer_host: 'a.example.com' }) }),
        }),
      ],
      ['/v1/organizations/{orgName}/keys', 'get', 200, await rest(t, 'GET', `/v1/organizations/${organization}/keys`, { key: t.adminKey })],
      ['/v1/organizations/{orgName}/keys', 'get', 404, await rest(t, 'GET', '/v1/organizations/NoSuchOrg/keys', { key: t.adminKey })],
      ['/v1/organizations/{orgName}/keys', 'get', 403, await rest(t, 'GET', `/v1/organizations/${organization}/keys`, { key: member.key })],
    ];
    for (const [path, method, status, answer] of answers) {
      expect(answer.status).toBe(status);
      const validate = schemaOf(path, method, status);
      expect(validate(answer.body), JSON.stringify(validate.errors)).toBe(true);
    }
  });
});
