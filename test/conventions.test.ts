/**
 * The big GraphQL APIs' conventions, through HTTP: an AlgorithmVersion is a Node that `node(id:)`
 * fetches again under the one visibility rule, and the audit trail speaks in global ids (its own,
 * its actor's and its target's, all refetchable by those who may see them) and an action enum.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, startTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const CREATE = `mutation($input: CreateAlgorithmInput!) { createAlgorithm(input: $input) { algorithm { id } userErrors { message } } }`;
const PUBLISH = `mutation($input: PublishAlgorithmInput!) {
  publishAlgorithm(input: $input) { version { id semanticVersion callability } userErrors { message } } }`;
const VERSION = `query($id: ID!) {
  node(id: $id) { __typename id ... on AlgorithmVersion { semanticVersion callability } }
  nodes(ids: [$id]) { id }
}`;

async function algorithmWithVersions(key: string, name: string) {
  const created = await t.gql(CREATE, {
    key,
    variables: { input: { name, details: { label: 'Versions' }, settings: { language: 'PYTHON3', environment: 'CPU' } } },
  });
  expect(created.body.data!.createAlgorithm.userErrors).toEqual([]);
  const id = created.body.data!.createAlgorithm.algorithm.id;
  const publish = async (callability: string) => {
    const published = await t.gql(PUBLISH, { key, variables: { input: { id, versionType: 'MAJOR', callability } } });
    expect(published.body.data!.publishAlgorithm.userErrors).toEqual([]);
    return published.body.data!.publishAlgorithm.version as { id: string; semanticVersion: string; callability: string };
  };
  return { id, private: await publish('PRIVATE'), public: await publish('PUBLIC') };
}

describe('AlgorithmVersion is a Node', () => {
  it('node(id:) and nodes(ids:) fetch a version again, by the id every version field gives; the same rule as everywhere decides who sees it', async () => {
    const owner = await createUser(t);
    const outsider = await createUser(t);
    const { private: hidden, public: shown } = await algorithmWithVersions(owner.key, 'node_versions');
    expect(hidden.semanticVersion).toBe('1.0.0');

    const asOwner = await t.gql(VERSION, { key: owner.key, variables: { id: hidden.id } });
    expect(asOwner.body).toEqual({
      data: { node: { __typename: 'AlgorithmVersion', id: hidden.id, semanticVersion: '1.0.0', callability: 'PRIVATE' }, nodes: [{ id: hidden.id }] },
    });

    // A private version does not exist for an outsider: null, as `algorithm(ref:) { version }` says.
    expect((await t.gql(VERSION, { key: outsider.key, variables: { id: hidden.id } })).body).toEqual({ data: { node: null, nodes: [null] } });
    expect((await t.gql(VERSION, { key: outsider.key, variables: { id: shown.id } })).body.data!.node).toEqual({
      __typename: 'AlgorithmVersion',
      id: shown.id,
      semanticVersion: '2.0.0',
      callability: 'PUBLIC',
    });

    // Least privilege: the owner's own key that may not manage algorithms, and whose whitelist
    // does not cover this one, sees it as an outsider does.
    const narrow = await t.gql(
      `mutation { createApiKey(input: { name: "narrow", algorithmAccess: [] }) { secret userErrors { message } } }`,
      { key: owner.key },
    );
    const narrowKey = narrow.body.data!.createApiKey.secret as string;
    expect((await t.gql(VERSION, { key: narrowKey, variables: { id: hidden.id } })).body.data!.node).toBeNull();
    expect((await t.gql(VERSION, { key: narrowKey, variables: { id: shown.id } })).body.data!.node).toMatchObject({ id: shown.id });

    // Admins see every version, through their own plane's node.
    const asAdmin = await t.gql(`query($id: ID!) { admin { node(id: $id) { id ... on AlgorithmVersion { callability } } } }`, {
      key: t.adminKey,
      variables: { id: hidden.id },
    });
    expect(asAdmin.body).toEqual({ data: { admin: { node: { id: hidden.id, callability: 'PRIVATE' } } } });
  });

  it('a version of a deleted algorithm is null, for its owner too', async () => {
    const owner = await createUser(t);
    const created = await t.gql(CREATE, {
      key: owner.key,
      variables: { input: { name: 'gone_versions', details: { label: 'Gone' }, settings: { language: 'PYTHON3', environment: 'CPU' } } },
    });
    const id = created.body.data!.createAlgorithm.algorithm.id;
    const published = await t.gql(PUBLISH, { key: owner.key, variables: { input: { id, versionType: 'MAJOR', callability: 'PRIVATE' } } });
    const versionId = published.body.data!.publishAlgorithm.version.id;
    const deleted = await t.gql(`mutation($id: ID!) { deleteAlgorithm(input: { id: $id }) { userErrors { message } } }`, { key: owner.key, variables: { id } });
    expect(deleted.body.data!.deleteAlgorithm.userErrors).toEqual([]);
    expect((await t.gql(VERSION, { key: owner.key, variables: { id: versionId } })).body).toEqual({ data: { node: null, nodes: [null] } });
  });
});

const EVENTS = `query($action: AuditAction, $target: ID) { admin { auditEvents(action: $action, targetId: $target, last: 5) { nodes {
  id action targetType targetId actorVia actorKeyId actorUserId
  target { __typename id ... on ApiKey { name } }
  actorKey { id } actorUser { id username }
} } } }`;

describe('the audit trail in global ids', () => {
  it("names the event, its actor's key and user, and its target by global ids that node(id:) fetches again, for admins only", async () => {
    const user = await createUser(t);
    const viewer = await t.gql(`{ viewer { key { id } user { id } } }`, { key: user.key });
    const { key: actorKey, user: actorUser } = viewer.body.data!.viewer;
    const created = await t.gql(`mutation { createApiKey(input: { name: "audited" }) { apiKey { id } userErrors { message } } }`, { key: user.key });
    const keyId = created.body.data!.createApiKey.apiKey.id;

    const trail = await t.gql(EVENTS, { key: t.adminKey, variables: { action: 'API_KEY_CREATED', target: keyId } });
    expect(trail.body.errors).toBeUndefined();
    const [event, ...more] = trail.body.data!.admin.auditEvents.nodes;
    expect(more).toEqual([]);
    expect(event).toEqual({
      id: expect.any(String),
      action: 'API_KEY_CREATED',
      targetType: 'API_KEY',
      targetId: keyId,
      actorVia: 'api',
      actorKeyId: actorKey.id,
      actorUserId: actorUser.id,
      target: { __typename: 'ApiKey', id: keyId, name: 'audited' },
      actorKey: { id: actorKey.id },
      actorUser: { id: actorUser.id, username: user.username },
    });

    const refetch = `query($id: ID!) { admin { node(id: $id) { __typename id ... on AuditEvent { action targetId } } } }`;
    expect((await t.gql(refetch, { key: t.adminKey, variables: { id: event.id } })).body).toEqual({
      data: { admin: { node: { __typename: 'AuditEvent', id: event.id, action: 'API_KEY_CREATED', targetId: keyId } } },
    });
    // The ids an event gives are those of objects node(id:) knows.
    const actor = await t.gql(`{ admin { u: node(id: "${actorUser.id}") { id } k: node(id: "${actorKey.id}") { id } } }`, { key: t.adminKey });
    expect(actor.body.data).toEqual({ admin: { u: { id: actorUser.id }, k: { id: actorKey.id } } });

    // The trail is the admins': to a standard key, even the actor's own, no event exists.
    const asUser = await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { key: user.key, variables: { id: event.id } });
    expect(asUser.body).toEqual({ data: { node: null } });
  });

  it('keeps the ids of a target that is gone, whose object is then null', async () => {
    const user = await createUser(t);
    const created = await t.gql(`mutation { createApiKey(input: { name: "revoked" }) { apiKey { id } } }`, { key: user.key });
    const keyId = created.body.data!.createApiKey.apiKey.id;
    const revoked = await t.gql(`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { userErrors { message } } }`, { key: user.key, variables: { id: keyId } });
    expect(revoked.body.data!.revokeApiKey.userErrors).toEqual([]);
    const trail = await t.gql(EVENTS, { key: t.adminKey, variables: { action: 'API_KEY_REVOKED', target: keyId } });
    expect(trail.body.data!.admin.auditEvents.nodes).toMatchObject([{ action: 'API_KEY_REVOKED', targetId: keyId, target: null }]);
  });

  it('takes the action as an enum, and the target as a global id, saying which rule a wrong one breaks', async () => {
    const asString = await t.gql(`{ admin { auditEvents(action: "API_KEY_CREATED") { totalCount } } }`, { key: t.adminKey });
    expect(asString.body.errors?.[0]?.message).toMatch(/Enum "AuditAction" cannot represent non-enum value: "API_KEY_CREATED"/);
    const unknown = await t.gql(`{ admin { auditEvents(action: API_KEY_EATEN) { totalCount } } }`, { key: t.adminKey });
    expect(unknown.body.errors?.[0]?.message).toMatch(/Value "API_KEY_EATEN" does not exist in "AuditAction" enum/);
    const enumValues = await t.gql(`{ __type(name: "AuditAction") { enumValues { name } } }`, { key: t.adminKey });
    expect(enumValues.body.data!.__type.enumValues.map((v: { name: string }) => v.name)).toContain('API_KEY_ROLLED');

    const user = await createUser(t);
    const userId = (await t.gql(`{ admin { user(username: "${user.username}") { id } } }`, { key: t.adminKey })).body.data!.admin.user.id;
    const notGlobal = await t.gql(EVENTS, { key: t.adminKey, variables: { target: 'not-a-global-id' } });
    expect(notGlobal.body.errors?.[0]?.message).toBe(
      'targetId: must be the global id of a user, organization, API key or algorithm, as read from an `id` field',
    );
    const created = await t.gql(EVENTS, { key: t.adminKey, variables: { action: 'USER_CREATED', target: userId } });
    expect(created.body.data!.admin.auditEvents.nodes).toMatchObject([{ action: 'USER_CREATED', targetType: 'USER', targetId: userId, target: { id: userId } }]);
  });
});
