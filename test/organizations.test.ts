/**
 * The admin plane for users and organizations, and what it means on the standard plane: profiles,
 * members, organization-owned algorithms and keys, deletion with tombstones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, startTestApp, uniqueName, type TestApp } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

type Payload = Record<string, any>;

const admin = async (query: string, variables?: Record<string, unknown>) => {
  const response = await t.gql(query, { key: t.adminKey, variables });
  expect(response.body.errors).toBeUndefined();
  return response.body.data!;
};

const CREATE_ORG = `mutation($input: CreateOrganizationInput!) {
  createOrganization(input: $input) { organization { id name label type email url contactName } userErrors { field message code } }
}`;
const ADD = `mutation($organization: String!, $username: String!, $role: MemberRole!) {
  addOrganizationMember(input: { organization: $organization, username: $username, role: $role }) {
    membership { role user { username } organization { name } } userErrors { field message code } }
}`;
const REMOVE = `mutation($organization: String!, $username: String!) {
  removeOrganizationMember(input: { organization: $organization, username: $username }) { userErrors { field message code } }
}`;
const SET_ROLE = `mutation($organization: String!, $username: String!, $role: MemberRole!) {
  setOrganizationMemberRole(input: { organization: $organization, username: $username, role: $role }) {
    membership { role } userErrors { field message code } }
}`;
const DELETE_USER = `mutation($username: String!) { deleteUser(input: { username: $username }) { deletedUserId userErrors { field message code } } }`;
const DELETE_ORG = `mutation($organization: String!) {
  deleteOrganization(input: { organization: $organization }) { deletedOrganizationId userErrors { field message code } }
}`;

async function createOrg(owners: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName('Org');
  const data = await admin(CREATE_ORG, { input: { name, label: 'An organization', owners, ...extra } });
  expect(data.createOrganization.userErrors).toEqual([]);
  return name;
}

const seedAlgorithm = (name: string, owner?: string) => ({
  name,
  ...(owner ? { owner } : {}),
  details: { label: name },
  settings: { language: 'PYTHON3', environment: 'CPU' },
});

async function createAlgorithm(key: string, input: Record<string, unknown>): Promise<Payload> {
  const response = await t.gql(
    `mutation($input: CreateAlgorithmInput!) { createAlgorithm(input: $input) { algorithm { id } userErrors { field message code } } }`,
    { key, variables: { input } },
  );
  return response.body.data!.createAlgorithm;
}

async function publish(key: string, id: string, versionType: string, callability?: string): Promise<Payload> {
  const response = await t.gql(
    `mutation($input: PublishAlgorithmInput!) { publishAlgorithm(input: $input) { version { semanticVersion } userErrors { field message code } } }`,
    { key, variables: { input: { id, versionType, callability } } },
  );
  return response.body.data!.publishAlgorithm;
}

const viewerStatus = async (key: string) => (await t.gql('{ viewer { key { id } } }', { key })).status;

describe('the issue walkthrough, with only the admin key to start', () => {
  it('two users and an organization: members, publishing, outsiders, the last owner, deletion', async () => {
    const first = await createUser(t);
    const second = await createUser(t);
    const outsider = await createUser(t);
    const org = await createOrg([first.username]);
    expect((await admin(ADD, { organization: org, username: second.username, role: 'MEMBER' })).addOrganizationMember).toEqual({
      membership: { role: 'MEMBER', user: { username: second.username }, organization: { name: org } },
      userErrors: [],
    });

    const created = await createAlgorithm(second.key, seedAlgorithm('team_work', org));
    expect(created.userErrors).toEqual([]);
    const id = created.algorithm.id;
    expect((await publish(second.key, id, 'MINOR')).userErrors).toEqual([]);
    expect((await publish(second.key, id, 'MAJOR', 'PUBLIC')).userErrors).toEqual([
      { field: ['callability'], code: 'FORBIDDEN', message: 'callability: only an owner of the organization may publish its algorithms PUBLIC' },
    ]);

    const outsiderView = async () =>
      (
        await t.gql(`query($ref: String!) { algorithm(ref: $ref) { versions { nodes { semanticVersion } } } }`, {
          key: outsider.key,
          variables: { ref: `${org}/team_work` },
        })
      ).body.data!.algorithm;
    expect(await outsiderView()).toBeNull();
    expect((await publish(first.key, id, 'MAJOR', 'PUBLIC')).version).toEqual({ semanticVersion: '1.0.0' });
    expect(await outsiderView()).toEqual({ versions: { nodes: [{ semanticVersion: '1.0.0' }] } });

    expect((await admin(REMOVE, { organization: org, username: first.username })).removeOrganizationMember.userErrors).toEqual([
      { field: ['username'], code: 'CONFLICT', message: `username: is the last owner of ${org}; make another member an owner first` },
    ]);

    expect(await viewerStatus(second.key)).toBe(200);
    const deleted = (await admin(DELETE_USER, { username: second.username })).deleteUser;
    expect(deleted).toEqual({ deletedUserId: second.id, userErrors: [] });
    expect(await viewerStatus(second.key)).toBe(401);
  });
});

describe('users on the admin plane', () => {
  it('finds users by part of their username, email or name', async () => {
    const user = await createUser(t, uniqueName('Findable'));
    const found = await admin(`query($q: String) { admin { users(query: $q) { totalCount nodes { username } } } }`, { q: 'findABLE' });
    expect(found.admin.users.nodes.map((u: Payload) => u.username)).toContain(user.username);
    const none = await admin(`query($q: String) { admin { users(query: $q) { totalCount } } }`, { q: '%_%nothing-like-this' });
    expect(none.admin.users.totalCount).toBe(0);
  });

  it('updates only the fields given, keeps emails unique, and never changes the username', async () => {
    const user = await createUser(t);
    const other = await createUser(t);
    const UPDATE = `mutation($input: UpdateUserInput!) { updateUser(input: $input) { user { username email fullName companyName } userErrors { field message code } } }`;
    const updated = (await admin(UPDATE, { input: { username: user.username, fullName: 'Grace Hopper', companyName: 'Navy' } })).updateUser;
    expect(updated).toEqual({
      user: { username: user.username, email: `${user.username}@example.com`, fullName: 'Grace Hopper', companyName: 'Navy' },
      userErrors: [],
    });
    const cleared = (await admin(UPDATE, { input: { username: user.username, companyName: null } })).updateUser;
    expect(cleared.user).toMatchObject({ fullName: 'Grace Hopper', companyName: null });
    const taken = (await admin(UPDATE, { input: { username: user.username, email: `${other.username}@EXAMPLE.com` } })).updateUser;
    expect(taken.userErrors).toEqual([{ field: ['email'], code: 'TAKEN', message: 'email: already used by another account' }]);
    const invalid = (await admin(UPDATE, { input: { username: user.username, email: 'nope' } })).updateUser;
    expect(invalid.userErrors[0]).toMatchObject({ field: ['email'], code: 'INVALID' });
  });

  it('keeps at least one administrator, and retires the admin keys of one who is demoted', async () => {
    const UPDATE = `mutation($input: UpdateUserInput!) { updateUser(input: $input) { user { isAdmin } userErrors { field message code } } }`;
    const lastAdmin = (await admin(UPDATE, { input: { username: 'admin', isAdmin: false } })).updateUser;
    expect(lastAdmin.userErrors).toEqual([
      { field: ['username'], code: 'CONFLICT', message: 'username: "admin" is the last cluster administrator; cannot remove the last administrator' },
    ]);
    expect((await admin(DELETE_USER, { username: 'admin' })).deleteUser.userErrors[0]).toMatchObject({ code: 'CONFLICT' });

    const ops = await createUser(t);
    expect((await admin(UPDATE, { input: { username: ops.username, isAdmin: true } })).updateUser.user).toEqual({ isAdmin: true });
    const minted = await admin(`mutation($u: String!) { createAdminApiKey(input: { username: $u, name: "ops" }) { secret } }`, { u: ops.username });
    const opsAdminKey = minted.createAdminApiKey.secret;
    expect((await t.gql('{ admin { users(first: 1) { totalCount } } }', { key: opsAdminKey })).status).toBe(200);
    await admin(UPDATE, { input: { username: ops.username, isAdmin: false } });
    expect((await t.gql('{ admin { users(first: 1) { totalCount } } }', { key: opsAdminKey })).status).toBe(401);
  });

  it('deletes a user: keys revoked at once, memberships and private algorithms gone, name and email never reissued', async () => {
    const doomed = await createUser(t);
    const boss = await createUser(t);
    const org = await createOrg([boss.username]);
    await admin(ADD, { organization: org, username: doomed.username, role: 'MEMBER' });
    expect((await createAlgorithm(doomed.key, seedAlgorithm('private_stuff'))).userErrors).toEqual([]);

    const deleted = (await admin(DELETE_USER, { username: doomed.username })).deleteUser;
    expect(deleted.userErrors).toEqual([]);
    expect(await viewerStatus(doomed.key)).toBe(401);
    expect((await admin(`query($u: String!) { admin { user(username: $u) { id } } }`, { u: doomed.username })).admin.user).toBeNull();
    const members = await admin(`query($o: String!) { admin { organization(name: $o) { members { nodes { user { username } } } } } }`, { o: org });
    expect(members.admin.organization.members.nodes).toEqual([{ user: { username: boss.username } }]);
    const theirs = await t.gql(`query($o: String) { algorithms(owner: $o) { totalCount } }`, { key: boss.key, variables: { o: doomed.username } });
    expect(theirs.body.data!.algorithms.totalCount).toBe(0);

    const again = await admin(
      `mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } userErrors { field code } } }`,
      { input: { username: doomed.username.toUpperCase(), email: `${doomed.username}@example.com` } },
    );
    expect(again.createUser.userErrors).toEqual([
      { field: ['username'], code: 'TAKEN' },
      { field: ['email'], code: 'TAKEN' },
    ]);
  });

  it('refuses to delete a user who owns a PUBLIC algorithm or is the last owner of an organization', async () => {
    const publisher = await createUser(t);
    const algorithm = await createAlgorithm(publisher.key, seedAlgorithm('relied_on'));
    await publish(publisher.key, algorithm.algorithm.id, 'MAJOR', 'PUBLIC');
    const refused = (await admin(DELETE_USER, { username: publisher.username })).deleteUser;
    expect(refused.userErrors[0]).toMatchObject({ field: ['username'], code: 'CONFLICT' });
    expect(refused.userErrors[0].message).toContain('relied_on');
    expect(await viewerStatus(publisher.key)).toBe(200);

    const soleOwner = await createUser(t);
    const org = await createOrg([soleOwner.username]);
    const orphaning = (await admin(DELETE_USER, { username: soleOwner.username })).deleteUser;
    expect(orphaning.userErrors).toEqual([
      { field: ['username'], code: 'CONFLICT', message: `username: is the last owner of ${org}; make another member an owner first` },
    ]);
  });
});

describe('organizations on the admin plane', () => {
  it('validates a new organization, naming each field', async () => {
    const user = await createUser(t);
    const bad = await admin(CREATE_ORG, {
      input: { name: '9org', label: '', email: 'not-an-email', url: 'ftp://x', owners: [] },
    });
    expect(bad.createOrganization.userErrors.map((e: Payload) => e.field.join('.'))).toEqual(['name', 'label', 'email', 'url', 'owners']);
    const unknownOwner = await admin(CREATE_ORG, { input: { name: uniqueName('Org'), label: 'x', owners: [user.username, 'ghost_user'] } });
    expect(unknownOwner.createOrganization.userErrors).toEqual([
      { field: ['owners', '1'], code: 'NOT_FOUND', message: 'owners.1: no user "ghost_user"' },
    ]);
    const clash = await admin(CREATE_ORG, { input: { name: user.username.toUpperCase(), label: 'x', owners: [user.username] } });
    expect(clash.createOrganization.userErrors).toEqual([
      { field: ['name'], code: 'TAKEN', message: `name: "${user.username.toUpperCase()}" is taken` },
    ]);
  });

  it('creates, lists, updates partially, and manages members without ever leaving no owner', async () => {
    const boss = await createUser(t);
    const helper = await createUser(t);
    const org = await createOrg([boss.username], { email: 'team@example.com', url: 'https://example.com', type: 'PRO', contactName: 'Boss' });
    const listed = await admin(`query($q: String) { admin { organizations(query: $q) { nodes { name type } } } }`, { q: org.toLowerCase() });
    expect(listed.admin.organizations.nodes).toEqual([{ name: org, type: 'PRO' }]);
    const UPDATE = `mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { organization { label url email type contactName } userErrors { message } } }`;
    const updated = (await admin(UPDATE, { input: { organization: org, label: 'Renamed', url: null } })).updateOrganization;
    expect(updated).toEqual({
      organization: { label: 'Renamed', url: null, email: 'team@example.com', type: 'PRO', contactName: 'Boss' },
      userErrors: [],
    });

    await admin(ADD, { organization: org, username: helper.username, role: 'MEMBER' });
    expect((await admin(ADD, { organization: org, username: helper.username, role: 'OWNER' })).addOrganizationMember.userErrors[0]).toMatchObject({
      code: 'CONFLICT',
    });
    expect((await admin(SET_ROLE, { organization: org, username: boss.username, role: 'MEMBER' })).setOrganizationMemberRole.userErrors[0]).toMatchObject({
      code: 'CONFLICT',
    });
    expect((await admin(SET_ROLE, { organization: org, username: helper.username, role: 'OWNER' })).setOrganizationMemberRole).toEqual({
      membership: { role: 'OWNER' },
      userErrors: [],
    });
    expect((await admin(SET_ROLE, { organization: org, username: boss.username, role: 'MEMBER' })).setOrganizationMemberRole.userErrors).toEqual([]);
    expect((await admin(REMOVE, { organization: org, username: boss.username })).removeOrganizationMember.userErrors).toEqual([]);
    const stranger = await createUser(t);
    expect((await admin(REMOVE, { organization: org, username: stranger.username })).removeOrganizationMember.userErrors[0]).toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('deletes an organization: its keys revoked, its private algorithms gone, its name never reissued', async () => {
    const boss = await createUser(t);
    const org = await createOrg([boss.username]);
    const key = (
      await t.gql(`mutation($o: String) { createApiKey(input: { name: "org-key", owner: $o }) { secret userErrors { message } } }`, {
        key: boss.key,
        variables: { o: org },
      })
    ).body.data!.createApiKey.secret;
    expect(await viewerStatus(key)).toBe(200);
    expect((await createAlgorithm(boss.key, seedAlgorithm('org_private', org))).userErrors).toEqual([]);

    expect((await admin(DELETE_ORG, { organization: org })).deleteOrganization.userErrors).toEqual([]);
    expect(await viewerStatus(key)).toBe(401);
    expect((await admin(`query($o: String!) { admin { organization(name: $o) { id } } }`, { o: org })).admin.organization).toBeNull();
    const reuse = await admin(CREATE_ORG, { input: { name: org, label: 'again', owners: [boss.username] } });
    expect(reuse.createOrganization.userErrors[0]).toMatchObject({ field: ['name'], code: 'TAKEN' });
    const viewer = await t.gql('{ viewer { user { organizations { organization { name } } } } }', { key: boss.key });
    expect(viewer.body.data!.viewer.user.organizations).toEqual([]);
  });

  it('refuses to delete an organization with a PUBLIC algorithm', async () => {
    const boss = await createUser(t);
    const org = await createOrg([boss.username]);
    const algorithm = await createAlgorithm(boss.key, seedAlgorithm('org_public', org));
    await publish(boss.key, algorithm.algorithm.id, 'MAJOR', 'PUBLIC');
    const refused = (await admin(DELETE_ORG, { organization: org })).deleteOrganization;
    expect(refused.userErrors[0]).toMatchObject({ field: ['organization'], code: 'CONFLICT' });
  });

  it('audits organization and membership changes', async () => {
    const boss = await createUser(t);
    const member = await createUser(t);
    const org = await createOrg([boss.username]);
    await admin(ADD, { organization: org, username: member.username, role: 'MEMBER' });
    await admin(SET_ROLE, { organization: org, username: member.username, role: 'OWNER' });
    await admin(REMOVE, { organization: org, username: member.username });
    const orgId = ((await admin(`query($o: String!) { admin { organization(name: $o) { id } } }`, { o: org })).admin.organization.id);
    const trail = await admin(`query($id: ID) { admin { auditEvents(targetId: $id) { nodes { action actorVia } } } }`, { id: orgId });
    expect(trail.admin.auditEvents.nodes).toEqual(
      ['ORGANIZATION_CREATED', 'ORGANIZATION_MEMBER_ADDED', 'ORGANIZATION_MEMBER_ROLE_CHANGED', 'ORGANIZATION_MEMBER_REMOVED'].map((action) => ({
        action,
        actorVia: 'api',
      })),
    );
  });
});

describe('the standard plane', () => {
  it('shows an organization\'s contacts and members to members only, and each user their own organizations', async () => {
    const boss = await createUser(t);
    const member = await createUser(t);
    const outsider = await createUser(t);
    const org = await createOrg([boss.username], { email: 'team@example.com', contactName: 'Boss' });
    await admin(ADD, { organization: org, username: member.username, role: 'MEMBER' });
    const PROFILE = `query($o: String!) { organization(name: $o) { name label email contactName members { totalCount nodes { role user { username } } } } }`;
    const asMember = (await t.gql(PROFILE, { key: member.key, variables: { o: org } })).body.data!.organization;
    expect(asMember).toMatchObject({ name: org, email: 'team@example.com', contactName: 'Boss', members: { totalCount: 2 } });
    const asOutsider = (await t.gql(PROFILE, { key: outsider.key, variables: { o: org } })).body.data!.organization;
    expect(asOutsider).toEqual({ name: org, label: 'An organization', email: null, contactName: null, members: null });

    const mine = await t.gql('{ viewer { user { organizations { role organization { name } } } } }', { key: member.key });
    expect(mine.body.data!.viewer.user.organizations).toEqual([{ role: 'MEMBER', organization: { name: org } }]);
    const theirs = await t.gql(`query($u: String!) { user(username: $u) { username email organizations { role } } }`, {
      key: outsider.key,
      variables: { u: member.username },
    });
    expect(theirs.body.data!.user).toEqual({ username: member.username, email: null, organizations: null });
  });

  it('keeps an organization key working after the user who made it leaves; it acts as the organization', async () => {
    const founder = await createUser(t);
    const successor = await createUser(t);
    const org = await createOrg([founder.username, successor.username]);
    const orgKey = (
      await t.gql(`mutation($o: String) { createApiKey(input: { name: "ci", owner: $o, manageAlgorithms: true }) { secret userErrors { message } } }`, {
        key: founder.key,
        variables: { o: org },
      })
    ).body.data!.createApiKey.secret;
    expect((await admin(REMOVE, { organization: org, username: founder.username })).removeOrganizationMember.userErrors).toEqual([]);
    const viewer = await t.gql('{ viewer { owner { name } user { username } } }', { key: orgKey });
    expect(viewer.body.data!.viewer).toEqual({ owner: { name: org }, user: null });
    const made = await createAlgorithm(orgKey, seedAlgorithm('by_the_org'));
    expect(made.userErrors).toEqual([]);
    const owned = await t.gql(`query($o: String!) { organization(name: $o) { algorithms { nodes { name } } } }`, {
      key: successor.key,
      variables: { o: org },
    });
    expect(owned.body.data!.organization.algorithms.nodes).toEqual([{ name: 'by_the_org' }]);
  });
});

describe('admin { node }', () => {
  it('finds any object by its global id, private algorithms and other users\' keys included', async () => {
    const user = await createUser(t);
    const algorithm = await createAlgorithm(user.key, seedAlgorithm('secretive'));
    const keyId = (await t.gql('{ viewer { key { id } } }', { key: user.key })).body.data!.viewer.key.id;
    const found = await admin(`query($a: ID!, $k: ID!, $u: ID!) { admin {
      a: node(id: $a) { ... on Algorithm { name } } k: node(id: $k) { ... on ApiKey { name } } u: node(id: $u) { ... on User { username } } } }`, {
      a: algorithm.algorithm.id,
      k: keyId,
      u: user.id,
    });
    expect(found.admin).toEqual({ a: { name: 'secretive' }, k: { name: 'default-key' }, u: { username: user.username } });
  });
});
