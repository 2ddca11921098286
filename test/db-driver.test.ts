/**
 * What src/db/connect.ts relies on in its drivers beyond their documented use: on postgres.js, every
 * statement drizzle sends is prepared once per connection (drizzle asks for unnamed statements, and
 * connect.ts's client turns them into prepared ones). A drizzle or postgres.js upgrade that changes
 * how drizzle calls the client fails here rather than silently doubling round trips.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, rows, type Database } from '../src/db/connect.js';
import { owners } from '../src/db/schema.js';
import { createTestDatabase, ON_POSTGRES, type TestDatabase } from './helpers/app.js';

describe.skipIf(!ON_POSTGRES)('the Postgres driver (Postgres only)', () => {
  let database: TestDatabase;
  let connection: Database;

  beforeAll(async () => {
    database = await createTestDatabase();
    const migrating = await connect({ databaseUrl: database.url, dataDir: 'memory://' });
    await migrating.migrate();
    await migrating.close();
    // One connection: prepared statements are per connection, so all of them show in its view.
    connection = await connect({ databaseUrl: database.url, dataDir: 'memory://', poolSize: 1 });
  });
  afterAll(async () => {
    await connection?.close();
    await database?.drop();
  });

  it('prepares the statements drizzle sends, in and out of transactions', async () => {
    const { db } = connection;
    const marker = 'prepared-check';
    await db.select({ id: owners.id }).from(owners).where(eq(owners.name, marker));
    await db.transaction((tx) => tx.select({ name: owners.name }).from(owners).where(eq(owners.name, `${marker}-tx`)));
    const texts = (await rows<{ statement: string }>(db, sql`select statement from pg_prepared_statements`)).map((row) => row.statement);
    expect(texts.some((text) => text.includes('select "id" from "owners" where "owners"."name" = $1'))).toBe(true);
    expect(texts.some((text) => text.includes('select "name" from "owners" where "owners"."name" = $1'))).toBe(true);
  });
});
