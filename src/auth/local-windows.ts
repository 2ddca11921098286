/**
 * Fixed-window counters held in this process: the budgets' counters when there is no Redis, and
 * while Redis does not answer. Synchronous on purpose: budget checks are on every request's path,
 * and answering them without a promise is most of what the authorizer costs above bare node:http
 * (BENCHMARKS.md). Same windows as the shared counters: one opens at a holder's first count and
 * lasts its duration. A window counts a budget's requests and its cost points together: one
 * lookup for both.
 */

/** A holder's counts in its current window. */
export interface WindowCount {
  requests: number;
  points: number;
  /** When the window ends and the counts start again (epoch ms). */
  resetAt: number;
}

interface Window {
  requests: number;
  points: number;
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

  /** Adds to the holder's counts (opening a window if none is open) and returns them. */
  consume(holder: string, requests: number, points: number): WindowCount {
    const now = this.now();
    let window = this.windows.get(holder);
    if (window === undefined || window.endsAt <= now) {
      window = { requests: 0, points: 0, endsAt: now + this.durationMs };
      this.windows.set(holder, window);
    }
    window.requests += requests;
    window.points += points;
    return { requests: window.requests, points: window.points, resetAt: window.endsAt };
  }

  /** The holder's counts, without counting; null when no window is open. */
  get(holder: string): WindowCount | null {
    const window = this.windows.get(holder);
    if (window === undefined || window.endsAt <= this.now()) return null;
    return { requests: window.requests, points: window.points, resetAt: window.endsAt };
  }

  /** Gives back to an open window; a window that has ended has nothing to give back. */
  reward(holder: string, requests: number, points: number): void {
    const window = this.windows.get(holder);
    if (window === undefined || window.endsAt <= this.now()) return;
    window.requests = Math.max(window.requests - requests, 0);
    window.points = Math.max(window.points - points, 0);
  }

  private sweep(): void {
    const now = this.now();
    for (const [holder, window] of this.windows) if (window.endsAt <= now) this.windows.delete(holder);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
