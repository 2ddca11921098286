/**
 * Fixed-window counters held in this process: the budgets' counters when there is no Redis, and
 * while Redis does not answer. Synchronous on purpose: a budget check is on every request's path
 * (three per authorized call), and answering it without a promise is most of what the authorizer
 * costs above bare node:http (BENCHMARKS.md). Same windows as the shared counters: one opens at a
 * holder's first count and lasts its duration.
 */

/** A holder's count in its current window. */
export interface WindowCount {
  consumed: number;
  /** Milliseconds until the window ends and the count starts again. */
  msBeforeNext: number;
}

interface Window {
  consumed: number;
  endsAt: number;
}

export class LocalWindows {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly durationMs: number,
    private readonly now: () => number = Date.now,
  ) {
    // Ended windows are dropped a window later at most: memory follows the holders of the last two windows.
    this.sweeper = setInterval(() => this.sweep(), durationMs);
    this.sweeper.unref();
  }

  /** Adds `points` to the holder's count (opening a window if none is open) and returns it. */
  consume(holder: string, points: number): WindowCount {
    const now = this.now();
    let window = this.windows.get(holder);
    if (window === undefined || window.endsAt <= now) {
      window = { consumed: 0, endsAt: now + this.durationMs };
      this.windows.set(holder, window);
    }
    window.consumed += points;
    return { consumed: window.consumed, msBeforeNext: window.endsAt - now };
  }

  /** The holder's count, without counting; null when no window is open. */
  get(holder: string): WindowCount | null {
    const now = this.now();
    const window = this.windows.get(holder);
    if (window === undefined || window.endsAt <= now) return null;
    return { consumed: window.consumed, msBeforeNext: window.endsAt - now };
  }

  /** Gives `points` back to an open window; a window that has ended has nothing to give back. */
  reward(holder: string, points: number): void {
    const window = this.windows.get(holder);
    if (window !== undefined && window.endsAt > this.now()) window.consumed = Math.max(window.consumed - points, 0);
  }

  private sweep(): void {
    const now = this.now();
    for (const [holder, window] of this.windows) if (window.endsAt <= now) this.windows.delete(holder);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
