/**
 * Request budgets: per key (its own limit, or the server default), per owner (all its keys
 * together) and, per client address (an IPv6 one by its /64), for failed authentication and for
 * GraphiQL's page and files.
 * Counters live in Redis when REDIS_URL is set, so every instance draws on one budget; in memory
 * otherwise. If Redis is unreachable, each instance falls back to its own in-memory counters rather
 * than failing requests, and says so (shared-counters.ts).
 */
import type { Redis } from 'ioredis';
import { RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../core/logger.js';
import type { RateLimitStore } from '../core/metrics.js';
import { after, type NowOrLater } from '../core/now-or-later.js';
import { budgetHolder } from '../core/client-address.js';
import { LocalWindows, type WindowCount } from './local-windows.js';
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
 * Counters only count; each check compares the count with its limit. Counters are kept per kind
 * and limit, so a key given a new budget starts counting afresh; the owner's one counter serves
 * all its keys, whatever their limits (`consumeOwner`).
 */
const COUNT_ONLY = Number.MAX_SAFE_INTEGER;

type Kind = 'key' | 'owner' | 'auth' | 'graphiql';

/**
 * One kind of budget's counters: in Redis while it answers, shared by every instance; else, and
 * for any command Redis fails, this process's own. Local counts need no promise.
 */
class Counters {
  private readonly local = new LocalWindows(WINDOW_SECONDS * 1000);
  private readonly redis: RateLimiterRedis | undefined;

  constructor(
    name: string,
    private readonly shared: SharedCounters | undefined,
  ) {
    this.redis = shared && new RateLimiterRedis({ storeClient: shared.client, points: COUNT_ONLY, duration: WINDOW_SECONDS, keyPrefix: `algoplane:rl:${name}` });
  }

  private get sharedNow(): RateLimiterRedis | undefined {
    return this.shared?.state === 'ok' ? this.redis : undefined;
  }

  consume(holder: string, points: number): NowOrLater<WindowCount> {
    const redis = this.sharedNow;
    if (!redis) return this.local.consume(holder, points);
    return redis.consume(holder, points).then(countOf, () => this.local.consume(holder, points));
  }

  get(holder: string): NowOrLater<WindowCount | null> {
    const redis = this.sharedNow;
    if (!redis) return this.local.get(holder);
    return redis.get(holder).then((result) => result && countOf(result), () => this.local.get(holder));
  }

  reward(holder: string, points: number): NowOrLater<void> {
    const redis = this.sharedNow;
    if (!redis) return this.local.reward(holder, points);
    return redis.reward(holder, points).then(
      () => {},
      () => this.local.reward(holder, points),
    );
  }

  close(): void {
    this.local.close();
  }
}

const countOf = (result: RateLimiterRes): WindowCount => ({ consumed: result.consumedPoints, msBeforeNext: result.msBeforeNext });

export class RateLimits {
  private readonly shared: SharedCounters | undefined;
  private readonly counters = new Map<string, Counters>();

  constructor(
    private readonly options: RateLimitOptions,
    log: Logger,
  ) {
    this.shared = options.redisUrl ? new SharedCounters(options.redisUrl, log) : undefined;
  }

  /** The counters of one kind of budget at one limit (the owner's: one for all limits). */
  private counted(kind: Kind, limit: number): Counters {
    const name = `${kind}:${kind === 'owner' ? COUNT_ONLY : limit}`;
    let counters = this.counters.get(name);
    if (counters === undefined) this.counters.set(name, (counters = new Counters(name, this.shared)));
    return counters;
  }

  /** Connects to Redis, when there is one, within a short bound: start-up goes on without it. */
  async start(): Promise<void> {
    await this.shared?.start();
  }

  /** The budget of `limit` with `count` spent (a request is refused once the count passes the limit). */
  private static budget(limit: number, count: WindowCount | null, allowed = (count?.consumed ?? 0) <= limit): Budget {
    return {
      allowed,
      limit,
      remaining: Math.max(limit - (count?.consumed ?? 0), 0),
      resetAt: new Date(Date.now() + (count?.msBeforeNext ?? WINDOW_SECONDS * 1000)),
    };
  }

  private spend(kind: Kind, holder: string, limit: number): NowOrLater<Budget> {
    return after(this.counted(kind, limit).consume(holder, 1), (count) => RateLimits.budget(limit, count));
  }

  /** Spends one request of the key's budget. */
  consumeKey(keyId: string, perMinute: number | null): NowOrLater<Budget> {
    return this.spend('key', keyId, perMinute ?? this.options.defaultPerMinute);
  }

  /**
   * Spends one request of the owner's budget, which all its keys share: more keys never mean more
   * throughput. Its limit is the server's per-owner budget, or the calling key's own budget where an
   * operator set that higher (setApiKeyRateLimit): such a key may use the owner's window up to its
   * own limit, while its siblings stop at the owner's. The owner's requests per window thus never
   * pass the largest budget among the server's and its keys' own.
   */
  consumeOwner(ownerId: string, keyPerMinute: number | null): NowOrLater<Budget> {
    return this.spend('owner', ownerId, Math.max(this.options.ownerPerMinute, keyPerMinute ?? 0));
  }

  /** Spends one authentication attempt of the address's budget; refunded when the key is good, or when none was sent. */
  takeAuthAttempt(address: string): NowOrLater<Budget> {
    return this.spend('auth', budgetHolder(address), this.options.authFailuresPerMinute);
  }

  /**
   * Whether the address may authenticate at all, spending nothing: for keys already known to be
   * good, which are no guesses. An address that has spent its budget on failures waits it out,
   * good keys included.
   */
  authAllowed(address: string): NowOrLater<Budget> {
    const limit = this.options.authFailuresPerMinute;
    return after(this.counted('auth', limit).get(budgetHolder(address)), (count) => RateLimits.budget(limit, count, (count?.consumed ?? 0) < limit));
  }

  /** Spends one GraphiQL page or asset request of the address's budget: the bundle is megabytes, free to anyone. */
  takeGraphiQLRequest(address: string): NowOrLater<Budget> {
    return this.spend('graphiql', budgetHolder(address), this.options.graphiqlPerMinute);
  }

  /**
   * Where budgets are counted now (Redis away: each instance's own counters count instead), as the
   * log, /ready and metrics all say it: Redis is away from when it stops answering a PING.
   */
  store(): RateLimitStore {
    if (!this.shared) return 'memory';
    return this.shared.state === 'ok' ? 'redis' : 'fallback';
  }

  /** The Redis connection budgets are counted on (REDIS_URL), for other state every instance shares. */
  sharedClient(): Redis | undefined {
    return this.shared?.client;
  }

  refundAuthAttempt(address: string): NowOrLater<void> {
    return this.counted('auth', this.options.authFailuresPerMinute).reward(budgetHolder(address), 1);
  }

  async close(): Promise<void> {
    for (const counters of this.counters.values()) counters.close();
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
