/**
 * Secrets are never at rest: after minting keys every way there is (createUser, createApiKey, a roll
 * with a grace period so both hashes live, createAdminApiKey), no column of any table, no audit
 * event and no log line holds any of them, in any common encoding.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../src/db/connect.js';
import { createUser, startTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
const secrets: string[] = [];

beforeAll(async () => {
  t = await startTestApp();
  secrets.push(t.adminKey);
  const user = await createUser(t);
  secrets.push(user.key);
  const created = await t.gql(
    `mutation { createApiKey(input: { name: "app", algorithmAccess: ["algo://*"], manageAccount: true }) { apiKey { id } secret } }`,
    { key: user.key },
  );
  const { apiKey, secret } = created.body.data!.createApiKey;
  secrets.push(secret);
  const rolled = await t.gql(`mutation($id: ID!) { rollApiKey(input: { id: $id, gracePeriodSeconds: 3600 }) { secret } }`, {
    key: user.key,
    variables: { id: apiKey.id },
  });
  secrets.push(rolled.body.data!.rollApiKey.secret);
  const admin = await t.gql(`mutation { createAdminApiKey(input: { username: "admin", name: "second" }) { secret } }`, {
    key: t.adminKey,
  });
  secrets.push(admin.body.data!.createAdminApiKey.secret);
  // Use every key once so verification, caching and lastUsedAt have all run.
  for (const key of secrets) await t.gql(key.startsWith('adm') ? '{ admin { users { totalCount } } }' : '{ viewer { key { id } } }', { key });
  await t.app.usage.flush();
});
afterAll(() => t?.close());

/** The forms a leaked secret could take: itself, its random body, and the usual encodings of it. */
const needlesFor = (secret: string) => [
  secret,
  secret.slice(3, 25),
  Buffer.from(secret).toString('hex'),
  Buffer.from(secret).toString('base64').slice(0, 40),
];

describe('secrets at rest', () => {
  it('minted five distinct secrets, all of which work (the search below looks for real keys)', () => {
    expect(new Set(secrets).size).toBe(5);
    expect(secrets.every((s) => /^(sim|adm)[0-9A-Za-z]{28}$/.test(s))).toBe(true);
  });

  it('appear in no text, bytea, json or array column of any table', async () => {
    const columns = await rows<{ table_schema: string; table_name: string; column_name: string }>(
      t.app.database.db,
      sql`select c.table_schema, c.table_name, c.column_name
          from information_schema.columns c
          join information_schema.tables tb on tb.table_schema = c.table_schema and tb.table_name = c.table_name
          where tb.table_type = 'BASE TABLE'
            and c.table_schema not in ('pg_catalog', 'information_schema')
            and c.data_type in ('text', 'character varying', 'character', 'bytea', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED')`,
    );
    const tables = new Set(columns.map((c) => c.table_name));
    for (const table of ['users', 'owners', 'api_keys', 'api_key_secrets', 'audit_events']) expect(tables).toContain(table);

    const found: string[] = [];
    for (const column of columns) {
      const target = sql.raw(`"${column.table_schema}"."${column.table_name}"`);
      const value = sql.raw(`"${column.column_name}"::text`);
      for (const secret of secrets) {
        for (const needle of needlesFor(secret)) {
          const [hit] = await rows<{ n: number }>(
            t.app.database.db,
            sql`select count(*)::int as n from ${target} where position(${needle} in ${value}) > 0`,
          );
          if (hit!.n > 0) found.push(`${column.table_name}.${column.column_name}`);
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('are stored only as SHA-256 hashes, one per live secret (the rolled key keeps its old one for the grace period)', async () => {
    const stored = await rows<{ hash: string }>(t.app.database.db, sql`select hash from api_key_secrets`);
    const hashes = new Set(stored.map((row) => row.hash));
    for (const secret of secrets) expect(hashes).toContain(createHash('sha256').update(secret).digest('hex'));
  });

  it('appear in no log line', () => {
    const log = JSON.stringify(t.logs);
    expect(t.logs.length).toBeGreaterThan(5);
    for (const secret of secrets) for (const needle of needlesFor(secret)) expect(log).not.toContain(needle);
  });
});
