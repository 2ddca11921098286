/**
 * Services open with their permission check, whatever transport calls them: a REST handler or a
 * CLI that skipped GraphQL's scopes still cannot act beyond the key's plane and permissions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminActorOf } from '../src/auth/permissions.js';
import { actorOf } from '../src/auth/principal.js';
import { createUser as createUserService } from '../src/modules/users/service.js';
import type { Principal } from '../src/auth/principal.js';
import { PermissionDenied } from '../src/core/errors.js';
import { createApiKey, listApiKeys, revokeApiKey, rollApiKey, updateApiKey } from '../src/modules/api-keys/service.js';
import { compileAlgorithm, createAlgorithm, deleteAlgorithm, publishAlgorithm, updateAlgorithm } from '../src/modules/algorithms/service.js';
import { createUser, startTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
let weak: Principal;
let full: Principal;
let admin: Principal;
let fullKey: string;
let username: string;

beforeAll(async () => {
  t = await startTestApp();
  const user = await createUser(t);
  fullKey = user.key;
  username = user.username;
  const minted = await t.gql<{ createApiKey: { secret: string } }>(`mutation { createApiKey(input: { name: "weak" }) { secret } }`, { key: user.key });
  weak = await t.app.verifier.verify(`Simple ${minted.body.data!.createApiKey.secret}`);
  full = await t.app.verifier.verify(`Simple ${user.key}`);
  admin = await t.app.verifier.verify(`Simple ${t.adminKey}`);
});
afterAll(() => t.close());

describe('services check permissions themselves', () => {
  it('refuses key management to keys without manageAccount, and to admin keys, writing nothing', async () => {
    const { db } = t.app.database;
    const cache = t.app.verifier;
    for (const principal of [weak, admin]) {
      await expect(createApiKey(db, principal, { name: 'sibling' })).rejects.toThrow(PermissionDenied);
      await expect(updateApiKey(db, principal, { id: full.keyId, name: 'renamed' }, cache)).rejects.toThrow(/needs a key with the manageAccount permission/);
      await expect(revokeApiKey(db, principal, { id: full.keyId }, cache)).rejects.toThrow(PermissionDenied);
      await expect(rollApiKey(db, principal, { id: full.keyId, gracePeriodSeconds: 0 }, cache)).rejects.toThrow(PermissionDenied);
      await expect(listApiKeys(db, principal, {})).rejects.toThrow(PermissionDenied);
    }
    const keys = await listApiKeys(db, full, {});
    expect(keys.edges.map((edge) => edge.node.name).sort()).toEqual(['default-key', 'weak']);
  });

  it('refuses algorithm changes to keys without manageAlgorithms, and to admin keys', async () => {
    const { db } = t.app.database;
    const sheets = t.app.callSheets;
    const details = { label: 'Kept out' };
    for (const principal of [weak, admin]) {
      await expect(createAlgorithm(db, principal, { name: 'kept_out', details, settings: { language: 'PYTHON3', environment: 'CPU' } }, sheets)).rejects.toThrow(
        /"createAlgorithm" needs a key with the manageAlgorithms permission/,
      );
    }
    const created = await createAlgorithm(db, full, { name: 'let_in', details, settings: { language: 'PYTHON3', environment: 'CPU' } }, sheets);
    const id = created.algorithm.id;
    for (const principal of [weak, admin]) {
      await expect(updateAlgorithm(db, principal, { id, details: { label: 'Changed' } })).rejects.toThrow(PermissionDenied);
      await expect(publishAlgorithm(db, principal, { id, versionType: 'MINOR' }, sheets)).rejects.toThrow(PermissionDenied);
      await expect(compileAlgorithm(db, principal, { id })).rejects.toThrow(PermissionDenied);
      await expect(deleteAlgorithm(db, principal, { id }, sheets)).rejects.toThrow(PermissionDenied);
    }
    const seen = await t.gql<{ algorithm: { details: { label: string }; latestVersion: null } }>(
      `query($ref: String!) { algorithm(ref: $ref) { details { label } latestVersion { semanticVersion } } }`,
      { key: fullKey, variables: { ref: `${username}/let_in` } },
    );
    expect(seen.body.data?.algorithm).toEqual({ details: { label: 'Kept out' }, latestVersion: null });
  });

  it('lets admin-plane services be called only with an actor that passed the admin check', async () => {
    const { db } = t.app.database;
    // A standard key's actor is not an admin actor: the typecheck (`npm run typecheck`, in CI) refuses it.
    // @ts-expect-error -- the admin-plane services take an AdminActor, from adminActorOf or consoleActor only
    const call = () => createUserService(db, actorOf(full), { username: 'never_made', email: 'never@example.com' });
    expect(call).toBeTypeOf('function');
  });

  it('lets only admin keys act on the admin plane', () => {
    expect(() => adminActorOf(full, 'createUser')).toThrow('"createUser" needs an admin API key');
    expect(adminActorOf(admin, 'createUser')).toEqual({ keyId: admin.keyId, userId: admin.userId, via: 'api' });
  });
});
