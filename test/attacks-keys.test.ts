/**
 * Issue 15, the key classes (items 3, 5 and 10): no escalation by any key change, expiry included;
 * a demoted administrator's admin keys are gone for good; who sees `isAdmin`; the roll's audit
 * event; at most two working secrets per key; the bootstrap key kept out of the log stream.
 * Each test failed on the code before the fix.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createUser, localId, startTestApp, type TestApp } from './helpers/app.js';
import { startCli } from './helpers/cli.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

type Payload = Record<string, any>;

const KEY = 'id disabled expiresAt manageAlgorithms manageAccount dataAccess algorithmAccess { pattern } callerOrigin { allowNativeClients allowBrowser }';
const CREATE = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } secret userErrors { field code message } } }`;
const UPDATE = `mutation($input: UpdateApiKeyInput!) { updateApiKey(input: $input) { apiKey { ${KEY} } userErrors { field code message } } }`;
const ROLL = `mutation($id: ID!, $grace: Int!) { rollApiKey(input: { id: $id, gracePeriodSeconds: $grace }) { secret userErrors { field code message } } }`;
const REVOKE = `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { revokedApiKeyId userErrors { code } } }`;
const UPDATE_USER = `mutation($input: UpdateUserInput!) { updateUser(input: $input) { user { isAdmin } userErrors { code message } } }`;
const VIEWER = '{ viewer { key { id } } }';

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
const status = async (key: string) => (await t.gql(VIEWER, { key })).status;

async function mustCreateKey(key: string, input: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const payload = (await t.gql(CREATE, { key, variables: { input } })).body.data!.createApiKey;
  expect(payload.userErrors).toEqual([]);
  return { id: payload.apiKey.id, secret: payload.secret };
}

const update = async (key: string, input: Record<string, unknown>): Promise<Payload> =>
  (await t.gql(UPDATE, { key, variables: { input } })).body.data!.updateApiKey;

const auditOf = async (targetId: string, action: string): Promise<Payload[]> =>
  (
    await t.gql(`query($id: ID, $action: AuditAction) { admin { auditEvents(targetId: $id, action: $action) { nodes { summary } } } }`, {
      key: t.adminKey,
      variables: { id: targetId, action },
    })
  ).body.data!.admin.auditEvents.nodes;

const FULL = {
  algorithmAccess: ['algo://*'],
  manageAlgorithms: true,
  manageAccount: true,
  dataAccess: 'READ_WRITE',
  callerOrigin: { allowNativeClients: true, allowBrowser: true },
};

describe('no escalation through any key change, expiry included (item 3)', () => {
  let owner: { key: string };
  let hourly: { id: string; secret: string };
  beforeAll(async () => {
    owner = await createUser(t);
    hourly = await mustCreateKey(owner.key, { name: 'hourly', ...FULL, expiresAt: inMinutes(60) });
  });

  it('a key that expires in an hour cannot turn a never-expiring weak key into a full-power one, whatever the input names', async () => {
    const weak = await mustCreateKey(owner.key, { name: 'weak-forever' });

    const widened = await update(hourly.secret, { id: weak.id, ...FULL });
    expect(widened.apiKey).toBeNull();
    expect(widened.userErrors).toEqual([
      {
        field: ['expiresAt'],
        code: 'FORBIDDEN',
        message: expect.stringMatching(/^expiresAt: must be no later than the calling key's own expiry \(.*\): a key given powers may not outlive the key that gave them$/),
      },
    ]);
    // One permission is enough to count as a grant.
    expect((await update(hourly.secret, { id: weak.id, manageAlgorithms: true })).userErrors.map((e: Payload) => e.field)).toEqual([['expiresAt']]);
    const after = await t.gql(`query($id: ID!) { node(id: $id) { ... on ApiKey { ${KEY} } } }`, { key: owner.key, variables: { id: weak.id } });
    expect(after.body.data!.node).toMatchObject({ expiresAt: null, manageAlgorithms: false, manageAccount: false, dataAccess: 'NONE', algorithmAccess: [] });

    // The same grant is allowed when the key is made to expire with the caller.
    const bounded = await update(hourly.secret, { id: weak.id, manageAlgorithms: true, expiresAt: inMinutes(30) });
    expect(bounded.userErrors).toEqual([]);
    expect(bounded.apiKey.manageAlgorithms).toBe(true);
  });

  it('clearing or extending an expiry, and re-enabling a disabled key, are grants too; narrowing, renaming, disabling and revoking are not', async () => {
    const shortLived = await mustCreateKey(owner.key, { name: 'short-lived', expiresAt: inMinutes(30) });
    for (const expiresAt of [null, inMinutes(120)]) {
      expect((await update(hourly.secret, { id: shortLived.id, expiresAt })).userErrors.map((e: Payload) => e.code)).toEqual(['FORBIDDEN']);
    }

    const parked = await mustCreateKey(owner.key, { name: 'parked-forever', dataAccess: 'READ' });
    expect((await update(owner.key, { id: parked.id, disabled: true })).userErrors).toEqual([]);
    const enabled = await update(hourly.secret, { id: parked.id, disabled: false });
    expect(enabled.userErrors.map((e: Payload) => e.field)).toEqual([['expiresAt']]);
    expect(await status(parked.secret)).toBe(401);

    // Taking power away from a longer-lived key gives the short-lived one nothing to keep.
    const other = await mustCreateKey(owner.key, { name: 'other-forever', dataAccess: 'READ', manageAlgorithms: true });
    const narrowed = await update(hourly.secret, { id: other.id, name: 'renamed-forever', dataAccess: 'NONE', disabled: true });
    expect(narrowed.userErrors).toEqual([]);
    expect(narrowed.apiKey).toMatchObject({ expiresAt: null, dataAccess: 'NONE', manageAlgorithms: true, disabled: true });

    // Rolling would hand the short-lived key a secret that outlives it; revoking hands it nothing.
    const roll = (await t.gql(ROLL, { key: hourly.secret, variables: { id: other.id, grace: 0 } })).body.data!.rollApiKey;
    expect(roll.secret).toBeNull();
    expect(roll.userErrors).toEqual([{ field: ['id'], code: 'FORBIDDEN', message: 'id: this key has permissions the calling key lacks (expiresAt)' }]);
    expect((await t.gql(REVOKE, { key: hourly.secret, variables: { id: other.id } })).body.data!.revokeApiKey.userErrors).toEqual([]);
  });
});

describe('demoting an administrator deletes their admin keys (item 5)', () => {
  it('in the same change, audited without a secret; listing never shows them; re-promotion never revives them', async () => {
    const ops = await createUser(t);
    const admin = (query: string, variables: Record<string, unknown>) => t.gql(query, { key: t.adminKey, variables });
    expect((await admin(UPDATE_USER, { input: { username: ops.username, isAdmin: true } })).body.data!.updateUser.userErrors).toEqual([]);
    const minted = await admin(`mutation($u: String!) { createAdminApiKey(input: { username: $u, name: "ops" }) { apiKey { id } secret } }`, {
      u: ops.username,
    });
    const { secret, apiKey } = minted.body.data!.createAdminApiKey;
    const ADMIN_READ = '{ admin { users(first: 1) { totalCount } } }';
    expect((await t.gql(ADMIN_READ, { key: secret })).status).toBe(200);

    expect((await admin(UPDATE_USER, { input: { username: ops.username, isAdmin: false } })).body.data!.updateUser.userErrors).toEqual([]);
    expect((await t.gql(ADMIN_READ, { key: secret })).status).toBe(401);
    const listed = await admin(`query($o: String) { admin { apiKeys(owner: $o, kind: ADMIN) { totalCount } } }`, { o: ops.username });
    expect(listed.body.data!.admin.apiKeys.totalCount).toBe(0);
    const events = await auditOf(apiKey.id, 'API_KEY_REVOKED');
    expect(events).toEqual([
      { summary: { name: 'ops', kind: 'ADMIN', ownerId: localId(ops.id), reason: 'the owner is no longer a cluster administrator' } },
    ]);
    expect(JSON.stringify(events)).not.toContain(secret);

    expect((await admin(UPDATE_USER, { input: { username: ops.username, isAdmin: true } })).body.data!.updateUser.userErrors).toEqual([]);
    expect((await t.gql(ADMIN_READ, { key: secret })).status).toBe(401);
  });
});

describe('the smaller things (item 10)', () => {
  it('shows isAdmin only to the admin plane and to the user themself: null to anyone else', async () => {
    const someone = await createUser(t);
    const ADMIN_PROFILE = '{ user(username: "admin") { username isAdmin } }';
    expect((await t.gql(ADMIN_PROFILE, { key: someone.key })).body.data).toEqual({ user: { username: 'admin', isAdmin: null } });
    const own = await t.gql(`query($u: String!) { user(username: $u) { isAdmin } viewer { user { isAdmin } } }`, {
      key: someone.key,
      variables: { u: someone.username },
    });
    expect(own.body.data).toEqual({ user: { isAdmin: false }, viewer: { user: { isAdmin: false } } });
    expect((await t.gql('{ admin { user(username: "admin") { isAdmin } } }', { key: t.adminKey })).body.data).toEqual({
      admin: { user: { isAdmin: true } },
    });
  });

  it('records when the old secret stops in the audit event of a roll', async () => {
    const user = await createUser(t);
    const key = await mustCreateKey(user.key, { name: 'rolled-audited' });
    const before = Date.now();
    expect((await t.gql(ROLL, { key: user.key, variables: { id: key.id, grace: 600 } })).body.data!.rollApiKey.userErrors).toEqual([]);
    const [event] = await auditOf(key.id, 'API_KEY_ROLLED');
    expect(event!.summary).toMatchObject({ gracePeriodSeconds: 600, previousSecretValidUntil: expect.any(String) });
    const until = Date.parse(event!.summary.previousSecretValidUntil);
    expect(until).toBeGreaterThanOrEqual(before + 600_000);
    expect(until).toBeLessThan(Date.now() + 600_000 + 1000);
  });

  it('keeps at most two working secrets per key: a roll ends every older secret still in grace', async () => {
    const user = await createUser(t);
    const key = await mustCreateKey(user.key, { name: 'rolled-often' });
    const secrets = [key.secret];
    for (let i = 0; i < 4; i++) {
      const rolled = (await t.gql(ROLL, { key: user.key, variables: { id: key.id, grace: 3600 } })).body.data!.rollApiKey;
      expect(rolled.userErrors).toEqual([]);
      secrets.push(rolled.secret);
    }
    expect(await Promise.all(secrets.map(status))).toEqual([401, 401, 401, 200, 200]);

    const last = (await t.gql(ROLL, { key: user.key, variables: { id: key.id, grace: 0 } })).body.data!.rollApiKey;
    expect(await Promise.all([...secrets, last.secret].map(status))).toEqual([401, 401, 401, 401, 401, 200]);
  });

  it('prints the bootstrap admin key on stderr, in a banner, never in the JSON log stream on stdout', { timeout: 90_000 }, async () => {
    const database = await createTestDatabase();
    const dataDir = await mkdtemp(path.join(tmpdir(), 'algoplane-bootstrap-'));
    try {
      const server = await startCli({ LOG_LEVEL: 'info', ...(database.url ? { DATABASE_URL: database.url } : { DATA_DIR: dataDir }) });
      try {
        await expect.poll(() => server.stderr()).toMatch(/^admin key: adm[0-9A-Za-z]{28}$/m);
        // A request, so that the log stream has lines after the start too.
        expect((await fetch(`${server.url}/ready`)).status).toBe(200);
      } finally {
        await server.stop();
      }
      const stdout = server.stdout();
      const secret = /^admin key: (adm[0-9A-Za-z]{28})$/m.exec(server.stderr())![1]!;
      expect(stdout).not.toContain(secret);
      expect(stdout).toMatch(/^\{.*"msg":"algoplane listening"/m);
      expect(server.stderr()).toMatch(/^={20,}\n[^\n]*shown this once[\s\S]*\nadmin key: adm\w+\n={20,}\n/m);
    } finally {
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
