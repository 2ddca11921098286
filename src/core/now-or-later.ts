/** A value at hand, or one to wait for: what a cache answers (a hit needs no promise, and promises cost time). */
export type NowOrLater<T> = T | Promise<T>;

/**
 * `next` of a value now, or once it comes: a promise only when there is one to wait for. A throw
 * in `next` is thrown now for a value at hand, so a caller handles both a throw and a rejection.
 */
export const after = <T, U>(value: NowOrLater<T>, next: (value: T) => NowOrLater<U>): NowOrLater<U> =>
  value instanceof Promise ? value.then(next) : next(value);

/** Both values, at once when both are at hand; else once both have come. */
export const both = <A, B>(a: NowOrLater<A>, b: NowOrLater<B>): NowOrLater<[A, B]> =>
  a instanceof Promise || b instanceof Promise ? Promise.all([a, b]) : [a, b];
