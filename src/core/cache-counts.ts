/**
 * The bookkeeping every cache invalidated by change notifications keeps (the verified keys, the
 * call sheets): hits and misses and invalidations for metrics, and a generation that tells a read
 * which overlapped an invalidation, so that what it read is not kept.
 */
import type { CacheStats } from './metrics.js';

export type InvalidationSource = keyof CacheStats['invalidations'];

export class CacheCounts {
  /** Plain numbers, bumped on the request path and read when scraped. */
  hits = 0;
  misses = 0;
  private invalidatedTimes = 0;
  private readonly invalidations: CacheStats['invalidations'] = { notify: 0, local: 0 };

  /** Bumped by every invalidation: compare it before and after a read to know whether one overlapped. */
  get generation(): number {
    return this.invalidatedTimes;
  }

  invalidated(source: InvalidationSource): void {
    this.invalidatedTimes++;
    this.invalidations[source]++;
  }

  stats(entries: number): CacheStats {
    return { hits: this.hits, misses: this.misses, entries, invalidations: { ...this.invalidations } };
  }
}
