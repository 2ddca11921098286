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

/** The owner's counters count and never refuse by themselves (`consumeOwner`). */
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

  private limiter(kind: 'key' | 'key-points' | 'owner' | 'owner-points' | 'auth' | 'graphiql', points: number): RateLimiterAbstract {
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

  /** Counts a request on a counter that never refuses by itself, against `limit`. */
  private async count(limiter: RateLimiterAbstract, limit: number, id: string): Promise<Budget> {
    const counted = await limiter.consume(id);
    return {
      allowed: counted.consumedPoints <= limit,
      limit,
      remaining: Math.max(limit - counted.consumedPoints, 0),
      resetAt: new Date(Date.now() + counted.msBeforeNext),
    };
  }

  /** The points budget as the requests and points counted leave it. */
  private static inPoints(requests: Budget, points: Budget): PointsBudget {
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
  async consumeKey(keyId: string, perMinute: number | null): Promise<PointsBudget> {
    const limit = this.keyRequests(perMinute);
    const points = limit * this.options.pointsPerRequest;
    const [byRequests, byPoints] = await Promise.all([
      this.consume(this.limiter('key', limit), limit, keyId),
      this.consume(this.limiter('key-points', points), points, keyId),
    ]);
    return RateLimits.inPoints(byRequests, byPoints);
  }

  /**
   * Spends one request and one point of the owner's budget (`ownerRequests`). Its counters count
   * every request and never refuse by themselves: each request compares the count with its own
   * limit, so all of an owner's keys share one counter whatever their limits.
   */
  async consumeOwner(ownerId: string, keyPerMinute: number | null): Promise<PointsBudget> {
    const limit = this.ownerRequests(keyPerMinute);
    const [byRequests, byPoints] = await Promise.all([
      this.count(this.limiter('owner', COUNT_ONLY), limit, ownerId),
      this.count(this.limiter('owner-points', COUNT_ONLY), limit * this.options.pointsPerRequest, ownerId),
    ]);
    return RateLimits.inPoints(byRequests, byPoints);
  }

  /**
   * Spends `points` more of a key's and its owner's points (a costly operation, beyond the point
   * its request spent): all or nothing. When either budget cannot afford them, both get them back,
   * and the budgets answered are those the operation found.
   */
  async spendPoints(keyId: string, ownerId: string, keyPerMinute: number | null, points: number): Promise<{ key: PointsBudget; owner: PointsBudget }> {
    const keyLimit = this.keyRequests(keyPerMinute) * this.options.pointsPerRequest;
    const ownerLimit = this.ownerRequests(keyPerMinute) * this.options.pointsPerRequest;
    const keyPoints = this.limiter('key-points', keyLimit);
    const ownerPoints = this.limiter('owner-points', COUNT_ONLY);
    const [key, owner] = await Promise.all([RateLimits.counted(keyPoints, keyId, points), RateLimits.counted(ownerPoints, ownerId, points)]);
    const affordable = key.consumedPoints <= keyLimit && owner.consumedPoints <= ownerLimit;
    if (!affordable) await Promise.all([keyPoints.reward(keyId, points), ownerPoints.reward(ownerId, points)]);
    // A refused operation spent nothing: its budgets say what is left to spend.
    const budget = (limit: number, counted: RateLimiterRes): PointsBudget => {
      const consumed = affordable ? counted.consumedPoints : counted.consumedPoints - points;
      const allowed = counted.consumedPoints <= limit;
      const found = { allowed, limit, remaining: Math.max(limit - consumed, 0), resetAt: new Date(Date.now() + counted.msBeforeNext) };
      return allowed ? found : { ...found, spent: 'points' };
    };
    return { key: budget(keyLimit, key), owner: budget(ownerLimit, owner) };
  }

  /** A counter's state after consuming `points`, refused or not. */
  private static async counted(limiter: RateLimiterAbstract, id: string, points: number): Promise<RateLimiterRes> {
    try {
      return await limiter.consume(id, points);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return rejection;
      throw rejection;
    }
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
