/**
 * Records when keys were last used without writing on the request path: uses are collected in
 * memory and flushed as one UPDATE per interval, however many requests came in.
 */
import type { Db } from '../db/connect.js';
import { recordLastUsed } from './key-store.js';
import type { Logger } from '../core/logger.js';

export class KeyUsageRecorder {
  private pending = new Map<string, Date>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    intervalMs: number,
    /** Told what was written, so copies of the keys held elsewhere (the verification cache) keep up. */
    private readonly onRecorded: (batch: ReadonlyMap<string, Date>) => void = () => {},
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  touch(keyId: string, at = new Date()): void {
    this.pending.set(keyId, at);
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
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await recordLastUsed(this.db, batch);
      this.onRecorded(batch);
    } catch (error) {
      // Losing a usage timestamp is harmless; failing requests over it would not be.
      this.log.warn({ err: error, keys: batch.size }, 'could not record key usage');
      for (const [id, at] of batch) if (!this.pending.has(id)) this.pending.set(id, at);
    }
  }
}
