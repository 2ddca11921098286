/**
 * The call sheets of algorithms (model.ts `CallSheet`), cached in process, so that deciding a call
 * (access.ts) reads nothing once an algorithm has been asked for: the gateway authorizer decides
 * every call to the execution tier. A cold miss is one statement (`readCallSheet`), shared by the
 * misses that arrive while it runs; an algorithm that does not exist is remembered too (a negative
 * entry), so a flood of calls to it costs one read.
 *
 * Sheets go stale only through a change to algorithms, which the algorithm service announces in the
 * change's own transaction (`changingAlgorithms`): a NOTIFY on ALGORITHM_CHANGE_CHANNEL, sent when
 * it commits, that every instance listening drops the sheet on (app.ts), within milliseconds; and
 * at once here, after the commit. A short TTL bounds what a lost notification could leave behind.
 *
 * Bounded in entries and in the versions they hold (an algorithm may have thousands): past either,
 * the entries loaded longest ago go first.
 */
import { MAX_NAME_LENGTH, NAME_PATTERN } from '../../core/names.js';
import { isUuid } from '../../core/ids.js';
import { CacheCounts, type InvalidationSource } from '../../core/cache-counts.js';
import type { CacheStats } from '../../core/metrics.js';
import { notify, type Db } from '../../db/connect.js';
import type { NowOrLater } from '../../core/now-or-later.js';
import type { CallSheet } from './model.js';
import { readCallSheet } from './store.js';

export const ALGORITHM_CHANGE_CHANNEL = 'algoplane_algorithms';

/** What a change makes stale: one algorithm (by id), whatever is cached under a name (a new algorithm), or all of an owner's. */
export type StaleSheets = { id: string } | { ownerName: string; name: string } | { ownerId: string };

/** What a service that changes algorithms tells this instance's cache, once the change has committed. */
export interface SheetCache {
  forget(stale: StaleSheets): void;
}

/** Where decisions get call sheets: by `owner/name` (any case) or by id; null for none (no such algorithm, or a deleted owner's). */
export interface SheetSource {
  byName(owner: string, name: string): NowOrLater<CallSheet | null>;
  byId(id: string): NowOrLater<CallSheet | null>;
}

const nameKey = (owner: string, name: string) => `${owner.toLowerCase()}/${name.toLowerCase()}`;

function payloadOf(stale: StaleSheets): string {
  if ('id' in stale) return `id:${stale.id}`;
  if ('ownerId' in stale) return `owner:${stale.ownerId}`;
  return `name:${nameKey(stale.ownerName, stale.name)}`;
}

function staleOf(payload: string): StaleSheets | undefined {
  const colon = payload.indexOf(':');
  const scope = payload.slice(0, colon);
  const value = payload.slice(colon + 1);
  if (scope === 'id') return { id: value };
  if (scope === 'owner') return { ownerId: value };
  const slash = value.indexOf('/');
  return scope === 'name' && slash > 0 ? { ownerName: value.slice(0, slash), name: value.slice(slash + 1) } : undefined;
}

/** Tells every instance, when the transaction of `tx` commits, that `stale` is. */
export function announceStale(tx: Db, stale: StaleSheets): Promise<void> {
  return notify(tx, ALGORITHM_CHANGE_CHANNEL, payloadOf(stale));
}

/**
 * Runs `change` in one transaction that announces what it makes stale, then forgets that in this
 * instance's cache at once: its next decision must not wait for the notification.
 */
export async function changingAlgorithms<T>(db: Db, cache: SheetCache, change: (tx: Db) => Promise<T>, stale: (result: T) => StaleSheets): Promise<T> {
  const result = await db.transaction(async (tx) => {
    const done = await change(tx);
    await announceStale(tx, stale(done));
    return done;
  });
  cache.forget(stale(result));
  return result;
}

interface Entry {
  sheet: CallSheet | null;
  /** The keys it is held under: its name's, and its id's when found. */
  keys: readonly string[];
  /** Epoch ms after which it must not be used. */
  validUntil: number;
  /** What it counts against the bound on versions held. */
  weight: number;
}

export interface CallSheetOptions {
  ttlMs: number;
  maxEntries?: number;
  /** Bound on the versions held by all entries together. */
  maxVersions?: number;
}

export class CallSheets implements SheetSource, SheetCache {
  /** By name key (`owner/name`, lower case) and by id: a sheet found is one entry under both. */
  private readonly entries = new Map<string, Entry>();
  /** Reads running, by the key they were asked for: a miss waits for the read already under way. */
  private readonly loading = new Map<string, Promise<CallSheet | null>>();
  private count = 0;
  private versionsHeld = 0;
  private readonly maxEntries: number;
  private readonly maxVersions: number;
  private readonly counts = new CacheCounts();

  constructor(
    private readonly db: Db,
    private readonly options: CallSheetOptions,
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxVersions = options.maxVersions ?? 200_000;
  }

  byName(owner: string, name: string): NowOrLater<CallSheet | null> {
    // A name that cannot exist is never read, nor remembered: it would only crowd real entries out.
    if (!isName(owner) || !isName(name)) return null;
    return this.lookup(nameKey(owner, name), () => readCallSheet(this.db, { owner, name }));
  }

  byId(id: string): NowOrLater<CallSheet | null> {
    if (!isUuid(id)) return null;
    return this.lookup(id.toLowerCase(), () => readCallSheet(this.db, { id }));
  }

  /** Drops what a change notification names (ALGORITHM_CHANGE_CHANNEL's payloads). */
  invalidate(payload: string): void {
    const stale = staleOf(payload);
    if (stale) this.drop(stale, 'notify');
  }

  forget(stale: StaleSheets): void {
    this.drop(stale, 'local');
  }

  stats(): CacheStats {
    return this.counts.stats(this.count);
  }

  private lookup(key: string, read: () => Promise<CallSheet | undefined>): NowOrLater<CallSheet | null> {
    const entry = this.entries.get(key);
    if (entry && entry.validUntil > Date.now()) {
      this.counts.hits++;
      return entry.sheet;
    }
    this.counts.misses++;
    let loading = this.loading.get(key);
    if (!loading) {
      loading = this.load(key, read);
      this.loading.set(key, loading);
    }
    return loading;
  }

  private async load(key: string, read: () => Promise<CallSheet | undefined>): Promise<CallSheet | null> {
    const generation = this.counts.generation;
    try {
      const sheet = (await read()) ?? null;
      // A change committed while we were reading may have been missed by the read: answer this
      // call with what we read, but do not let it stand in for later ones.
      if (generation === this.counts.generation) this.remember(key, sheet);
      return sheet;
    } finally {
      this.loading.delete(key);
    }
  }

  private remember(key: string, sheet: CallSheet | null): void {
    const keys = sheet ? [nameKey(sheet.ownerName, sheet.name), sheet.id] : [key];
    for (const held of keys) this.dropEntry(this.entries.get(held));
    const entry: Entry = { sheet, keys, validUntil: Date.now() + this.options.ttlMs, weight: 1 + (sheet?.versions.length ?? 0) };
    for (const held of keys) this.entries.set(held, entry);
    this.count++;
    this.versionsHeld += entry.weight;
    // Maps iterate in insertion order: the first entry is the one loaded longest ago.
    while (this.count > this.maxEntries || (this.versionsHeld > this.maxVersions && this.count > 1)) {
      this.dropEntry(this.entries.values().next().value);
    }
  }

  private drop(stale: StaleSheets, source: InvalidationSource): void {
    this.counts.invalidated(source);
    if ('ownerId' in stale) {
      for (const entry of this.entries.values()) if (entry.sheet?.ownerId === stale.ownerId) this.dropEntry(entry);
    } else {
      this.dropEntry(this.entries.get('id' in stale ? stale.id.toLowerCase() : nameKey(stale.ownerName, stale.name)));
    }
  }

  private dropEntry(entry: Entry | undefined): void {
    if (!entry || this.entries.get(entry.keys[0]!) !== entry) return;
    for (const key of entry.keys) this.entries.delete(key);
    this.count--;
    this.versionsHeld -= entry.weight;
  }
}

const isName = (value: string) => value.length <= MAX_NAME_LENGTH && NAME_PATTERN.test(value);
