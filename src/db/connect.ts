/**
 * One database interface over the embedded PGlite (the zero-setup default) and postgres.js (when
 * DATABASE_URL is set). Everything driver-specific — result shapes, LISTEN, locking, closing — stays
 * in this file.
 */
import { fileURLToPath } from 'node:url';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { DatabaseStats } from '../core/metrics.js';
import { currentWork, runAs, type RequestWork } from '../core/request-work.js';
import { StartupError } from '../core/startup-error.js';
import { settleWithin } from '../core/timeout.js';
import { IN_MEMORY, openDataDir, type DataDirLock } from './data-dir.js';
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
  /** How the connection is used, for metrics. */
  stats(): DatabaseStats;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** postgres:// URL; without it PGlite is used. */
  databaseUrl?: string | undefined;
  /** PGlite data directory, or `memory://` (IN_MEMORY) for a throwaway database. */
  dataDir: string;
  /** What this process is (`algoplane start`), told to another that finds the data directory held (db/data-dir.ts). */
  holder?: string;
  poolSize?: number;
  /**
   * The longest start-up waits on the database: for Postgres to answer, or for the data directory
   * to be made ready and locked. Past it, connect fails with a StartupError.
   */
  connectTimeoutMs?: number;
  /** The longest start-up waits for another instance's start-up lock, held while it migrates (Postgres only). */
  migrationLockTimeoutMs?: number;
  /** Cancel any statement running longer than this (Postgres only). */
  statementTimeoutMs?: number;
  /** Sees every SQL statement sent (tests and benchmarks count them). */
  onQuery?: (query: string, params: unknown[]) => void;
}

const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));
/** Arbitrary constant shared by every instance: serialises migrations and bootstrap. */
const STARTUP_LOCK_ID = 720_514_001;
/** Postgres's lock_not_available: lock_timeout ran out. */
const LOCK_NOT_AVAILABLE = '55P03';
const DEFAULT_CONNECT_TIMEOUT_MS = 3000;
const DEFAULT_MIGRATION_LOCK_TIMEOUT_MS = 120_000;

function connectTimeoutMs(options: ConnectOptions): number {
  return options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
}

/** The rows of a raw query's result, whichever driver ran it (PGlite answers `{ rows }`, postgres.js an array). */
export function resultRows<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/** The rows of a raw query. */
export async function rows<T>(db: Db, query: SQL): Promise<T[]> {
  return resultRows<T>(await db.execute(query));
}

/**
 * NOTIFY `channel` with `payload` (what `Database.listen` hears, in every process). Inside a
 * transaction it is sent when the transaction commits, and never if it rolls back.
 */
export async function notify(db: Db, channel: string, payload: string): Promise<void> {
  await db.execute(sql`select pg_notify(${channel}, ${payload})`);
}

/** What a connection counts as it is used: plain numbers, read by `stats()`. */
interface Activity {
  statements: number;
  transactionsActive: number;
}

export type CommitGuard = (tx: Db) => Promise<void>;

const commitGuards = new WeakMap<RequestWork, CommitGuard[]>();

/**
 * Runs `guard` at the end of each transaction the current request opens from now on, just before
 * it commits, so that what it writes commits, or rolls back, with the request's own writes; a
 * guard that throws rolls its transaction back. Last rather than first: any row it writes stays
 * locked only from there to the commit. The Idempotency-Key claim records there that the
 * request's work committed (gate/idempotency.ts). Services write in transactions
 * (docs/ARCHITECTURE.md), so every write of a request is covered.
 */
export function beforeRequestCommits(guard: CommitGuard): void {
  const work = currentWork();
  if (!work) throw new Error('beforeRequestCommits needs a request: call it inside the request’s work');
  commitGuards.set(work, [...(commitGuards.get(work) ?? []), guard]);
}

export async function connect(options: ConnectOptions): Promise<Database> {
  const activity: Activity = { statements: 0, transactionsActive: 0 };
  // drizzle tells its logger of every statement just before sending it, on both drivers: the one
  // place to refuse the statements of a request that has stopped (its deadline passed).
  const logger = {
    logQuery: (query: string, params: unknown[]) => {
      currentWork()?.throwIfStopped();
      activity.statements++;
      options.onQuery?.(query, params);
    },
  };
  const database = await (options.databaseUrl ? connectPostgres(options, logger) : connectPglite(options, logger));
  instrumentTransactions(database.db, activity);
  const poolSize = database.driver === 'pglite' ? 1 : (options.poolSize ?? DEFAULT_POOL_SIZE);
  return Object.assign(database, { stats: (): DatabaseStats => ({ driver: database.driver, poolSize, ...activity }) });
}

/**
 * Every transaction on `db`: counted while it holds its connection (the driver calls the work once
 * BEGIN is sent; neither driver says how many of its connections are busy, but a transaction holds
 * one for all its length), and ended by the current request's commit guards (`beforeRequestCommits`).
 * Nested transactions (savepoints) run inside a guarded one.
 */
function instrumentTransactions(db: Db, activity: Activity): void {
  const transaction = db.transaction.bind(db);
  db.transaction = ((work, config) => {
    // Read now: postgres.js may start the transaction outside the request's asynchronous context.
    const current = currentWork();
    const guards = (current && commitGuards.get(current)) ?? [];
    return transaction(async (tx) => {
      activity.transactionsActive++;
      try {
        const result = await work(tx);
        for (const guard of guards) await guard(tx);
        return result;
      } finally {
        activity.transactionsActive--;
      }
    }, config);
  }) as Db['transaction'];
}

type QueryLogger = { logQuery: (query: string, params: unknown[]) => void };

const DEFAULT_POOL_SIZE = 10;

async function connectPglite(options: ConnectOptions, logger: QueryLogger): Promise<Omit<Database, 'stats'>> {
  const { dataDir } = options;
  const inMemory = dataDir.startsWith(IN_MEMORY);
  const lock = inMemory ? undefined : await lockDataDir(dataDir, options.holder ?? 'algoplane', connectTimeoutMs(options));
  try {
    // Loaded only when used: a server on Postgres need not carry the embedded database (tens of MB).
    const [{ PGlite }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('drizzle-orm/pglite'),
      import('drizzle-orm/pglite/migrator'),
    ]);
    // No directory (no lock) keeps the database in memory.
    const client = await PGlite.create(lock?.directory).catch((error: unknown) => {
      // PGlite's file errors are Emscripten's, with an errno and no message.
      throw new StartupError(`the embedded database in DATA_DIR ${dataDir} cannot be opened: ${error instanceof Error ? error.message : JSON.stringify(error)}`);
    });
    const driverDb = drizzlePglite(client, { schema, logger });
    // Services see one interface over both drivers; only the migrator needs the driver's own type.
    const db = driverDb as unknown as Db;
    return {
      db,
      driver: 'pglite',
      // One connection, and one process (the data directory's lock): nothing can race us here.
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
        await lock?.release();
      },
    };
  } catch (error) {
    await lock?.release();
    throw error;
  }
}

/** The data directory, made ready and held by this process; one that does not answer in time is a StartupError. */
function lockDataDir(dataDir: string, holder: string, timeoutMs: number): Promise<DataDirLock> {
  const giveUp = new AbortController();
  return settleWithin(openDataDir(dataDir, holder, giveUp.signal), timeoutMs, () => {
    const error = new StartupError(`DATA_DIR ${dataDir} did not answer within ${timeoutMs} ms (DATABASE_CONNECT_TIMEOUT_MS)`);
    giveUp.abort(error);
    return error;
  });
}

async function connectPostgres(options: ConnectOptions, logger: QueryLogger): Promise<Omit<Database, 'stats'>> {
  const client = postgres(options.databaseUrl!, {
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    onnotice: () => {},
    // Fail fast while the database is away (postgres.js would wait 30 s), and bound slow queries.
    connect_timeout: Math.ceil(connectTimeoutMs(options) / 1000),
    connection: { application_name: 'algoplane', statement_timeout: options.statementTimeoutMs ?? 15_000 },
  });
  await reachPostgres(client, options.databaseUrl!, connectTimeoutMs(options));
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
        await takeStartupLock(lock, options.migrationLockTimeoutMs ?? DEFAULT_MIGRATION_LOCK_TIMEOUT_MS);
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
 * The first answer from Postgres, within the time limit whatever the way it fails: postgres.js's
 * own connect_timeout has whole seconds, and the caller would otherwise learn of a dead host only
 * from its first statement. A failure is one StartupError line naming the host (never the URL,
 * which may hold a password).
 */
async function reachPostgres(client: postgres.Sql, databaseUrl: string, timeoutMs: number): Promise<void> {
  const where = hostOf(databaseUrl);
  const silent = () => new StartupError(`the database at ${where} did not answer within ${timeoutMs} ms (DATABASE_CONNECT_TIMEOUT_MS)`);
  try {
    await settleWithin(client`select 1`.execute(), timeoutMs, silent);
  } catch (error) {
    await client.end({ timeout: 0 });
    if (error instanceof StartupError) throw error;
    if ((error as { code?: string }).code === 'CONNECT_TIMEOUT') throw silent();
    throw new StartupError(`cannot use the database at ${where}: ${(error as Error).message}`);
  }
}

function hostOf(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname}:${url.port || 5432}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/**
 * The start-up lock that serialises migrations and bootstrap across instances. Waiting for it is
 * waiting for another instance to finish migrating, which may take longer than any one statement:
 * statement_timeout is lifted for the wait and lock_timeout bounds it instead, with a line that
 * names the Postgres backend holding it.
 */
async function takeStartupLock(connection: postgres.ReservedSql, timeoutMs: number): Promise<void> {
  await connection`select set_config('statement_timeout', '0', false), set_config('lock_timeout', ${String(timeoutMs)}, false)`;
  try {
    await connection`select pg_advisory_lock(${STARTUP_LOCK_ID})`;
  } catch (error) {
    if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw error;
    const [holder] = await connection<{ pid: number }[]>`
      select pid from pg_locks
      where locktype = 'advisory' and granted and classid = 0 and objid = ${STARTUP_LOCK_ID}
        and database = (select oid from pg_database where datname = current_database())`;
    const who = holder ? `Postgres backend ${holder.pid} (pg_stat_activity says whose; pg_terminate_backend(${holder.pid}) frees it)` : 'another session';
    throw new StartupError(
      `another instance has held the start-up lock (migrations) for over ${timeoutMs} ms (MIGRATION_LOCK_TIMEOUT_MS): it is still migrating, or stuck: ${who}`,
    );
  } finally {
    // Back to the connection's own settings, for the pool that gets it next (a broken connection
    // fails here too, and leaves the pool anyway).
    await connection`reset statement_timeout`.catch(() => {});
    await connection`reset lock_timeout`.catch(() => {});
  }
}

/**
 * A statement of a request that stops while it runs is cancelled on the server (postgres.js sends
 * a cancel request on its own connection), so no lock wait or long scan outlives the request.
 * PGlite runs each statement to completion inside this process and cannot be interrupted; there,
 * the request's next statements are refused instead (`connect`'s logger).
 */
function cancelledWhenStopped<T extends object>(query: T): T {
  currentWork()?.whenStopped(() => cancelQuietly(query));
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
