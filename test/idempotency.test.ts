/** Idempotency-Key on mutations, as a retrying client sees it. */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../src/db/connect.js';
import { createUser, localId, startTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const CREATE = `mutation($name: String!) { createApiKey(input: { name: $name }) {
  apiKey { id name } secret warnings { code message } userErrors { code message } } }`;

const send = (key: string, idempotencyKey: string, name: string) =>
  t.gql(CREATE, { key, variables: { name }, headers: { 'idempotency-key': idempotencyKey } });

const keyCount = async (key: string) => (await t.gql('{ apiKeys { totalCount } }', { key })).body.data!.apiKeys.totalCount as number;

describe('Idempotency-Key', () => {
  it('replays the first response to a retry, without acting twice and without the secret', async () => {
    const user = await createUser(t);
    const first = await send(user.key, 'retry-1', 'ci');
    expect(first.body.data!.createApiKey.secret).toMatch(/^sim/);
    const again = await send(user.key, 'retry-1', 'ci');
    expect(again.status).toBe(200);
    const replay = again.body.data!.createApiKey;
    expect(replay.apiKey).toEqual(first.body.data!.createApiKey.apiKey);
    expect(replay.secret).toBeNull();
    expect(replay.warnings).toContainEqual(expect.objectContaining({ code: 'NO_EFFECT', message: expect.stringContaining('secrets are shown only once') }));
    expect((again.body as { extensions?: unknown }).extensions).toMatchObject({ idempotency: { replayed: true } });
    expect(await keyCount(user.key)).toBe(2);

    const stored = await rows<{ response: unknown }>(t.app.database.db, sql`select response from idempotency_records`);
    expect(JSON.stringify(stored)).not.toContain(first.body.data!.createApiKey.secret);
  });

  it('refuses the same key with a different request', async () => {
    const user = await createUser(t);
    await send(user.key, 'reused', 'one');
    const other = await send(user.key, 'reused', 'two');
    expect(other.status).toBe(422);
    expect(other.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await keyCount(user.key)).toBe(2);
  });

  it('never lets concurrent duplicates both execute', async () => {
    const user = await createUser(t);
    const answers = await Promise.all(Array.from({ length: 5 }, () => send(user.key, 'burst', 'burst')));
    const executed = answers.filter((a) => a.status === 200 && a.body.data?.createApiKey?.secret);
    expect(executed).toHaveLength(1);
    for (const answer of answers) expect([200, 409]).toContain(answer.status);
    expect(await keyCount(user.key)).toBe(2);
  });

  it('replays user errors too, but lets a failed request be retried', async () => {
    const user = await createUser(t);
    const invalid = await send(user.key, 'bad-name', '');
    const replayed = await send(user.key, 'bad-name', '');
    expect(replayed.body.data).toEqual(invalid.body.data);
    // The same user errors would come of running it again: the replay must say it is one.
    expect((replayed.body as { extensions?: unknown }).extensions).toMatchObject({ idempotency: { replayed: true } });

    const plain = (
      await t.gql(`mutation { createApiKey(input: { name: "plain" }) { secret } }`, { key: user.key })
    ).body.data!.createApiKey.secret;
    const forbidden = await send(plain, 'not-allowed', 'x'); // no manageAccount: a top-level error
    expect(forbidden.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const stored = await rows<{ n: number }>(t.app.database.db, sql`select count(*)::int as n from idempotency_records where idempotency_key = 'not-allowed'`);
    expect(stored[0]!.n).toBe(0);
  });

  it('is scoped to the API key, and ignored on queries', async () => {
    const a = await createUser(t);
    const b = await createUser(t);
    expect((await send(a.key, 'shared-key', 'x')).body.data!.createApiKey.secret).toMatch(/^sim/);
    expect((await send(b.key, 'shared-key', 'x')).body.data!.createApiKey.secret).toMatch(/^sim/);
    const query = await t.gql('{ viewer { key { name } } }', { key: a.key, headers: { 'idempotency-key': 'shared-key' } });
    expect(query.body.data).toEqual({ viewer: { key: { name: 'default-key' } } });
  });
});

describe('Idempotency-Key, edges found in review', () => {
  it('never stores a secret asked for under an alias', async () => {
    const user = await createUser(t);
    const ALIASED = `mutation { createApiKey(input: { name: "aliased" }) { apiKey { id } s: secret } }`;
    const first = await t.gql(ALIASED, { key: user.key, headers: { 'idempotency-key': 'alias-1' } });
    const secret = first.body.data!.createApiKey.s as string;
    expect(secret).toMatch(/^sim/);
    const replay = await t.gql(ALIASED, { key: user.key, headers: { 'idempotency-key': 'alias-1' } });
    expect(replay.body.data!.createApiKey.s).toBeNull();
    const stored = await rows<{ response: unknown }>(t.app.database.db, sql`select response from idempotency_records`);
    expect(JSON.stringify(stored)).not.toContain(secret);
  });

  it('does not redo a mutation field that succeeded when another field of the request failed', async () => {
    const user = await createUser(t);
    const keyId = (await t.gql('{ viewer { key { id } } }', { key: user.key })).body.data!.viewer.key.id;
    const helper = (
      await t.gql(`mutation { createApiKey(input: { name: "roller", manageAccount: true, algorithmAccess: ["algo://*"], manageAlgorithms: true, dataAccess: READ_WRITE, callerOrigin: { allowBrowser: true } }) { apiKey { id } secret } }`, {
        key: user.key,
      })
    ).body.data!.createApiKey;
    const MIXED = `mutation($id: ID!) {
      a: rollApiKey(input: { id: $id, gracePeriodSeconds: 3600 }) { apiKey { id } }
      b: createUser(input: { username: "never", email: "never@example.com" }) { userErrors { code } } }`;
    for (let i = 0; i < 3; i++) {
      const response = await t.gql(MIXED, { key: helper.secret, variables: { id: keyId }, headers: { 'idempotency-key': 'mixed' } });
      // createUser's FORBIDDEN nulls all of data (its payload is non-null), though the roll ran.
      expect(response.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const rolls = await t.gql(`query($id: String) { admin { auditEvents(action: "API_KEY_ROLLED", targetId: $id) { totalCount } } }`, {
      key: t.adminKey,
      variables: { id: localId(keyId) },
    });
    expect(rolls.body.data!.admin.auditEvents.totalCount).toBe(1);
  });
});

describe('Idempotency-Key and unexpected errors', () => {
  it('replays an unexpected error as the client first saw it, never its internal text', async () => {
    const user = await createUser(t);
    const created = await t.gql(
      `mutation { createAlgorithm(input: { name: "broken", details: { label: "Broken" }, settings: { language: PYTHON3, environment: CPU } }) { algorithm { id } } }`,
      { key: user.key },
    );
    // A lone UTF-16 surrogate in free text passes GraphQL but not the audit trail's jsonb: an
    // unexpected error. (Names refuse it as a user error: attacks-inputs.test.ts.)
    const document = `mutation($id: ID!, $bad: String!) {
      ok: createApiKey(input: { name: "fine" }) { apiKey { name } }
      bad: updateAlgorithm(input: { id: $id, details: { summary: $bad } }) { algorithm { name } }
    }`;
    const variables = { id: created.body.data!.createAlgorithm.algorithm.id, bad: 'broken\ud800' };
    const post = () => t.gql(document, { key: user.key, variables, headers: { 'idempotency-key': 'unexpected-1' } });
    const first = await post();
    const failed = first.body.errors?.find((e) => e.path?.[0] === 'bad');
    // `ok` ran (its key exists), so the answer is kept although `bad`'s error nulled all of data.
    expect(failed?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(await keyCount(user.key)).toBe(2);
    const replay = await post();
    expect((replay.body as { extensions?: unknown }).extensions).toMatchObject({ idempotency: { replayed: true } });
    const replayed = replay.body.errors?.find((e) => e.path?.[0] === 'bad');
    expect(replayed).toMatchObject({ message: failed!.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(replayed!.message).toBe('Unexpected error.');
    expect(await keyCount(user.key)).toBe(2);
  });
});
