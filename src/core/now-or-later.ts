/** A value at hand, or one to wait for: what a cache answers (a hit needs no promise, and promises cost time). */
export type NowOrLater<T> = T | Promise<T>;
