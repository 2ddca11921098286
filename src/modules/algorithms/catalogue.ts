/**
 * What one request reads of algorithms and versions, batched. Every read that is made per
 * algorithm (its state, latest version, a page of its versions, a version by semver or git hash, a version's
 * contents) or per owner (a page of its algorithms) goes through a loader here, and every loader
 * reads through the one catalogue statement (store.ts), by ids or by owners. A list reads along
 * what its reader says it will need, in the same statement, and primes the loaders with it: those
 * loads then cost nothing. Transports make one Catalogue per request (`new Catalogue(db, principal)`) for their reads;
 * services read what their rules need through the store directly.
 */
import DataLoader from 'dataloader';
import type { Principal } from '../../auth/principal.js';
import { DEFAULT_KEY_NAME } from '../../auth/principal.js';
import type { Db } from '../../db/connect.js';
import { isUuid } from '../../core/ids.js';
import { MAX_NAME_LENGTH } from '../../core/names.js';
import type { NowOrLater } from '../../core/now-or-later.js';
import { boundedArgument } from '../../core/validation.js';
import { assemblePage, planPage, type Page, type PageArgs, type PagePlan } from '../../core/pagination.js';
import { visibleApiKeys } from '../api-keys/service.js';
import { findApiKeysByName } from '../api-keys/store.js';
import type {
  AlgorithmRecord,
  AlgorithmState,
  AlgorithmSummary,
  Callability,
  Details,
  Settings,
  VersionContents,
  VersionFilter,
  VersionRecord,
} from './model.js';
import { renderSnippet, type SnippetLanguage } from './snippets.js';
import { countCatalogue, readCatalogue, toVersion, versionContents, versionSummariesByIds, type Along, type CatalogueEntry, type VersionPick, type Which } from './store.js';
import { seesCalledVersion } from './visibility.js';
import { GIT_HASH_LENGTH, isGitHash, MAX_REF_LENGTH, MAX_VERSION_LENGTH, parseAlgorithmRef, parseVersionRef } from './versions.js';

/** What a list should read along with each algorithm, because its reader will ask for it. */
export interface ListInclude {
  state: boolean;
  latestVersion: boolean;
  /** The one page of versions its reader asks for, if any. */
  versions?: VersionFilter;
}

export interface ListArgs extends PageArgs {
  callability?: Callability | null;
}

/** What the caller may know of an algorithm's state (see `Catalogue.view`). */
export interface AlgorithmView {
  details: Details;
  settings: Settings;
  sampleInput: string | null;
  callability: Callability;
  updatedAt: Date;
  /** The git hash the next publish will give its version, if a compile minted one: the owner and members only. */
  pendingBuildHash: string | null;
}

/** Equal for two filters that select the same page, however their arguments were spelled; `JSON.parse` gives the filter back. */
const versionFilterKey = (args: VersionFilter): string =>
  JSON.stringify({
    first: args.first ?? null,
    after: args.after ?? null,
    last: args.last ?? null,
    before: args.before ?? null,
    callability: args.callability ?? null,
    published: args.published ?? null,
  } satisfies Required<VersionFilter>);


/**
 * A batching loader (DataLoader) by id that answers at once, without a promise, what a read has
 * handed it already: a list of 50 algorithms has 100 such answers, and promises cost them time.
 */
class Loader<V> {
  private readonly known = new Map<string, { value: V }>();
  private readonly loader: DataLoader<string, V>;
  constructor(batch: (keys: readonly string[]) => Promise<V[]>) {
    this.loader = new DataLoader(batch);
  }
  prime(key: string, value: V): void {
    if (!this.known.has(key)) this.known.set(key, { value });
  }
  load(key: string): NowOrLater<V> {
    const hit = this.known.get(key);
    return hit ? hit.value : this.loader.load(key);
  }
  forget(key: string): void {
    this.known.delete(key);
    this.loader.clear(key);
  }
}

/** A loader per key (a filter, a semver, a list's arguments), made when first asked for. */
class Loaders<V> {
  private readonly byKey = new Map<string, Loader<V>>();
  constructor(private readonly make: (key: string) => (ids: readonly string[]) => Promise<V[]>) {}
  get(key: string): Loader<V> {
    let loader = this.byKey.get(key);
    if (!loader) this.byKey.set(key, (loader = new Loader(this.make(key))));
    return loader;
  }
  forget(key: string): void {
    for (const loader of this.byKey.values()) loader.forget(key);
  }
  clear(): void {
    this.byKey.clear();
  }
}

/** The values `ids` ask for, in their order, from entries keyed by algorithm id (null for one not found). */
const inOrder = <E extends CatalogueEntry, V>(ids: readonly string[], entries: E[], value: (entry: E) => V): (V | null)[] => {
  const byId = new Map(entries.map((entry) => [entry.algorithm.id, value(entry)]));
  return ids.map((id) => byId.get(id) ?? null);
};

export class Catalogue {
  constructor(
    private readonly db: Db,
    private readonly principal: Principal,
  ) {}

  private read<const A extends Along>(which: Which, along: A): Promise<CatalogueEntry<A>[]> {
    return readCatalogue(this.db, this.principal, which, along);
  }

  private readByIds<const A extends Along>(ids: readonly string[], along: A): Promise<CatalogueEntry<A>[]> {
    const valid = ids.filter(isUuid);
    return valid.length === 0 ? Promise.resolve([]) : this.read({ by: 'ids', ids: valid }, along);
  }

  private readonly records = new Loader<AlgorithmRecord | null>(async (ids) => {
    const along = { state: true } as const;
    const found = await this.readByIds(ids, along);
    this.prime(found, along);
    return inOrder(ids, found, (entry) => ({ ...entry.algorithm, ...entry.state }));
  });

  private readonly states = new Loader<AlgorithmState | null>(async (ids) =>
    inOrder(ids, await this.readByIds(ids, { state: true }), (entry) => entry.state),
  );

  private readonly latestVersions = new Loader<VersionRecord | null>(async (ids) =>
    inOrder(ids, await this.readByIds(ids, { latestVersion: true }), (entry) => entry.latestVersion),
  );

  private readonly versionPages = new Loaders<Page<VersionRecord>>(
    (key) =>
      async (ids) => {
        const filter = JSON.parse(key) as VersionFilter;
        const plan = planPage(filter);
        const found = filter.published === false ? [] : await this.readByIds(ids, { versions: { callability: filter.callability ?? null, plan } });
        const byId = new Map(found.map((entry) => [entry.algorithm.id, entry.versions]));
        return ids.map((id) => this.versionPage(id, filter, plan, byId.get(id) ?? []));
      },
  );

  private readonly versionCounts = new Loaders<number>(
    (callability) =>
      async (ids) => {
        const along = { versionCount: { callability: callability === 'ANY' ? null : (callability as Callability) } };
        return inOrder(ids, await this.readByIds(ids, along), (entry) => entry.versionCount).map((n) => n ?? 0);
      },
  );

  /** The version a pick (its JSON) selects, per algorithm: by exact semver, or by git hash. */
  private readonly picks = new Loaders<VersionRecord | null>(
    (pick) => async (ids) => inOrder(ids, await this.readByIds(ids, { pick: JSON.parse(pick) as VersionPick }), (entry) => entry.picked),
  );

  private readonly contentsById = new Loader<VersionContents | null>(async (ids) => {
    const found = await versionContents(this.db, ids.filter(isUuid));
    return ids.map((id) => found.get(id) ?? null);
  });

  private readonly ownerPages = new Loaders<Page<AlgorithmSummary>>(
    (key) =>
      async (ownerIds) => {
        const { args, include } = JSON.parse(key) as { args: ListArgs; include: ListInclude };
        const plan = planPage(args);
        const which = { by: 'owners' as const, ownerIds: ownerIds.filter(isUuid), callability: args.callability, plan };
        const along = this.along(include);
        const found = which.ownerIds.length === 0 ? [] : await this.read(which, along);
        this.prime(found, along, include.versions);
        let totals: Promise<Map<string, number>> | undefined;
        const count = (ownerId: string) => async () => (await (totals ??= countCatalogue(this.db, this.principal, which))).get(ownerId) ?? 0;
        return ownerIds.map((ownerId) =>
          assemblePage(
            plan,
            found.filter((entry) => entry.algorithm.ownerId === ownerId).map((entry) => entry.algorithm),
            count(ownerId),
          ),
        );
      },
  );

  /** What a list reads along for `include`: a version page whose arguments are wrong is left to its own load, which reports them. */
  private along(include: ListInclude): Along {
    const along: Along = { state: include.state, latestVersion: include.latestVersion };
    const filter = include.versions;
    if (filter && filter.published !== false) {
      try {
        along.versions = { callability: filter.callability ?? null, plan: planPage(filter) };
      } catch {
        // reported by the field's own load
      }
    }
    return along;
  }

  /** Hands what a read took along to the loaders, so that the fields asking for it cost no statement. */
  private prime(found: CatalogueEntry[], along: Along, filter?: VersionFilter): void {
    const plan = along.versions?.plan;
    const pages = plan && filter ? this.versionPages.get(versionFilterKey(filter)) : undefined;
    for (const { algorithm, state, latestVersion, versions } of found) {
      if (state) this.states.prime(algorithm.id, state);
      if (latestVersion !== undefined) this.latestVersions.prime(algorithm.id, latestVersion);
      if (versions && pages && plan && filter) pages.prime(algorithm.id, this.versionPage(algorithm.id, filter, plan, versions));
    }
  }

  private versionPage(algorithmId: string, filter: VersionFilter, plan: PagePlan, found: VersionRecord[]): Page<VersionRecord> {
    const count = async () => (filter.published === false ? 0 : this.versionCounts.get(filter.callability ?? 'ANY').load(algorithmId));
    return assemblePage(plan, found, count);
  }

  /**
   * After a change to an algorithm within this request (a mutation's payload, or the next mutation
   * of the same request): nothing read of it before may answer for it, and its new state is known.
   */
  changed(algorithm: AlgorithmRecord | { id: string }): void {
    for (const loader of [this.records, this.states, this.latestVersions]) loader.forget(algorithm.id);
    for (const loaders of [this.versionPages, this.versionCounts, this.picks]) loaders.forget(algorithm.id);
    if ('ownerId' in algorithm) this.ownerPages.forget(algorithm.ownerId);
    else this.ownerPages.clear();
    if ('updatedAt' in algorithm) {
      this.records.prime(algorithm.id, algorithm);
      this.states.prime(algorithm.id, algorithm);
    }
  }

  // --- algorithms ----------------------------------------------------------------------------

  /** Those of `ids` the caller sees. */
  async byIds(ids: readonly string[]): Promise<AlgorithmRecord[]> {
    return (await Promise.all(ids.map((id) => this.records.load(id)))).filter((found) => found !== null);
  }

  /** `owner/name` or `algo://owner/name` (a version part is ignored here). */
  async byRef(ref: string): Promise<AlgorithmRecord | null> {
    const parsed = parseAlgorithmRef(boundedArgument('ref', ref, MAX_REF_LENGTH));
    return parsed ? this.byName(parsed.owner, parsed.name) : null;
  }

  /** The algorithm `name` of `owner`, exactly these two names (case aside). */
  async byName(owner: string, name: string): Promise<AlgorithmRecord | null> {
    const along = { state: true } as const;
    const [found] = await this.read({ by: 'name', owner, name }, along);
    if (!found) return null;
    this.prime([found], along);
    return { ...found.algorithm, ...found.state };
  }

  /** A page of the algorithms the caller sees, optionally of one owner (by name) and one callability. */
  async list(args: ListArgs & { owner?: string | null }, include: ListInclude): Promise<Page<AlgorithmSummary>> {
    const plan = planPage(args);
    const which = { by: 'page' as const, owner: boundedArgument('owner', args.owner, MAX_NAME_LENGTH), callability: args.callability, plan };
    const along = this.along(include);
    const found = await this.read(which, along);
    this.prime(found, along, include.versions);
    return assemblePage(
      plan,
      found.map((entry) => entry.algorithm),
      async () => (await countCatalogue(this.db, this.principal, which)).get('') ?? 0,
    );
  }

  /** A page of one owner's algorithms: the same page of every owner asked for in this tick is one statement. */
  algorithmsOf(ownerId: string, args: ListArgs, include: ListInclude): NowOrLater<Page<AlgorithmSummary>> {
    const key = JSON.stringify({
      args: { first: args.first ?? null, after: args.after ?? null, last: args.last ?? null, before: args.before ?? null, callability: args.callability ?? null },
      include,
    });
    return this.ownerPages.get(key).load(ownerId);
  }

  // --- what is read per algorithm ------------------------------------------------------------

  async state(algorithm: AlgorithmSummary): Promise<AlgorithmState> {
    return (await this.states.load(algorithm.id))!;
  }

  latestVersion(algorithm: AlgorithmSummary): NowOrLater<VersionRecord | null> {
    return this.latestVersions.load(algorithm.id);
  }

  versions(algorithm: AlgorithmSummary, filter: VersionFilter): NowOrLater<Page<VersionRecord>> {
    return this.versionPages.get(versionFilterKey(filter)).load(algorithm.id);
  }

  /** Its visible version with exactly this semver; null when none. */
  version(algorithm: AlgorithmSummary, semver: string): NowOrLater<VersionRecord | null> {
    const ref = parseVersionRef(boundedArgument('semver', semver, MAX_VERSION_LENGTH));
    return ref?.kind === 'exact' ? this.picks.get(JSON.stringify(ref)).load(algorithm.id) : null;
  }

  /** Its visible version with this git hash; null when none (to outsiders, a private version's hash is none; so is another algorithm's). */
  versionByGitHash(algorithm: AlgorithmSummary, gitHash: string): NowOrLater<VersionRecord | null> {
    const pick: VersionPick = { kind: 'gitHash', gitHash };
    return isGitHash(boundedArgument('gitHash', gitHash, GIT_HASH_LENGTH)) ? this.picks.get(JSON.stringify(pick)).load(algorithm.id) : null;
  }

  /**
   * Those of these versions the caller sees, by their own ids (`node(id:)`): a version of an
   * algorithm it sees, read through the catalogue, and then by `seesVersion`'s in-memory form.
   */
  async versionsByIds(ids: readonly string[]): Promise<VersionRecord[]> {
    const valid = ids.filter(isUuid);
    const rows = valid.length === 0 ? [] : await versionSummariesByIds(this.db, valid);
    const seen = await Promise.all(
      rows.map(async (row) => {
        const algorithm = await this.records.load(row.algorithmId);
        return algorithm && seesCalledVersion(algorithm.fullAccess, row) ? toVersion(row, algorithm.fullAccess) : null;
      }),
    );
    return seen.filter((version) => version !== null);
  }

  async contents(version: VersionRecord): Promise<VersionContents> {
    return (await this.contentsById.load(version.id))!;
  }

  /**
   * What the caller may know of an algorithm's state. The owner and members see it as it is now;
   * everyone else sees it as its newest PUBLIC version published it (its draft and its private
   * versions are none of their business), so to them it is PUBLIC.
   */
  async view(algorithm: AlgorithmSummary): Promise<AlgorithmView> {
    if (algorithm.fullAccess) {
      const state = await this.state(algorithm);
      return {
        details: state,
        settings: state,
        sampleInput: state.sampleInput,
        callability: state.callability,
        updatedAt: state.updatedAt,
        pendingBuildHash: state.pendingBuildHash,
      };
    }
    // Outsiders see only algorithms with a PUBLIC version, and versions are never deleted alone.
    const version = (await this.latestVersion(algorithm))!;
    const contents = await this.contents(version);
    return {
      details: contents.details,
      settings: contents.settings,
      sampleInput: contents.sampleInput,
      callability: 'PUBLIC',
      updatedAt: version.publishedAt,
      pendingBuildHash: null,
    };
  }

  /** The default-key of each owner, if the caller may see it (a key without manageAccount sees only itself). */
  private readonly defaultKeyMasks = new Loader<string | null>(async (ownerIds) => {
    const keys = await visibleApiKeys(this.db, this.principal, await findApiKeysByName(this.db, ownerIds, DEFAULT_KEY_NAME));
    return ownerIds.map((id) => keys.find((key) => key.ownerId === id)?.mask ?? null);
  });

  /** A ready-to-paste call of the latest version, naming the caller's default-key by its mask (never its secret) if the caller may see that key. */
  async snippet(algorithm: AlgorithmSummary, language: SnippetLanguage, apiUrl: string): Promise<string> {
    const [version, mask] = await Promise.all([this.latestVersion(algorithm), this.defaultKeyMasks.load(this.principal.ownerId)]);
    const sampleInput = version ? (await this.contents(version)).sampleInput : null;
    return renderSnippet(language, {
      apiUrl,
      path: `${algorithm.ownerName}/${algorithm.name}${version ? `/${version.semanticVersion}` : ''}`,
      keyMask: mask,
      sampleInput: sampleInput ?? (algorithm.fullAccess ? (await this.state(algorithm)).sampleInput : null),
    });
  }
}
