/** Idempotency-Key on mutations, as a retrying client sees it. */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../src/db/connect.js';
import { createUser, startTestApp, type TestApp } from './helpers/app.js';

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
    const rolls = await t.gql(`query($id: ID) { admin { auditEvents(action: API_KEY_ROLLED, targetId: $id) { totalCount } } }`, {
      key: t.adminKey,
      variables: { id: keyId },
    });
    expect(rolls.body.data!.admin.auditEvents.totalCount).toBe(1);
  });
});

describe('Idempotency-Key and unexpected errors', () => {
  it('replays an unexpected error as the client first saw it, never its internal text', async () => {
    const user = await createUser(t);
    // A database that refuses one of the two inserts: an unexpected error for that field only.
    await t.app.database.db.execute(sql`
      create function test_refuse_broken_key() returns trigger language plpgsql as $$
      begin if new.name = 'broken' then raise exception 'internal detail: refused'; end if; return new; end $$`);
    await t.app.database.db.execute(sql`
      create trigger test_refuse_broken_key before insert on api_keys for each row execute function test_refuse_broken_key()`);
    try {
      const document = `mutation($bad: String!) {
        ok: createApiKey(input: { name: "fine" }) { apiKey { name } }
        bad: createApiKey(input: { name: $bad }) { apiKey { name } }
      }`;
      const post = () => t.gql(document, { key: user.key, variables: { bad: 'broken' }, headers: { 'idempotency-key': 'unexpected-1' } });
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
    } finally {
      await t.app.database.db.execute(sql`drop trigger test_refuse_broken_key on api_keys`);
      await t.app.database.db.execute(sql`drop function test_refuse_broken_key()`);
    }
  });

});

describe('Idempotency-Key after its server died mid-request', () => {
  // A claim as a killed process leaves it: made `age` ago, never finished; `workCommitted` when a
  // transaction of its request had committed. Its request is the one `sameAs` was sent with (same hash).
  const orphan = async (sameAs: string, key: string, age: string, workCommitted: boolean) => {
    await t.app.database.db.execute(sql`
      insert into idempotency_records (api_key_id, idempotency_key, request_hash, created_at, expires_at)
      select api_key_id, ${key}, request_hash, now() - ${age}::interval, now() + interval '1 day'
      from idempotency_records where idempotency_key = ${sameAs}`);
    if (workCommitted) await t.app.database.db.execute(sql`update idempotency_records set work_committed = true where idempotency_key = ${key}`);
  };
  const PUBLISH = `mutation($id: ID!) { publishAlgorithm(input: { id: $id, versionType: REVISION }) {
    version { semanticVersion } userErrors { message } } }`;

  async function publisher() {
    const user = await createUser(t);
    const created = await t.gql(
      `mutation { createAlgorithm(input: { name: "pub", details: { label: "Pub" }, settings: { language: PYTHON3, environment: CPU } }) { algorithm { id } } }`,
      { key: user.key },
    );
    const id = created.body.data!.createAlgorithm.algorithm.id as string;
    const publish = (idempotencyKey: string) => t.gql(PUBLISH, { key: user.key, variables: { id }, headers: { 'idempotency-key': idempotencyKey } });
    const versions = async () =>
      (await t.gql(`query($ref: String!) { algorithm(ref: $ref) { versions { totalCount } } }`, { key: user.key, variables: { ref: `${user.username}/pub` } }))
        .body.data!.algorithm.versions.totalCount as number;
    const first = `first-${user.username}`;
    expect((await publish(first)).body.data!.publishAlgorithm.version.semanticVersion).toBe('0.0.1');
    return { publish, versions, first };
  }

  it('is still running while the claim is younger than twice the request deadline (REQUEST_TIMEOUT_MS 30 s)', async () => {
    const { publish, versions, first } = await publisher();
    await orphan(first, `young-${first}`, '50 seconds', false);
    const retry = await publish(`young-${first}`);
    expect(retry.status).toBe(409);
    expect(retry.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    expect(await versions()).toBe(1);
  });

  it('runs the request once for a retry, when none of its work committed', async () => {
    const { publish, versions, first } = await publisher();
    await orphan(first, `dead-${first}`, '61 seconds', false);
    const retry = await publish(`dead-${first}`);
    expect(retry.status).toBe(200);
    expect(retry.body.data!.publishAlgorithm.version.semanticVersion).toBe('0.0.2');
    const again = await publish(`dead-${first}`);
    expect((again.body as { extensions?: unknown }).extensions).toMatchObject({ idempotency: { replayed: true } });
    expect(again.body.data).toEqual(retry.body.data);
    expect(await versions()).toBe(2);
  });

  it('never runs it again when its work committed: the retry learns it ran, its answer lost', async () => {
    const { publish, versions, first } = await publisher();
    await orphan(first, `committed-${first}`, '61 seconds', true);
    const retry = await publish(`committed-${first}`);
    expect(retry.status).toBe(409);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('ran, but its server stopped before it could record the response'),
      extensions: { code: 'IDEMPOTENT_RESPONSE_NOT_STORED' },
    });
    expect(await versions()).toBe(1);
  });
});
