/**
 * Bounds how long something may take to settle: a request waiting on the database, a start-up
 * waiting on a database host or a data directory that never answers. The work itself is not
 * stopped here; `onExpiry` is where a caller stops it.
 */
export function settleWithin<T>(work: Promise<T>, ms: number, onExpiry: () => Error): Promise<T> {
  // One promise and one timer (no race or finally chain): this wraps every request.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onExpiry()), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
