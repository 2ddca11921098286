/**
 * The operator's limits on what one owner, key or request may hold (README, "Limits"): set once at
 * start-up from the configuration (`configureLimits`), read by the services that enforce them.
 * Process-wide on purpose: one process serves one configuration, and the rules that read a limit
 * (a zod schema, a quota check) should not need it threaded through every call.
 */
import { userError } from './errors.js';

export interface Limits {
  /** Entries in one key's `algorithmAccess` whitelist. */
  aclEntries: number;
  /** Standard keys one user or organization may hold. */
  keysPerOwner: number;
  /** Algorithms one user or organization may own. */
  algorithmsPerOwner: number;
  /** Versions one algorithm may have. */
  versionsPerAlgorithm: number;
  /** Largest response an Idempotency-Key record stores for replays (bytes); larger ones are recorded without their body. */
  idempotentResponseBytes: number;
  /** Live Idempotency-Key records one API key may hold. */
  idempotencyRecordsPerKey: number;
  /** Objects one request may produce in its answer (list items, counted as they resolve); past it the request stops. */
  objectsPerRequest: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  aclEntries: 100,
  keysPerOwner: 1000,
  algorithmsPerOwner: 10_000,
  versionsPerAlgorithm: 10_000,
  idempotentResponseBytes: 64 * 1024,
  idempotencyRecordsPerKey: 1000,
  // Above what GRAPHQL_MAX_COST's default admits (each object costs at least 1): a backstop, never
  // met by a request the cost check let through with the defaults.
  objectsPerRequest: 50_000,
});

let current: Readonly<Limits> = DEFAULT_LIMITS;

export function configureLimits(limits: Limits): void {
  current = Object.freeze({ ...limits });
}

export function limits(): Readonly<Limits> {
  return current;
}

/** The limits that cap what an owner or an algorithm may hold, and what each counts. */
export type Quota = 'keysPerOwner' | 'algorithmsPerOwner' | 'versionsPerAlgorithm';

const QUOTAS: Record<Quota, { holder: string; things: string; variable: string; remedy: string }> = {
  keysPerOwner: { holder: 'an owner', things: 'standard API keys', variable: 'MAX_KEYS_PER_OWNER', remedy: 'revoke one first' },
  algorithmsPerOwner: { holder: 'an owner', things: 'algorithms', variable: 'MAX_ALGORITHMS_PER_OWNER', remedy: 'delete one first' },
  versionsPerAlgorithm: {
    holder: 'an algorithm',
    things: 'versions',
    variable: 'MAX_VERSIONS_PER_ALGORITHM',
    remedy: 'versions are permanent, so publish under a new algorithm',
  },
};

/**
 * Refuses adding one more to `held` when the quota is full. The caller counts under a lock that
 * every writer of the quota takes first, so concurrent writes cannot all pass one count.
 */
export function refuseOverQuota(quota: Quota, held: number): void {
  const limit = current[quota];
  if (held < limit) return;
  const { holder, things, variable, remedy } = QUOTAS[quota];
  throw userError('QUOTA_EXCEEDED', `${quota}: ${holder} may hold at most ${limit} ${things} (the server's ${variable}), and this one holds ${held}; ${remedy}`);
}
