/**
 * Every root field against every kind of key: no key, malformed, bad checksum, unknown, expired,
 * disabled, the wrong plane's key, and the right one.
 */
import { eq } from 'drizzle-orm';
import { getNamedType, isObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { DEFAULT_KEY_PERMISSIONS, type KeyPermissions } from '../src/auth/principal.js';
import { apiKeys } from '../src/db/schema.js';
import { schema } from '../src/graphql/schema.js';
import { issueApiKey } from '../src/modules/api-keys/service.js';
import { createUser, localId, startTestApp, type TestApp } from './helpers/app.js';
import { badChecksum, ROOT_FIELDS, unknownKey } from './helpers/auth-matrix.js';

let t: TestApp;
let standardKey: string;
let expiredKey: string;
let disabledKey: string;
let revokedKey: string;
/** Standard, but with neither manageAccount nor manageAlgorithms. */
let unprivilegedKey: string;
/** Every permission, but only from browsers at app.example.com. */
let originBoundKey: string;

beforeAll(async () => {
  t = await startTestApp();
  const user = await createUser(t);
  standardKey = user.key;
  const actor = { keyId: null, userId: null, via: 'cli' } as const;
  const ownerId = localId(user.id);
  const expired = await issueApiKey(t.app.database.db, actor, {
    ownerId,
    createdByUserId: null,
    name: 'expired',
    kind: 'STANDARD',
    permissions: DEFAULT_KEY_PERMISSIONS,
    expiresAt: new Date(Date.now() - 1000),
  });
  expiredKey = expired.secret;
  const disabled = await issueApiKey(t.app.database.db, actor, {
    ownerId,
    createdByUserId: null,
    name: 'disabled',
    kind: 'STANDARD',
    permissions: DEFAULT_KEY_PERMISSIONS,
  });
  await t.app.database.db.update(apiKeys).set({ disabled: true }).where(eq(apiKeys.id, disabled.apiKey.id));
  disabledKey = disabled.secret;
  const issue = (name: string, permissions: KeyPermissions) =>
    issueApiKey(t.app.database.db, actor, { ownerId, createdByUserId: null, name, kind: 'STANDARD', permissions });
  const revoked = await issue('revoked', DEFAULT_KEY_PERMISSIONS);
  await t.gql('mutation($id: ID!) { revokeApiKey(input: { id: $id }) { userErrors { message } } }', {
    key: standardKey,
    variables: { id: encodeGlobalID('ApiKey', revoked.apiKey.id) },
  });
  revokedKey = revoked.secret;
  unprivilegedKey = (await issue('unprivileged', { ...DEFAULT_KEY_PERMISSIONS, manageAccount: false, manageAlgorithms: false })).secret;
  originBoundKey = (
    await issue('origin-bound', {
      ...DEFAULT_KEY_PERMISSIONS,
      callerOrigin: { allowNativeClients: false, allowBrowser: true, referrerHosts: ['app.example.com'] },
    })
  ).secret;
});
afterAll(() => t?.close());

const keyFor = (plane: 'standard' | 'admin') => (plane === 'admin' ? t.adminKey : standardKey);
const otherPlane = (plane: 'standard' | 'admin') => (plane === 'admin' ? 'standard' : 'admin');

describe.each(ROOT_FIELDS)('$field ($plane plane)', (root) => {
  const call = (key?: string, headers?: Record<string, string>) =>
    t.gql(root.document, { key, variables: root.variables, headers });

  it('refuses a request without a key: 401 "authorization required", nothing executed', async () => {
    const response = await call();
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]?.message).toBe('authorization required');
    expect(response.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(response.body.data).toBeUndefined();
    expect(response.headers.get('www-authenticate')).toMatch(/^Simple/);
  });

  it('refuses a GET without a key with the same 401, from a cross-site page too', async () => {
    const search = new URLSearchParams({ query: root.document, variables: JSON.stringify(root.variables ?? {}) });
    for (const headers of [{}, { origin: 'https://evil.example.net' }] as Record<string, string>[]) {
      const response = await t.fetch(`/graphql?${search}`, { headers });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ errors: [{ message: 'authorization required', extensions: { code: 'UNAUTHENTICATED' } }] });
      expect(response.headers.get('www-authenticate')).toMatch(/^Simple/);
    }
  });

  const invalidKeys: [string, () => string][] = [
    ['a malformed key', () => 'not-a-key'],
    ['a key with a bad checksum', () => badChecksum(keyFor(root.plane))],
    ['an unknown key', () => unknownKey(root.plane === 'admin' ? 'ADMIN' : 'STANDARD')],
    ['an expired key', () => expiredKey],
    ['a disabled key', () => disabledKey],
    ['a revoked key', () => revokedKey],
  ];
  it.each(invalidKeys)('refuses %s with the one 401 message', async (_label, key) => {
    const response = await call(key());
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]?.message).toBe('Unknown or invalid API key.');
    expect(response.body.data).toBeUndefined();
  });

  it(`refuses the other plane's key with FORBIDDEN naming the ${root.plane} key it needs`, async () => {
    const response = await call(keyFor(otherPlane(root.plane)));
    expect(response.status).toBe(200);
    const error = response.body.errors?.[0];
    expect(error?.extensions?.code).toBe('FORBIDDEN');
    expect(error?.message).toContain(`needs ${root.plane === 'admin' ? 'an admin' : 'a standard'} API key`);
    // Nothing resolved: data is null, or (for a nullable root field) the field is.
    expect(Object.values(response.body.data ?? {})).toEqual(Object.values(response.body.data ?? {}).map(() => null));
  });

  if (root.permission) {
    it(`refuses a standard key without ${root.permission} with FORBIDDEN naming it`, async () => {
      const response = await call(unprivilegedKey);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(response.body.errors?.[0]?.message).toContain(`needs a key with the ${root.permission} permission`);
    });
  }

  if (root.plane === 'standard') {
    it('refuses the key from an origin it does not allow: 403, unreadable by the page', async () => {
      const response = await call(originBoundKey, { origin: 'https://evil.example.net' });
      expect(response.status).toBe(403);
      expect(response.body.errors?.[0]).toMatchObject({
        message: 'This key may not be used from this origin.',
        extensions: { code: 'FORBIDDEN' },
      });
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.body.data).toBeUndefined();
      const native = await call(originBoundKey);
      expect(native.status).toBe(403);
      expect(native.body.errors?.[0]?.message).toBe('This key may be used only from web browsers.');
      const allowed = await call(originBoundKey, { origin: 'https://app.example.com' });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(allowed.body.errors ?? []).toEqual([]);
    });
  }

  it(`allows the ${root.plane} key`, async () => {
    const response = await call(keyFor(root.plane));
    expect(response.status).toBe(200);
    expect(response.body.errors ?? []).toEqual([]);
    expect(response.body.data).toBeTruthy();
  });
});

describe('the matrix itself', () => {
  it('covers every root field of the schema, Query, Mutation and AdminQuery alike', () => {
    const fields = (typeName: string) => {
      const type = schema.getType(typeName);
      return isObjectType(type) ? Object.keys(type.getFields()).map((field) => `${typeName}.${field}`) : [];
    };
    const adminQuery = getNamedType(schema.getQueryType()!.getFields().admin!.type).name;
    const inSchema = [...fields('Query'), ...fields('Mutation'), ...fields(adminQuery)].sort();
    expect(ROOT_FIELDS.map((root) => root.field).sort()).toEqual(inSchema);
  });
});
