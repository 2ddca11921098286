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
  /** When the current window ends (epoch ms). */
  resetAt: number;
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

type Kind = 'key' | 'owner' | 'auth' | 'graphiql';

/** The kinds counted once for every limit. */
const SHARED_BY_ALL_LIMITS: ReadonlySet<Kind> = new Set(['owner']);

/** The kinds that count cost points besides requests (the others count attempts, as requests). */
const COUNTING_POINTS: ReadonlySet<Kind> = new Set(['key', 'owner']);

/**
 * One kind of budget's counters: in Redis while it answers, shared by every instance; else, and
 * for any command Redis fails, this process's own. Local counts need no promise. In Redis,
 * requests and points are two counters; a count not spent by a command is not read (0).
 */
class Counters {
  private readonly local = new LocalWindows(WINDOW_SECONDS * 1000);
  private readonly redis: { requests: RateLimiterRedis; points: RateLimiterRedis | undefined } | undefined;

  constructor(
    name: string,
    countsPoints: boolean,
    private readonly shared: SharedCounters | undefined,
  ) {
    const limiter = (keyPrefix: string) => new RateLimiterRedis({ storeClient: shared!.client, points: COUNT_ONLY, duration: WINDOW_SECONDS, keyPrefix });
    this.redis = shared && { requests: limiter(`algoplane:rl:${name}`), points: countsPoints ? limiter(`algoplane:rl:${name}:points`) : undefined };
  }

  private get sharedNow() {
    return this.shared?.state === 'ok' ? this.redis : undefined;
  }

  consume(holder: string, requests: number, points: number): NowOrLater<WindowCount> {
    const redis = this.sharedNow;
    if (!redis) return this.local.consume(holder, requests, points);
    return Promise.all([requests ? redis.requests.consume(holder, requests) : null, points ? redis.points?.consume(holder, points) : null]).then(countOf, () =>
      this.local.consume(holder, requests, points),
    );
  }

  /** The holder's requests (attempts) so far: the one count a check without spending reads. */
  get(holder: string): NowOrLater<WindowCount | null> {
    const redis = this.sharedNow;
    if (!redis) return this.local.get(holder);
    return redis.requests.get(holder).then(
      (result) => result && countOf([result, null]),
      () => this.local.get(holder),
    );
  }

  reward(holder: string, requests: number, points: number): NowOrLater<void> {
    const redis = this.sharedNow;
    if (!redis) return this.local.reward(holder, requests, points);
    return Promise.all([requests ? redis.requests.reward(holder, requests) : null, points ? redis.points?.reward(holder, points) : null]).then(
      () => {},
      () => this.local.reward(holder, requests, points),
    );
  }

  close(): void {
    this.local.close();
  }
}

const countOf = ([requests, points]: [RateLimiterRes | null | undefined, RateLimiterRes | null | undefined]): WindowCount => ({
  requests: requests?.consumedPoints ?? 0,
  points: points?.consumedPoints ?? 0,
  resetAt: Date.now() + (requests ?? points)!.msBeforeNext,
});

export class RateLimits {
  private readonly shared: SharedCounters | undefined;
  /** By kind, then by limit: looked up several times per request, so no name is built for it. */
  private readonly counters = new Map<Kind, Map<number, Counters>>();

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
    const at = SHARED_BY_ALL_LIMITS.has(kind) ? COUNT_ONLY : limit;
    let byLimit = this.counters.get(kind);
    if (byLimit === undefined) this.counters.set(kind, (byLimit = new Map()));
    let counters = byLimit.get(at);
    if (counters === undefined) byLimit.set(at, (counters = new Counters(`${kind}:${at}`, COUNTING_POINTS.has(kind), this.shared)));
    return counters;
  }

  /** The budget of `limit` with `count` spent (a request is refused once the count passes the limit). */
  private static budget(limit: number, count: number, resetAt: number, allowed = count <= limit): Budget {
    return { allowed, limit, remaining: Math.max(limit - count, 0), resetAt };
  }

  /** A budget of attempts (failed authentication, GraphiQL) as `count` leaves it. */
  private static attempts(limit: number, count: WindowCount | null, allowed?: boolean): Budget {
    return RateLimits.budget(limit, count?.requests ?? 0, count?.resetAt ?? Date.now() + WINDOW_SECONDS * 1000, allowed);
  }

  /** The points budget of `requestLimit` requests per window as the requests and points counted leave it. */
  private inPoints(requestLimit: number, count: WindowCount): PointsBudget {
    const limit = requestLimit * this.options.pointsPerRequest;
    if (count.requests > requestLimit) return { allowed: false, limit, remaining: 0, resetAt: count.resetAt, spent: 'requests' };
    const budget: PointsBudget = RateLimits.budget(limit, count.points, count.resetAt);
    if (!budget.allowed) budget.spent = 'points';
    return budget;
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

  /** Spends one request and one point of the key's budget. */
  consumeKey(keyId: string, perMinute: number | null): NowOrLater<PointsBudget> {
    const limit = this.keyRequests(perMinute);
    return after(this.counted('key', limit).consume(keyId, 1, 1), (count) => this.inPoints(limit, count));
  }

  /**
   * Spends one request and one point of the owner's budget (`ownerRequests`). Its counters count
   * every request and never refuse by themselves: each request compares the count with its own
   * limit, so all of an owner's keys share one counter whatever their limits.
   */
  consumeOwner(ownerId: string, keyPerMinute: number | null): NowOrLater<PointsBudget> {
    const limit = this.ownerRequests(keyPerMinute);
    return after(this.counted('owner', limit).consume(ownerId, 1, 1), (count) => this.inPoints(limit, count));
  }

  /**
   * Spends `points` more of a key's and its owner's points (a costly operation, beyond the point
   * its request spent): all or nothing. When either budget cannot afford them, both get them back,
   * and the budgets answered are those the operation found.
   */
  spendPoints(keyId: string, ownerId: string, keyPerMinute: number | null, points: number): NowOrLater<{ key: PointsBudget; owner: PointsBudget }> {
    const keyRequests = this.keyRequests(keyPerMinute);
    const ownerRequests = this.ownerRequests(keyPerMinute);
    const keyCounters = this.counted('key', keyRequests);
    const ownerCounters = this.counted('owner', ownerRequests);
    const keyLimit = keyRequests * this.options.pointsPerRequest;
    const ownerLimit = ownerRequests * this.options.pointsPerRequest;
    return after(both(keyCounters.consume(keyId, 0, points), ownerCounters.consume(ownerId, 0, points)), ([key, owner]) => {
      const affordable = key.points <= keyLimit && owner.points <= ownerLimit;
      // A refused operation spent nothing: its budgets say what is left to spend.
      const found = (limit: number, count: WindowCount): PointsBudget => {
        const budget: PointsBudget = RateLimits.budget(limit, affordable ? count.points : count.points - points, count.resetAt, count.points <= limit);
        if (!budget.allowed) budget.spent = 'points';
        return budget;
      };
      const budgets = { key: found(keyLimit, key), owner: found(ownerLimit, owner) };
      if (affordable) return budgets;
      return after(both(keyCounters.reward(keyId, 0, points), ownerCounters.reward(ownerId, 0, points)), () => budgets);
    });
  }

  /** Spends one authentication attempt of the address's budget; refunded when the key is good, or when none was sent. */
  takeAuthAttempt(address: string): NowOrLater<Budget> {
    const limit = this.options.authFailuresPerMinute;
    return after(this.counted('auth', limit).consume(budgetHolder(address), 1, 0), (count) => RateLimits.attempts(limit, count));
  }

  /**
   * Whether the address may authenticate at all, spending nothing: for keys already known to be
   * good, which are no guesses. An address that has spent its budget on failures waits it out,
   * good keys included.
   */
  authAllowed(address: string): NowOrLater<Budget> {
    const limit = this.options.authFailuresPerMinute;
    return after(this.counted('auth', limit).get(budgetHolder(address)), (count) => RateLimits.attempts(limit, count, (count?.requests ?? 0) < limit));
  }

  /** Spends one GraphiQL page or asset request of the address's budget: the bundle is megabytes, free to anyone. */
  takeGraphiQLRequest(address: string): NowOrLater<Budget> {
    const limit = this.options.graphiqlPerMinute;
    return after(this.counted('graphiql', limit).consume(budgetHolder(address), 1, 0), (count) => RateLimits.attempts(limit, count));
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
    return this.counted('auth', this.options.authFailuresPerMinute).reward(budgetHolder(address), 1, 0);
  }

  async close(): Promise<void> {
    for (const byLimit of this.counters.values()) for (const counters of byLimit.values()) counters.close();
    this.shared?.close();
  }
}

/** The standard headers for a budget (IETF RateLimit fields, and Retry-After when spent). */
export function budgetHeaders(budget: Budget): Record<string, string> {
  const reset = Math.max(1, Math.ceil((budget.resetAt - Date.now()) / 1000));
  return {
    'RateLimit-Limit': String(budget.limit),
    'RateLimit-Remaining': String(budget.remaining),
    'RateLimit-Reset': String(reset),
    ...(budget.allowed ? {} : { 'Retry-After': String(reset) }),
  };
}
