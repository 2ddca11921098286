/**
 * The work one request does, bounded: how many objects it has produced (a ceiling, so no request
 * builds an answer without bound whatever the cost estimate said) and whether it must stop (its
 * deadline passed). It travels with the request's asynchronous work (AsyncLocalStorage), so the
 * database layer refuses and cancels statements of a stopped request without every call site
 * passing it down.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Thrown where a stopped request would have done more work; the deadline has already answered. */
export class WorkStopped extends Error {
  constructor() {
    super('request stopped at its deadline');
    this.name = 'WorkStopped';
  }
}

/** A request produced more objects than the ceiling allows. */
export class TooManyObjects extends Error {
  constructor(readonly limit: number) {
    super(`This request would return more than ${limit} objects (MAX_OBJECTS_PER_REQUEST): ask for smaller pages or fewer nested lists.`);
    this.name = 'TooManyObjects';
  }
}

export class RequestWork {
  private objects = 0;
  /** Why the request stopped; undefined while it runs. */
  private stoppedBy: Error | undefined;
  /** What to do when it stops: cancel the statements it sent. */
  private onStop: (() => void)[] = [];

  constructor(private readonly maxObjects: number) {}

  /** Why the request stopped (the deadline or the ceiling); undefined while it runs. */
  get reason(): Error | undefined {
    return this.stoppedBy;
  }

  /** Stops the request: `reason` is what any further work of it throws (the deadline, or the ceiling). */
  stop(reason: Error = new WorkStopped()): void {
    if (this.stoppedBy) return;
    this.stoppedBy = reason;
    const listeners = this.onStop;
    this.onStop = [];
    for (const listener of listeners) listener();
  }

  /**
   * Runs `listener` if the request stops (at once if it has). Listeners stay until the request is
   * gone: one per statement it sent, which its cost bounds. A plain list rather than an AbortSignal:
   * every request has one, and an AbortController with its EventTarget cost a measurable share of a
   * small request (BENCHMARKS.md).
   */
  whenStopped(listener: () => void): void {
    if (this.stoppedBy) listener();
    else this.onStop.push(listener);
  }

  throwIfStopped(): void {
    if (this.stoppedBy) throw this.stoppedBy;
  }

  /** Counts `n` more objects in the answer; over the ceiling, the request stops here. */
  produced(n: number): void {
    this.objects += n;
    if (this.objects > this.maxObjects) throw new TooManyObjects(this.maxObjects);
  }
}

const scope = new AsyncLocalStorage<RequestWork>();

/** Runs `fn` as `work`: everything it starts, however deep, sees `currentWork()`. */
export function runAs<T>(work: RequestWork, fn: () => T): T {
  return scope.run(work, fn);
}

/** The work of the request this code runs for; undefined outside a request (start-up, sweeps, the CLI). */
export function currentWork(): RequestWork | undefined {
  return scope.getStore();
}

/** Runs `fn` apart from the request's work: bookkeeping that must happen even once it stopped. */
export function apartFromRequest<T>(fn: () => T): T {
  return scope.exit(fn);
}
