/**
 * One database interface over the embedded PGlite (the zero-setup default) and postgres.js (when
 * DATABASE_URL is set). Everything driver-specific — result shapes, LISTEN, locking, closing — stays
 * in this file.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { currentWork, runAs } from '../core/request-work.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
/** A database or transaction handle: services accept either and pass it down. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  readonly db: Db;
  readonly driver: 'pglite' | 'postgres';
  /** Applies pending migrations, then runs `afterMigrate`, all while holding the start-up lock. */
  migrate(afterMigrate?: () => Promise<void>): Promise<void>;
  /** Calls `onPayload` for each NOTIFY on `channel` (from any connection, any process). */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** postgres:// URL; without it PGlite is used. */
  databaseUrl?: string | undefined;
  /** PGlite data directory, or `memory://` for a throwaway database. */
  dataDir: string;
  poolSize?: number;
  /** Give up connecting after this long (Postgres only). */
  connectTimeoutMs?: number;
  /** Cancel any statement running longer than this (Postgres only). */
  statementTimeoutMs?: number;
  /** Sees every SQL statement sent (tests and benchmarks count them). */
  onQuery?: (query: string, params: unknown[]) => void;
}

const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));
/** Arbitrary constant shared by every instance: serialises migrations and bootstrap. */
const STARTUP_LOCK_ID = 720_514_001;

/** The rows of a raw query's result, whichever driver ran it (PGlite answers `{ rows }`, postgres.js an array). */
export function resultRows<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/** The rows of a raw query. */
export async function rows<T>(db: Db, query: SQL): Promise<T[]> {
  return resultRows<T>(await db.execute(query));
}

export async function connect(options: ConnectOptions): Promise<Database> {
  // drizzle tells its logger of every statement just before sending it, on both drivers: the one
  // place to refuse the statements of a request that has stopped (its deadline passed).
  const logger = {
    logQuery: (query: string, params: unknown[]) => {
      currentWork()?.throwIfStopped();
      options.onQuery?.(query, params);
    },
  };
  return options.databaseUrl
    ? connectPostgres(options, logger)
    : connectPglite(options.dataDir, logger);
}

type QueryLogger = { logQuery: (query: string, params: unknown[]) => void };

async function connectPglite(dataDir: string, logger: QueryLogger): Promise<Database> {
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) await mkdir(dataDir, { recursive: true });
  // Loaded only when used: a server on Postgres need not carry the embedded database (tens of MB).
  const [{ PGlite }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  const client = await PGlite.create(inMemory ? undefined : dataDir);
  const driverDb = drizzlePglite(client, { schema, logger });
  // Services see one interface over both drivers; only the migrator needs the driver's own type.
  const db = driverDb as unknown as Db;
  return {
    db,
    driver: 'pglite',
    // One connection, one process: nothing else can race us, so no lock is needed.
    async migrate(afterMigrate) {
      await migratePglite(driverDb, { migrationsFolder: MIGRATIONS_FOLDER });
      await afterMigrate?.();
    },
    async listen(channel, onPayload) {
      const unsubscribe = await client.listen(channel, onPayload);
      return async () => {
        if (!client.closed) await unsubscribe();
      };
    },
    async ping() {
      await client.query('select 1');
    },
    async close() {
      if (!client.closed) await client.close();
    },
  };
}

async function connectPostgres(options: ConnectOptions, logger: QueryLogger): Promise<Database> {
  const client = postgres(options.databaseUrl!, {
    max: options.poolSize ?? 10,
    onnotice: () => {},
    // Fail fast while the database is away (postgres.js would wait 30 s), and bound slow queries.
    connect_timeout: Math.ceil((options.connectTimeoutMs ?? 3000) / 1000),
    connection: { application_name: 'algoplane', statement_timeout: options.statementTimeoutMs ?? 15_000 },
  });
  const driverDb = drizzlePostgres(preparing(client), { schema, logger });
  const db = driverDb as unknown as Db;
  return {
    db,
    driver: 'postgres',
    async migrate(afterMigrate) {
      // drizzle's migrator takes no lock; several instances starting together must not race.
      // The lock lives on one reserved connection while the work runs on the pool.
      const lock = await client.reserve();
      try {
        await lock`select pg_advisory_lock(${STARTUP_LOCK_ID})`;
        await migratePostgres(driverDb, { migrationsFolder: MIGRATIONS_FOLDER });
        await afterMigrate?.();
      } finally {
        await lock`select pg_advisory_unlock(${STARTUP_LOCK_ID})`.catch(() => {});
        lock.release();
      }
    },
    async listen(channel, onPayload) {
      // postgres.js keeps a dedicated connection for LISTEN and re-subscribes after reconnects.
      const subscription = await client.listen(channel, onPayload);
      return () => subscription.unlisten();
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  };
}

/**
 * A statement of a request that stops while it runs is cancelled on the server (postgres.js sends
 * a cancel request on its own connection), so no lock wait or long scan outlives the request.
 * PGlite runs each statement to completion inside this process and cannot be interrupted; there,
 * the request's next statements are refused instead (`connect`'s logger).
 */
function cancelledWhenStopped<T extends object>(query: T): T {
  const signal = currentWork()?.signal;
  if (signal) signal.addEventListener('abort', () => cancelQuietly(query), { once: true });
  return query;
}

/**
 * postgres.js's `query.cancel()` drops the promise of its cancel request, so a database that is away
 * at that moment would become an unhandled rejection; this sends the same request through the same
 * function and keeps its failure. A finished statement is left alone (postgres.js marks it inactive).
 */
function cancelQuietly(query: object): void {
  const pending = query as { canceller?: ((q: object) => Promise<void>) | null; cancel(): unknown };
  const canceller = pending.canceller;
  if (typeof canceller !== 'function') return void pending.cancel();
  pending.canceller = null;
  canceller(query).catch(() => {});
}

/**
 * The client drizzle should see: every parameterised statement it sends is prepared, once per
 * connection, and reused from then on. drizzle asks postgres.js for unnamed statements, which cost
 * two round trips each (describe the parameters, then bind and execute) and a fresh plan; a prepared
 * one costs one round trip and reuses its plan. Transactions get the same treatment.
 */
function preparing(client: postgres.Sql): postgres.Sql {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'unsafe') {
        return (query: string, params?: unknown[], options?: object) =>
          cancelledWhenStopped(target.unsafe(query, params as postgres.ParameterOrJSON<never>[] | undefined, { ...options, prepare: true }));
      }
      if (property === 'begin' || property === 'savepoint') {
        return (...args: unknown[]) => {
          const work = args.pop() as (inner: postgres.Sql) => unknown;
          const open = Reflect.get(target, property) as (...all: unknown[]) => unknown;
          // postgres.js may start the transaction from a connection's event, outside the request's
          // asynchronous context: carry the request's work in, so its statements stop with it.
          const request = currentWork();
          const inside = (inner: postgres.Sql) => work(preparing(inner));
          return open.apply(target, [...args, request ? (inner: postgres.Sql) => runAs(request, () => inside(inner)) : inside]);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}
