/**
 * Known GraphQL attack classes, replayed: each must be refused or handled cleanly, with no 500 and
 * no change to existing data.
 */
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLInputType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../src/graphql/schema.js';
import { createUser, graphqlRequest, startTestApp, type TestApp } from './helpers/app.js';
import { ROOT_FIELDS } from './helpers/auth-matrix.js';

let t: TestApp;
let user: { key: string; username: string };
beforeAll(async () => {
  t = await startTestApp();
  user = await createUser(t);
});
afterAll(() => t?.close());

const post = (query: string, key = t.adminKey) => t.gql(query, { key });

function expectRefused(response: { status: number; body: { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] } }) {
  expect(response.status).toBeLessThan(500);
  expect(response.body.errors?.length).toBeGreaterThan(0);
  expect(response.body.errors?.[0]?.extensions?.code).toBeTruthy();
  expect(response.body.errors?.[0]?.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
  expect(JSON.stringify(response.body)).not.toMatch(/limit of \d+|found \d+|maxDepth|stack/i);
}

describe('query shape attacks', () => {
  it('alias overloading, __typename aliases included', async () => {
    const aliases = (n: number, field: string) => Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ');
    expectRefused(await post(`{ ${aliases(16, '__typename')} }`));
    expectRefused(await post(`{ admin { ${aliases(16, 'users(first: 1) { totalCount }')} } }`));
    expect((await post(`{ ${aliases(15, '__typename')} }`)).body.errors).toBeUndefined();
  });

  it('directive overloading', async () => {
    expectRefused(await post(`{ __typename ${'@skip(if: false) '.repeat(6)} }`));
  });

  it('deep nesting through cycles', async () => {
    const deep = `{ viewer { user { organizations { organization { members { nodes { user { organizations { organization {
      members { nodes { user { username } } } } } } } } } } } } }`;
    expectRefused(await post(deep, user.key));
  });

  it('field duplication', async () => {
    expectRefused(await post(`{ viewer { key { ${'name '.repeat(3000)} } } }`, user.key));
  });

  it('expensive pages: nested connections multiply, and are refused before running', async () => {
    const before = t.queries.length;
    const response = await post(`{ algorithms(first: 100) { nodes { versions(first: 100) { nodes { semanticVersion releaseNotes sampleInput } } } } }`, user.key);
    expectRefused(response);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect(t.queries.slice(before).filter((q) => /from "?algorithm/.test(q))).toEqual([]);
  });

  it('page sizes hidden in variable defaults still count', async () => {
    const response = await post(
      `query($n: Int = 100) { algorithms(first: $n) { nodes { versions(first: $n) { nodes { semanticVersion releaseNotes sampleInput } } } } }`,
      user.key,
    );
    expect(response.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('variables nested without end get a 400, not a crash', async () => {
    // Written by hand: JSON.stringify itself would run out of stack on this.
    const body = `{"query":"query($v: [String]) { __typename }","variables":{"v":${'['.repeat(20_000)}"x"${']'.repeat(20_000)}}}`;
    const response = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Simple ${user.key}` },
      body,
    });
    expect(response.status).toBe(400);
    expect((await response.json()).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('a 1 MB document gets 413 before it is parsed', async () => {
    const response = await t.fetch('/graphql', graphqlRequest(`{ __typename } # ${'x'.repeat(1024 * 1024)}`, { key: t.adminKey }));
    expect(response.status).toBe(413);
  });

  it('batched arrays are refused', async () => {
    const response = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Simple ${t.adminKey}` },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(response.status).toBe(400);
  });

  it('a mutation over GET is refused', async () => {
    const query = encodeURIComponent('mutation { createUser(input: { username: "viaget", email: "g@example.com" }) { userErrors { code } } }');
    const response = await t.fetch(`/graphql?query=${query}`, { headers: { authorization: `Simple ${t.adminKey}` } });
    expect(response.status).toBe(405);
    expect((await post('{ admin { user(username: "viaget") { id } } }')).body.data).toEqual({ admin: { user: null } });
  });

  it('form-encoded, text/plain and multipart posts are refused', async () => {
    const boundary = 'algoplane-boundary';
    // The GraphQL multipart request spec's shape, as an upload client sends it: bodies are JSON only.
    const multipart = [`--${boundary}`, 'Content-Disposition: form-data; name="operations"', '', JSON.stringify({ query: '{ __typename }' }), `--${boundary}`, 'Content-Disposition: form-data; name="map"', '', '{}', `--${boundary}--`, ''].join('\r\n');
    for (const [type, body] of [
      ['application/x-www-form-urlencoded', 'query=%7B__typename%7D'],
      ['text/plain', JSON.stringify({ query: '{ __typename }' })],
      [`multipart/form-data; boundary=${boundary}`, multipart],
    ]) {
      const response = await t.fetch('/graphql', { method: 'POST', headers: { 'content-type': type!, authorization: `Simple ${t.adminKey}` }, body });
      expect(response.status, type).toBe(415);
    }
  });

  it('without a key, nothing about the schema leaks: no introspection, no field suggestions', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ viewr { id } }', '{ admin { usrs { totalCount } } }']) {
      const response = await t.gql(query);
      expect(response.status).toBe(401);
      expect(JSON.stringify(response.body)).not.toMatch(/Did you mean|__Schema|viewer|users/);
    }
  });
});

describe('hostile strings in every string argument of every mutation', () => {
  const HOSTILE = ["' OR 1=1--", '$1', '\u0000', '𝔘ñï©ødé'.repeat(2000), "'; drop table users; --", '%_\\'];

  /** A value for an input type with `text` in every string position. */
  function valueFor(type: GraphQLInputType, text: string, depth = 0): unknown {
    if (isNonNullType(type)) return valueFor(type.ofType, text, depth);
    if (isListType(type)) return [valueFor(type.ofType, text, depth)];
    const named = getNamedType(type);
    if (isInputObjectType(named)) {
      if (depth > 3) return undefined;
      return Object.fromEntries(Object.values(named.getFields()).map((f) => [f.name, valueFor(f.type, text, depth + 1)]));
    }
    if (isEnumType(named)) return named.getValues()[0]!.value;
    if (isScalarType(named)) {
      if (named.name === 'Boolean') return false;
      if (named.name === 'Int') return 0;
      if (named.name === 'DateTime') return undefined;
      return text; // String, ID
    }
    return undefined;
  }

  const mutations = Object.values(schema.getMutationType()!.getFields());
  it.each(mutations.map((m) => [m.name, m] as const))('%s', async (name, mutation) => {
    const plane = ROOT_FIELDS.find((root) => root.field === `Mutation.${name}`)!.plane;
    const key = plane === 'admin' ? t.adminKey : user.key;
    const inputType = mutation.args.find((a) => a.name === 'input')!.type;
    for (const text of HOSTILE) {
      const response = await t.gql(`mutation($input: ${inputType.toString()}) { ${name}(input: $input) { __typename } }`, {
        key,
        variables: { input: valueFor(inputType, text) },
      });
      expect(response.status, `${name} with ${JSON.stringify(text.slice(0, 20))}`).toBeLessThan(500);
      expect(JSON.stringify(response.body)).not.toContain('INTERNAL_SERVER_ERROR');
    }
    // Nothing already there was harmed.
    expect((await t.gql('{ viewer { user { username } } }', { key: user.key })).body.data).toEqual({
      viewer: { user: { username: user.username } },
    });
    expect((await post('{ admin { user(username: "admin") { isAdmin } } }')).body.data).toEqual({ admin: { user: { isAdmin: true } } });
  });
});
