/**
 * Records how keys are used without writing on the request path: when each was last used, and how
 * many calls it made each UTC day, allowed and refused (the authorizer counts every call it
 * decides). Both are collected in memory and written on one timer: one UPDATE for lastUsedAt and
 * one upsert for the day counts per flush, however many requests came in.
 *
 * A flush the database refuses (an outage) puts what it held back, so the next flush writes it:
 * counts survive an outage. Memory is bounded: at most MAX_PENDING_DAY_COUNTS (key, day) pairs
 * wait; past that, calls of keys not already waiting are dropped and counted. Trouble (a failing
 * database, or calls dropped) is logged once when it starts and once when recording is whole
 * again, with the number of calls dropped. Nothing here throws into a request.
 */
import type { Db } from '../db/connect.js';
import { recordCallCounts, recordLastUsed, type DayCount } from './key-store.js';
import type { Logger } from '../core/logger.js';
import { isoDay, MS_PER_DAY, utcDayOf } from '../core/days.js';

export type CallOutcome = 'allowed' | 'refused';

/**
 * (key, UTC day) pairs waiting to be written, at most: about 150 bytes each (the key's id, a map
 * entry, two counters), so about 15 MB, and a flush's statement of about 10 MB. As many distinct
 * keys as a busy instance sees between flushes, and enough to carry them through an outage (a
 * key that keeps calling keeps one entry a day).
 */
export const MAX_PENDING_DAY_COUNTS = 100_000;

interface Tally {
  calls: number;
  refused: number;
}

/** Tallies by UTC day number, then by key id. */
type DayTallies = Map<number, Map<string, Tally>>;

export class KeyUsageRecorder {
  /** When each key was last used (epoch ms), updated in place: a request allocates nothing here. */
  private lastUsed = new Map<string, { at: number }>();
  private counts: DayTallies = new Map();
  /** (key, day) pairs in `counts`. */
  private waiting = 0;
  /** The tallies of the day the clock was last read in, and that day's bounds: a call compares, no more. */
  private today = new Map<string, Tally>();
  private dayStarts = 0;
  private dayEnds = Number.NEGATIVE_INFINITY;
  /** Calls not counted since trouble began, and how many of them the previous flush had seen. */
  private dropped = 0;
  private droppedBefore = 0;
  private trouble: 'failing' | 'dropping' | null = null;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    intervalMs: number,
    /** Told what was written, so copies of the keys held elsewhere (the verification cache) keep up. */
    private readonly onRecorded: (batch: ReadonlyMap<string, Date>) => void = () => {},
    /** The clock calls are dated by (milliseconds since the epoch). */
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  touch(keyId: string): void {
    const now = this.now();
    const seen = this.lastUsed.get(keyId);
    if (seen === undefined) this.lastUsed.set(keyId, { at: now });
    else seen.at = now;
  }

  /**
   * Counts one call made with a key, on the UTC day the clock says. On every call's path: a clock
   * reading, a comparison and a map lookup; the day is worked out again only when the clock leaves it.
   */
  countCall(keyId: string, outcome: CallOutcome): void {
    const now = this.now();
    if (now >= this.dayEnds || now < this.dayStarts) this.enterDay(now);
    let tally = this.today.get(keyId);
    if (tally === undefined) {
      if (this.waiting >= MAX_PENDING_DAY_COUNTS) {
        this.dropped++;
        return;
      }
      tally = { calls: 0, refused: 0 };
      this.today.set(keyId, tally);
      this.waiting++;
    }
    if (outcome === 'allowed') tally.calls++;
    else tally.refused++;
  }

  /** Writes what has been collected; concurrent calls queue behind each other. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    if (this.waiting > 0) this.log.warn({ waiting: this.waiting }, 'key usage not recorded at shutdown: the database did not take it');
  }

  private enterDay(now: number): void {
    const day = utcDayOf(now);
    let tallies = this.counts.get(day);
    if (!tallies) this.counts.set(day, (tallies = new Map()));
    this.today = tallies;
    this.dayStarts = day * MS_PER_DAY;
    this.dayEnds = this.dayStarts + MS_PER_DAY;
  }

  private async write(): Promise<void> {
    const lastUsed = this.lastUsed;
    const counts = this.counts;
    if (lastUsed.size === 0 && counts.size === 0) return;
    this.lastUsed = new Map();
    this.counts = new Map();
    this.waiting = 0;
    // The next call looks its day up in the new map.
    this.dayEnds = Number.NEGATIVE_INFINITY;
    let lastUsedWritten = lastUsed.size === 0;
    try {
      if (!lastUsedWritten) {
        const batch = new Map(Array.from(lastUsed, ([id, { at }]) => [id, new Date(at)]));
        await recordLastUsed(this.db, batch);
        lastUsedWritten = true;
        this.onRecorded(batch);
      }
      const rows = dayCountsOf(counts);
      if (rows.length > 0) await recordCallCounts(this.db, rows);
      this.report(undefined);
    } catch (error) {
      if (!lastUsedWritten) for (const [id, at] of lastUsed) if (!this.lastUsed.has(id)) this.lastUsed.set(id, at);
      this.putBack(counts);
      this.report(error);
    }
  }

  /** A failed flush's counts, added to those collected since, within the bound. */
  private putBack(counts: DayTallies): void {
    for (const [day, tallies] of counts) {
      let into = this.counts.get(day);
      if (!into) this.counts.set(day, (into = new Map()));
      for (const [keyId, tally] of tallies) {
        const waiting = into.get(keyId);
        if (waiting) {
          waiting.calls += tally.calls;
          waiting.refused += tally.refused;
        } else if (this.waiting < MAX_PENDING_DAY_COUNTS) {
          into.set(keyId, tally);
          this.waiting++;
        } else {
          this.dropped += tally.calls + tally.refused;
        }
      }
    }
  }

  /** One line when trouble starts (the database fails, or calls are dropped), one when a flush finds none. */
  private report(failure: unknown): void {
    const dropping = this.dropped > this.droppedBefore;
    this.droppedBefore = this.dropped;
    if (failure !== undefined) {
      if (this.trouble !== 'failing') {
        this.log.warn(
          { err: failure, waiting: this.waiting },
          `could not record key usage: it waits in memory (at most ${MAX_PENDING_DAY_COUNTS} keys and days) for the next flush`,
        );
      }
      this.trouble = 'failing';
    } else if (dropping) {
      if (this.trouble === null) {
        this.log.warn(
          { droppedCalls: this.dropped },
          `more than ${MAX_PENDING_DAY_COUNTS} keys and days waited to be recorded: calls of further keys were not counted`,
        );
      }
      this.trouble = 'dropping';
    } else {
      if (this.trouble !== null) this.log.info({ droppedCalls: this.dropped }, 'key usage is recorded again');
      this.trouble = null;
      this.dropped = this.droppedBefore = 0;
    }
  }
}

function dayCountsOf(counts: DayTallies): DayCount[] {
  const rows: DayCount[] = [];
  for (const [day, tallies] of counts) {
    const iso = isoDay(day);
    for (const [keyId, { calls, refused }] of tallies) rows.push({ keyId, day: iso, calls, refused });
  }
  return rows;
}
