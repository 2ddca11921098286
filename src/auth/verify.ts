/**
 * Authorization header -> Principal, on every request's hot path:
 * parse -> checksum -> in-process cache (positive and negative entries) -> one indexed SELECT.
 *
 * Cached entries are dropped when the database announces a change (NOTIFY from a trigger, so a
 * change made by any process counts) and in any case after a short TTL, which bounds staleness
 * if a notification is ever lost.
 */
import { CacheCounts, type InvalidationSource } from '../core/cache-counts.js';
import type { CacheStats } from '../core/metrics.js';
import { notify, type Db } from '../db/connect.js';
import { ownerFromProfile } from '../db/records.js';
import type { ApiKeyKind } from '../db/enums.js';
import { API_KEY_LENGTH, hashApiKey, keyFromAuthorizationHeader, parseApiKey } from './api-key.js';
import { findKeyBySecretHash } from './key-store.js';
import type { KeyCache } from './key-cache.js';
import { permissionsOf, type Principal } from './principal.js';

export const AUTH_CHANGE_CHANNEL = 'algoplane_auth';

/**
 * Tells every instance, when `tx` commits, of a new owner, which the triggers (on updates and
 * deletes) do not: an answer cached while its name was free (a public profile read as null) must
 * go. Its own scope, `new-owner:`, which the key cache ignores: no key of a new owner is stale.
 */
export const announceNewOwner = (tx: Db, ownerId: string): Promise<void> => notify(tx, AUTH_CHANGE_CHANNEL, `new-owner:${ownerId}`);

export type AuthFailure = 'MISSING' | 'INVALID';

export class AuthenticationError extends Error {
  constructor(readonly reason: AuthFailure) {
    // One message for every kind of bad key, so a caller learns nothing about which it was.
    super(reason === 'MISSING' ? 'authorization required' : 'Unknown or invalid API key.');
    this.name = 'AuthenticationError';
  }
}

export interface VerifierOptions {
  positiveTtlMs: number;
  negativeTtlMs: number;
  /** Bound on cached entries: random well-formed keys must not grow memory without limit. */
  maxEntries?: number;
  now?: () => number;
}

interface CacheEntry {
  principal: Principal | null;
  /** The key and owner the entry is about, when the key exists (even if unusable): a change to either drops it. */
  keyId?: string;
  ownerId?: string;
  /** Epoch ms after which the entry must not be used. */
  validUntil: number;
}

const epoch = (value: Date | null) => (value === null ? Infinity : value.getTime());

export class KeyVerifier implements KeyCache {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly counts = new CacheCounts();

  constructor(
    private readonly db: Db,
    private readonly options: VerifierOptions,
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** The principal for an Authorization header value, or an AuthenticationError. */
  async verify(authorization: string | null | undefined): Promise<Principal> {
    const key = keyFromAuthorizationHeader(authorization);
    if (key === undefined) throw new AuthenticationError('MISSING');
    const format = parseApiKey(key);
    if (!format) throw new AuthenticationError('INVALID');

    const hash = hashApiKey(key);
    const now = this.now();
    let entry = this.fresh(hash, now);
    if (entry) this.counts.hits++;
    else {
      this.counts.misses++;
      const generation = this.counts.generation;
      entry = await this.load(hash, format.kind, now);
      // A change committed while we were reading may have been missed by the read: answer this
      // request with what we read, but do not let it stand in for later ones.
      if (generation === this.counts.generation) this.remember(hash, entry);
    }
    if (!entry.principal) throw new AuthenticationError('INVALID');
    return entry.principal;
  }

  /**
   * The principal for a header whose key was verified within the cache's lifetime and found good;
   * undefined otherwise (no key, an unknown one, a refused one, or one not verified lately).
   */
  known(authorization: string | null | undefined): Principal | undefined {
    const key = keyFromAuthorizationHeader(authorization);
    // Only keys verified good are cached, so a hit needs no format or checksum check of its own;
    // the length bounds what is hashed.
    if (key?.length !== API_KEY_LENGTH) return undefined;
    const principal = this.fresh(hashApiKey(key), this.now())?.principal;
    // Anything else goes on to `verify`, which counts it there.
    if (principal) this.counts.hits++;
    return principal ?? undefined;
  }

  private fresh(hash: string, now: number): CacheEntry | undefined {
    const entry = this.cache.get(hash);
    return entry && entry.validUntil > now ? entry : undefined;
  }

  /** Drops cached verifications touched by a change notification (`key:<id>` or `owner:<id>`). */
  invalidate(payload: string): void {
    const [scope, id] = payload.split(':', 2);
    if (scope === 'key') this.drop('keyId', id!, 'notify');
    else if (scope === 'owner') this.drop('ownerId', id!, 'notify');
  }

  /**
   * Drops what is cached about a key. Called right after a change commits in this process (the
   * notification reaches other processes, and this one only a moment later).
   */
  forgetKey(keyId: string): void {
    this.drop('keyId', keyId, 'local');
  }

  forgetOwner(ownerId: string): void {
    this.drop('ownerId', ownerId, 'local');
  }

  private drop(about: 'keyId' | 'ownerId', id: string, source: InvalidationSource): void {
    this.counts.invalidated(source);
    for (const [hash, entry] of this.cache) if (entry[about] === id) this.cache.delete(hash);
  }

  stats(): CacheStats {
    return this.counts.stats(this.cache.size);
  }

  /** Keeps cached key snapshots' lastUsedAt in step with the usage this process has just recorded. */
  noteUsage(recorded: ReadonlyMap<string, Date>): void {
    for (const entry of this.cache.values()) {
      const key = entry.principal?.key;
      const at = key && recorded.get(key.id);
      if (at && (key.lastUsedAt === null || key.lastUsedAt < at)) entry.principal!.key = { ...key, lastUsedAt: at };
    }
  }

  private remember(hash: string, entry: CacheEntry): void {
    this.cache.delete(hash);
    if (this.cache.size >= this.maxEntries) {
      // Maps iterate in insertion order: the first entry is the least recently loaded.
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(hash, entry);
  }

  private async load(hash: string, expectedKind: ApiKeyKind, now: number): Promise<CacheEntry> {
    const row = await findKeyBySecretHash(this.db, hash);
    const unknown = { principal: null, validUntil: now + this.options.negativeTtlMs };
    if (!row) return unknown;
    const { key } = row;
    const expiresAt = Math.min(epoch(key.expiresAt), epoch(row.secretExpiresAt));
    const usable =
      key.kind === expectedKind &&
      !key.disabled &&
      row.ownerDeletedAt === null &&
      expiresAt > now &&
      // Only admin users hold admin keys: demoting the user retires them.
      (key.kind === 'STANDARD' || row.ownerUser?.isAdmin === true);
    if (!usable) return { ...unknown, keyId: key.id, ownerId: key.ownerId };
    return {
      keyId: key.id,
      ownerId: key.ownerId,
      validUntil: Math.min(now + this.options.positiveTtlMs, expiresAt),
      principal: {
        keyId: key.id,
        keyKind: key.kind,
        ownerId: key.ownerId,
        ownerKind: row.ownerKind,
        ownerName: row.ownerName,
        userId: row.ownerKind === 'USER' ? key.ownerId : null,
        memberOf: row.memberOf,
        permissions: permissionsOf(key),
        key,
        owner: ownerFromProfile(row),
      },
    };
  }
}
