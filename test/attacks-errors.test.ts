/**
 * Bad input is the client's mistake, answered as such: a coded client error, never an internal
 * one, and nothing half-written. Failures the server does have are logged without the values of
 * the statement that failed, and a request cut by its deadline is logged as that.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, ON_POSTGRES, startTestApp, uniqueName, type GraphQLResponse, type TestApp } from './helpers/app.js';
import { algorithmBody, expectEnvelope } from './helpers/rest-auth-matrix.js';
import { rest } from './helpers/rest.js';

const base64 = (text: string) => Buffer.from(text).toString('base64');
const ERROR_LEVEL = 50;

/** Makes inserts of keys and algorithms named `prefix…` fail (or wait `sleepSeconds`, then pass) in the database itself. */
async function misbehaveOn(t: TestApp, prefix: string, sleepSeconds?: number): Promise<void> {
  const body = sleepSeconds === undefined ? `raise exception 'refused by a test trigger'` : `perform pg_sleep(${sleepSeconds})`;
  const fn = `test_${prefix}`;
  await t.app.database.db.execute(
    sql.raw(`create function ${fn}() returns trigger language plpgsql as $$
      begin if new.name like '${prefix}%' then ${body}; end if; return new; end $$`),
  );
  for (const table of ['api_keys', 'algorithms']) {
    await t.app.database.db.execute(sql.raw(`create trigger ${fn}_${table} before insert on ${table} for each row execute function ${fn}()`));
  }
}

function expectClientError(response: GraphQLResponse, code: string) {
  expect(response.status, JSON.stringify(response.body)).toBeLessThan(500);
  expect(response.body.errors?.map((e) => e.extensions?.code)).toEqual([code]);
}

/** Log lines at error level or above written since `from`. */
const errorLines = (t: TestApp, from = 0) => t.logs.slice(from).filter((line) => Number(line.level) >= ERROR_LEVEL);

describe('bad input', () => {
  let t: TestApp;
  let user: { key: string; username: string; id: string };
  beforeAll(async () => {
    t = await startTestApp();
    user = await createUser(t);
  });
  afterAll(() => t?.close());

  const keyNames = async () => {
    const response = await t.gql<{ apiKeys: { nodes: { name: string }[] } }>('{ apiKeys(first: 100) { nodes { name } } }', { key: user.key });
    return response.body.data!.apiKeys.nodes.map((k) => k.name);
  };

  const BAD_IDS = {
    empty: '',
    punctuation: '!!!',
    digits: '123',
    'a type name alone': base64('User'),
    'an unknown type name': base64('NoSuchType:6d2f0a0e-4b8e-4a57-9b7e-1b0d4a8b7f00'),
    'a Viewer (not a Node)': base64('Viewer:6d2f0a0e-4b8e-4a57-9b7e-1b0d4a8b7f00'),
    'a type that is not an object': base64('String:1'),
  };

  it.each(Object.entries(BAD_IDS))('node, nodes and admin.node with %s: BAD_USER_INPUT, logged as nothing', async (_, id) => {
    const from = t.logs.length;
    expectClientError(await t.gql('query($id: ID!) { node(id: $id) { id } }', { key: user.key, variables: { id } }), 'BAD_USER_INPUT');
    expectClientError(await t.gql('query($id: ID!) { nodes(ids: [$id]) { id } }', { key: user.key, variables: { id } }), 'BAD_USER_INPUT');
    expectClientError(
      await t.gql('query($id: ID!) { admin { node(id: $id) { id } } }', { key: t.adminKey, variables: { id } }),
      'BAD_USER_INPUT',
    );
    expect(errorLines(t, from)).toEqual([]);
  });

  it('an id written in the document, even as a number, is checked the same way; a well-formed unknown id is still null', async () => {
    expectClientError(await t.gql('{ node(id: 123) { id } }', { key: user.key }), 'BAD_USER_INPUT');
    expectClientError(await t.gql('{ nodes(ids: ["VXNlcg==", 123]) { id } }', { key: user.key }), 'BAD_USER_INPUT');
    const missing = base64('User:6d2f0a0e-4b8e-4a57-9b7e-1b0d4a8b7f00');
    expect((await t.gql(`{ node(id: "${missing}") { id } nodes(ids: ["${missing}"]) { id } }`, { key: user.key })).body).toEqual({
      data: { node: null, nodes: [null] },
    });
    const own = await t.gql<{ node: { username: string } }>(`{ node(id: "${user.id}") { ... on User { username } } }`, { key: user.key });
    expect(own.body).toEqual({ data: { node: { username: user.username } } });
  });

  it('a subscription (this API has none) is a validation error, not an internal one', async () => {
    for (const document of ['subscription { __typename }', 'subscription S { viewer { key { name } } }']) {
      const response = await t.gql(document, { key: user.key });
      expectClientError(response, 'GRAPHQL_VALIDATION_FAILED');
      expect(response.body.errors?.[0]?.message).toMatch(/no subscriptions/);
    }
  });

  it('a DateTime Postgres cannot store is BAD_USER_INPUT, and nothing is created', async () => {
    const before = await keyNames();
    const create = 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { name } userErrors { code } } }';
    for (const expiresAt of ['+275760-09-13T00:00:00.000Z', '+010000-01-01T00:00:00.000Z', '-000001-01-01T00:00:00.000Z', '200000-01-01', 'soon']) {
      const name = uniqueName('far');
      const response = await t.gql(create, { key: user.key, variables: { input: { name, expiresAt } } });
      expectClientError(response, 'BAD_USER_INPUT');
      expect(response.body.errors?.[0]?.message).toMatch(/DateTime/);
      const inline = await t.gql(`mutation { createApiKey(input: { name: "${name}", expiresAt: "${expiresAt}" }) { userErrors { code } } }`, {
        key: user.key,
      });
      expectClientError(inline, 'BAD_USER_INPUT');
    }
    expect(await keyNames()).toEqual(before);
    const latest = await t.gql(create, { key: user.key, variables: { input: { name: uniqueName('late'), expiresAt: '9999-12-31T23:59:59.999Z' } } });
    expect(latest.body.data?.createApiKey.userErrors).toEqual([]);
  });

  const LONE_SURROGATES = { high: 'x\ud800', low: '\udc00x', 'reversed pair': '\udc00\ud800' };

  it.each(Object.entries(LONE_SURROGATES))('a lone surrogate (%s) anywhere in a GraphQL request: 400 BAD_USER_INPUT, nothing written', async (_, bad) => {
    const before = await keyNames();
    const from = t.logs.length;
    const create = 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { name } userErrors { code } } }';
    const requests: GraphQLResponse[] = [
      // In a variable: a name, an origin rule, an enum's spelling, and an object's key.
      await t.gql(create, { key: user.key, variables: { input: { name: bad } } }),
      await t.gql(create, { key: user.key, variables: { input: { name: uniqueName('k'), callerOrigin: { referrerHosts: [`${bad}.example.com`] } } } }),
      await t.gql(create, { key: user.key, variables: { input: { name: uniqueName('k'), dataAccess: `READ${bad}` } } }),
      await t.gql(create, { key: user.key, variables: { input: { name: uniqueName('k'), [bad]: 1 } } }),
      // Raw in the document (JSON carries it escaped): in a string, a block string, a comment.
      await t.gql(`mutation { createApiKey(input: { name: "${bad}" }) { userErrors { code } } }`, { key: user.key }),
      await t.gql(`mutation { createApiKey(input: { name: """${bad}""" }) { userErrors { code } } }`, { key: user.key }),
      await t.gql(`# ${bad}\n{ __typename }`, { key: user.key }),
    ];
    for (const response of requests) {
      expect(response.status).toBe(400);
      expectClientError(response, 'BAD_USER_INPUT');
    }
    // Escaped in the document: GraphQL's own parser refuses it.
    const escaped = await t.gql(`mutation { createApiKey(input: { name: "${JSON.stringify(bad).slice(1, -1)}" }) { userErrors { code } } }`, {
      key: user.key,
    });
    expectClientError(escaped, 'GRAPHQL_PARSE_FAILED');
    expect(await keyNames()).toEqual(before);
    expect(errorLines(t, from)).toEqual([]);
  });

  it('a lone surrogate in a REST body, key or value: the 400 envelope, nothing written; in a path or query it is no 500 either', async () => {
    const from = t.logs.length;
    const name = uniqueName('algo');
    const path = `/v1/algorithms/${user.username}`;
    for (const bad of Object.values(LONE_SURROGATES)) {
      const inValue = { ...algorithmBody(name), details: { label: 'fine', summary: bad } };
      expectEnvelope(await rest(t, 'POST', path, { key: user.key, body: inValue }), 400, 6001, expect.stringMatching(/well-formed Unicode/));
      const inKey = { ...algorithmBody(name), [bad]: 'x' };
      expectEnvelope(await rest(t, 'POST', path, { key: user.key, body: inKey }), 400, 6001, expect.stringMatching(/well-formed Unicode/));
      expectEnvelope(
        await rest(t, 'POST', path, { key: user.key, body: algorithmBody(name), headers: { 'idempotency-key': 'ok' } }).then(() =>
          rest(t, 'PUT', `${path}/${name}`, { key: user.key, body: { details: { summary: bad } } }),
        ),
        400,
        6001,
        expect.stringMatching(/well-formed Unicode/),
      );
    }
    expect((await rest(t, 'GET', `${path}/${name}`, { key: user.key })).body.details?.summary).not.toMatch(/[\ud800-\udfff]|\ufffd/);
    // Percent-encoded surrogates (ED A0 80) are not UTF-8: they reach nothing as a lone surrogate.
    for (const target of [`${path}/%ED%A0%80`, `${path}?marker=%ED%A0%80`, `${path}/${name}/versions?limit=%ED%A0%80`]) {
      expect((await rest(t, 'GET', target, { key: user.key })).status).toBeLessThan(500);
    }
    expect(errorLines(t, from)).toEqual([]);
  });
});

describe('logs', () => {
  let t: TestApp;
  let user: { key: string; username: string };
  beforeAll(async () => {
    t = await startTestApp();
    user = await createUser(t);
    await misbehaveOn(t, 'boom');
  });
  afterAll(() => t?.close());

  /** Every log line since `from` that holds `needle`, anywhere, or a field for parameters. */
  const leaking = (from: number, needle: string) =>
    t.logs.slice(from).filter((line) => {
      const text = JSON.stringify(line);
      return text.includes(needle) || /"(params|parameters|detail|where)":/.test(text);
    });

  it('a statement that fails is logged with its error, never with its parameters (GraphQL)', async () => {
    const from = t.logs.length;
    const marker = `boom-${uniqueName('secretish')}`;
    const response = await t.gql('mutation($name: String!) { createApiKey(input: { name: $name }) { userErrors { code } } }', {
      key: user.key,
      variables: { name: marker },
    });
    expect(response.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    const logged = errorLines(t, from);
    expect(logged.length).toBeGreaterThan(0);
    expect(JSON.stringify(logged)).toMatch(/refused by a test trigger/);
    expect(JSON.stringify(logged)).toMatch(/insert into \\"api_keys\\"/);
    expect(leaking(from, marker)).toEqual([]);
  });

  it('a statement that fails is logged with its error, never with its parameters (REST)', async () => {
    const from = t.logs.length;
    const marker = `boom_${uniqueName('secretish')}`;
    const answer = await rest(t, 'POST', `/v1/algorithms/${user.username}`, { key: user.key, body: algorithmBody(marker) });
    expect(answer.status).toBe(500);
    expect(answer.text).not.toContain(marker);
    const logged = errorLines(t, from);
    expect(JSON.stringify(logged)).toMatch(/refused by a test trigger/);
    expect(leaking(from, marker)).toEqual([]);
  });
});

// PGlite runs a statement without yielding to the event loop, so only Postgres can be cut mid-statement.
describe.skipIf(!ON_POSTGRES)('a request cut by its deadline (Postgres only)', () => {
  let t: TestApp;
  let user: { key: string; username: string };
  beforeAll(async () => {
    t = await startTestApp({ env: { REQUEST_TIMEOUT_MS: '300' } });
    user = await createUser(t);
    await misbehaveOn(t, 'slow', 1);
  });
  afterAll(async () => {
    // Let the statements behind the cut requests finish before the database goes.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await t?.close();
  });

  const deadlineLines = (from: number) => t.logs.slice(from).filter((line) => line.msg === 'request deadline exceeded');

  it('is answered 503 and logged as a deadline, with its request id, not as the database being away (GraphQL)', async () => {
    const from = t.logs.length;
    const response = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Simple ${user.key}`, 'x-request-id': 'slow-graphql-1' },
      body: JSON.stringify({ query: `mutation { createApiKey(input: { name: "${uniqueName('slow')}" }) { userErrors { code } } }` }),
    });
    expect(response.status).toBe(503);
    expect(((await response.json()) as GraphQLResponse['body']).errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(deadlineLines(from)).toEqual([expect.objectContaining({ level: ERROR_LEVEL, requestId: 'slow-graphql-1' })]);
    expect(t.logs.slice(from).filter((line) => line.msg === 'database unavailable' || /DeadlineExceeded/.test(JSON.stringify(line)))).toEqual([]);
  });

  it('is answered 503 and logged as a deadline, with its request id, not as the database being away (REST)', async () => {
    const from = t.logs.length;
    const answer = await rest(t, 'POST', `/v1/algorithms/${user.username}`, {
      key: user.key,
      body: algorithmBody(uniqueName('slow')),
      headers: { 'x-request-id': 'slow-rest-1' },
    });
    expectEnvelope(answer, 503, 5001, 'The database is unavailable; try again shortly.');
    expect(deadlineLines(from)).toEqual([expect.objectContaining({ level: ERROR_LEVEL, requestId: 'slow-rest-1' })]);
    expect(t.logs.slice(from).filter((line) => line.msg === 'database unavailable')).toEqual([]);
  });
});
