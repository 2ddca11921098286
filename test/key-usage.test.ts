/**
 * Key usage per UTC day (README, "Usage"): calls counted through the app's recorder (as the
 * authorizer counts them), written in one upsert per flush, read through GraphQL (`ApiKey.usage`)
 * and REST (`GET /v1/keys/{keyId}/usage`) by exactly the keys that may see the key; days split at
 * UTC midnight by the recorder's clock; kept through a failing database, bounded in memory, swept
 * after their retention, and flushed at shutdown.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PENDING_DAY_COUNTS } from '../src/auth/usage.js';
import { isoDay, MS_PER_DAY, utcDayOf } from '../src/core/days.js';
import { apiKeyUsageDays } from '../src/db/schema.js';
import { USAGE_RETENTION_DAYS } from '../src/modules/api-keys/service.js';
import { createOrganization, createTestDatabase, createUser, localId, ON_POSTGRES, startTestApp, type TestApp } from './helpers/app.js';
import { rest } from './helpers/rest.js';

/** The recorder's clock: the real one unless a test sets `at`. */
const clock: { at: number | undefined } = { at: undefined };
let t: TestApp;
beforeAll(async () => {
  // Flushed by the tests alone: the timer's own flush (hourly here) never lands inside one.
  t = await startTestApp({ env: { KEY_USAGE_FLUSH_MS: '3600000' }, usageClock: () => clock.at ?? Date.now() });
});
afterAll(() => t?.close());

const today = () => utcDayOf(Date.now());
/** `n` calls of `outcome` with `keyId`, dated `at` (default: now). */
function count(keyId: string, outcome: 'allowed' | 'refused', n = 1, at?: number): void {
  clock.at = at;
  try {
    for (let i = 0; i < n; i++) t.app.usage.countCall(keyId, outcome);
  } finally {
    clock.at = undefined;
  }
}

interface Owner {
  username: string;
  key: string;
  /** The global id of its default key. */
  keyId: string;
}

async function owner(): Promise<Owner> {
  const user = await createUser(t);
  const viewer = await t.gql('{ viewer { key { id } } }', { key: user.key });
  return { username: user.username, key: user.key, keyId: viewer.body.data!.viewer.key.id };
}

/** A new standard key of `holder`'s owner (or of `owner`), without manageAccount unless given. */
async function newKey(holder: Owner, input: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
  const response = await t.gql(
    `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } secret userErrors { message } } }`,
    { key: holder.key, variables: { input: { name: `k-${randomUUID()}`, ...input } } },
  );
  const payload = response.body.data!.createApiKey;
  expect(payload.userErrors, JSON.stringify(response.body)).toEqual([]);
  return { id: payload.apiKey.id, secret: payload.secret };
}

const USAGE_BY_NODE = `query($id: ID!, $days: Int!) { node(id: $id) { ... on ApiKey { usage(days: $days) { day calls refused } } } }`;

/** A key's usage as `reader` sees it through GraphQL: null when the key does not exist for it. */
async function graphqlUsage(reader: string, keyId: string, days = 30): Promise<unknown> {
  const response = await t.gql(USAGE_BY_NODE, { key: reader, variables: { id: keyId, days } });
  expect(response.body.errors, JSON.stringify(response.body)).toBeUndefined();
  return response.body.data!.node?.usage ?? null;
}

const restUsage = (reader: string, keyId: string, query = '') => rest(t, 'GET', `/v1/keys/${localId(keyId)}/usage${query}`, { key: reader });

const statementsDuring = async (work: () => Promise<unknown> | unknown): Promise<string[]> => {
  const before = t.queries.length;
  await work();
  return t.queries.slice(before);
};
const usageWrites = (statements: string[]) => statements.filter((s) => /insert into "api_key_usage_days"/i.test(s));
const logged = (message: string) => t.logs.filter((line) => line.msg === message);

describe('counting calls', () => {
  it('writes nothing on the call path, then one upsert per flush for every key and day; GraphQL and REST show the counts', async () => {
    const a = await owner();
    const b = await owner();
    const onPath = await statementsDuring(() => {
      count(localId(a.keyId), 'allowed', 700);
      count(localId(a.keyId), 'refused', 3);
      count(localId(b.keyId), 'allowed', 5);
      count(localId(b.keyId), 'allowed', 2, Date.now() - MS_PER_DAY);
    });
    expect(onPath).toEqual([]);
    expect(await graphqlUsage(a.key, a.keyId)).toEqual([]);

    const flushed = await statementsDuring(() => t.app.usage.flush());
    expect(usageWrites(flushed)).toHaveLength(1);

    const viewer = await t.gql('{ viewer { key { usage { day calls refused } } } }', { key: a.key });
    expect(viewer.body.data!.viewer.key.usage).toEqual([{ day: isoDay(today()), calls: 700, refused: 3 }]);
    expect(await graphqlUsage(b.key, b.keyId)).toEqual([
      { day: isoDay(today()), calls: 5, refused: 0 },
      { day: isoDay(today() - 1), calls: 2, refused: 0 },
    ]);
    const answer = await restUsage(b.key, b.keyId);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toEqual({
      key_id: localId(b.keyId),
      results: [
        { day: isoDay(today()), calls: 5, refused: 0 },
        { day: isoDay(today() - 1), calls: 2, refused: 0 },
      ],
    });

    // A later flush adds to the same rows.
    count(localId(a.keyId), 'allowed', 2);
    await t.app.usage.flush();
    expect(await graphqlUsage(a.key, a.keyId)).toEqual([{ day: isoDay(today()), calls: 702, refused: 3 }]);
  });

  it('splits days at UTC midnight, as the clock dates each call', async () => {
    const a = await owner();
    const id = localId(a.keyId);
    const midnight = today() * MS_PER_DAY;
    count(id, 'allowed', 1, midnight - MS_PER_DAY - 1);
    count(id, 'allowed', 2, midnight - MS_PER_DAY);
    count(id, 'refused', 1, midnight - MS_PER_DAY);
    count(id, 'refused', 1, midnight - 1);
    count(id, 'allowed', 4, midnight);
    expect(usageWrites(await statementsDuring(() => t.app.usage.flush()))).toHaveLength(1);

    expect(await graphqlUsage(a.key, a.keyId)).toEqual([
      { day: isoDay(today()), calls: 4, refused: 0 },
      { day: isoDay(today() - 1), calls: 2, refused: 2 },
      { day: isoDay(today() - 2), calls: 1, refused: 0 },
    ]);
    expect(await graphqlUsage(a.key, a.keyId, 2)).toHaveLength(2);
    expect(await graphqlUsage(a.key, a.keyId, 1)).toEqual([{ day: isoDay(today()), calls: 4, refused: 0 }]);
    expect((await restUsage(a.key, a.keyId, '?days=2')).body.results).toHaveLength(2);
  });

  it('leaves out counts of keys revoked before the flush, and a revoked key takes its rows with it', async () => {
    const a = await owner();
    const doomed = await newKey(a);
    const kept = await newKey(a);
    count(localId(kept.id), 'allowed', 1);
    count(localId(doomed.id), 'allowed', 1);
    await t.app.usage.flush();
    const rowsOf = async (id: string) =>
      t.app.database.db.select().from(apiKeyUsageDays).where(eq(apiKeyUsageDays.apiKeyId, localId(id)));
    expect(await rowsOf(doomed.id)).toHaveLength(1);

    count(localId(doomed.id), 'allowed', 1);
    count(localId(kept.id), 'allowed', 1);
    const revoke = await t.gql(`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { userErrors { message } } }`, {
      key: a.key,
      variables: { id: doomed.id },
    });
    expect(revoke.body.data!.revokeApiKey.userErrors).toEqual([]);
    expect(await rowsOf(doomed.id)).toEqual([]);

    await t.app.usage.flush();
    expect(await rowsOf(doomed.id)).toEqual([]);
    expect(await graphqlUsage(a.key, kept.id)).toEqual([{ day: isoDay(today()), calls: 2, refused: 0 }]);
  });
});

describe('who sees a key’s usage: exactly who sees the key', () => {
  let a: Owner;
  let narrow: { id: string; secret: string };
  let b: Owner;
  let member: Owner;
  let orgKey: { id: string; secret: string };
  beforeAll(async () => {
    a = await owner();
    b = await owner();
    member = await owner();
    narrow = await newKey(a);
    const organization = await createOrganization(t, [a.username], [member.username]);
    orgKey = await newKey(a, { owner: organization });
    for (const id of [a.keyId, narrow.id, b.keyId, orgKey.id]) count(localId(id), 'allowed', 1);
    await t.app.usage.flush();
  });
  const seen = [{ day: isoDay(utcDayOf(Date.now())), calls: 1, refused: 0 }];

  it('its own key: always, even without manageAccount', async () => {
    const viewer = await t.gql('{ viewer { key { usage { calls } } } }', { key: narrow.secret });
    expect(viewer.body.data!.viewer.key.usage).toEqual([{ calls: 1 }]);
    expect(await graphqlUsage(narrow.secret, narrow.id)).toEqual(seen);
    expect((await restUsage(narrow.secret, narrow.id)).status).toBe(200);
  });

  it("its owner's other keys and its user's organizations' keys: with manageAccount", async () => {
    expect(await graphqlUsage(a.key, narrow.id)).toEqual(seen);
    expect(await graphqlUsage(a.key, orgKey.id)).toEqual(seen);
    expect((await restUsage(a.key, orgKey.id)).body.results).toEqual(seen);
    const list = await t.gql('{ apiKeys { nodes { usage { calls } } } }', { key: a.key });
    expect(list.body.data!.apiKeys.nodes).toContainEqual({ usage: [{ calls: 1 }] });
  });

  it('any key: with an admin key', async () => {
    const response = await t.gql(`query($id: ID!) { admin { node(id: $id) { ... on ApiKey { usage { calls } } } } }`, {
      key: t.adminKey,
      variables: { id: b.keyId },
    });
    expect(response.body.data!.admin.node).toEqual({ usage: [{ calls: 1 }] });
    expect((await restUsage(t.adminKey, b.keyId)).body.results).toEqual(seen);
  });

  it.each([
    ['a sibling key without manageAccount', () => narrow.secret, () => a.keyId],
    ["another user's key", () => b.key, () => a.keyId],
    ["a member (not an owner) of the key's organization", () => member.key, () => orgKey.id],
  ])('not %s: null in GraphQL, 404 in REST', async (_label, reader, target) => {
    expect(await graphqlUsage(reader(), target())).toBeNull();
    const answer = await restUsage(reader(), target());
    expect(answer.status, answer.text).toBe(404);
    expect(answer.body).toEqual({ error: { id: expect.any(String), code: 2015, message: 'The requested API key was not found.' } });
  });

  it('no key that does not exist, nor a malformed id: 404', async () => {
    for (const id of [randomUUID(), 'not-a-uuid']) {
      const answer = await rest(t, 'GET', `/v1/keys/${id}/usage`, { key: t.adminKey });
      expect(answer.status, answer.text).toBe(404);
      expect(answer.body.error.code).toBe(2015);
    }
  });
});

describe('the days asked for', () => {
  let a: Owner;
  beforeAll(async () => {
    a = await owner();
    const id = localId(a.keyId);
    for (const back of [0, 29, 30, 89]) count(id, 'allowed', back + 1, (today() - back) * MS_PER_DAY + 1000);
    await t.app.usage.flush();
  });

  it(`are the last 30 by default, and at most ${USAGE_RETENTION_DAYS}`, async () => {
    const days = (usage: unknown) => (usage as { calls: number }[]).map((day) => day.calls - 1);
    const viewer = await t.gql('{ viewer { key { usage { calls } } } }', { key: a.key });
    expect(days(viewer.body.data!.viewer.key.usage)).toEqual([0, 29]);
    expect(days((await restUsage(a.key, a.keyId)).body.results)).toEqual([0, 29]);
    expect(days(await graphqlUsage(a.key, a.keyId, 31))).toEqual([0, 29, 30]);
    expect(days(await graphqlUsage(a.key, a.keyId, USAGE_RETENTION_DAYS))).toEqual([0, 29, 30, 89]);
    expect(days((await restUsage(a.key, a.keyId, `?days=${USAGE_RETENTION_DAYS}`)).body.results)).toEqual([0, 29, 30, 89]);
  });

  it.each([0, -1, USAGE_RETENTION_DAYS + 1, 100_000])('refuses %s, naming the argument and its bounds', async (days) => {
    const message = `days: must be a whole number from 1 to ${USAGE_RETENTION_DAYS}`;
    const response = await t.gql(USAGE_BY_NODE, { key: a.key, variables: { id: a.keyId, days } });
    expect(response.body.errors?.[0]).toMatchObject({ message, extensions: { code: 'BAD_USER_INPUT' } });
    const answer = await restUsage(a.key, a.keyId, `?days=${days}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 6001, message });
  });

  it('refuses a days that is no number in REST', async () => {
    for (const days of ['abc', '', '1.5', '12345678901']) {
      const answer = await restUsage(a.key, a.keyId, `?days=${days}`);
      expect(answer.status, days).toBe(400);
      expect(answer.body.error.code).toBe(6001);
      expect(answer.body.error.message).toMatch(/^days: /);
    }
  });
});

describe('retention', () => {
  it(`sweeps days older than ${USAGE_RETENTION_DAYS} with the periodic sweep`, async () => {
    const a = await owner();
    const id = localId(a.keyId);
    count(id, 'allowed', 1, (today() - USAGE_RETENTION_DAYS) * MS_PER_DAY);
    count(id, 'allowed', 1, (today() - USAGE_RETENTION_DAYS + 1) * MS_PER_DAY);
    await t.app.usage.flush();
    const days = async () =>
      (await t.app.database.db.select({ day: apiKeyUsageDays.day }).from(apiKeyUsageDays).where(eq(apiKeyUsageDays.apiKeyId, id)))
        .map((row) => row.day)
        .sort();
    expect(await days()).toEqual([isoDay(today() - USAGE_RETENTION_DAYS), isoDay(today() - USAGE_RETENTION_DAYS + 1)]);
    await t.app.sweep();
    expect(await days()).toEqual([isoDay(today() - USAGE_RETENTION_DAYS + 1)]);
  });
});

describe('when the database fails, and memory', () => {
  it('keeps the counts of failed flushes and writes them once it answers, logging the trouble once', async () => {
    const a = await owner();
    const id = localId(a.keyId);
    const warnings = logged('could not record key usage: it waits in memory (at most 100000 keys and days) for the next flush').length;
    const recoveries = logged('key usage is recorded again').length;
    // A real failure of the database (the table is away), not a mock: every statement on it fails.
    await t.app.database.db.execute(sql.raw('alter table api_key_usage_days rename to api_key_usage_days_away'));
    try {
      count(id, 'allowed', 3);
      await t.app.usage.flush();
      count(id, 'refused', 2);
      count(id, 'allowed', 1, Date.now() - MS_PER_DAY);
      await t.app.usage.flush();
    } finally {
      await t.app.database.db.execute(sql.raw('alter table api_key_usage_days_away rename to api_key_usage_days'));
    }
    expect(logged('could not record key usage: it waits in memory (at most 100000 keys and days) for the next flush')).toHaveLength(warnings + 1);
    expect(await graphqlUsage(a.key, a.keyId)).toEqual([]);

    count(id, 'allowed', 1);
    await t.app.usage.flush();
    expect(await graphqlUsage(a.key, a.keyId)).toEqual([
      { day: isoDay(today()), calls: 4, refused: 2 },
      { day: isoDay(today() - 1), calls: 1, refused: 0 },
    ]);
    expect(logged('key usage is recorded again')).toHaveLength(recoveries + 1);
  });

  it(`waits with at most ${MAX_PENDING_DAY_COUNTS} keys and days: calls of further keys are dropped, and said so`, async () => {
    const a = await owner();
    const late = await owner();
    count(localId(a.keyId), 'allowed', 1);
    // Unknown ids fill the bound (the flush leaves them out: they name no key).
    for (let i = 1; i < MAX_PENDING_DAY_COUNTS; i++) t.app.usage.countCall(randomUUID(), 'allowed');
    count(localId(late.keyId), 'allowed', 2);
    count(localId(a.keyId), 'allowed', 1);
    const flushed = await statementsDuring(() => t.app.usage.flush());
    expect(usageWrites(flushed)).toHaveLength(1);
    expect(await graphqlUsage(a.key, a.keyId)).toEqual([{ day: isoDay(today()), calls: 2, refused: 0 }]);
    expect(await graphqlUsage(late.key, late.keyId)).toEqual([]);
    expect(logged(`more than ${MAX_PENDING_DAY_COUNTS} keys and days waited to be recorded: calls of further keys were not counted`).at(-1)).toMatchObject({
      level: 40,
      droppedCalls: 2,
    });

    count(localId(late.keyId), 'allowed', 1);
    await t.app.usage.flush();
    expect(await graphqlUsage(late.key, late.keyId)).toEqual([{ day: isoDay(today()), calls: 1, refused: 0 }]);
    expect(logged('key usage is recorded again').at(-1)).toMatchObject({ droppedCalls: 2 });
  }, 60_000);
});

describe('shutdown', () => {
  it('writes what waits when the app closes', async () => {
    const database = ON_POSTGRES ? await createTestDatabase() : undefined;
    const dataDir = ON_POSTGRES ? undefined : await mkdtemp(path.join(tmpdir(), 'algoplane-usage-'));
    const env: Record<string, string> = dataDir ? { DATA_DIR: dataDir } : {};
    try {
      const first = await startTestApp({ env, database });
      const user = await createUser(first);
      const viewer = await first.gql('{ viewer { key { id } } }', { key: user.key });
      first.app.usage.countCall(localId(viewer.body.data!.viewer.key.id), 'refused');
      await first.close();

      const second = await startTestApp({ env, database });
      try {
        const usage = await second.gql('{ viewer { key { usage { calls refused } } } }', { key: user.key });
        expect(usage.body.data!.viewer.key.usage).toEqual([{ calls: 0, refused: 1 }]);
      } finally {
        await second.close();
      }
    } finally {
      await database?.drop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
