/**
 * Request budgets: per key (its own limit, or the server default), per owner (all its keys
 * together) and, per client address (an IPv6 one by its /64), for failed authentication and for
 * GraphiQL's page and files.
 * Counters live in Redis when REDIS_URL is set, so every instance draws on one budget; in memory
 * otherwise. If Redis is unreachable, each instance falls back to its own in-memory counters rather
 * than failing requests, and says so (shared-counters.ts).
 */
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../core/logger.js';
import type { RateLimitStore } from '../core/metrics.js';
import { budgetHolder } from '../core/client-address.js';
import { SharedCounters } from './shared-counters.js';

export interface Budget {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** When the current window ends. */
  resetAt: Date;
}

export interface RateLimitOptions {
  redisUrl: string | undefined;
  defaultPerMinute: number;
  /** All of one owner's keys together (OWNER_RATE_LIMIT_PER_MINUTE). */
  ownerPerMinute: number;
  authFailuresPerMinute: number;
  graphiqlPerMinute: number;
}

const WINDOW_SECONDS = 60;

/**
 * The owner counter counts every request and never refuses by itself: each request compares the
 * count with its own limit (`consumeOwner`), so all of an owner's keys share one counter whatever
 * their limits.
 */
const COUNT_ONLY = Number.MAX_SAFE_INTEGER;

export class RateLimits {
  private readonly shared: SharedCounters | undefined;
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  constructor(
    private readonly options: RateLimitOptions,
    log: Logger,
  ) {
    this.shared = options.redisUrl ? new SharedCounters(options.redisUrl, log) : undefined;
  }

  /** Connects to Redis, when there is one, within a short bound: start-up goes on without it. */
  async start(): Promise<void> {
    await this.shared?.start();
  }

  private limiter(kind: 'key' | 'owner' | 'auth' | 'graphiql', points: number): RateLimiterAbstract {
    const name = `${kind}:${points}`;
    let limiter = this.limiters.get(name);
    if (!limiter) {
      const base = { points, duration: WINDOW_SECONDS, keyPrefix: `algoplane:rl:${name}` };
      limiter = this.shared
        ? new RateLimiterRedis({ ...base, storeClient: this.shared.client, insuranceLimiter: new RateLimiterMemory(base) })
        : new RateLimiterMemory(base);
      this.limiters.set(name, limiter);
    }
    return limiter;
  }

  private static budget(limit: number, result: RateLimiterRes | null, allowed: boolean): Budget {
    return {
      allowed,
      limit,
      remaining: result ? Math.max(result.remainingPoints, 0) : limit,
      resetAt: new Date(Date.now() + (result?.msBeforeNext ?? WINDOW_SECONDS * 1000)),
    };
  }

  private async consume(limiter: RateLimiterAbstract, limit: number, id: string): Promise<Budget> {
    try {
      return RateLimits.budget(limit, await limiter.consume(id), true);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return RateLimits.budget(limit, rejection, false);
      throw rejection;
    }
  }

  /** Spends one request of the key's budget. */
  consumeKey(keyId: string, perMinute: number | null): Promise<Budget> {
    const limit = perMinute ?? this.options.defaultPerMinute;
    return this.consume(this.limiter('key', limit), limit, keyId);
  }

  /**
   * Spends one request of the owner's budget, which all its keys share: more keys never mean more
   * throughput. Its limit is the server's per-owner budget, or the calling key's own budget where an
   * operator set that higher (setApiKeyRateLimit): such a key may use the owner's window up to its
   * own limit, while its siblings stop at the owner's. The owner's requests per window thus never
   * pass the largest budget among the server's and its keys' own.
   */
  async consumeOwner(ownerId: string, keyPerMinute: number | null): Promise<Budget> {
    const limit = Math.max(this.options.ownerPerMinute, keyPerMinute ?? 0);
    const counted = await this.limiter('owner', COUNT_ONLY).consume(ownerId);
    return {
      allowed: counted.consumedPoints <= limit,
      limit,
      remaining: Math.max(limit - counted.consumedPoints, 0),
      resetAt: new Date(Date.now() + counted.msBeforeNext),
    };
  }

  /** Spends one authentication attempt of the address's budget; refunded when the key is good, or when none was sent. */
  takeAuthAttempt(address: string): Promise<Budget> {
    const limit = this.options.authFailuresPerMinute;
    return this.consume(this.limiter('auth', limit), limit, budgetHolder(address));
  }

  /**
   * Whether the address may authenticate at all, spending nothing: for keys already known to be
   * good, which are no guesses. An address that has spent its budget on failures waits it out,
   * good keys included.
   */
  async authAllowed(address: string): Promise<Budget> {
    const limit = this.options.authFailuresPerMinute;
    const spent = await this.limiter('auth', limit).get(budgetHolder(address));
    return RateLimits.budget(limit, spent, (spent?.consumedPoints ?? 0) < limit);
  }

  /** Spends one GraphiQL page or asset request of the address's budget: the bundle is megabytes, free to anyone. */
  takeGraphiQLRequest(address: string): Promise<Budget> {
    const limit = this.options.graphiqlPerMinute;
    return this.consume(this.limiter('graphiql', limit), limit, budgetHolder(address));
  }

  /**
   * Where budgets are counted now (Redis away: each limiter's in-memory insurance counts instead),
   * as the log, /ready and metrics all say it: Redis is away from when it stops answering a PING.
   */
  store(): RateLimitStore {
    if (!this.shared) return 'memory';
    return this.shared.state === 'ok' ? 'redis' : 'fallback';
  }

  /** The Redis connection budgets are counted on (REDIS_URL), for other state every instance shares. */
  sharedClient(): Redis | undefined {
    return this.shared?.client;
  }

  async refundAuthAttempt(address: string): Promise<void> {
    await this.limiter('auth', this.options.authFailuresPerMinute).reward(budgetHolder(address), 1);
  }

  async close(): Promise<void> {
    this.shared?.close();
  }
}

/** The standard headers for a budget (IETF RateLimit fields, and Retry-After when spent). */
export function budgetHeaders(budget: Budget): Record<string, string> {
  const reset = Math.max(1, Math.ceil((budget.resetAt.getTime() - Date.now()) / 1000));
  return {
    'RateLimit-Limit': String(budget.limit),
    'RateLimit-Remaining': String(budget.remaining),
    'RateLimit-Reset': String(reset),
    ...(budget.allowed ? {} : { 'Retry-After': String(reset) }),
  };
}
