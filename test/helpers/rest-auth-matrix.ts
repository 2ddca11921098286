/**
 * The REST auth matrix (docs/REST.md, "Conventions"): one entry per operation of the OpenAPI
 * document, keyed by its operationId, saying how to call it (its path parameters and body, from
 * fixtures) and what it needs (plane, "manage my algorithms", whether another user's key is kept
 * out). test/rest-auth-matrix.test.ts calls every operation of the document with every kind of
 * key; test/rest-openapi.test.ts checks the answers against the document. An operation without an
 * entry, or an entry without an operation, fails both.
 *
 * Adding a route: an entry below, a few lines. `params` may create what the call needs (a user to
 * delete, say); it runs once per operation, and the successful calls come last, so a DELETE may
 * consume what it made.
 */
import { eq } from 'drizzle-orm';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { expect } from 'vitest';
import { DEFAULT_KEY_PERMISSIONS, type KeyPermissions } from '../../src/auth/principal.js';
import { BOOTSTRAP_ADMIN_USERNAME } from '../../src/bootstrap.js';
import { apiKeys } from '../../src/db/schema.js';
import { issueApiKey } from '../../src/modules/api-keys/service.js';
import { createOrganization, createUser, localId, uniqueName, type TestApp } from './app.js';
import { rest, type RestAnswer } from './rest.js';

export type Plane = 'standard' | 'admin' | 'any';

export interface MatrixFixtures {
  t: TestApp;
  /** A user whose default key can do everything a standard key can. */
  owner: { username: string; key: string };
  /** Another user, with a key just as able: but not the owner. */
  other: { username: string; key: string };
  /** The owner's key without manageAlgorithms and manageAccount, and its id (a UUID). */
  readOnlyKey: string;
  readOnlyKeyId: string;
  /** The owner's browser key of the README: whitelist `algo://demos/*`, nothing else (least-privilege reads). */
  narrowKey: string;
  /** Keys that may not be used from browsers, of each plane. */
  noBrowser: { standard: string; admin: string };
  /** Keys refused at authentication (the owner's, so that only their state refuses them). */
  expiredKey: string;
  disabledKey: string;
  revokedKey: string;
  /** A new private algorithm of the owner's, published once (so it has a version and a git hash). */
  privateAlgorithm(): Promise<{ username: string; algoname: string; algohash: string }>;
}

export interface MatrixEntry {
  plane: Plane;
  /** Needs a standard key with "manage my algorithms". */
  manageAlgorithms?: boolean;
  /**
   * What the other user's key gets: 404 when what the route names is invisible to it (a private
   * algorithm; so it is to the owner's own narrow key), 403 when the route names an owner the key
   * does not act for.
   */
  foreign?: 403 | 404;
  /** The code of that 404's envelope, where what is not found is not an algorithm (1000). */
  notFoundCode?: number;
  /**
   * The 404 is Algorithmia's old `{"error":"No such algorithm"}` rather than the envelope
   * (GET /v1/algorithms/{username}/{algoname}: its clients compare it byte for byte).
   */
  legacyNotFound?: boolean;
  /** The path parameters (more are ignored), creating what the call needs. */
  params(fx: MatrixFixtures): Promise<Record<string, string>>;
  /** A valid body, for POST and PUT. */
  body?(fx: MatrixFixtures, params: Record<string, string>): unknown;
}

/** The body of a valid create (the seed's settings). */
export const algorithmBody = (name: string) => ({
  name,
  details: { label: 'Matrix', summary: 'An algorithm of the auth matrix.' },
  settings: { license: 'apl', network_access: 'isolated', pipeline_enabled: false, source_visibility: 'closed', language: 'python3-1', environment: 'cpu' },
});

const privateAlgorithm = (fx: MatrixFixtures) => fx.privateAlgorithm();

export const MATRIX: Record<string, MatrixEntry> = {
  createAlgorithm: {
    plane: 'standard',
    manageAlgorithms: true,
    foreign: 403,
    params: async (fx) => ({ username: fx.owner.username }),
    body: () => algorithmBody(uniqueName('created')),
  },
  getAlgorithm: { plane: 'standard', foreign: 404, legacyNotFound: true, params: privateAlgorithm },
  updateAlgorithm: {
    plane: 'standard',
    manageAlgorithms: true,
    foreign: 404,
    params: privateAlgorithm,
    body: () => ({ details: { label: 'Changed' } }),
  },
  deleteAlgorithm: { plane: 'standard', manageAlgorithms: true, foreign: 404, params: privateAlgorithm },
  compileAlgorithm: { plane: 'standard', manageAlgorithms: true, foreign: 404, params: privateAlgorithm, body: () => ({}) },
  publishAlgorithm: {
    plane: 'standard',
    manageAlgorithms: true,
    foreign: 404,
    params: privateAlgorithm,
    body: () => ({ version_info: { version_type: 'revision' } }),
  },
  publishAlgorithmVersion: {
    plane: 'standard',
    manageAlgorithms: true,
    foreign: 404,
    params: privateAlgorithm,
    body: () => ({ version_info: { version_type: 'minor', release_notes: 'from the matrix' } }),
  },
  listAlgorithmVersions: { plane: 'standard', foreign: 404, params: privateAlgorithm },
  getAlgorithmVersion: { plane: 'standard', foreign: 404, params: privateAlgorithm },
  // Anyone may list an owner's algorithms: what the key may not see is left out, not refused.
  listAlgorithmsForUser: { plane: 'any', params: async (fx) => ({ username: fx.owner.username }) },

  // Users: the admin plane.
  getUsers: { plane: 'admin', params: async () => ({}) },
  createUser: { plane: 'admin', params: async () => ({}), body: () => newUserBody() },
  getUser: { plane: 'admin', params: async (fx) => ({ username: fx.owner.username }) },
  updateUser: {
    plane: 'admin',
    params: async (fx) => ({ username: (await createUser(fx.t)).username }),
    body: (_fx, params) => ({ username: params.username, email: `${params.username}@example.org`, fullname: 'Matrix User' }),
  },
  deleteUser: { plane: 'admin', params: async (fx) => ({ username: (await createUser(fx.t)).username }) },

  // Organizations: the admin plane, but anyone may read the types.
  getAllOrganizationTypes: { plane: 'any', params: async () => ({}) },
  getOrganizations: { plane: 'admin', params: async () => ({}) },
  createOrganization: { plane: 'admin', params: async () => ({}), body: () => newOrganizationBody() },
  getOrganization: { plane: 'admin', params: async (fx) => ({ orgName: await createOrganization(fx.t, [fx.owner.username]) }) },
  editOrganization: {
    plane: 'admin',
    params: async (fx) => ({ orgName: await createOrganization(fx.t, [fx.owner.username]) }),
    body: () => ({ org_email: 'matrix@example.org' }),
  },
  deleteOrganization: { plane: 'admin', params: async (fx) => ({ orgName: await createOrganization(fx.t, [fx.owner.username]) }) },
  listMembers: { plane: 'admin', params: async (fx) => ({ orgName: await createOrganization(fx.t, [fx.owner.username]) }) },
  addOrganizationMember: {
    plane: 'admin',
    params: async (fx) => ({ orgName: await createOrganization(fx.t, [fx.owner.username]), username: (await createUser(fx.t)).username }),
  },
  removeOrganizationMember: {
    plane: 'admin',
    params: async (fx) => {
      const member = await createUser(fx.t);
      return { orgName: await createOrganization(fx.t, [fx.owner.username], [member.username]), username: member.username };
    },
  },

  // Keys an admin issues or lists.
  importApiKey: { plane: 'admin', params: async (fx) => ({ username: fx.owner.username }), body: () => newKeyBody() },
  listKeys: { plane: 'admin', params: async (fx) => ({ orgName: await createOrganization(fx.t, [fx.owner.username]) }) },
  addOrganizationApiKey: {
    plane: 'admin',
    params: async (fx) => ({ orgName: await createOrganization(fx.t, [fx.owner.username]), username: fx.owner.username }),
    body: () => newKeyBody(),
  },
  // Any key reads its own key's usage (the read-only key's, here); the owner's key manages it; others do not see it.
  getApiKeyUsage: { plane: 'any', foreign: 404, notFoundCode: 2015, params: async (fx) => ({ keyId: fx.readOnlyKeyId }) },
};

function newUserBody() {
  const username = uniqueName('matrix');
  return { username, email: `${username}@example.com` };
}

function newOrganizationBody() {
  const name = uniqueName('MatrixOrg');
  return { org_name: name, org_label: name, org_contact_name: 'Matrix', org_email: `${name}@example.com` };
}

function newKeyBody() {
  return {
    key_label: uniqueName('matrix-key'),
    key_type: 'AlgorithmKey',
    permissions: { allow_data: false, allow_data_write: false, allow_algo: true, allow_web_algo: false, algo_acl: ['algo://*'] },
  };
}

// ---------------------------------------------------------------------------------------------
// The document's operations

export interface Operation {
  operationId: string;
  method: string;
  /** The path template, `{name}` for each parameter. */
  path: string;
  plane: Plane;
  /** The operation object itself. */
  spec: Record<string, any>;
}

const PLANES: Record<string, Plane> = { ApiKeyAuth: 'standard', AdminApiKeyAuth: 'admin', 'AdminApiKeyAuth,ApiKeyAuth': 'any' };

/** Every path × method of an OpenAPI document, with the plane its `security` names. */
export function operationsOf(document: Record<string, any>): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<Record<string, any>>(document.paths ?? {})) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']) {
      const spec = item[method];
      if (!spec) continue;
      const schemes = (spec.security ?? document.security ?? []).flatMap((requirement: Record<string, unknown>) => Object.keys(requirement)).sort().join(',');
      operations.push({ operationId: spec.operationId, method: method.toUpperCase(), path, plane: PLANES[schemes] ?? (`security: [${schemes}]` as Plane), spec });
    }
  }
  return operations;
}

/** The OpenAPI document the app serves. */
export async function openApiDocument(t: TestApp): Promise<Record<string, any>> {
  const answer = await rest(t, 'GET', '/v1/openapispec');
  expect(answer.status).toBe(200);
  return answer.body;
}

/** `template` with its `{name}` parameters from `params`; a missing one throws. */
export function fillPath(template: string, params: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for {${name}} of ${template}`);
    return encodeURIComponent(value);
  });
}

/** One prepared call of an operation: its path and body, sent with any key and headers. */
export interface PreparedCall {
  path: string;
  body: unknown;
  send(key: string | undefined, headers?: Record<string, string>, body?: unknown): Promise<RestAnswer>;
}

export async function prepareCall(fx: MatrixFixtures, operation: Operation, entry: MatrixEntry): Promise<PreparedCall> {
  const params = await entry.params(fx);
  const path = fillPath(operation.path, params);
  const body = entry.body?.(fx, params);
  return {
    path,
    body,
    send: (key, headers, override) => rest(fx.t, operation.method, path, { key, headers, body: override ?? body }),
  };
}

// ---------------------------------------------------------------------------------------------
// Fixtures

export async function createMatrixFixtures(t: TestApp): Promise<MatrixFixtures> {
  const owner = await createUser(t);
  const other = await createUser(t);
  const ownerId = localId(owner.id);
  const actor = { keyId: null, userId: null, via: 'cli' } as const;
  const issue = async (name: string, permissions: KeyPermissions, expiresAt?: Date) =>
    issueApiKey(t.app.database.db, actor, { ownerId, createdByUserId: null, name, kind: 'STANDARD', permissions, expiresAt });

  const expired = await issue('expired', DEFAULT_KEY_PERMISSIONS, new Date(Date.now() - 1000));
  const disabled = await issue('disabled', DEFAULT_KEY_PERMISSIONS);
  await t.app.database.db.update(apiKeys).set({ disabled: true }).where(eq(apiKeys.id, disabled.apiKey.id));
  const revoked = await issue('revoked', DEFAULT_KEY_PERMISSIONS);
  const revoke = await t.gql('mutation($id: ID!) { revokeApiKey(input: { id: $id }) { userErrors { message } } }', {
    key: owner.key,
    variables: { id: encodeGlobalID('ApiKey', revoked.apiKey.id) },
  });
  expect(revoke.body.data?.revokeApiKey?.userErrors).toEqual([]);
  const readOnly = await issue('read-only', { ...DEFAULT_KEY_PERMISSIONS, manageAlgorithms: false, manageAccount: false });
  const narrow = await issue('narrow', { ...DEFAULT_KEY_PERMISSIONS, algorithmAccess: ['algo://demos/*'], manageAlgorithms: false, manageAccount: false });
  const noBrowser = { allowNativeClients: true, allowBrowser: false, referrerHosts: [] };
  const standardNoBrowser = await issue('no-browser', { ...DEFAULT_KEY_PERMISSIONS, callerOrigin: noBrowser });
  // Only admin users hold admin keys: the bootstrap admin's, then kept from browsers.
  const adminKey = await t.gql('mutation($u: String!) { createAdminApiKey(input: { username: $u, name: "admin-no-browser" }) { apiKey { id } secret userErrors { message } } }', {
    key: t.adminKey,
    variables: { u: BOOTSTRAP_ADMIN_USERNAME },
  });
  const adminNoBrowser = adminKey.body.data?.createAdminApiKey;
  expect(adminNoBrowser?.userErrors, JSON.stringify(adminKey.body)).toEqual([]);
  await t.app.database.db.update(apiKeys).set({ allowBrowser: false }).where(eq(apiKeys.id, localId(adminNoBrowser.apiKey.id)));

  return {
    t,
    owner: { username: owner.username, key: owner.key },
    other: { username: other.username, key: other.key },
    readOnlyKey: readOnly.secret,
    readOnlyKeyId: readOnly.apiKey.id,
    narrowKey: narrow.secret,
    noBrowser: { standard: standardNoBrowser.secret, admin: adminNoBrowser.secret as string },
    expiredKey: expired.secret,
    disabledKey: disabled.secret,
    revokedKey: revoked.secret,
    async privateAlgorithm() {
      const algoname = uniqueName('algo');
      const created = await rest(t, 'POST', `/v1/algorithms/${owner.username}`, { key: owner.key, body: algorithmBody(algoname) });
      expect(created.status, created.text).toBe(201);
      const published = await rest(t, 'POST', `/v1/algorithms/${owner.username}/${algoname}/versions`, { key: owner.key, body: {} });
      expect(published.status, published.text).toBe(200);
      return { username: owner.username, algoname, algohash: published.body.version_info.git_hash };
    },
  };
}

/** The key of `plane` that may call an operation (for `any`, the standard one). */
export const rightKey = (fx: MatrixFixtures, plane: Plane) => (plane === 'admin' ? fx.t.adminKey : fx.owner.key);

/** The key of the plane an operation does not take (none for `any`). */
export const wrongPlaneKey = (fx: MatrixFixtures, plane: Plane) =>
  plane === 'any' ? undefined : plane === 'admin' ? fx.owner.key : fx.t.adminKey;

/** Algorithmia's envelope with `status` and `code` (and `message`, when given), its id the request's. */
export function expectEnvelope(answer: RestAnswer, status: number, code: number, message?: string): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  expect(answer.body).toEqual({ error: { id: answer.headers.get('x-request-id'), code, message: message ?? expect.any(String) } });
  expect(answer.body.error.id).toBeTruthy();
}
