/**
 * The Redis connection that holds the rate-limit counters every instance shares (REDIS_URL), and
 * whether it answers. Requests never wait on it: while it does not answer, each instance counts in
 * memory (rate-limit.ts), so budgets are per instance and a client may get up to one budget from
 * each. That is worth knowing, so it is said: one log line when the state changes (at start, when
 * the connection is lost, when it is back), never one per request, and `/ready` shows it.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';
import { settleWithin } from '../core/timeout.js';

/** How long start-up waits for Redis, and how long one connection attempt may take. */
export const REDIS_CONNECT_TIMEOUT_MS = 2000;
/** How long a counter's command may wait before the in-memory counters answer instead. */
const COMMAND_TIMEOUT_MS = 500;
/** How often a PING checks that Redis still answers: a silent Redis keeps its connection open. */
const WATCH_INTERVAL_MS = 1000;

export type SharedCountersState = 'ok' | 'unavailable';

export class SharedCounters {
  readonly client: Redis;
  private current: SharedCountersState | undefined;
  /** The last connection error since Redis last answered, for the log: a refused command only says "Connection is closed." */
  private lastError: Error | undefined;
  private watcher: NodeJS.Timeout | undefined;
  private closed = false;
  /** Where Redis is, for the log; never the URL, which may hold a password. */
  private readonly where: string;

  constructor(url: string, private readonly log: Logger) {
    const { hostname, port } = new URL(url);
    this.where = `${hostname}:${port || '6379'}`;
    this.client = new Redis(url, {
      lazyConnect: true,
      // A Redis that stops answering must not hold requests: past the timeout this process's own
      // counters count instead (rate-limit.ts).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    });
    // Each reconnection attempt fails with an error: the state changes are what is logged.
    this.client.on('error', (error: Error) => {
      this.lastError = error;
    });
  }

  /** `ok` while Redis answers; `unavailable` while each instance counts in memory. */
  get state(): SharedCountersState {
    return this.current ?? 'unavailable';
  }

  /**
   * Connects, waiting at most REDIS_CONNECT_TIMEOUT_MS: start-up goes on either way (on in-memory
   * counters while Redis does not answer, and ioredis keeps trying), then watches the connection.
   */
  async start(): Promise<void> {
    try {
      await settleWithin(this.client.connect(), REDIS_CONNECT_TIMEOUT_MS, () => new Error(`no answer within ${REDIS_CONNECT_TIMEOUT_MS} ms`));
      this.become('ok');
    } catch (error) {
      this.become('unavailable', error);
    }
    this.watch();
  }

  private watch(): void {
    this.watcher = setTimeout(() => {
      this.client.ping().then(
        () => this.become('ok'),
        (error: unknown) => this.become('unavailable', error),
      ).finally(() => {
        if (!this.closed) this.watch();
      });
    }, WATCH_INTERVAL_MS);
    this.watcher.unref();
  }

  private become(next: SharedCountersState, error?: unknown): void {
    if (this.closed || next === this.current) return;
    const first = this.current === undefined;
    this.current = next;
    if (next === 'ok') {
      this.lastError = undefined;
      this.log.info({ redis: this.where }, 'Redis (REDIS_URL) answers: rate limits are shared by every instance');
      return;
    }
    const reason = this.lastError?.message ?? (error instanceof Error ? error.message : String(error));
    this.log.warn(
      { redis: this.where, reason },
      first
        ? 'Redis (REDIS_URL) is unreachable: starting anyway, with rate limits counted by each instance in memory (not shared) until it answers'
        : 'Redis (REDIS_URL) connection lost: rate limits are counted by each instance in memory (not shared) until it is back',
    );
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.watcher);
    this.client.disconnect();
  }
}
