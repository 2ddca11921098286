/**
 * The key lifecycle as a user drives it over HTTP: the seed's key dialog, defaults, validation,
 * default-key, no escalation, expiry, disable, roll with grace, listing, audit, admin keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOrganization,
  createTestDatabase,
  createUser,
  localId,
  ON_POSTGRES,
  startTestApp,
  type GraphQLResponse,
  type TestApp,
} from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const KEY_FIELDS = `id name kind mask isDefault disabled expiresAt manageAlgorithms manageAccount dataAccess
  algorithmAccess { pattern redundant coveredBy }
  callerOrigin { allowNativeClients allowBrowser referrerHosts }`;

const CREATE = `mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { apiKey { ${KEY_FIELDS} } secret warnings { field message code } userErrors { field message code } }
}`;
const UPDATE = `mutation($input: UpdateApiKeyInput!) {
  updateApiKey(input: $input) { apiKey { ${KEY_FIELDS} } warnings { field message code } userErrors { field message code } }
}`;
const REVOKE = `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { revokedApiKeyId userErrors { field message code } } }`;
const ROLL = `mutation($id: ID!, $grace: Int!) {
  rollApiKey(input: { id: $id, gracePeriodSeconds: $grace }) { apiKey { id mask } secret userErrors { field message code } }
}`;
const VIEWER = '{ viewer { key { id name } } }';

type Payload = Record<string, any>;

async function createKey(key: string, input: Record<string, unknown>, headers?: Record<string, string>): Promise<Payload> {
  const response = await t.gql(CREATE, { key, variables: { input }, headers });
  return response.body.data!.createApiKey;
}

async function mustCreateKey(key: string, input: Record<string, unknown>): Promise<{ id: string; secret: string; apiKey: Payload }> {
  const payload = await createKey(key, input);
  expect(payload.userErrors).toEqual([]);
  return { id: payload.apiKey.id, secret: payload.secret, apiKey: payload.apiKey };
}

const status = async (key: string, headers?: Record<string, string>) => (await t.gql(VIEWER, { key, headers })).status;

async function eventually(check: () => Promise<boolean>, limitMs: number): Promise<boolean> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return check();
}

describe("the seed's key dialog, end to end", () => {
  it('mints a restricted key, warns about the redundant entry, shows the secret once, then enforces every rule', async () => {
    const ada = await createUser(t);
    const created = await createKey(ada.key, {
      name: 'demo-site',
      algorithmAccess: ['algo://demos/*', 'algo://demos/sentiment_analysis/*'],
      callerOrigin: { allowNativeClients: false, allowBrowser: true, referrerHosts: ['app.example.com'] },
      dataAccess: 'READ',
    });
    expect(created.userErrors).toEqual([]);
    expect(created.warnings).toEqual([
      {
        field: ['algorithmAccess', '1'],
        code: 'REDUNDANT',
        message: 'algorithmAccess.1: algo://demos/sentiment_analysis/* has no effect: algo://demos/* already covers it',
      },
    ]);
    expect(created.secret).toMatch(/^sim[0-9A-Za-z]{28}$/);
    expect(created.apiKey).toMatchObject({
      name: 'demo-site',
      kind: 'STANDARD',
      mask: `${created.secret.slice(0, 7)}…${created.secret.slice(-4)}`,
      manageAlgorithms: false,
      manageAccount: false,
      dataAccess: 'READ',
      algorithmAccess: [
        { pattern: 'algo://demos/*', redundant: false, coveredBy: null },
        { pattern: 'algo://demos/sentiment_analysis/*', redundant: true, coveredBy: 'algo://demos/*' },
      ],
      callerOrigin: { allowNativeClients: false, allowBrowser: true, referrerHosts: ['app.example.com'] },
    });
    const key: string = created.secret;

    // The secret is never shown again: lists carry the mask only.
    const listed = await t.gql('{ apiKeys { nodes { name mask } } }', { key: ada.key });
    expect(listed.body.data!.apiKeys.nodes).toContainEqual({ name: 'demo-site', mask: created.apiKey.mask });
    expect(JSON.stringify(listed.body)).not.toContain(key);

    const fromApp = await t.gql(VIEWER, { key, headers: { origin: 'https://app.example.com' } });
    expect(fromApp.status).toBe(200);
    expect(fromApp.body.data!.viewer.key.name).toBe('demo-site');
    expect(fromApp.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(fromApp.headers.get('access-control-allow-credentials')).toBeNull();

    const fromElsewhere = await t.gql(VIEWER, { key, headers: { origin: 'https://evil.example.net' } });
    expect(fromElsewhere.status).toBe(403);
    expect(fromElsewhere.headers.get('access-control-allow-origin')).toBeNull();

    expect(await status(key)).toBe(403); // a native client

    const minting = await t.gql(CREATE, {
      key,
      variables: { input: { name: 'sibling' } },
      headers: { origin: 'https://app.example.com' },
    });
    expect(minting.body.errors?.[0]).toMatchObject({
      message: '"createApiKey" needs a key with the manageAccount permission.',
      extensions: { code: 'FORBIDDEN' },
    });

    const revoked = await t.gql(REVOKE, { key: ada.key, variables: { id: created.apiKey.id } });
    expect(revoked.body.data!.revokeApiKey).toEqual({ revokedApiKeyId: created.apiKey.id, userErrors: [] });
    expect(await status(key, { origin: 'https://app.example.com' })).toBe(401);
  });
});

describe('creating keys', () => {
  it('makes keys that can do nothing unless told: the seed\'s defaults', async () => {
    const user = await createUser(t);
    const { apiKey } = await mustCreateKey(user.key, { name: 'bare' });
    expect(apiKey).toMatchObject({
      algorithmAccess: [],
      manageAlgorithms: false,
      manageAccount: false,
      dataAccess: 'NONE',
      callerOrigin: { allowNativeClients: true, allowBrowser: false, referrerHosts: [] },
      expiresAt: null,
      disabled: false,
      isDefault: false,
    });
  });

  it('reports every invalid field at once and creates nothing', async () => {
    const user = await createUser(t);
    const before = (await t.gql('{ apiKeys { totalCount } }', { key: user.key })).body.data!.apiKeys.totalCount;
    const payload = await createKey(user.key, {
      name: '   ',
      algorithmAccess: ['algo://ok/*', 'http://a/*', 'algo://a/b/c/d'],
      callerOrigin: { allowBrowser: true, referrerHosts: ['https://app.example.com', 'ok.example.com'] },
      expiresAt: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(payload.apiKey).toBeNull();
    expect(payload.secret).toBeNull();
    expect(payload.userErrors.map((e: Payload) => e.field.join('.'))).toEqual([
      'name',
      'algorithmAccess.1',
      'algorithmAccess.2',
      'callerOrigin.referrerHosts.0',
      'expiresAt',
    ]);
    expect(payload.userErrors.every((e: Payload) => e.code === 'INVALID')).toBe(true);
    expect(payload.userErrors[4].message).toBe('expiresAt: must be in the future');
    expect((await t.gql('{ apiKeys { totalCount } }', { key: user.key })).body.data!.apiKeys.totalCount).toBe(before);
  });

  it('refuses a name the owner already uses', async () => {
    const user = await createUser(t);
    await mustCreateKey(user.key, { name: 'ci' });
    const payload = await createKey(user.key, { name: 'ci' });
    expect(payload.userErrors).toEqual([{ field: ['name'], code: 'TAKEN', message: 'name: this owner already has a key named "ci"' }]);
  });

  it('warns when referrer hosts cannot apply because browser calls are off', async () => {
    const user = await createUser(t);
    const payload = await createKey(user.key, { name: 'odd', callerOrigin: { referrerHosts: ['app.example.com'] } });
    expect(payload.userErrors).toEqual([]);
    expect(payload.warnings).toEqual([
      {
        field: ['callerOrigin', 'referrerHosts'],
        code: 'NO_EFFECT',
        message: 'callerOrigin.referrerHosts: has no effect while allowBrowser is false',
      },
    ]);
  });
});

describe('default-key', () => {
  it('can be deleted, and a key later named default-key becomes the default again', async () => {
    const user = await createUser(t);
    const helper = await mustCreateKey(user.key, { name: 'helper', manageAccount: true, algorithmAccess: ['algo://*'] });
    const DEFAULT = '{ viewer { user { defaultKey { id mask isDefault } } } }';
    const original = (await t.gql(DEFAULT, { key: helper.secret })).body.data!.viewer.user.defaultKey;
    expect(original.isDefault).toBe(true);

    const revoked = await t.gql(REVOKE, { key: user.key, variables: { id: original.id } }); // a key may revoke itself
    expect(revoked.body.data!.revokeApiKey.userErrors).toEqual([]);
    expect((await t.gql(DEFAULT, { key: helper.secret })).body.data!.viewer.user.defaultKey).toBeNull();

    const again = await mustCreateKey(helper.secret, { name: 'default-key' });
    expect((await t.gql(DEFAULT, { key: helper.secret })).body.data!.viewer.user.defaultKey).toEqual({
      id: again.id,
      mask: again.apiKey.mask,
      isDefault: true,
    });
  });
});

describe('no escalation', () => {
  let owner: { key: string; username: string };
  let limited: { id: string; secret: string };

  beforeAll(async () => {
    owner = await createUser(t);
    limited = await mustCreateKey(owner.key, {
      name: 'limited',
      algorithmAccess: ['algo://demos/*'],
      manageAccount: true,
      dataAccess: 'READ',
    });
  });

  it('lets a key create keys within its own permissions', async () => {
    const payload = await createKey(limited.secret, {
      name: 'narrower',
      algorithmAccess: ['algo://demos/sentiment_analysis'],
      dataAccess: 'READ',
    });
    expect(payload.userErrors).toEqual([]);
  });

  it('refuses to create a key with any permission beyond its own, naming each', async () => {
    const payload = await createKey(limited.secret, {
      name: 'wider',
      algorithmAccess: ['algo://demos/x', 'algo://*'],
      manageAlgorithms: true,
      dataAccess: 'READ_WRITE',
      callerOrigin: { allowBrowser: true },
    });
    expect(payload.apiKey).toBeNull();
    expect(payload.userErrors.map((e: Payload) => [e.code, e.field.join('.')])).toEqual([
      ['FORBIDDEN', 'algorithmAccess.1'],
      ['FORBIDDEN', 'manageAlgorithms'],
      ['FORBIDDEN', 'dataAccess'],
      ['FORBIDDEN', 'callerOrigin.allowBrowser'],
    ]);
  });

  it('refuses to widen a key through update, and allows narrowing it', async () => {
    const child = await mustCreateKey(limited.secret, { name: 'child', algorithmAccess: ['algo://demos/*'] });
    const widen = await t.gql(UPDATE, { key: limited.secret, variables: { input: { id: child.id, algorithmAccess: ['algo://*'] } } });
    expect(widen.body.data!.updateApiKey.userErrors).toEqual([
      {
        field: ['algorithmAccess', '0'],
        code: 'FORBIDDEN',
        message: "algorithmAccess.0: algo://* goes beyond the calling key's own permissions",
      },
    ]);
    const narrow = await t.gql(UPDATE, { key: limited.secret, variables: { input: { id: child.id, algorithmAccess: [] } } });
    expect(narrow.body.data!.updateApiKey.apiKey.algorithmAccess).toEqual([]);
  });

  it('refuses to touch a more powerful key: update, roll or revoke the default-key', async () => {
    const defaultKeyId = (await t.gql(VIEWER, { key: owner.key })).body.data!.viewer.key.id;
    const refusal = [
      { field: ['id'], code: 'FORBIDDEN', message: 'id: this key has permissions the calling key lacks (algorithmAccess, manageAlgorithms, dataAccess, callerOrigin)' },
    ];
    const update = await t.gql(UPDATE, { key: limited.secret, variables: { input: { id: defaultKeyId, disabled: true } } });
    expect(update.body.data!.updateApiKey.userErrors).toEqual(refusal);
    const roll = await t.gql(ROLL, { key: limited.secret, variables: { id: defaultKeyId, grace: 0 } });
    expect(roll.body.data!.rollApiKey.userErrors).toEqual(refusal);
    const revoke = await t.gql(REVOKE, { key: limited.secret, variables: { id: defaultKeyId } });
    expect(revoke.body.data!.revokeApiKey.userErrors).toEqual(refusal);
    expect(await status(owner.key)).toBe(200);
  });

  it('lets a key revoke keys no more powerful than itself, and itself', async () => {
    const self = await mustCreateKey(owner.key, { name: 'self-revoker', manageAccount: true });
    const weaker = await mustCreateKey(self.secret, { name: 'weaker' });
    expect((await t.gql(REVOKE, { key: self.secret, variables: { id: weaker.id } })).body.data!.revokeApiKey.userErrors).toEqual([]);
    expect((await t.gql(REVOKE, { key: self.secret, variables: { id: self.id } })).body.data!.revokeApiKey.userErrors).toEqual([]);
    expect(await status(self.secret)).toBe(401);
  });

  it('keeps a key made by an expiring key from outliving it', async () => {
    const expiring = await mustCreateKey(owner.key, {
      name: 'expiring',
      manageAccount: true,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const forever = await createKey(expiring.secret, { name: 'forever' });
    expect(forever.userErrors.map((e: Payload) => e.field.join('.'))).toEqual(['expiresAt']);
    const sooner = await createKey(expiring.secret, { name: 'sooner', expiresAt: new Date(Date.now() + 60_000).toISOString() });
    expect(sooner.userErrors).toEqual([]);
  });

  it("does not reveal another user's key: NOT_FOUND, as for a key that does not exist", async () => {
    const other = await createUser(t);
    const otherKeyId = (await t.gql(VIEWER, { key: other.key })).body.data!.viewer.key.id;
    for (const id of [otherKeyId, 'QXBpS2V5OjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA==', 'garbage']) {
      const revoke = await t.gql(REVOKE, { key: owner.key, variables: { id } });
      expect(revoke.body.data!.revokeApiKey.userErrors).toEqual([{ field: ['id'], code: 'NOT_FOUND', message: 'id: no such API key' }]);
    }
    expect(await status(other.key)).toBe(200);
  });
});

describe('expiry, disabling and rolling', () => {
  it('stops an expiring key at its expiry, even while cached', async () => {
    const user = await createUser(t);
    const soon = await mustCreateKey(user.key, { name: 'soon', expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect(await status(soon.secret)).toBe(200);
    expect(await eventually(async () => (await status(soon.secret)) === 401, 3000)).toBe(true);
  });

  it('refuses a disabled key like an unknown one, and takes it back when enabled', async () => {
    const user = await createUser(t);
    const key = await mustCreateKey(user.key, { name: 'pausable' });
    const disable = await t.gql(UPDATE, { key: user.key, variables: { input: { id: key.id, disabled: true } } });
    expect(disable.body.data!.updateApiKey.apiKey.disabled).toBe(true);
    const refused = await t.gql(VIEWER, { key: key.secret });
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0]?.message).toBe('Unknown or invalid API key.');
    await t.gql(UPDATE, { key: user.key, variables: { input: { id: key.id, disabled: false } } });
    expect(await status(key.secret)).toBe(200);
  });

  it('rolls a key: the old secret works through the grace period, then stops; the new one works', async () => {
    const user = await createUser(t);
    const key = await mustCreateKey(user.key, { name: 'rolling' });
    const rolled = (await t.gql(ROLL, { key: user.key, variables: { id: key.id, grace: 2 } })).body.data!.rollApiKey;
    expect(rolled.userErrors).toEqual([]);
    expect(rolled.secret).not.toBe(key.secret);
    expect(rolled.apiKey).toEqual({ id: key.id, mask: `${rolled.secret.slice(0, 7)}…${rolled.secret.slice(-4)}` });
    expect(await status(key.secret)).toBe(200);
    expect(await status(rolled.secret)).toBe(200);
    expect(await eventually(async () => (await status(key.secret)) === 401, 4000)).toBe(true);
    expect(await status(rolled.secret)).toBe(200);
  });

  it('with no grace period, the old secret stops at once', async () => {
    const user = await createUser(t);
    const key = await mustCreateKey(user.key, { name: 'cut' });
    expect(await status(key.secret)).toBe(200);
    const rolled = (await t.gql(ROLL, { key: user.key, variables: { id: key.id, grace: 0 } })).body.data!.rollApiKey;
    expect(await status(key.secret)).toBe(401);
    expect(await status(rolled.secret)).toBe(200);
  });

  it.each([-1, 86_401])('refuses a grace period of %i seconds', async (grace) => {
    const user = await createUser(t);
    const id = (await t.gql(VIEWER, { key: user.key })).body.data!.viewer.key.id;
    const rolled = (await t.gql(ROLL, { key: user.key, variables: { id, grace } })).body.data!.rollApiKey;
    expect(rolled.userErrors).toEqual([
      {
        field: ['gracePeriodSeconds'],
        code: 'INVALID',
        message: 'gracePeriodSeconds: must be a whole number from 0 to 86400 (24 h)',
      },
    ]);
    expect(rolled.secret).toBeNull();
  });
});

describe('listing and the audit trail', () => {
  it("lists only the owner's keys, in pages, and refuses to list someone else's", async () => {
    const user = await createUser(t);
    for (const name of ['a', 'b', 'c']) await mustCreateKey(user.key, { name });
    const first: GraphQLResponse = await t.gql('{ apiKeys(first: 2) { totalCount nodes { name } pageInfo { hasNextPage endCursor } } }', {
      key: user.key,
    });
    const page = first.body.data!.apiKeys;
    expect(page.totalCount).toBe(4);
    expect(page.nodes.map((k: Payload) => k.name)).toEqual(['default-key', 'a']);
    const rest = await t.gql(`query($after: String) { apiKeys(first: 5, after: $after) { nodes { name } } }`, {
      key: user.key,
      variables: { after: page.pageInfo.endCursor },
    });
    expect(rest.body.data!.apiKeys.nodes.map((k: Payload) => k.name)).toEqual(['b', 'c']);

    const other = await createUser(t);
    const theirs = await t.gql(`query($owner: String) { apiKeys(owner: $owner) { totalCount } }`, {
      key: user.key,
      variables: { owner: other.username },
    });
    expect(theirs.body.errors?.[0]).toMatchObject({
      message: `owner: no user or organization "${other.username}" whose keys this key may manage`,
      extensions: { code: 'NOT_FOUND' },
    });
  });

  it('lets admins list every key by owner and kind, and read an audit trail with actors and redacted changes', async () => {
    const user = await createUser(t);
    const key = await mustCreateKey(user.key, { name: 'audited' });
    await t.gql(UPDATE, { key: user.key, variables: { input: { id: key.id, dataAccess: 'READ', name: 'audited2' } } });
    const rolled = (await t.gql(ROLL, { key: user.key, variables: { id: key.id, grace: 0 } })).body.data!.rollApiKey;
    await t.gql(REVOKE, { key: user.key, variables: { id: key.id } });

    const keys = await t.gql(`query($owner: String) { admin { apiKeys(owner: $owner, kind: STANDARD) { nodes { name kind owner { name } } } } }`, {
      key: t.adminKey,
      variables: { owner: user.username },
    });
    expect(keys.body.data!.admin.apiKeys.nodes).toEqual([{ name: 'default-key', kind: 'STANDARD', owner: { name: user.username } }]);
    const adminKeys = await t.gql('{ admin { apiKeys(kind: ADMIN) { nodes { name owner { name } } } } }', { key: t.adminKey });
    expect(adminKeys.body.data!.admin.apiKeys.nodes).toContainEqual({ name: 'admin-key', owner: { name: 'admin' } });

    const trail = await t.gql(
      `query($target: ID) { admin { auditEvents(targetId: $target) {
        nodes { action actorVia actorKeyId actorUser { username } targetType summary } } } }`,
      { key: t.adminKey, variables: { target: key.id } },
    );
    const events = trail.body.data!.admin.auditEvents.nodes;
    expect(events.map((e: Payload) => e.action)).toEqual(['API_KEY_CREATED', 'API_KEY_UPDATED', 'API_KEY_ROLLED', 'API_KEY_REVOKED']);
    for (const event of events) {
      expect(event).toMatchObject({ actorVia: 'api', actorUser: { username: user.username }, targetType: 'API_KEY' });
      expect(localId(event.actorKeyId)).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(events[1].summary).toEqual({
      name: 'audited',
      kind: 'STANDARD',
      ownerId: localId(user.id),
      changes: { name: { from: 'audited', to: 'audited2' }, dataAccess: { from: 'NONE', to: 'READ' } },
    });
    const text = JSON.stringify(events);
    for (const secret of [key.secret, rolled.secret]) expect(text).not.toContain(secret);
  });
});

describe('admin keys', () => {
  const CREATE_ADMIN = `mutation($username: String!, $name: String!) {
    createAdminApiKey(input: { username: $username, name: $name }) { apiKey { id kind name } secret userErrors { field message code } }
  }`;

  it('are minted for administrators only, work on the admin plane, and can be revoked there', async () => {
    const made = (await t.gql(CREATE_ADMIN, { key: t.adminKey, variables: { username: 'admin', name: 'deploy-bot' } })).body.data!
      .createAdminApiKey;
    expect(made.userErrors).toEqual([]);
    expect(made.apiKey).toMatchObject({ kind: 'ADMIN', name: 'deploy-bot' });
    expect(made.secret).toMatch(/^adm[0-9A-Za-z]{28}$/);
    expect((await t.gql('{ admin { users(first: 1) { totalCount } } }', { key: made.secret })).status).toBe(200);

    const user = await createUser(t);
    const refused = (await t.gql(CREATE_ADMIN, { key: t.adminKey, variables: { username: user.username, name: 'x' } })).body.data!
      .createAdminApiKey;
    expect(refused.userErrors).toEqual([
      {
        field: ['username'],
        code: 'INVALID',
        message: `username: "${user.username}" is not a cluster administrator; only administrators hold admin keys`,
      },
    ]);

    const revoke = await t.gql(`mutation($id: ID!) { revokeAdminApiKey(input: { id: $id }) { revokedApiKeyId userErrors { message } } }`, {
      key: t.adminKey,
      variables: { id: made.apiKey.id },
    });
    expect(revoke.body.data!.revokeAdminApiKey).toEqual({ revokedApiKeyId: made.apiKey.id, userErrors: [] });
    expect((await t.gql('{ admin { users(first: 1) { totalCount } } }', { key: made.secret })).status).toBe(401);
  });

  it("are out of a standard key's reach, even a standard key of the admin user", async () => {
    const made = (await t.gql(CREATE_ADMIN, { key: t.adminKey, variables: { username: 'admin', name: 'untouchable' } })).body.data!
      .createAdminApiKey;
    const adminUser = await t.gql(`{ admin { user(username: "admin") { id } } }`, { key: t.adminKey });
    expect(adminUser.body.data!.admin.user.id).toBeTruthy();
    const standardOfAdmin = (await t.gql('{ admin { apiKeys(owner: "admin", kind: STANDARD) { nodes { name } } } }', { key: t.adminKey }))
      .body.data!.admin.apiKeys.nodes;
    expect(standardOfAdmin).toEqual([{ name: 'default-key' }]);
    // The bootstrap printed no default-key secret, so mint a standard key for admin through the service.
    const { issueApiKey } = await import('../src/modules/api-keys/service.js');
    const { DEFAULT_KEY_PERMISSIONS } = await import('../src/auth/principal.js');
    const standard = await issueApiKey(t.app.database.db, { keyId: null, userId: null, via: 'cli' }, {
      ownerId: localId(adminUser.body.data!.admin.user.id),
      createdByUserId: null,
      name: 'admins-standard',
      kind: 'STANDARD',
      permissions: DEFAULT_KEY_PERMISSIONS,
    });
    const attempt = await t.gql(REVOKE, { key: standard.secret, variables: { id: made.apiKey.id } });
    expect(attempt.body.data!.revokeApiKey.userErrors).toEqual([
      { field: ['id'], code: 'FORBIDDEN', message: 'id: admin keys are managed with admin keys (revokeAdminApiKey)' },
    ]);
  });
});

describe('adminCreateApiKey', () => {
  const ADMIN_CREATE = `mutation($input: AdminCreateApiKeyInput!) {
    adminCreateApiKey(input: $input) { apiKey { ${KEY_FIELDS} owner { name } } secret warnings { field code } userErrors { field message code } }
  }`;
  const adminCreate = async (input: Record<string, unknown>) =>
    (await t.gql(ADMIN_CREATE, { key: t.adminKey, variables: { input } })).body.data!.adminCreateApiKey as Payload;

  it("gives a user who revoked its last key a new one, with the settings createApiKey's defaults and rules apply to", async () => {
    const user = await createUser(t);
    const own = await t.gql(VIEWER, { key: user.key });
    await t.gql(REVOKE, { key: user.key, variables: { id: own.body.data!.viewer.key.id } });
    expect(await status(user.key)).toBe(401);

    const made = await adminCreate({ username: user.username, name: 'recovered', manageAccount: true, algorithmAccess: ['algo://*', 'algo://a/b'] });
    expect(made.userErrors).toEqual([]);
    expect(made.warnings).toEqual([{ field: ['algorithmAccess', '1'], code: 'REDUNDANT' }]);
    expect(made.apiKey).toMatchObject({ kind: 'STANDARD', name: 'recovered', manageAccount: true, manageAlgorithms: false, dataAccess: 'NONE', owner: { name: user.username } });
    expect((await t.gql(VIEWER, { key: made.secret })).body.data!.viewer.key.name).toBe('recovered');
    expect((await createKey(made.secret, { name: 'next' })).userErrors).toEqual([]);

    expect((await adminCreate({ username: user.username, name: 'bad', algorithmAccess: ['nope'] })).userErrors).toEqual([
      expect.objectContaining({ field: ['algorithmAccess', '0'], code: 'INVALID' }),
    ]);
    expect((await adminCreate({ username: user.username, name: 'recovered' })).userErrors).toEqual([
      expect.objectContaining({ field: ['name'], code: 'TAKEN' }),
    ]);
    expect((await adminCreate({ username: 'nobody_here', name: 'x' })).userErrors).toEqual([
      { field: ['username'], code: 'NOT_FOUND', message: 'username: no user "nobody_here"' },
    ]);
  });

  it("makes an organization's key on behalf of a member only", async () => {
    const member = await createUser(t);
    const outsider = await createUser(t);
    const organization = await createOrganization(t, [member.username]);
    const made = await adminCreate({ username: member.username, organization, name: 'ci' });
    expect(made.userErrors).toEqual([]);
    expect(made.apiKey.owner).toEqual({ name: organization });
    expect((await adminCreate({ username: outsider.username, organization, name: 'x' })).userErrors).toEqual([
      expect.objectContaining({ field: ['username'], code: 'NOT_FOUND' }),
    ]);
    expect((await adminCreate({ username: member.username, organization: 'NoSuchOrg', name: 'x' })).userErrors).toEqual([
      expect.objectContaining({ field: ['organization'], code: 'NOT_FOUND' }),
    ]);
  });
});

describe('CORS', () => {
  it('answers a preflight from any origin, without credentials, and decides on the real request', async () => {
    const response = await t.fetch('/graphql', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://anywhere.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://anywhere.example');
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST');
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.headers.get('vary')).toContain('Origin');
  });

  it('lets browser code read a 401, which says nothing about the key', async () => {
    const response = await t.gql(VIEWER, { key: 'simNOPE', headers: { origin: 'https://anywhere.example' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://anywhere.example');
  });
});

describe.skipIf(!ON_POSTGRES)('across instances (Postgres only: PGlite serves one process)', () => {
  it('a key revoked through one instance is refused by another within a second', async () => {
    const database = await createTestDatabase();
    const a = await startTestApp({ database, env: { KEY_CACHE_TTL_MS: '300000' } });
    const b = await startTestApp({ database, env: { KEY_CACHE_TTL_MS: '300000' } });
    try {
      const user = await createUser(a);
      const created = (await a.gql(CREATE, { key: user.key, variables: { input: { name: 'shared' } } })).body.data!.createApiKey;
      expect((await b.gql(VIEWER, { key: created.secret })).status).toBe(200);
      await a.gql(REVOKE, { key: user.key, variables: { id: created.apiKey.id } });
      const started = Date.now();
      let refused = false;
      while (Date.now() - started < 1000 && !refused) {
        refused = (await b.gql(VIEWER, { key: created.secret })).status === 401;
        if (!refused) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(refused).toBe(true);
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});

describe('edges found in review', () => {
  it('keeps an expiring key from rolling a longer-lived key and so holding a secret that outlives it', async () => {
    const user = await createUser(t);
    const expiring = await mustCreateKey(user.key, {
      name: 'expiring-roller',
      manageAccount: true,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const forever = await mustCreateKey(user.key, { name: 'forever-target' });
    const roll = (await t.gql(ROLL, { key: expiring.secret, variables: { id: forever.id, grace: 0 } })).body.data!.rollApiKey;
    expect(roll.secret).toBeNull();
    expect(roll.userErrors).toEqual([
      { field: ['id'], code: 'FORBIDDEN', message: 'id: this key has permissions the calling key lacks (expiresAt)' },
    ]);
    expect(await status(forever.secret)).toBe(200);
  });

  it('points errors at the entry the caller wrote, even after merging duplicates', async () => {
    const user = await createUser(t);
    const limited = await mustCreateKey(user.key, { name: 'a-only', manageAccount: true, algorithmAccess: ['algo://a/*'] });
    const payload = await createKey(limited.secret, { name: 'dupes', algorithmAccess: ['algo://a/x', 'algo://A/x', 'algo://b/*'] });
    expect(payload.userErrors.map((e: Payload) => e.field.join('.'))).toEqual(['algorithmAccess.2']);
  });

  it('keeps admin keys off the standard plane, even for the admin user\'s own standard keys', async () => {
    const { issueApiKey } = await import('../src/modules/api-keys/service.js');
    const { DEFAULT_KEY_PERMISSIONS } = await import('../src/auth/principal.js');
    const adminUser = await t.gql(`{ admin { user(username: "admin") { id } apiKeys(owner: "admin", kind: ADMIN) { nodes { id } } } }`, {
      key: t.adminKey,
    });
    const adminKeyId = adminUser.body.data!.admin.apiKeys.nodes[0].id;
    const standard = await issueApiKey(t.app.database.db, { keyId: null, userId: null, via: 'cli' }, {
      ownerId: localId(adminUser.body.data!.admin.user.id),
      createdByUserId: null,
      name: `admins-standard-${Date.now()}`,
      kind: 'STANDARD',
      permissions: DEFAULT_KEY_PERMISSIONS,
    });
    const listed = await t.gql('{ apiKeys(first: 100) { nodes { kind } } }', { key: standard.secret });
    expect(listed.body.data!.apiKeys.nodes.every((k: Payload) => k.kind === 'STANDARD')).toBe(true);
    const byNode = await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { key: standard.secret, variables: { id: adminKeyId } });
    expect(byNode.body.data!.node).toBeNull();
  });

  it('lets an organization OWNER manage the organization\'s keys, which act as the organization; a MEMBER may not', async () => {
    const boss = await createUser(t);
    const member = await createUser(t);
    const org = await createOrganization(t, [boss.username], [member.username]);

    const orgKey = await mustCreateKey(boss.key, { name: 'org-ci', owner: org, algorithmAccess: [`algo://${org}/*`] });
    const viewer = await t.gql('{ viewer { owner { __typename name } user { username } } }', { key: orgKey.secret });
    expect(viewer.body.data!.viewer).toEqual({ owner: { __typename: 'Organization', name: org }, user: null });
    const listed = await t.gql(`query($owner: String) { apiKeys(owner: $owner) { nodes { id name } } }`, {
      key: boss.key,
      variables: { owner: org },
    });
    expect(listed.body.data!.apiKeys.nodes).toEqual([{ id: orgKey.id, name: 'org-ci' }]);
    const byNode = await t.gql(`query($id: ID!) { node(id: $id) { ... on ApiKey { name owner { name } } } }`, {
      key: boss.key,
      variables: { id: orgKey.id },
    });
    expect(byNode.body.data!.node).toEqual({ name: 'org-ci', owner: { name: org } });

    const asMember = await createKey(member.key, { name: 'nope', owner: org });
    expect(asMember.userErrors).toEqual([
      { field: ['owner'], code: 'NOT_FOUND', message: `owner: no user or organization "${org}" whose keys this key may manage` },
    ]);
    const memberNode = await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { key: member.key, variables: { id: orgKey.id } });
    expect(memberNode.body.data!.node).toBeNull();
  });

  it('refuses NUL characters with a 400 naming the rule, never a 500', async () => {
    const user = await createUser(t);
    const inVariables = await t.gql(CREATE, { key: user.key, variables: { input: { name: 'a\u0000b' } } });
    const inDocument = await t.gql('mutation { createApiKey(input: { name: "a\\u0000b" }) { secret } }', { key: user.key });
    for (const response of [inVariables, inDocument]) {
      expect(response.status).toBe(400);
      expect(response.body.errors?.[0]).toMatchObject({
        message: 'Strings may not contain the NUL character (\\u0000).',
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
  });

  it('answers null for ids that are not ids, with no error', async () => {
    const user = await createUser(t);
    const ids = ['User:not-a-uuid', 'Organization:x', 'ApiKey:1', 'Algorithm:zz'].map((raw) => Buffer.from(raw).toString('base64'));
    const response = await t.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { key: user.key, variables: { ids } });
    expect(response.body).toEqual({ data: { nodes: [null, null, null, null] } });
  });

  it('tells first: 0 whether there is anything to page to', async () => {
    const user = await createUser(t);
    const response = await t.gql('{ apiKeys(first: 0) { nodes { id } pageInfo { hasNextPage } } }', { key: user.key });
    expect(response.body.data!.apiKeys).toEqual({ nodes: [], pageInfo: { hasNextPage: true } });
  });

  it('treats a Referer without Origin as a browser call, and Origin: null as a browser whose host is unknown', async () => {
    const user = await createUser(t);
    const site = await mustCreateKey(user.key, {
      name: 'site-only',
      callerOrigin: { allowNativeClients: false, allowBrowser: true, referrerHosts: ['app.example.com'] },
    });
    expect(await status(site.secret, { referer: 'https://app.example.com/page' })).toBe(200);
    expect(await status(site.secret, { referer: 'https://evil.example.net/page' })).toBe(403);
    expect(await status(site.secret, { origin: 'null' })).toBe(403);
  });
});
