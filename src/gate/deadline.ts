/**
 * Bounds how long a request may wait on the database. statement_timeout covers slow statements,
 * but a connection that dies silently mid-query would otherwise hang until TCP gives up (minutes).
 * A request past the deadline answers 503; its statement may still finish afterwards, which is
 * what Idempotency-Key is for.
 */
export class DeadlineExceeded extends Error {
  constructor() {
    super('request deadline exceeded');
    this.name = 'DeadlineExceeded';
  }
}

export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded()), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
