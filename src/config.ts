/**
 * Environment -> typed configuration. Every bad variable is reported on its own line naming the
 * variable, the rule and the value given, and start-up stops before anything is opened.
 */
import path from 'node:path';
import { z } from 'zod';
import { LOG_LEVELS, type LogLevel } from './core/logger.js';
import { DEFAULT_LIMITS, type Limits } from './core/limits.js';


export interface Config {
  port: number;
  host: string;
  /** postgres:// URL; when absent the embedded PGlite database under `dataDir` is used. */
  databaseUrl: string | undefined;
  dataDir: string;
  databasePoolSize: number;
  databaseConnectTimeoutMs: number;
  statementTimeoutMs: number;
  /** The longest a request may wait on the database before it answers 503. */
  requestTimeoutMs: number;
  logLevel: LogLevel;
  redisUrl: string | undefined;
  rateLimitPerMinute: number;
  /** Requests per minute for all of one owner's keys together: more keys never mean more throughput. */
  ownerRateLimitPerMinute: number;
  /** Failed authentications allowed per client address per minute. */
  authFailuresPerMinute: number;
  /** GraphiQL page and asset requests allowed per client address per minute (a cold page view is about 8). */
  graphiqlRequestsPerMinute: number;
  /** How long SIGTERM waits for in-flight requests before closing their connections. */
  shutdownGraceMs: number;
  keyCacheTtlMs: number;
  keyNegativeCacheTtlMs: number;
  keyUsageFlushMs: number;
  adminEmail: string;
  /** Largest request body accepted (bytes); larger ones get 413. */
  maxBodyBytes: number;
  /** Largest cost (fields × page sizes) one GraphQL operation may have. */
  graphqlMaxCost: number;
  /** Where clients call algorithms (the execution tier), as shown in code snippets. */
  algorithmApiUrl: string;
  /** Caps on what one owner, key or request may hold (core/limits.ts). */
  limits: Limits;
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

  const rateLimitPerMinute = integer('RATE_LIMIT_PER_MINUTE', 600, 1, 10_000_000);
  const config: Config = {
    port: integer('PORT', 4000, 0, 65535),
    host: read('HOST') ?? '127.0.0.1',
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: path.resolve(read('DATA_DIR') ?? './data'),
    databasePoolSize: integer('DATABASE_POOL_SIZE', 10, 1, 500),
    databaseConnectTimeoutMs: integer('DATABASE_CONNECT_TIMEOUT_MS', 3000, 1000, 600_000),
    statementTimeoutMs: integer('STATEMENT_TIMEOUT_MS', 15_000, 100, 3_600_000),
    requestTimeoutMs: integer('REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
    logLevel: logLevel as LogLevel,
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:']),
    rateLimitPerMinute,
    // By default an owner's keys together may do what one key may: more keys, no more throughput.
    ownerRateLimitPerMinute: integer('OWNER_RATE_LIMIT_PER_MINUTE', rateLimitPerMinute, 1, 10_000_000),
    authFailuresPerMinute: integer('AUTH_FAILURES_PER_MINUTE', 30, 1, 10_000_000),
    graphiqlRequestsPerMinute: integer('GRAPHIQL_REQUESTS_PER_MINUTE', 60, 1, 10_000_000),
    shutdownGraceMs: integer('SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    keyCacheTtlMs: integer('KEY_CACHE_TTL_MS', 30_000, 0, 3_600_000),
    keyNegativeCacheTtlMs: integer('KEY_NEGATIVE_CACHE_TTL_MS', 5_000, 0, 3_600_000),
    keyUsageFlushMs: integer('KEY_USAGE_FLUSH_MS', 5_000, 100, 3_600_000),
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
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
