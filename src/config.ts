/**
 * Environment -> typed configuration. Every bad variable is reported on its own line naming the
 * variable, the rule and the value given, and start-up stops before anything is opened.
 */
import path from 'node:path';
import { z } from 'zod';
import { parseTrustProxy, TRUST_NO_PROXY, TRUST_PROXY_RULE, type TrustProxy } from './core/client-address.js';
import { LOG_LEVELS, type LogLevel } from './core/logger.js';
import { DEFAULT_LIMITS, type Limits } from './core/limits.js';
import { IN_MEMORY } from './db/data-dir.js';


export interface Config {
  port: number;
  host: string;
  /** postgres:// URL; when absent the embedded PGlite database under `dataDir` is used. */
  databaseUrl: string | undefined;
  /** The embedded database's directory (absolute), or `memory://` for a throwaway one. */
  dataDir: string;
  databasePoolSize: number;
  /** The longest start-up waits for the database: Postgres's first answer, or DATA_DIR made ready and locked. */
  databaseConnectTimeoutMs: number;
  /** The longest start-up waits while another instance holds the start-up lock to migrate (Postgres). */
  migrationLockTimeoutMs: number;
  statementTimeoutMs: number;
  /** The longest a request may wait on the database before it answers 503. */
  requestTimeoutMs: number;
  logLevel: LogLevel;
  redisUrl: string | undefined;
  rateLimitPerMinute: number;
  /** Requests per minute for all of one owner's keys together: more keys never mean more throughput. */
  ownerRateLimitPerMinute: number;
  /** Cost points each request of a key's or owner's budget is worth (auth/rate-limit.ts). */
  rateLimitPointsPerRequest: number;
  /** Failed authentications allowed per client address per minute. */
  authFailuresPerMinute: number;
  /** GraphiQL page and asset requests allowed per client address per minute (a cold page view is about 8). */
  graphiqlRequestsPerMinute: number;
  /** Which proxies' X-Forwarded-For decides the client address (budgets per address, the log); none by default. */
  trustProxy: TrustProxy;
  /** How long SIGTERM waits for in-flight requests before closing their connections. */
  shutdownGraceMs: number;
  /**
   * How long a draining server, its /ready already 503, keeps accepting requests before it stops
   * listening: time for a load balancer's health checks to notice and send traffic elsewhere.
   */
  shutdownReadyDelayMs: number;
  keyCacheTtlMs: number;
  keyNegativeCacheTtlMs: number;
  keyUsageFlushMs: number;
  /** Upper bound on how long the authorizer trusts what it cached of an algorithm (its changes reach the cache by NOTIFY at once). */
  algorithmCacheTtlMs: number;
  /** Public pages (graphql/response-cache.ts): how long a shared answer may be served at most (changes clear it at once); 0 turns the cache off. */
  responseCacheTtlMs: number;
  responseCacheMaxEntries: number;
  /** Bound on the text of all shared answers together (in Redis, or in each instance's memory). */
  responseCacheMaxBytes: number;
  adminEmail: string;
  /** Largest request body accepted (bytes); larger ones get 413. */
  maxBodyBytes: number;
  /** Largest cost (fields × page sizes) one GraphQL operation may have. */
  graphqlMaxCost: number;
  /** Where clients call algorithms (the execution tier), as shown in code snippets. */
  algorithmApiUrl: string;
  /** Caps on what one owner, key or request may hold (core/limits.ts). */
  limits: Limits;
  /** Port of the second listener, serving only /metrics; unset: no metrics. */
  metricsPort: number | undefined;
  metricsHost: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(raw)})`);
      return fallback;
    }
    return value;
  };

  const url = (name: string, protocols: string[]): string | undefined => {
    const raw = read(name);
    if (raw === undefined) return undefined;
    let parsed: URL | undefined;
    try {
      parsed = new URL(raw);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !protocols.includes(parsed.protocol)) {
      // Never echo the value: connection URLs carry passwords.
      problems.push(`${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
      return undefined;
    }
    return raw;
  };

  const logLevel = (read('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(read('LOG_LEVEL'))})`);
  }

  const adminEmail = read('ADMIN_EMAIL') ?? 'admin@algoplane.localhost';
  if (!z.email().safeParse(adminEmail).success) {
    problems.push(`ADMIN_EMAIL must be an email address (got ${JSON.stringify(adminEmail)})`);
  }

  const trustProxyText = read('TRUST_PROXY');
  const trustProxy = parseTrustProxy(trustProxyText);
  if ('unreadable' in trustProxy) {
    const culprit = trustProxy.unreadable === trustProxyText ? '' : `; ${JSON.stringify(trustProxy.unreadable)} is none of these`;
    problems.push(`TRUST_PROXY must be ${TRUST_PROXY_RULE} (got ${JSON.stringify(trustProxyText)}${culprit})`);
  }
  const dataDir = (): string => {
    const raw = read('DATA_DIR') ?? './data';
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return path.resolve(raw);
    // A URL is no directory: path.resolve would make `memory://` a folder named `memory:`.
    if (raw.toLowerCase().startsWith(IN_MEMORY)) return IN_MEMORY;
    problems.push(`DATA_DIR must be a directory, or ${IN_MEMORY} for a throwaway database kept in memory (got ${JSON.stringify(raw)})`);
    return IN_MEMORY;
  };

  const rateLimitPerMinute = integer('RATE_LIMIT_PER_MINUTE', 600, 1, 10_000_000);
  const port = integer('PORT', 4000, 0, 65535);
  const metricsPort = read('METRICS_PORT') === undefined ? undefined : integer('METRICS_PORT', 0, 0, 65535);
  // 0 picks a free port for each listener, so only a fixed port can collide.
  if (metricsPort !== undefined && metricsPort !== 0 && metricsPort === port) {
    problems.push(`METRICS_PORT must differ from PORT (both ${port}): /metrics is never served on the public port`);
  }
  const config: Config = {
    port,
    host: read('HOST') ?? '127.0.0.1',
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: dataDir(),
    databasePoolSize: integer('DATABASE_POOL_SIZE', 10, 1, 500),
    databaseConnectTimeoutMs: integer('DATABASE_CONNECT_TIMEOUT_MS', 3000, 1000, 600_000),
    migrationLockTimeoutMs: integer('MIGRATION_LOCK_TIMEOUT_MS', 120_000, 1000, 3_600_000),
    statementTimeoutMs: integer('STATEMENT_TIMEOUT_MS', 15_000, 100, 3_600_000),
    requestTimeoutMs: integer('REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
    logLevel: logLevel as LogLevel,
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:']),
    rateLimitPerMinute,
    // By default an owner's keys together may do what one key may: more keys, no more throughput.
    ownerRateLimitPerMinute: integer('OWNER_RATE_LIMIT_PER_MINUTE', rateLimitPerMinute, 1, 10_000_000),
    // 600 requests a minute are 60 000 points: 32 catalogue pages of 50 (1 851 points each), or
    // three operations at the largest cost GRAPHQL_MAX_COST allows (20 000).
    rateLimitPointsPerRequest: integer('RATE_LIMIT_POINTS_PER_REQUEST', 100, 1, 10_000),
    authFailuresPerMinute: integer('AUTH_FAILURES_PER_MINUTE', 30, 1, 10_000_000),
    graphiqlRequestsPerMinute: integer('GRAPHIQL_REQUESTS_PER_MINUTE', 60, 1, 10_000_000),
    trustProxy: 'unreadable' in trustProxy ? TRUST_NO_PROXY : trustProxy,
    shutdownGraceMs: integer('SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    shutdownReadyDelayMs: integer('SHUTDOWN_READY_DELAY_MS', 5_000, 0, 600_000),
    keyCacheTtlMs: integer('KEY_CACHE_TTL_MS', 30_000, 0, 3_600_000),
    keyNegativeCacheTtlMs: integer('KEY_NEGATIVE_CACHE_TTL_MS', 5_000, 0, 3_600_000),
    keyUsageFlushMs: integer('KEY_USAGE_FLUSH_MS', 5_000, 100, 3_600_000),
    algorithmCacheTtlMs: integer('ALGORITHM_CACHE_TTL_MS', 30_000, 0, 3_600_000),
    responseCacheTtlMs: integer('RESPONSE_CACHE_TTL_MS', 60_000, 0, 3_600_000),
    responseCacheMaxEntries: integer('RESPONSE_CACHE_MAX_ENTRIES', 1000, 1, 1_000_000),
    responseCacheMaxBytes: integer('RESPONSE_CACHE_MAX_BYTES', 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    adminEmail,
    maxBodyBytes: integer('MAX_BODY_BYTES', 100 * 1024, 1024, 10 * 1024 * 1024),
    graphqlMaxCost: integer('GRAPHQL_MAX_COST', 20_000, 100, 10_000_000),
    algorithmApiUrl: (url('ALGORITHM_API_URL', ['http:', 'https:']) ?? 'https://api.algorithmia.com').replace(/\/+$/, ''),
    limits: {
      aclEntries: integer('MAX_ACL_ENTRIES', DEFAULT_LIMITS.aclEntries, 1, 10_000),
      keysPerOwner: integer('MAX_KEYS_PER_OWNER', DEFAULT_LIMITS.keysPerOwner, 1, 1_000_000),
      algorithmsPerOwner: integer('MAX_ALGORITHMS_PER_OWNER', DEFAULT_LIMITS.algorithmsPerOwner, 1, 10_000_000),
      versionsPerAlgorithm: integer('MAX_VERSIONS_PER_ALGORITHM', DEFAULT_LIMITS.versionsPerAlgorithm, 1, 10_000_000),
      idempotentResponseBytes: integer('MAX_IDEMPOTENT_RESPONSE_BYTES', DEFAULT_LIMITS.idempotentResponseBytes, 1024, 10 * 1024 * 1024),
      idempotencyRecordsPerKey: integer('MAX_IDEMPOTENCY_RECORDS_PER_KEY', DEFAULT_LIMITS.idempotencyRecordsPerKey, 1, 1_000_000),
      objectsPerRequest: integer('MAX_OBJECTS_PER_REQUEST', DEFAULT_LIMITS.objectsPerRequest, 100, 10_000_000),
    },
    metricsPort,
    metricsHost: read('METRICS_HOST') ?? '127.0.0.1',
  };
  // Several instances share budgets through Redis; on their own embedded databases they would not
  // share users or keys, each silently serving its own. (A malformed DATABASE_URL has its own line.)
  if (config.redisUrl && read('DATABASE_URL') === undefined) {
    problems.push(
      'REDIS_URL is set but DATABASE_URL is not: REDIS_URL shares rate limits between several instances, which must share one Postgres database (DATABASE_URL); the embedded database serves one instance only',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
