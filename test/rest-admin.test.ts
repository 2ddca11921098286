/**
 * Algorithmia's admin REST endpoints for users, organizations, members and organization types
 * (REST-CONTRACT.md §4, §5), through HTTP as its clients call them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, startTestApp, uniqueName, type TestApp } from './helpers/app.js';
import { rest } from './helpers/rest.js';

let t: TestApp;
let standardKey: string;
beforeAll(async () => {
  t = await startTestApp();
  standardKey = (await createUser(t)).key;
});
afterAll(() => t?.close());

const admin = (method: string, path: string, body?: unknown) => rest(t, method, path, { key: t.adminKey, body });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NOT_AUTHORIZED = { error: { code: 2001, message: 'Caller is not authorized to perform the operation.' } };

async function typeIds(): Promise<Record<string, string>> {
  const { body } = await admin('GET', '/v1/organization/types');
  return Object.fromEntries((body as { id: string; name: string }[]).map((type) => [type.name, type.id]));
}

async function newOrganization(extra: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName('Org');
  const created = await admin('POST', '/v1/organizations', { org_name: name, org_label: 'Label', org_contact_name: 'some owner', org_email: 'o@example.com', ...extra });
  expect(created.status).toBe(200);
  return name;
}

describe('users', () => {
  it('creates, reads, updates and deletes a user, in the User shape', async () => {
    const username = uniqueName('rest');
    const created = await admin('POST', '/v1/users', { username, email: `${username}@example.com`, fullname: 'Ada L', company_name: 'Acme', company_role: 'CTO' });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      id: expect.stringMatching(UUID),
      username,
      email: `${username}@example.com`,
      fullname: 'Ada L',
      company_name: 'Acme',
      company_role: 'CTO',
      self_link: `http://localhost/v1/users/${username}`,
      resource_type: 'user',
    });
    expect(created.text).not.toMatch(/sim[A-Za-z0-9]{20}/);

    const read = await admin('GET', `/v1/users/${username}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    const updated = await admin('PUT', `/v1/users/${username}`, { username, company_role: 'CEO', fullname: null });
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({ ...created.body, company_role: 'CEO', fullname: null });

    const deleted = await admin('DELETE', `/v1/users/${username}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await admin('GET', `/v1/users/${username}`)).body.error.code).toBe(3000);
  });

  it('takes the Python and Java clients\' create body, ignoring the fields it does not know', async () => {
    const username = uniqueName('py');
    const created = await admin('POST', '/v1/users', { username, email: `${username}@example.com`, passwordHash: '', shouldCreateHello: false });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ username, fullname: null, resource_type: 'user' });
  });

  it('keeps the default-key a new user gets, without showing its secret', async () => {
    const username = uniqueName('keyed');
    expect((await admin('POST', '/v1/users', { username, email: `${username}@example.com` })).status).toBe(200);
    const viewed = await t.gql(`query($u: String!) { admin { user(username: $u) { defaultKey { name } } } }`, { key: t.adminKey, variables: { u: username } });
    expect(viewed.body.data?.admin.user.defaultKey).toEqual({ name: 'default-key' });
  });

  it('answers 409 3003 for a taken username (also an organization\'s) and 3004 for a taken email', async () => {
    const username = uniqueName('taken');
    await admin('POST', '/v1/users', { username, email: `${username}@example.com` });
    const name = await admin('POST', '/v1/users', { username: username.toUpperCase(), email: `other_${username}@example.com` });
    expect(name.status).toBe(409);
    expect(name.body.error).toMatchObject({ code: 3003, message: 'The username is already taken.' });
    const email = await admin('POST', '/v1/users', { username: `${username}_2`, email: `${username}@example.com` });
    expect(email.status).toBe(409);
    expect(email.body.error.code).toBe(3004);
    const organization = await newOrganization();
    const orgName = await admin('POST', '/v1/users', { username: organization, email: `${organization}@example.com` });
    expect([orgName.status, orgName.body.error.code]).toEqual([409, 3003]);
  });

  it('names a missing field (3005) and a malformed one (3001), and writes nothing', async () => {
    const username = uniqueName('bad');
    const missing = await admin('POST', '/v1/users', { username });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe(3005);
    expect(missing.body.error.message).toMatch(/email/);
    const bodyless = await admin('POST', '/v1/users');
    expect([bodyless.status, bodyless.body.error.code]).toEqual([400, 3005]);
    expect(bodyless.body.error.message).toMatch(/username/);

    const badEmail = await admin('POST', '/v1/users', { username, email: 'not-an-email' });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.error.code).toBe(3001);
    expect(badEmail.body.error.message).toMatch(/^email: /);
    const longName = await admin('POST', '/v1/users', { username, email: `${username}@example.com`, fullname: 'x'.repeat(201) });
    expect([longName.status, longName.body.error.code]).toEqual([400, 3001]);
    expect(longName.body.error.message).toMatch(/^fullname: /);
    const badType = await admin('POST', '/v1/users', { username, email: `${username}@example.com`, company_name: 7 });
    expect([badType.status, badType.body.error.code]).toEqual([400, 3001]);
    expect(badType.body.error.message).toMatch(/^company_name: /);
    // Algorithmia's bound: a company name of at most 100 characters.
    const longCompany = await admin('POST', '/v1/users', { username, email: `${username}@example.com`, company_name: 'x'.repeat(101) });
    expect([longCompany.status, longCompany.body.error.message]).toEqual([400, 'company_name: must be at most 100 characters']);
    expect((await admin('GET', `/v1/users/${username}`)).status).toBe(404);
  });

  it('refuses a body naming another user (3007) and a bad change, changing nothing', async () => {
    const { username } = await createUser(t);
    const before = (await admin('GET', `/v1/users/${username}`)).body;
    const renamed = await admin('PUT', `/v1/users/${username}`, { username: 'someone_else', fullname: 'X' });
    expect(renamed.status).toBe(400);
    expect(renamed.body.error).toMatchObject({ code: 3007, message: 'The username in the request body does not match the username in the request path.' });
    const badEmail = await admin('PUT', `/v1/users/${username}`, { email: 'nope', fullname: 'X' });
    expect([badEmail.status, badEmail.body.error.code]).toEqual([400, 3001]);
    expect(badEmail.body.error.message).toMatch(/^email: /);
    const other = await createUser(t);
    const takenEmail = await admin('PUT', `/v1/users/${username}`, { email: `${other.username}@example.com` });
    expect([takenEmail.status, takenEmail.body.error.code]).toEqual([409, 3004]);
    expect((await admin('GET', `/v1/users/${username}`)).body).toEqual(before);
  });

  it('answers 404 3000 for an unknown user on GET, PUT and DELETE', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const answer = await admin(method, '/v1/users/nobody_here_at_all', method === 'PUT' ? { fullname: 'x' } : undefined);
      expect(answer.status).toBe(404);
      expect(answer.body.error).toMatchObject({ code: 3000, message: 'The requested user was not found.' });
    }
  });

  it("stops a deleted user's keys: its next REST call answers 401", async () => {
    const user = await createUser(t);
    expect((await rest(t, 'GET', '/v1/organization/types', { key: user.key })).status).toBe(200);
    expect((await admin('DELETE', `/v1/users/${user.username}`)).status).toBe(204);
    const after = await rest(t, 'GET', '/v1/organization/types', { key: user.key });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe(2002);
  });

  it('refuses to delete the last owner of an organization, with the reason', async () => {
    const user = await createUser(t);
    const organization = await newOrganization();
    await admin('PUT', `/v1/organizations/${organization}/members/${user.username}`);
    // The admin's user is the first owner; make the new member the only one.
    const adminUser = (await admin('GET', `/v1/organizations/${organization}/members`)).body.results.find((m: any) => m.role === 'owner').username;
    const promote = await t.gql(
      `mutation($o: String!, $u: String!) { setOrganizationMemberRole(input: { organization: $o, username: $u, role: OWNER }) { userErrors { message } } }`,
      { key: t.adminKey, variables: { o: organization, u: user.username } },
    );
    expect(promote.body.data?.setOrganizationMemberRole.userErrors).toEqual([]);
    expect((await admin('DELETE', `/v1/organizations/${organization}/members/${adminUser}`)).status).toBe(204);
    const refused = await admin('DELETE', `/v1/users/${user.username}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/last owner/);
    expect((await admin('GET', `/v1/users/${user.username}`)).status).toBe(200);
  });
});

describe('paging', () => {
  it('walks users three pages long by marker and by next_link, until both are null', async () => {
    for (let i = 0; i < 5; i += 1) await createUser(t);
    const all = (await admin('GET', '/v1/users?limit=100')).body.results.map((u: any) => u.username);
    const limit = Math.ceil(all.length / 3);
    const byMarker: string[] = [];
    const byLink: string[] = [];
    let marker: string | null = null;
    let link: string | null = `http://localhost/v1/users?limit=${limit}`;
    let pages = 0;
    do {
      const page = await admin('GET', `/v1/users?limit=${limit}${marker ? `&marker=${encodeURIComponent(marker)}` : ''}`);
      expect(page.status).toBe(200);
      byMarker.push(...page.body.results.map((u: any) => u.username));
      marker = page.body.marker;
      expect(page.body.next_link === null).toBe(marker === null);
      const viaLink = await admin('GET', new URL(link!).pathname + new URL(link!).search);
      byLink.push(...viaLink.body.results.map((u: any) => u.username));
      link = viaLink.body.next_link;
      pages += 1;
    } while (marker !== null);
    expect(link).toBeNull();
    expect(pages).toBe(3);
    expect(byMarker).toEqual(all);
    expect(byLink).toEqual(all);
  });

  it('pages organizations and members', async () => {
    for (let i = 0; i < 3; i += 1) await newOrganization();
    const organizations = (await admin('GET', '/v1/organizations?limit=100')).body.results;
    const names: string[] = [];
    let marker: string | null = null;
    do {
      const page: any = await admin('GET', `/v1/organizations?limit=1${marker ? `&marker=${encodeURIComponent(marker)}` : ''}`);
      names.push(...page.body.results.map((o: any) => o.org_name));
      marker = page.body.marker;
    } while (marker !== null);
    expect(names).toEqual(organizations.map((o: any) => o.org_name));
    expect(names.length).toBeGreaterThanOrEqual(3);

    const organization = await newOrganization();
    const users = [await createUser(t), await createUser(t), await createUser(t), await createUser(t)];
    for (const user of users) expect((await admin('PUT', `/v1/organizations/${organization}/members/${user.username}`)).status).toBe(201);
    const first = await admin('GET', `/v1/organizations/${organization}/members?limit=2`);
    expect(first.body.results).toHaveLength(2);
    expect(first.body.results[0]).toEqual({
      username: expect.any(String),
      role: 'owner',
      user_link: expect.stringMatching(/^http:\/\/localhost\/v1\/users\//),
      resource_type: 'organization_member',
    });
    const second = await admin('GET', `/v1/organizations/${organization}/members?limit=2&marker=${encodeURIComponent(first.body.marker)}`);
    const third = await admin('GET', new URL(second.body.next_link).pathname + new URL(second.body.next_link).search);
    expect(third.body).toMatchObject({ marker: null, next_link: null });
    expect(third.body.results).toHaveLength(1);
    expect([...first.body.results, ...second.body.results, ...third.body.results].slice(1)).toEqual(
      users.map((u) => ({ username: u.username, role: 'member', user_link: `http://localhost/v1/users/${u.username}`, resource_type: 'organization_member' })),
    );
  });

  it('refuses a bad marker (5002) and a limit of 0 or 101 (5003)', async () => {
    for (const path of ['/v1/users', '/v1/organizations']) {
      const marker = await admin('GET', `${path}?marker=garbage`);
      expect([marker.status, marker.body.error.code]).toEqual([400, 5002]);
      for (const limit of ['0', '101', 'ten']) {
        const answer = await admin('GET', `${path}?limit=${limit}`);
        expect([answer.status, answer.body.error.code]).toEqual([400, 5003]);
      }
    }
    const organization = await newOrganization();
    const members = await admin('GET', `/v1/organizations/${organization}/members?marker=garbage`);
    expect([members.status, members.body.error.code]).toEqual([400, 5002]);
  });
});

describe('organization types', () => {
  it('answers a bare array of basic, legacy and pro with stable ids, to standard and admin keys', async () => {
    const byAdmin = await admin('GET', '/v1/organization/types');
    const byStandard = await rest(t, 'GET', '/v1/organization/types', { key: `Simple ${standardKey}` });
    expect(byAdmin.status).toBe(200);
    expect(byStandard.status).toBe(200);
    expect(byStandard.body).toEqual(byAdmin.body);
    expect(byAdmin.body.map((type: any) => type.name).sort()).toEqual(['basic', 'legacy', 'pro']);
    for (const type of byAdmin.body) expect(type.id).toMatch(UUID);
    expect(await typeIds()).toEqual(Object.fromEntries(byAdmin.body.map((type: any) => [type.name, type.id])));
  });
});

describe('organizations', () => {
  it('creates with the admin key\'s user as first owner, and reads it back, in the Organization shape', async () => {
    const types = await typeIds();
    const name = uniqueName('Acme');
    const created = await admin('POST', '/v1/organizations', {
      org_name: name,
      org_label: 'Acme Inc',
      org_contact_name: 'Some owner',
      org_email: 'acme@example.com',
      org_url: 'https://acme.example.com',
      type_id: types.legacy,
      resource_type: 'organization',
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      id: expect.stringMatching(UUID),
      org_name: name,
      org_label: 'Acme Inc',
      org_contact_name: 'Some owner',
      org_email: 'acme@example.com',
      org_url: 'https://acme.example.com',
      type_id: types.legacy,
      org_created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/),
      owner_ids: [expect.stringMatching(UUID)],
      external_id: null,
      external_admin_group: null,
      external_member_group: null,
      stripe_customer_id: null,
      resource_type: 'organization',
      self_link: `http://localhost/v1/organizations/${name}`,
    });
    const read = await admin('GET', `/v1/organizations/${name}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    const members = (await admin('GET', `/v1/organizations/${name}/members`)).body.results;
    expect(members).toHaveLength(1);
    expect(members[0].role).toBe('owner');
    const owner = await admin('GET', `/v1/users/${members[0].username}`);
    expect(created.body.owner_ids).toEqual([owner.body.id]);
    const listed = (await admin('GET', '/v1/organizations?limit=100')).body.results.find((o: any) => o.org_name === name);
    expect(listed).toEqual(created.body);
  });

  it('answers 409 3101 for a taken name (also a username), 3108 for an unknown type, 3103 naming a bad field: nothing written', async () => {
    const name = await newOrganization();
    const again = await admin('POST', '/v1/organizations', { org_name: name.toLowerCase(), org_label: 'x' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 3101, message: 'An organization already exists with this name.' });
    const { username } = await createUser(t);
    const asUser = await admin('POST', '/v1/organizations', { org_name: username, org_label: 'x' });
    expect([asUser.status, asUser.body.error.code]).toEqual([409, 3101]);

    const fresh = uniqueName('Fresh');
    const badType = await admin('POST', '/v1/organizations', { org_name: fresh, org_label: 'x', type_id: '00000000-0000-4000-8000-000000000000' });
    expect([badType.status, badType.body.error.code]).toEqual([400, 3108]);
    const emptyType = await admin('POST', '/v1/organizations', { org_name: fresh, org_label: 'x', type_id: '' });
    expect([emptyType.status, emptyType.body.error.code]).toEqual([400, 3108]);
    const badEmail = await admin('POST', '/v1/organizations', { org_name: fresh, org_label: 'x', org_email: 'nope' });
    expect([badEmail.status, badEmail.body.error.code]).toEqual([400, 3103]);
    expect(badEmail.body.error.message).toMatch(/^org_email: /);
    const noLabel = await admin('POST', '/v1/organizations', { org_name: fresh });
    expect([noLabel.status, noLabel.body.error.code]).toEqual([400, 3103]);
    expect(noLabel.body.error.message).toMatch(/^org_label: is required/);
    const badName = await admin('POST', '/v1/organizations', { org_name: '1bad', org_label: 'x' });
    expect([badName.status, badName.body.error.code]).toEqual([400, 3103]);
    expect(badName.body.error.message).toMatch(/^org_name: /);
    expect((await admin('GET', `/v1/organizations/${fresh}`)).status).toBe(404);
  });

  it('updates from the path: present fields replace, absent and null keep; 204 empty', async () => {
    const types = await typeIds();
    const name = await newOrganization({ org_url: 'https://a.example.com' });
    const before = (await admin('GET', `/v1/organizations/${name}`)).body;
    const edited = await admin('PUT', `/v1/organizations/${name}`, { org_label: 'New label', org_url: null, type_id: types.pro });
    expect(edited.status).toBe(204);
    expect(edited.text).toBe('');
    const after = (await admin('GET', `/v1/organizations/${name}`)).body;
    expect(after).toEqual({ ...before, org_label: 'New label', type_id: types.pro });
  });

  it('takes the Node client\'s update: the whole GET answer sent back with a new org_email', async () => {
    const name = await newOrganization();
    const got = (await admin('GET', `/v1/organizations/${name}`)).body;
    const edited = await rest(t, 'PUT', `/v1/organizations/${name}`, {
      key: `Simple ${t.adminKey}`,
      body: JSON.stringify({ ...got, org_email: 'changed@example.com', id: 'some-other-id', org_name: 'IgnoredName' }),
    });
    expect(edited.status).toBe(204);
    const after = (await admin('GET', `/v1/organizations/${name}`)).body;
    expect(after).toEqual({ ...got, org_email: 'changed@example.com' });
  });

  it('refuses a bad update naming the field (3103) or its type (3108), changing nothing; 404 3100 for no such organization', async () => {
    const name = await newOrganization();
    const before = (await admin('GET', `/v1/organizations/${name}`)).body;
    const badUrl = await admin('PUT', `/v1/organizations/${name}`, { org_label: 'changed', org_url: 'ftp://x' });
    expect([badUrl.status, badUrl.body.error.code]).toEqual([400, 3103]);
    expect(badUrl.body.error.message).toMatch(/^org_url: /);
    const badType = await admin('PUT', `/v1/organizations/${name}`, { org_label: 'changed', type_id: 'basic' });
    expect([badType.status, badType.body.error.code]).toEqual([400, 3108]);
    expect((await admin('GET', `/v1/organizations/${name}`)).body).toEqual(before);
    for (const [method, body] of [['GET'], ['PUT', { org_label: 'x' }]] as const) {
      const answer = await admin(method, '/v1/organizations/NoSuchOrgAnywhere', body);
      expect(answer.status).toBe(404);
      expect(answer.body.error).toMatchObject({ code: 3100, message: 'The requested organization was not found.' });
    }
    expect((await admin('GET', '/v1/organizations/NoSuchOrgAnywhere/members')).body.error.code).toBe(3100);
  });

  it('deletes: 204, also when absent or already deleted', async () => {
    const name = await newOrganization();
    const deleted = await admin('DELETE', `/v1/organizations/${name}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await admin('GET', `/v1/organizations/${name}`)).status).toBe(404);
    expect((await admin('DELETE', `/v1/organizations/${name}`)).status).toBe(204);
    expect((await admin('DELETE', '/v1/organizations/NeverWasHere')).status).toBe(204);
  });
});

describe('members', () => {
  it('adds (201, bodyless, empty answer), then 200 when already a member; 404 3000 user, 3100 organization', async () => {
    const organization = await newOrganization();
    const { username } = await createUser(t);
    const added = await admin('PUT', `/v1/organizations/${organization}/members/${username}`);
    expect(added.status).toBe(201);
    expect(added.text).toBe('');
    const again = await admin('PUT', `/v1/organizations/${organization}/members/${username}`);
    expect(again.status).toBe(200);
    expect(again.text).toBe('');
    // Python's invite_to_org: a PUT with Content-Length 0 and no Content-Type.
    const python = await rest(t, 'PUT', `/v1/organizations/${organization}/members/${username}`, { key: t.adminKey, headers: { 'content-length': '0' } });
    expect(python.status).toBe(200);
    const members = (await admin('GET', `/v1/organizations/${organization}/members`)).body.results;
    expect(members.filter((m: any) => m.username === username)).toEqual([
      { username, role: 'member', user_link: `http://localhost/v1/users/${username}`, resource_type: 'organization_member' },
    ]);

    const noUser = await admin('PUT', `/v1/organizations/${organization}/members/no_such_user_here`);
    expect([noUser.status, noUser.body.error.code]).toEqual([404, 3000]);
    const noOrg = await admin('PUT', `/v1/organizations/NoSuchOrgAnywhere/members/${username}`);
    expect([noOrg.status, noOrg.body.error.code]).toEqual([404, 3100]);
  });

  it('removes: 204, also when not a member or no such user; 400 3102 for the last owner; 404 3100 organization', async () => {
    const organization = await newOrganization();
    const { username } = await createUser(t);
    await admin('PUT', `/v1/organizations/${organization}/members/${username}`);
    const removed = await admin('DELETE', `/v1/organizations/${organization}/members/${username}`);
    expect(removed.status).toBe(204);
    expect(removed.text).toBe('');
    expect((await admin('DELETE', `/v1/organizations/${organization}/members/${username}`)).status).toBe(204);
    expect((await admin('DELETE', `/v1/organizations/${organization}/members/no_such_user_here`)).status).toBe(204);

    const [owner] = (await admin('GET', `/v1/organizations/${organization}/members`)).body.results;
    const lastOwner = await admin('DELETE', `/v1/organizations/${organization}/members/${owner.username}`);
    expect(lastOwner.status).toBe(400);
    expect(lastOwner.body.error).toMatchObject({ code: 3102, message: 'Unable to remove the last owner of an organization.' });
    expect((await admin('GET', `/v1/organizations/${organization}/members`)).body.results).toEqual([owner]);

    const noOrg = await admin('DELETE', `/v1/organizations/NoSuchOrgAnywhere/members/${username}`);
    expect([noOrg.status, noOrg.body.error.code]).toEqual([404, 3100]);
  });
});

describe('planes', () => {
  it('refuses a standard key on every admin route with 403 2001', async () => {
    const organization = await newOrganization();
    const { username } = await createUser(t);
    const routes: [string, string, unknown?][] = [
      ['GET', '/v1/users'],
      ['POST', '/v1/users', { username: uniqueName('std'), email: 'std@example.com' }],
      ['GET', `/v1/users/${username}`],
      ['PUT', `/v1/users/${username}`, { fullname: 'x' }],
      ['DELETE', `/v1/users/${username}`],
      ['GET', '/v1/organizations'],
      ['POST', '/v1/organizations', { org_name: uniqueName('Std'), org_label: 'x' }],
      ['GET', `/v1/organizations/${organization}`],
      ['PUT', `/v1/organizations/${organization}`, { org_label: 'x' }],
      ['DELETE', `/v1/organizations/${organization}`],
      ['GET', `/v1/organizations/${organization}/members`],
      ['PUT', `/v1/organizations/${organization}/members/${username}`],
      ['DELETE', `/v1/organizations/${organization}/members/${username}`],
    ];
    for (const [method, path, body] of routes) {
      const answer = await rest(t, method, path, { key: standardKey, body });
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body).toEqual({ error: { id: expect.any(String), ...NOT_AUTHORIZED.error } });
    }
    expect((await admin('GET', `/v1/users/${username}`)).status).toBe(200);
    expect((await admin('GET', `/v1/organizations/${organization}`)).body.org_label).toBe('Label');
  });

  it('lists every route in the OpenAPI document with its operationId', async () => {
    const document = (await rest(t, 'GET', '/v1/openapispec')).body;
    const operations = Object.values(document.paths as Record<string, Record<string, { operationId: string }>>).flatMap((path) =>
      Object.values(path).map((operation) => operation.operationId),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        'getUsers',
        'createUser',
        'getUser',
        'updateUser',
        'deleteUser',
        'getAllOrganizationTypes',
        'getOrganizations',
        'createOrganization',
        'getOrganization',
        'editOrganization',
        'deleteOrganization',
        'listMembers',
        'addOrganizationMember',
        'removeOrganizationMember',
      ]),
    );
  });
});
