import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../src/db/connect.js';
import { createUser, localId, startTestApp, uniqueName, type GraphQLResponse, type TestApp } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const CREATE_USER = `mutation($input: CreateUserInput!) {
  createUser(input: $input) {
    user { id username email fullName isAdmin }
    defaultKey { name mask kind isDefault manageAlgorithms manageAccount dataAccess
                 callerOrigin { allowNativeClients allowBrowser referrerHosts } }
    secret
    userErrors { field message code }
  }
}`;

async function count(table: 'users' | 'owners' | 'api_keys' | 'audit_events'): Promise<number> {
  const [row] = await rows<{ n: number }>(t.app.database.db, sql.raw(`select count(*)::int as n from ${table}`));
  return row!.n;
}

describe('createUser', () => {
  it('creates the user and its default-key, whose secret is returned once and answers viewer', async () => {
    const username = uniqueName('Ada');
    const created = await t.gql(CREATE_USER, {
      key: t.adminKey,
      variables: { input: { username, email: `${username}@Example.com`, fullName: 'Ada Lovelace' } },
    });
    const payload = created.body.data!.createUser;
    expect(payload.userErrors).toEqual([]);
    expect(payload.user).toMatchObject({ username, email: `${username}@Example.com`, fullName: 'Ada Lovelace', isAdmin: false });
    expect(payload.defaultKey).toEqual({
      name: 'default-key',
      mask: `${payload.secret.slice(0, 7)}…${payload.secret.slice(-4)}`,
      kind: 'STANDARD',
      isDefault: true,
      manageAlgorithms: true,
      manageAccount: true,
      dataAccess: 'READ_WRITE',
      callerOrigin: { allowNativeClients: true, allowBrowser: true, referrerHosts: [] },
    });
    expect(payload.secret).toMatch(/^sim[0-9A-Za-z]{28}$/);

    const viewer = await t.gql(`{ viewer { key { name mask } owner { __typename name } user { username email defaultKey { mask } } } }`, {
      key: payload.secret,
    });
    expect(viewer.body).toEqual({
      data: {
        viewer: {
          key: { name: 'default-key', mask: payload.defaultKey.mask },
          owner: { __typename: 'User', name: username },
          user: { username, email: `${username}@Example.com`, defaultKey: { mask: payload.defaultKey.mask } },
        },
      },
    });
  });

  it('accepts the three Authorization forms for the new key', async () => {
    const user = await createUser(t);
    for (const header of [`Simple ${user.key}`, `Bearer ${user.key}`, user.key]) {
      const response = await t.gql('{ viewer { user { username } } }', { headers: { authorization: header } });
      expect(response.body.data?.viewer.user.username, header).toBe(user.username);
    }
  });

  it('names each invalid field and the rule it breaks, and creates nothing', async () => {
    const before = await count('owners');
    const response = await t.gql(CREATE_USER, {
      key: t.adminKey,
      variables: { input: { username: '9lives', email: 'not-an-email', fullName: 'x'.repeat(201) } },
    });
    const payload = response.body.data!.createUser;
    expect(payload.user).toBeNull();
    expect(payload.secret).toBeNull();
    expect(payload.userErrors).toEqual([
      {
        field: ['username'],
        code: 'INVALID',
        message: 'username: must start with a letter and contain only letters, digits and underscores',
      },
      { field: ['email'], code: 'INVALID', message: 'email: must be an email address like name@example.com' },
      { field: ['fullName'], code: 'INVALID', message: 'fullName: must be at most 200 characters' },
    ]);
    expect(await count('owners')).toBe(before);
  });

  it.each([
    ['a'.repeat(31), 'username: must be at most 30 characters'],
    ['has space', 'username: must start with a letter and contain only letters, digits and underscores'],
    ['', 'username: must start with a letter and contain only letters, digits and underscores'],
  ])('refuses username %j', async (username, message) => {
    const response = await t.gql(CREATE_USER, { key: t.adminKey, variables: { input: { username, email: 'ok@example.com' } } });
    expect(response.body.data!.createUser.userErrors).toContainEqual({ field: ['username'], code: 'INVALID', message });
  });

  it('treats usernames and emails case-insensitively: both are TAKEN, and nothing is written', async () => {
    const user = await createUser(t);
    const before = await count('owners');
    const response = await t.gql(CREATE_USER, {
      key: t.adminKey,
      variables: { input: { username: user.username.toUpperCase(), email: `${user.username}@EXAMPLE.COM` } },
    });
    expect(response.body.data!.createUser.userErrors).toEqual([
      { field: ['username'], code: 'TAKEN', message: `username: "${user.username.toUpperCase()}" is taken` },
      { field: ['email'], code: 'TAKEN', message: 'email: already used by another account' },
    ]);
    expect(await count('owners')).toBe(before);
  });

  it('rolls everything back when a later step fails, and tells the client nothing internal', async () => {
    await t.app.database.db.execute(sql`
      create function test_refuse_key() returns trigger language plpgsql as $$
      begin raise exception 'internal detail: api_keys insert refused'; end $$`);
    await t.app.database.db.execute(sql`
      create trigger test_refuse_key before insert on api_keys for each row execute function test_refuse_key()`);
    const counts = await Promise.all([count('users'), count('owners'), count('api_keys'), count('audit_events')]);
    try {
      const username = uniqueName('Doomed');
      const response = await t.gql(CREATE_USER, {
        key: t.adminKey,
        variables: { input: { username, email: `${username}@example.com` } },
      });
      expect(response.body.data).toBeNull();
      expect(response.body.errors).toEqual([
        expect.objectContaining({
          message: 'Unexpected error.',
          extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: expect.any(String) },
        }),
      ]);
      expect(JSON.stringify(response.body)).not.toMatch(/api_keys|internal detail|stack/i);
      expect(await Promise.all([count('users'), count('owners'), count('api_keys'), count('audit_events')])).toEqual(counts);
      // The operator gets the detail, tied to the id the client saw.
      const requestId = response.body.errors![0]!.extensions!.requestId;
      expect(t.logs.some((line) => line.requestId === requestId && line.level === 50)).toBe(true);
    } finally {
      await t.app.database.db.execute(sql`drop trigger test_refuse_key on api_keys`);
      await t.app.database.db.execute(sql`drop function test_refuse_key()`);
    }
  });

  it('writes an audit event for the user and its key, with no secret anywhere in it', async () => {
    const user = await createUser(t);
    const events = await rows<{ action: string; actor_via: string; summary: unknown; actor_key_id: string | null }>(
      t.app.database.db,
      sql`select action, actor_via, summary, actor_key_id from audit_events
          where (target_type = 'USER' and target_id = ${localId(user.id)})
             or (target_type = 'API_KEY' and summary->>'ownerId' = ${localId(user.id)})
          order by id`,
    );
    expect(events.map((e) => e.action)).toEqual(['USER_CREATED', 'API_KEY_CREATED']);
    expect(events.every((e) => e.actor_via === 'api' && e.actor_key_id !== null)).toBe(true);
    expect(JSON.stringify(events)).not.toContain(user.key);
    expect(JSON.stringify(t.logs)).not.toContain(user.key);
  });
});

describe('admin { users user }', () => {
  it('pages through every user with keyset cursors, forwards and backwards', async () => {
    for (let i = 0; i < 3; i++) await createUser(t);
    const PAGE = `query($first: Int, $after: String, $last: Int, $before: String) {
      admin { users(first: $first, after: $after, last: $last, before: $before) {
        totalCount nodes { username } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }
    }`;
    const all = await t.gql(PAGE, { key: t.adminKey, variables: { first: 100 } });
    const everyone = all.body.data!.admin.users.nodes.map((u: { username: string }) => u.username);
    expect(everyone.length).toBe(all.body.data!.admin.users.totalCount);
    expect(everyone[0]).toBe('admin');

    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: GraphQLResponse = await t.gql(PAGE, { key: t.adminKey, variables: { first: 2, after } });
      const users: { nodes: { username: string }[]; pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string } } =
        page.body.data!.admin.users;
      seen.push(...users.nodes.map((u: { username: string }) => u.username));
      expect(users.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!users.pageInfo.hasNextPage) break;
      after = users.pageInfo.endCursor;
    }
    expect(seen).toEqual(everyone);

    const tail = await t.gql(PAGE, { key: t.adminKey, variables: { last: 2 } });
    expect(tail.body.data!.admin.users.nodes.map((u: { username: string }) => u.username)).toEqual(everyone.slice(-2));
    expect(tail.body.data!.admin.users.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const previous = await t.gql(PAGE, {
      key: t.adminKey,
      variables: { last: 2, before: tail.body.data!.admin.users.pageInfo.startCursor },
    });
    expect(previous.body.data!.admin.users.nodes.map((u: { username: string }) => u.username)).toEqual(everyone.slice(-4, -2));
  });

  it.each([
    [{ first: 101 }, 'first: must be between 0 and 100'],
    [{ first: -1 }, 'first: must be between 0 and 100'],
    [{ first: 1, last: 1 }, 'last: use either first or last, not both'],
    [{ after: 'bm90IGEgY3Vyc29y' }, 'after: not a cursor returned by this list'],
    [{ before: '$$$' }, 'before: not a cursor returned by this list'],
  ])('refuses %j with a BAD_USER_INPUT error naming the argument', async (variables, message) => {
    const response = await t.gql(
      `query($first: Int, $after: String, $last: Int, $before: String) {
        admin { users(first: $first, after: $after, last: $last, before: $before) { totalCount } } }`,
      { key: t.adminKey, variables },
    );
    expect(response.body.errors?.[0]).toMatchObject({ message, extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('finds a user by username, case-insensitively; null for no such user', async () => {
    const user = await createUser(t);
    const found = await t.gql(`query($u: String!) { admin { user(username: $u) { id username email } } }`, {
      key: t.adminKey,
      variables: { u: user.username.toUpperCase() },
    });
    expect(found.body.data!.admin.user).toEqual({ id: user.id, username: user.username, email: `${user.username}@example.com` });
    const missing = await t.gql(`{ admin { user(username: "nobody_at_all") { id } } }`, { key: t.adminKey });
    expect(missing.body).toEqual({ data: { admin: { user: null } } });
  });
});

describe('what other users see', () => {
  it('shows another user\'s public profile through node(id), without email or keys', async () => {
    const alice = await createUser(t);
    const bob = await createUser(t);
    const response = await t.gql(
      `query($id: ID!) { node(id: $id) { ... on User { username email defaultKey { mask } } } }`,
      { key: bob.key, variables: { id: alice.id } },
    );
    expect(response.body).toEqual({ data: { node: { username: alice.username, email: null, defaultKey: null } } });
  });

  it('does not reveal another user\'s key through node(id)', async () => {
    const alice = await createUser(t);
    const bob = await createUser(t);
    const aliceKey = await t.gql('{ viewer { key { id } } }', { key: alice.key });
    const keyId = aliceKey.body.data!.viewer.key.id;
    const asBob = await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { key: bob.key, variables: { id: keyId } });
    expect(asBob.body).toEqual({ data: { node: null } });
    const asAlice = await t.gql(`query($id: ID!) { node(id: $id) { ... on ApiKey { name } } }`, {
      key: alice.key,
      variables: { id: keyId },
    });
    expect(asAlice.body).toEqual({ data: { node: { name: 'default-key' } } });
  });
});
