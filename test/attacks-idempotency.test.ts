/**
 * Attacks on Idempotency-Key storage (issue 15, class 6): a small write selecting large fields made
 * the server keep megabytes per request for 24 hours, and a key could hold any number of records.
 * Through both transports: answers larger than MAX_IDEMPOTENT_RESPONSE_BYTES are recorded without
 * their body (a retry learns that the first ran, and does not run again); a key holds at most
 * MAX_IDEMPOTENCY_RECORDS_PER_KEY live records; a revoked key's records go with it.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../src/db/connect.js';
import { createUser, localId, startTestApp, uniqueName, type TestApp } from './helpers/app.js';
import { rest } from './helpers/rest.js';

const RESPONSE_LIMIT = 4096;
const RECORDS_PER_KEY = 3;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({
    env: { MAX_IDEMPOTENT_RESPONSE_BYTES: String(RESPONSE_LIMIT), MAX_IDEMPOTENCY_RECORDS_PER_KEY: String(RECORDS_PER_KEY) },
  });
});
afterAll(() => t?.close());

const SUMMARY = 'x'.repeat(2000);

const CREATE = `mutation($input: CreateAlgorithmInput!) {
  createAlgorithm(input: $input) { algorithm { id details { summary } } userErrors { code message } } }`;

/** A write that changes nothing, asking for the large field three times over: about 6 KB to keep. */
const NO_OP_UPDATE = `mutation($id: ID!) {
  a: updateAlgorithm(input: { id: $id }) { algorithm { details { summary } } }
  b: updateAlgorithm(input: { id: $id }) { algorithm { details { summary } } }
  c: updateAlgorithm(input: { id: $id }) { algorithm { details { summary } } } }`;

const createInput = (name: string) => ({ name, details: { label: 'Large', summary: SUMMARY }, settings: { language: 'PYTHON3', environment: 'CPU' } });

const restBody = (name: string) => ({
  name,
  details: { label: 'Large', summary: SUMMARY.repeat(3) },
  settings: { license: 'apl', network_access: 'isolated', pipeline_enabled: true, source_visibility: 'closed', language: 'python3-1', environment: 'cpu', package_set: 'python37', royalty_microcredits: 0 },
});

const idem = (key: string) => ({ 'idempotency-key': key });

/** What the database keeps of a request's answer: the answer itself, and its size there. */
async function recordOf(key: string): Promise<{ response: unknown; stored: number }> {
  const [record] = await rows<{ response: unknown; stored: number }>(
    t.app.database.db,
    sql`select response, octet_length(coalesce(response::text, '')) as stored from idempotency_records where idempotency_key = ${key}`,
  );
  return record!;
}

const recordsOfKey = async (secret: string) => {
  const keyId = (await t.gql('{ viewer { key { id } } }', { key: secret })).body.data!.viewer.key.id as string;
  return recordsOfKeyId(keyId);
};

async function recordsOfKeyId(globalId: string): Promise<number> {
  const [row] = await rows<{ n: number }>(t.app.database.db, sql`select count(*)::int as n from idempotency_records where api_key_id = ${localId(globalId)}::uuid`);
  return row!.n;
}

describe('an answer too large to keep', () => {
  it('GraphQL: a write that changes nothing is recorded without its body, and a retry is told so', async () => {
    const user = await createUser(t);
    const small = uniqueName('small');
    const created = await t.gql(CREATE, { key: user.key, variables: { input: createInput('small') }, headers: idem(small) });
    const id = created.body.data!.createAlgorithm.algorithm.id as string;
    // An answer within the limit is still kept and replayed whole.
    const replayedSmall = await t.gql(CREATE, { key: user.key, variables: { input: createInput('small') }, headers: idem(small) });
    expect(replayedSmall.body.data).toEqual(created.body.data);
    expect((await recordOf(small)).response).not.toBeNull();

    const large = uniqueName('large');
    const first = await t.gql(NO_OP_UPDATE, { key: user.key, variables: { id }, headers: idem(large) });
    expect(first.status).toBe(200);
    expect(first.body.data!.c.algorithm.details.summary).toBe(SUMMARY);

    expect(JSON.stringify(first.body).length).toBeGreaterThan(RESPONSE_LIMIT);
    expect(await recordOf(large)).toEqual({ response: null, stored: 0 });

    const retry = await t.gql(NO_OP_UPDATE, { key: user.key, variables: { id }, headers: idem(large) });
    expect(retry.status).toBe(409);
    expect(retry.body.data ?? null).toBeNull();
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body.errors).toHaveLength(1);
    expect(retry.body.errors![0]!.extensions!.code).toBe('IDEMPOTENT_RESPONSE_NOT_STORED');
    expect(retry.body.errors![0]!.message).toMatch(/first request with this Idempotency-Key ran/);
    expect(retry.body.errors![0]!.message).toContain(`${RESPONSE_LIMIT} bytes`);
  });

  it('GraphQL: the retry of a large create neither creates again nor claims the name is taken', async () => {
    const user = await createUser(t);
    const key = uniqueName('create');
    const input = createInput('big');
    const first = await t.gql(CREATE, { key: user.key, variables: { input: { ...input, details: { ...input.details, summary: SUMMARY.repeat(3) } } }, headers: idem(key) });
    expect(first.body.data!.createAlgorithm.userErrors).toEqual([]);
    for (let i = 0; i < 2; i++) {
      const retry = await t.gql(CREATE, { key: user.key, variables: { input: { ...input, details: { ...input.details, summary: SUMMARY.repeat(3) } } }, headers: idem(key) });
      expect(retry.status).toBe(409);
      expect(retry.body.errors![0]!.extensions!.code).toBe('IDEMPOTENT_RESPONSE_NOT_STORED');
    }
    const listed = await t.gql(`query($name: String!) { user(username: $name) { algorithms { totalCount } } }`, { key: user.key, variables: { name: user.username } });
    expect(listed.body.data!.user.algorithms.totalCount).toBe(1);
  });

  it('REST: a 2xx too large to keep is recorded without its body; the retry is 409, marked as a replay, and runs nothing', async () => {
    const user = await createUser(t);
    const key = uniqueName('rest-large');
    const path = `/v1/algorithms/${user.username}`;
    const first = await rest(t, 'POST', path, { key: user.key, headers: idem(key), body: restBody('large') });
    expect(first.status).toBe(201);
    expect(first.text.length).toBeGreaterThan(RESPONSE_LIMIT);
    expect(await recordOf(key)).toEqual({ response: null, stored: 0 });

    const retry = await rest(t, 'POST', path, { key: user.key, headers: idem(key), body: restBody('large') });
    expect(retry.status).toBe(409);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body.error).toMatchObject({ code: 2015, message: expect.stringMatching(/first request with this Idempotency-Key ran/) });
    expect((await rest(t, 'GET', `/v1/users/${user.username}/algorithms`, { key: user.key })).body).toHaveLength(1);

    // The same Idempotency-Key with another body is still "reused", not "not stored".
    const other = await rest(t, 'POST', path, { key: user.key, headers: idem(key), body: restBody('other') });
    expect(other.status).toBe(422);
  });
});

describe('live records per key', () => {
  it('GraphQL and REST: a claim beyond the cap is 429 with Retry-After; replays, other keys and plain writes still work', async () => {
    const user = await createUser(t);
    const keys = Array.from({ length: RECORDS_PER_KEY }, () => uniqueName('cap'));
    const answers = [];
    for (const key of keys) {
      answers.push(await t.gql(CREATE, { key: user.key, variables: { input: createInput(key.replace(/\W/g, '').slice(0, 20)) }, headers: idem(key) }));
    }
    expect(answers.map((a) => a.status)).toEqual(keys.map(() => 200));

    const beyond = await t.gql(CREATE, { key: user.key, variables: { input: createInput('beyond') }, headers: idem(uniqueName('cap')) });
    expect(beyond.status).toBe(429);
    expect(beyond.body.errors![0]!.extensions!.code).toBe('TOO_MANY_IDEMPOTENCY_KEYS');
    expect(beyond.body.errors![0]!.message).toContain('MAX_IDEMPOTENCY_RECORDS_PER_KEY');
    const retryAfter = Number(beyond.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(23 * 3600);
    expect(retryAfter).toBeLessThanOrEqual(24 * 3600);

    // Through REST, the same key's records are the same records.
    const restBeyond = await rest(t, 'POST', `/v1/algorithms/${user.username}`, { key: user.key, headers: idem(uniqueName('cap')), body: restBody('restbeyond') });
    expect(restBeyond.status).toBe(429);
    expect(restBeyond.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(restBeyond.body.error).toMatchObject({ code: 2015, message: expect.stringContaining('MAX_IDEMPOTENCY_RECORDS_PER_KEY') });

    // Nothing ran for the refused claims, and nothing was recorded.
    expect(await recordsOfKey(user.key)).toBe(RECORDS_PER_KEY);
    const names = (await rest(t, 'GET', `/v1/users/${user.username}/algorithms`, { key: user.key })).body.map((a: { name: string }) => a.name);
    expect(names).not.toContain('beyond');
    expect(names).not.toContain('restbeyond');

    // A retry of a recorded request still replays; a write without Idempotency-Key still runs.
    const replay = await t.gql(CREATE, { key: user.key, variables: { input: createInput(keys[0]!.replace(/\W/g, '').slice(0, 20)) }, headers: idem(keys[0]!) });
    expect(replay.status).toBe(200);
    expect(replay.body.data).toEqual(answers[0]!.body.data);
    const plain = await t.gql(CREATE, { key: user.key, variables: { input: createInput('plain') } });
    expect(plain.body.data!.createAlgorithm.userErrors).toEqual([]);

    // Expired records do not count.
    await rows(t.app.database.db, sql`update idempotency_records set expires_at = now() - interval '1 second' where idempotency_key = ${keys[0]!}`);
    const afterExpiry = await t.gql(CREATE, { key: user.key, variables: { input: createInput('after') }, headers: idem(uniqueName('cap')) });
    expect(afterExpiry.status).toBe(200);
    expect(afterExpiry.body.data!.createAlgorithm.userErrors).toEqual([]);
  });

  it('holds under a burst of concurrent claims: refused ones are 429, never 500, and the records stay near the cap', async () => {
    const user = await createUser(t);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.gql(CREATE, { key: user.key, variables: { input: createInput(`burst${i}`) }, headers: idem(uniqueName('burst')) })),
    );
    for (const answer of answers) expect([200, 429]).toContain(answer.status);
    // The count is in the claim's own statement: concurrent claims can overshoot only by as many as
    // run at once (a database connection each), never by what arrives over time.
    const records = await recordsOfKey(user.key);
    expect(records).toBeLessThanOrEqual(RECORDS_PER_KEY + t.config.databasePoolSize);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(records);
  });
});

describe("a revoked key's records", () => {
  it('go with the key, so that minting and revoking keys cannot pile records up', async () => {
    const user = await createUser(t);
    const made = await t.gql(`mutation { createApiKey(input: { name: "spender", manageAlgorithms: true }) { apiKey { id } secret } }`, { key: user.key });
    const { apiKey, secret } = made.body.data!.createApiKey as { apiKey: { id: string }; secret: string };
    for (let i = 0; i < RECORDS_PER_KEY; i++) {
      const answer = await t.gql(CREATE, { key: secret, variables: { input: createInput(`spent${i}`) }, headers: idem(uniqueName('spent')) });
      expect(answer.status).toBe(200);
    }
    expect(await recordsOfKeyId(apiKey.id)).toBe(RECORDS_PER_KEY);

    const revoked = await t.gql(`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { userErrors { code } } }`, { key: user.key, variables: { id: apiKey.id } });
    expect(revoked.body.data!.revokeApiKey.userErrors).toEqual([]);
    expect(await recordsOfKeyId(apiKey.id)).toBe(0);
  });
});
