/**
 * Request budgets: per key (its own limit, or the server default), per owner (all its keys
 * together) and, per client address (an IPv6 one by its /64), for failed authentication and for
 * GraphiQL's page and files.
 * A key's and an owner's budgets are counted twice, in requests and in cost points: a request
 * spends one request and its cost in points (at least 1; a GraphQL operation its computed cost,
 * graphql/limits.ts). The points budget is the request budget times RATE_LIMIT_POINTS_PER_REQUEST, so a
 * key's own limit scales both, and cheap requests never pass the request budget they always had.
 * Counters live in Redis when REDIS_URL is set, so every instance draws on one budget; in memory
 * otherwise. If Redis is unreachable, each instance falls back to its own in-memory counters rather
 * than failing requests, and says so (shared-counters.ts).
 */
import type { Redis } from 'ioredis';
import { RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../core/logger.js';
import type { RateLimitStore } from '../core/metrics.js';
import { after, both, type NowOrLater } from '../core/now-or-later.js';
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

/**
 * A key's or an owner's budget, in cost points. When its requests run out first it has no points
 * left to spend either: `remaining` is 0 and `resetAt` is when the requests come back.
 */
export interface PointsBudget extends Budget {
  /** When refused: what ran out. */
  spent?: 'requests' | 'points';
}

export interface RateLimitOptions {
  redisUrl: string | undefined;
  defaultPerMinute: number;
  /** All of one owner's keys together (OWNER_RATE_LIMIT_PER_MINUTE). */
  ownerPerMinute: number;
  /** Cost points each request of a budget is worth (RATE_LIMIT_POINTS_PER_REQUEST). */
  pointsPerRequest: number;
  authFailuresPerMinute: number;
  graphiqlPerMinute: number;
}

const WINDOW_SECONDS = 60;

/**
 * Counters only count; each check compares the count with its limit. Counters are kept per kind
 * and limit, so a key given a new budget starts counting afresh; the owner's serve all its keys,
 * whatever their limits (`consumeOwner`).
 */
const COUNT_ONLY = Number.MAX_SAFE_INTEGER;

type Kind = 'key' | 'key-points' | 'owner' | 'owner-points' | 'auth' | 'graphiql';

/** The kinds counted once for every limit. */
const SHARED_BY_ALL_LIMITS: ReadonlySet<Kind> = new Set(['owner', 'owner-points']);

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

  /** Connects to Redis, when there is one, within a short bound: start-up goes on without it. */
  async start(): Promise<void> {
    await this.shared?.start();
  }

  /** The counters of one kind of budget at one limit (the owner's: one for all limits). */
  private counted(kind: Kind, limit: number): Counters {
    const name = `${kind}:${SHARED_BY_ALL_LIMITS.has(kind) ? COUNT_ONLY : limit}`;
    let counters = this.counters.get(name);
    if (counters === undefined) this.counters.set(name, (counters = new Counters(name, this.shared)));
    return counters;
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

  private spend(kind: Kind, holder: string, limit: number, points = 1): NowOrLater<Budget> {
    return after(this.counted(kind, limit).consume(holder, points), (count) => RateLimits.budget(limit, count));
  }

  /** The points budget as the requests and points counted leave it. */
  private static inPoints([requests, points]: [Budget, Budget]): PointsBudget {
    if (!requests.allowed) return { allowed: false, limit: points.limit, remaining: 0, resetAt: requests.resetAt, spent: 'requests' };
    return points.allowed ? points : { ...points, spent: 'points' };
  }

  /** A key's requests per window: its own limit, or the server default. */
  private keyRequests(perMinute: number | null): number {
    return perMinute ?? this.options.defaultPerMinute;
  }

  /**
   * An owner's requests per window, which all its keys share: more keys never mean more throughput.
   * The limit is the server's per-owner budget, or the calling key's own budget where an operator
   * set that higher (setApiKeyRateLimit): such a key may use the owner's window up to its own
   * limit, while its siblings stop at the owner's. The owner's requests per window thus never pass
   * the largest budget among the server's and its keys' own.
   */
  private ownerRequests(keyPerMinute: number | null): number {
    return Math.max(this.options.ownerPerMinute, keyPerMinute ?? 0);
  }

  /** The most points one window gives a key, its owner's budget included: no operation costing more can ever run. */
  pointsPerWindow(keyPerMinute: number | null): number {
    return Math.min(this.keyRequests(keyPerMinute), this.ownerRequests(keyPerMinute)) * this.options.pointsPerRequest;
  }

  /** Spends one request and one point of the key's budget (both counted at once: one round trip to Redis). */
  consumeKey(keyId: string, perMinute: number | null): NowOrLater<PointsBudget> {
    const limit = this.keyRequests(perMinute);
    const points = limit * this.options.pointsPerRequest;
    return after(both(this.spend('key', keyId, limit), this.spend('key-points', keyId, points)), RateLimits.inPoints);
  }

  /**
   * Spends one request and one point of the owner's budget (`ownerRequests`). Its counters count
   * every request and never refuse by themselves: each request compares the count with its own
   * limit, so all of an owner's keys share one counter whatever their limits.
   */
  consumeOwner(ownerId: string, keyPerMinute: number | null): NowOrLater<PointsBudget> {
    const limit = this.ownerRequests(keyPerMinute);
    return after(both(this.spend('owner', ownerId, limit), this.spend('owner-points', ownerId, limit * this.options.pointsPerRequest)), RateLimits.inPoints);
  }

  /**
   * Spends `points` more of a key's and its owner's points (a costly operation, beyond the point
   * its request spent): all or nothing. When either budget cannot afford them, both get them back,
   * and the budgets answered are those the operation found.
   */
  spendPoints(keyId: string, ownerId: string, keyPerMinute: number | null, points: number): NowOrLater<{ key: PointsBudget; owner: PointsBudget }> {
    const keyLimit = this.keyRequests(keyPerMinute) * this.options.pointsPerRequest;
    const ownerLimit = this.ownerRequests(keyPerMinute) * this.options.pointsPerRequest;
    const keyPoints = this.counted('key-points', keyLimit);
    const ownerPoints = this.counted('owner-points', ownerLimit);
    return after(both(keyPoints.consume(keyId, points), ownerPoints.consume(ownerId, points)), ([key, owner]) => {
      const affordable = key.consumed <= keyLimit && owner.consumed <= ownerLimit;
      // A refused operation spent nothing: its budgets say what is left to spend.
      const found = (limit: number, count: WindowCount): PointsBudget => {
        const budget = RateLimits.budget(limit, affordable ? count : { ...count, consumed: count.consumed - points }, count.consumed <= limit);
        return budget.allowed ? budget : { ...budget, spent: 'points' };
      };
      const budgets = { key: found(keyLimit, key), owner: found(ownerLimit, owner) };
      if (affordable) return budgets;
      return after(both(keyPoints.reward(keyId, points), ownerPoints.reward(ownerId, points)), () => budgets);
    });
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
