/**
 * All SQL of algorithms and versions. Reads go through one statement builder, the catalogue: the
 * algorithms a caller sees (by ids, by name, a page of a list, or a page per owner), each with
 * what its reader asked for along (its state, its latest version, one page of its versions, their
 * count, the version a reference picks). What a caller sees is decided by visibility.ts alone.
 */
import { and, count, desc, eq, getTableColumns, inArray, isNull, lte, sql, type SQL } from 'drizzle-orm';
import type { Principal } from '../../auth/principal.js';
import type { Db } from '../../db/connect.js';
import { anyOf } from '../../db/any.js';
import { jsonArrayText, type JsonElement } from '../../db/json-text.js';
import { preparedPerShape } from '../../db/prepared.js';
import { ALGORITHM_SUMMARY_FIELDS, algorithms, algorithmVersions, OWNER_SUMMARY_FIELDS, owners, VERSION_SUMMARY_FIELDS } from '../../db/schema.js';
import { MAX_PAGE_SIZE, pageValues, type PagePlan, type PageShape } from '../../core/pagination.js';
import { pagePlaceholders } from '../../db/keyset.js';
import { ownerSummaryColumns, type AlgorithmRow, type OwnerSummary, type VersionRow } from '../../db/records.js';
import type {
  AlgorithmState,
  AlgorithmSummary,
  Callability,
  CallableVersion,
  CallSheet,
  Details,
  Settings,
  VersionContents,
  VersionRecord,
  VersionSummary,
} from './model.js';
import { formatVersion, type VersionRef } from './versions.js';
import {
  accessOf,
  callerValues,
  fullAccessTo,
  latestSeenVersionJson,
  seenCallability,
  seesAlgorithm,
  seesVersion,
  type Access,
  type SeenAlgorithm,
} from './visibility.js';

// ---------------------------------------------------------------------------------------------
// The catalogue

/** Which visible algorithms a read is about. */
export type Which =
  | { by: 'ids'; ids: readonly string[] }
  | { by: 'name'; owner: string; name: string }
  /** A page of all visible algorithms, or of those of the owner named `owner`. */
  | { by: 'page'; owner?: string | null; callability?: Callability | null; plan: PagePlan }
  /** The same page of each of these owners' algorithms. */
  | { by: 'owners'; ownerIds: readonly string[]; callability?: Callability | null; plan: PagePlan };

/** Which version a read picks by its own name: exactly this semver, or this git hash. */
export type VersionPick = Extract<VersionRef, { kind: 'exact' | 'gitHash' }>;

/** What a read takes along with each algorithm it finds. */
export interface Along {
  state?: boolean;
  latestVersion?: boolean;
  /** One page of its versions (every version is published: a `published: false` filter never gets here). */
  versions?: { callability: Callability | null; plan: PagePlan };
  versionCount?: { callability: Callability | null };
  /** The visible version with this semver, or with this git hash. */
  pick?: VersionPick;
}

/** What `along` says of one part: undefined when it did not ask for it. */
type Asked<A extends Along, K extends keyof Along> = K extends keyof A ? A[K] : undefined;

/** A part of an entry: there when the read asked for it (true, or its arguments), absent when it did not, else maybe. */
type Part<Asked, T> = [Asked] extends [undefined | false] ? unknown : [Asked] extends [true | object] ? T : Partial<T>;

/** An algorithm found, with exactly the parts its read asked for along. */
export type CatalogueEntry<A extends Along = Along> = { algorithm: AlgorithmSummary } & Part<Asked<A, 'state'>, { state: AlgorithmState }> &
  Part<Asked<A, 'latestVersion'>, { latestVersion: VersionRecord | null }> &
  Part<Asked<A, 'versions'>, { versions: VersionRecord[] }> &
  Part<Asked<A, 'versionCount'>, { versionCount: number }> &
  Part<Asked<A, 'pick'>, { picked: VersionRecord | null }>;

/** What the text of a catalogue statement depends on; everything else is bound as values. */
interface CatalogueShape {
  access: Access;
  by: Which['by'];
  ofOwner: boolean;
  callability: Callability | null;
  page: PageShape | null;
  state: boolean;
  latestVersion: boolean;
  versions: { callability: Callability | null; page: PageShape } | null;
  versionCount: { callability: Callability | null } | null;
  pick: VersionPick['kind'] | null;
}

const pageShape = (plan: PagePlan): PageShape => ({ after: plan.after !== undefined, before: plan.before !== undefined, backwards: plan.backwards });

function shapeOf(principal: Principal, which: Which, along: Along): CatalogueShape {
  const paged = which.by === 'page' || which.by === 'owners' ? which : undefined;
  return {
    access: accessOf(principal),
    by: which.by,
    ofOwner: which.by === 'page' && Boolean(which.owner),
    callability: paged?.callability ?? null,
    page: paged ? pageShape(paged.plan) : null,
    state: along.state === true,
    latestVersion: along.latestVersion === true,
    versions: along.versions ? { callability: along.versions.callability, page: pageShape(along.versions.plan) } : null,
    versionCount: along.versionCount ? { callability: along.versionCount.callability } : null,
    pick: along.pick?.kind ?? null,
  };
}

function valuesOf(principal: Principal, which: Which, along: Along): Record<string, unknown> {
  const values: Record<string, unknown> = callerValues(principal);
  if (which.by === 'ids') values.ids = which.ids;
  if (which.by === 'name') Object.assign(values, { ownerName: which.owner.toLowerCase(), name: which.name.toLowerCase() });
  if (which.by === 'page') Object.assign(values, { ownerName: which.owner?.toLowerCase() }, pageValues(which.plan, 'page'));
  if (which.by === 'owners') Object.assign(values, { ownerIds: which.ownerIds }, pageValues(which.plan, 'page'));
  if (along.versions) Object.assign(values, pageValues(along.versions.plan, 'versions'));
  const pick = along.pick;
  if (pick?.kind === 'exact') Object.assign(values, { pickMajor: pick.version.major, pickMinor: pick.version.minor, pickPatch: pick.version.patch });
  if (pick?.kind === 'gitHash') values.pickGitHash = pick.gitHash;
  return values;
}

const algorithmKeyset = { createdAt: algorithms.createdAt, id: algorithms.id };
const versionKeyset = { createdAt: algorithmVersions.publishedAt, id: algorithmVersions.id };
const newestFirst = [desc(algorithmVersions.major), desc(algorithmVersions.minor), desc(algorithmVersions.patch)];

/** The state's columns; the pending build hash only where the caller has full access (outsiders never learn it). */
const stateColumns = (fullAccess: SQL) => ({
  label: algorithms.label,
  summary: algorithms.summary,
  tagline: algorithms.tagline,
  license: algorithms.license,
  networkAccess: algorithms.networkAccess,
  pipelineEnabled: algorithms.pipelineEnabled,
  sourceVisibility: algorithms.sourceVisibility,
  language: algorithms.language,
  environment: algorithms.environment,
  packageSet: algorithms.packageSet,
  royaltyMicrocredits: algorithms.royaltyMicrocredits,
  sampleInput: algorithms.sampleInput,
  callability: algorithms.callability,
  updatedAt: algorithms.updatedAt,
  pendingBuildHash: sql<string | null>`case when ${fullAccess} then ${algorithms.pendingBuildHash} end`,
}) satisfies { [K in keyof AlgorithmState]-?: unknown };

/** The conditions that pick which visible algorithms a read is about (not its page bounds). */
function whichWhere(shape: CatalogueShape, fullAccess: SQL): SQL | undefined {
  const ownerNamed = eq(sql`lower(${owners.name})`, sql.placeholder('ownerName'));
  return and(
    shape.by === 'ids' ? anyOf(algorithms.id, sql.placeholder('ids')) : undefined,
    shape.by === 'name' ? and(ownerNamed, eq(sql`lower(${algorithms.name})`, sql.placeholder('name'))) : undefined,
    shape.by === 'owners' ? anyOf(algorithms.ownerId, sql.placeholder('ownerIds')) : undefined,
    shape.ofOwner ? ownerNamed : undefined,
    shape.callability ? seenCallability(fullAccess, shape.callability) : undefined,
  );
}

/**
 * A catalogue row's JSON array (db/json-text.ts) opens with the algorithm's stored summary, its
 * owner's and the caller's full access; then come the parts read along. One column per row: drizzle
 * maps each column of each row through a chain of checks, and a list reads up to 100 rows.
 */
const ROW_HEAD = ['algorithm', 'owner', 'fullAccess'] as const;

/** The parts a read may take along, in the order a catalogue row holds them after its head: the statement writes them and readCatalogue reads them by this list. */
const ALONG_PARTS = ['latestVersion', 'versions', 'versionCount', 'pick'] as const satisfies readonly (keyof Along)[];
type AlongPart = (typeof ALONG_PARTS)[number];

type AlgorithmJson = { [K in (typeof ALGORITHM_SUMMARY_FIELDS)[number]]: K extends 'createdAt' ? number : AlgorithmSummary[K] };
type OwnerJson = { [K in (typeof OWNER_SUMMARY_FIELDS)[number]]: K extends 'kind' ? OwnerSummary['ownerKind'] : string };

/** Reads the fields of JSON arrays whose order `fields` gives, typed by `J` (one reader per list, built once). */
function fieldReader<J>(fields: readonly (keyof J & string)[]) {
  const slots = Object.fromEntries(fields.map((name, i) => [name, i])) as Record<keyof J, number>;
  return <K extends keyof J>(json: readonly unknown[], name: K): J[K] => json[slots[name]] as J[K];
}

const headField = fieldReader<{ algorithm: unknown[]; owner: unknown[]; fullAccess: boolean }>(ROW_HEAD);
const algorithmField = fieldReader<AlgorithmJson>(ALGORITHM_SUMMARY_FIELDS);
const ownerField = fieldReader<OwnerJson>(OWNER_SUMMARY_FIELDS);

/** What each field of a version read along is; its time is epoch milliseconds (a number parses faster than a timestamp's text). */
interface VersionFieldTypes {
  id: string;
  major: number;
  minor: number;
  patch: number;
  gitHash: string;
  versionType: VersionSummary['versionType'];
  callability: Callability;
  publishedAt: number;
  publishedByUserId: string | null;
}

/** A version read along with its algorithm: its `summary_json` (db/schema.ts decides the fields and their order). */
type VersionJson = { [K in (typeof VERSION_SUMMARY_FIELDS)[number]]: VersionFieldTypes[K] };

/** A version's json array, as `JSON.parse` read it. */
type VersionArray = readonly VersionJson[keyof VersionJson][];

const versionField = fieldReader<VersionJson>(VERSION_SUMMARY_FIELDS);

/** The version `pick` names, among those the caller sees (a reference's resolution is access.ts's, from the call sheet). */
function pickedVersion(seen: SeenAlgorithm, pick: NonNullable<CatalogueShape['pick']>): SQL {
  const v = algorithmVersions;
  const named =
    pick === 'exact'
      ? and(eq(v.major, sql.placeholder('pickMajor')), eq(v.minor, sql.placeholder('pickMinor')), eq(v.patch, sql.placeholder('pickPatch')))
      : eq(v.gitHash, sql.placeholder('pickGitHash'));
  return sql`(select ${v.summaryJson} from ${v} where ${and(seesVersion(seen), named)})`;
}

/**
 * The most rows a page reads (MAX_PAGE_SIZE and the one that tells whether there is another), as
 * text, not a value: see the catalogue statement. drizzle writes a limit given as SQL verbatim.
 */
const PAGE_ROWS_AT_MOST = sql.raw(String(MAX_PAGE_SIZE + 1)) as unknown as number;

/**
 * The catalogue statement: the visible algorithms, with what is read along as correlated
 * subqueries, which Postgres evaluates only for the rows the page keeps (one index probe each).
 * One statement whatever the page size or number of owners. Each row is one JSON array (the
 * summary, then the parts read along) and, when asked for, the state's columns.
 *
 * A page of all visible algorithms picks its rows in a subquery named like the table (so the
 * expressions over `algorithms` read the same above it; it brings its owner's summary and the
 * caller's access along, so owners are joined once), with a constant LIMIT, and the page's own
 * limit is applied above it. With only `LIMIT $n`, Postgres's reusable plan counts on a tenth of the
 * table, never beats a plan made for the values, and so plans the statement again on every
 * execution: half of its Postgres time (docs/CATALOGUE-PLANS.md). Rows still flow one at a time:
 * the subquery stops where the page does.
 */
const catalogueStatement = preparedPerShape((db: Db, shape: CatalogueShape) => {
  const full = fullAccessTo(shape.access);
  const page = shape.page ? pagePlaceholders(algorithmKeyset, shape.page, 'page') : undefined;
  const v = algorithmVersions;
  const versionsPage = shape.versions && pagePlaceholders(versionKeyset, shape.versions.page, 'versions');
  const versionsCallability = (callability: Callability | null) => (callability ? eq(v.callability, callability) : undefined);
  const visible = and(seesAlgorithm(full), whichWhere(shape, full));
  let where = and(visible, page?.where);
  if (shape.by === 'owners' && page) {
    // A page per owner: each owner's algorithms numbered in page order (Postgres stops at the limit).
    const ranked = db
      .select({
        id: algorithms.id,
        rank: sql<number>`row_number() over (partition by ${algorithms.ownerId} order by ${sql.join(page.orderBy, sql`, `)})`.as('rank'),
      })
      .from(algorithms)
      .innerJoin(owners, eq(owners.id, algorithms.ownerId))
      .where(where)
      .as('ranked');
    where = inArray(algorithms.id, db.select({ id: ranked.id }).from(ranked).where(lte(ranked.rank, page.limit)));
  }
  // A page of all visible algorithms: its rows, with what is read of their owners and the caller's access to them.
  const pageRows =
    shape.by === 'page' && page
      ? db
          .select({
            ...getTableColumns(algorithms),
            ownerSummaryJson: sql<string>`${owners.summaryJson}`.as('owner_summary_json'),
            fullAccess: sql<boolean>`${full}`.as('full_access'),
          })
          .from(algorithms)
          .innerJoin(owners, eq(owners.id, algorithms.ownerId))
          .where(where)
          .orderBy(...page.orderBy)
          .limit(PAGE_ROWS_AT_MOST)
          .as('algorithms')
      : undefined;
  const seenFull = pageRows ? sql`${pageRows.fullAccess}` : full;
  const seen: SeenAlgorithm = { id: algorithms.id, fullAccess: seenFull };
  const head: Record<(typeof ROW_HEAD)[number], JsonElement> = {
    algorithm: { json: sql`${algorithms.summaryJson}` },
    owner: { json: pageRows ? sql`${pageRows.ownerSummaryJson}` : sql`${owners.summaryJson}` },
    fullAccess: { json: sql`(${seenFull})::text` },
  };
  const alongParts: { [P in AlongPart]: () => JsonElement } = {
    latestVersion: () => ({ json: sql`coalesce(${latestSeenVersionJson(seenFull)}, 'null')` }),
    versions: () => ({
      json: sql`'[' || array_to_string(array(select ${v.summaryJson} from ${v}
          where ${and(seesVersion(seen), versionsCallability(shape.versions!.callability), versionsPage!.where)}
          order by ${sql.join(versionsPage!.orderBy, sql`, `)} limit ${versionsPage!.limit}), ',') || ']'`,
    }),
    versionCount: () => ({
      json: sql`(select count(*) from ${v} where ${and(seesVersion(seen), versionsCallability(shape.versionCount!.callability))})::text`,
    }),
    pick: () => ({ json: sql`coalesce(${pickedVersion(seen, shape.pick!)}, 'null')` }),
  };
  const along = ALONG_PARTS.filter((part) => shape[part]).map((part) => alongParts[part]());
  const fields = {
    read: sql<string>`${jsonArrayText([...ROW_HEAD.map((name) => head[name]), ...along])}`,
    ...(shape.state && { state: stateColumns(seenFull) }),
  };
  if (pageRows && page) return db.select(fields).from(pageRows).orderBy(...page.orderBy).limit(page.limit).prepare('algorithms_catalogue');
  const query = db.select(fields).from(algorithms).innerJoin(owners, eq(owners.id, algorithms.ownerId)).where(where).$dynamic();
  if (shape.by === 'owners' && page) return query.orderBy(algorithms.ownerId, ...page.orderBy).prepare('algorithms_catalogue');
  return query.prepare('algorithms_catalogue');
});

/** A version read along as json, made a record (a page of 50 algorithms reads up to 300: no intermediate objects). */
function versionFrom(json: VersionArray, algorithm: AlgorithmSummary): VersionRecord {
  const publishedAt = new Date(versionField(json, 'publishedAt'));
  const semver = { major: versionField(json, 'major'), minor: versionField(json, 'minor'), patch: versionField(json, 'patch') };
  return {
    id: versionField(json, 'id'),
    algorithmId: algorithm.id,
    major: semver.major,
    minor: semver.minor,
    patch: semver.patch,
    gitHash: versionField(json, 'gitHash'),
    versionType: versionField(json, 'versionType'),
    callability: versionField(json, 'callability'),
    publishedAt,
    publishedByUserId: versionField(json, 'publishedByUserId'),
    createdAt: publishedAt,
    semanticVersion: formatVersion(semver),
    fullAccess: algorithm.fullAccess,
  };
}

const versionOrNull = (json: unknown, algorithm: AlgorithmSummary): VersionRecord | null => (json === null ? null : versionFrom(json as VersionArray, algorithm));

/** How each part read along goes into an entry, from its JSON in the row. */
const readAlong: { [P in AlongPart]: (entry: CatalogueEntry, json: unknown) => void } = {
  latestVersion: (entry, json) => (entry.latestVersion = versionOrNull(json, entry.algorithm)),
  versions: (entry, json) => (entry.versions = (json as VersionArray[]).map((version) => versionFrom(version, entry.algorithm))),
  versionCount: (entry, json) => (entry.versionCount = json as number),
  pick: (entry, json) => (entry.picked = versionOrNull(json, entry.algorithm)),
};

/** The visible algorithms `which` names, with what `along` asks for: one statement. */
export async function readCatalogue<const A extends Along>(db: Db, principal: Principal, which: Which, along: A): Promise<CatalogueEntry<A>[]> {
  const rows = await catalogueStatement(db, shapeOf(principal, which, along)).execute(valuesOf(principal, which, along));
  return rows.map((row) => {
    const read = JSON.parse(row.read) as unknown[];
    const summary = headField(read, 'algorithm');
    const owner = headField(read, 'owner');
    const algorithm: AlgorithmSummary = {
      id: algorithmField(summary, 'id'),
      ownerId: algorithmField(summary, 'ownerId'),
      name: algorithmField(summary, 'name'),
      hasPublicVersion: algorithmField(summary, 'hasPublicVersion'),
      createdAt: new Date(algorithmField(summary, 'createdAt')),
      ownerName: ownerField(owner, 'name'),
      ownerKind: ownerField(owner, 'kind'),
      fullAccess: headField(read, 'fullAccess'),
    };
    const entry: CatalogueEntry = { algorithm };
    if (row.state !== undefined) entry.state = row.state;
    let next = ROW_HEAD.length;
    for (const part of ALONG_PARTS) if (along[part]) readAlong[part](entry, read[next++]);
    // The statement's shape came from `along`: it read exactly the parts `along` asked for.
    return entry as CatalogueEntry<A>;
  });
}

const countStatement = preparedPerShape((db: Db, shape: CatalogueShape) => {
  const full = fullAccessTo(shape.access);
  const counted = db
    .select({ ownerId: shape.by === 'owners' ? algorithms.ownerId : sql<string | null>`null`, n: count() })
    .from(algorithms)
    .innerJoin(owners, eq(owners.id, algorithms.ownerId))
    .where(and(seesAlgorithm(full), whichWhere(shape, full)))
    .$dynamic();
  return (shape.by === 'owners' ? counted.groupBy(algorithms.ownerId) : counted).prepare('algorithms_count');
});

/** How many visible algorithms a paged read selects over all its pages: by owner id for `owners`, else under ''. */
export async function countCatalogue(db: Db, principal: Principal, which: Which & { by: 'page' | 'owners' }): Promise<Map<string, number>> {
  const rows = await countStatement(db, shapeOf(principal, which, {})).execute(valuesOf(principal, which, {}));
  return new Map(rows.map((row) => [row.ownerId ?? '', row.n]));
}

// ---------------------------------------------------------------------------------------------
// Call sheets

/** A version of a call sheet, as its json object. */
type CallableVersionJson = Omit<CallableVersion, 'semanticVersion'>;

/**
 * The call sheet of one algorithm of a live owner, by `owner/name` (any case) or by id: one
 * statement, its versions newest first. Read for any caller: what a caller may see of it is decided
 * from it (access.ts), not here.
 */
export async function readCallSheet(db: Db, by: { owner: string; name: string } | { id: string }): Promise<CallSheet | undefined> {
  const v = algorithmVersions;
  const versions = sql<CallableVersionJson[]>`coalesce((select json_agg(json_build_object(
      'major', ${v.major}, 'minor', ${v.minor}, 'patch', ${v.patch}, 'callability', ${v.callability}, 'gitHash', ${v.gitHash}
    ) order by ${sql.join(newestFirst, sql`, `)}) from ${v} where ${eq(v.algorithmId, algorithms.id)}), '[]')`;
  const named =
    'id' in by
      ? eq(algorithms.id, by.id)
      : and(eq(sql`lower(${owners.name})`, by.owner.toLowerCase()), eq(sql`lower(${algorithms.name})`, by.name.toLowerCase()));
  const [found] = await db
    .select({ id: algorithms.id, name: algorithms.name, ownerId: algorithms.ownerId, hasPublicVersion: algorithms.hasPublicVersion, ...ownerSummaryColumns, versions })
    .from(algorithms)
    .innerJoin(owners, eq(owners.id, algorithms.ownerId))
    .where(and(named, isNull(owners.deletedAt)));
  return found && { ...found, versions: found.versions.map((json) => ({ ...json, semanticVersion: formatVersion(json) })) };
}

// ---------------------------------------------------------------------------------------------
// Versions

export function toVersion(row: VersionSummary, fullAccess: boolean): VersionRecord {
  return {
    id: row.id,
    algorithmId: row.algorithmId,
    major: row.major,
    minor: row.minor,
    patch: row.patch,
    gitHash: row.gitHash,
    versionType: row.versionType,
    callability: row.callability,
    publishedAt: row.publishedAt,
    publishedByUserId: row.publishedByUserId,
    createdAt: row.publishedAt,
    semanticVersion: formatVersion(row),
    fullAccess,
  };
}

/** The contents of these versions, in one statement, by id (ids of versions the caller was shown). */
export async function versionContents(db: Db, ids: readonly string[]): Promise<Map<string, VersionContents>> {
  const v = algorithmVersions;
  const found = await db
    .select({
      id: v.id,
      releaseNotes: v.releaseNotes,
      sampleInput: v.sampleInput,
      sampleOutput: v.sampleOutput,
      // A snapshot of the algorithm's details and settings, written by `insertVersion` alone.
      details: sql<Details>`${v.details}`,
      settings: sql<Settings>`${v.settings}`,
    })
    .from(v)
    .where(anyOf(v.id, ids));
  return new Map(found.map(({ id, ...contents }) => [id, contents]));
}

/**
 * Versions by id, whoever may see them, for `Catalogue.versionsByIds`, which keeps those the caller
 * sees (their algorithm read through the catalogue, then `seesCalledVersion`).
 */
export async function versionSummariesByIds(db: Db, ids: readonly string[]): Promise<VersionSummary[]> {
  const v = algorithmVersions;
  return db
    .select({
      id: v.id,
      algorithmId: v.algorithmId,
      major: v.major,
      minor: v.minor,
      patch: v.patch,
      gitHash: v.gitHash,
      versionType: v.versionType,
      callability: v.callability,
      publishedAt: v.publishedAt,
      publishedByUserId: v.publishedByUserId,
    })
    .from(v)
    .where(anyOf(v.id, ids));
}

export async function lastVersion(tx: Db, algorithmId: string): Promise<VersionRow | undefined> {
  const [last] = await tx
    .select()
    .from(algorithmVersions)
    .where(eq(algorithmVersions.algorithmId, algorithmId))
    .orderBy(...newestFirst)
    .limit(1);
  return last;
}

/** How many versions an algorithm has (for its quota; count under the algorithm's lock). */
export async function countVersionsOf(tx: Db, algorithmId: string): Promise<number> {
  const [row] = await tx.select({ n: count() }).from(algorithmVersions).where(eq(algorithmVersions.algorithmId, algorithmId));
  return row?.n ?? 0;
}

export type NewVersion = Omit<typeof algorithmVersions.$inferInsert, 'details' | 'settings'> & { details: Details; settings: Settings };

export async function insertVersion(tx: Db, values: NewVersion): Promise<VersionRow> {
  const [version] = await tx.insert(algorithmVersions).values(values).returning();
  return version!;
}

// ---------------------------------------------------------------------------------------------
// Algorithms and their owners, for changes

/** A live owner by id or by name (any case). */
export async function findOwner(tx: Db, by: { id: string } | { name: string }): Promise<OwnerSummary | undefined> {
  const [owner] = await tx
    .select({ ownerId: owners.id, ...ownerSummaryColumns })
    .from(owners)
    .where(and('id' in by ? eq(owners.id, by.id) : eq(sql`lower(${owners.name})`, by.name.toLowerCase()), isNull(owners.deletedAt)));
  return owner;
}

/** The algorithm with its owner's summary, row-locked for a change. */
export async function lockAlgorithm(tx: Db, id: string): Promise<{ row: AlgorithmRow; owner: OwnerSummary } | undefined> {
  const [found] = await tx
    .select({ row: algorithms, owner: { ownerId: owners.id, ...ownerSummaryColumns } })
    .from(algorithms)
    .innerJoin(owners, eq(owners.id, algorithms.ownerId))
    .where(eq(algorithms.id, id))
    .for('update', { of: algorithms });
  return found;
}

/** Which of `ownerIds` own at least one algorithm (what `seesAsOutsider` asks). */
export async function ownersWithAlgorithms(db: Db, ownerIds: readonly string[]): Promise<Set<string>> {
  const rows = await db.selectDistinct({ ownerId: algorithms.ownerId }).from(algorithms).where(anyOf(algorithms.ownerId, ownerIds));
  return new Set(rows.map((row) => row.ownerId));
}

/** How many algorithms an owner has (for its quota; count under the owner's lock). */
export async function countAlgorithmsOf(tx: Db, ownerId: string): Promise<number> {
  const [row] = await tx.select({ n: count() }).from(algorithms).where(eq(algorithms.ownerId, ownerId));
  return row?.n ?? 0;
}

export async function insertAlgorithm(tx: Db, values: typeof algorithms.$inferInsert): Promise<AlgorithmRow> {
  const [created] = await tx.insert(algorithms).values(values).returning();
  return created!;
}

export async function updateAlgorithmRow(tx: Db, id: string, values: Partial<typeof algorithms.$inferInsert>): Promise<AlgorithmRow> {
  const [updated] = await tx.update(algorithms).set(values).where(eq(algorithms.id, id)).returning();
  return updated!;
}

export async function deleteAlgorithmRow(tx: Db, id: string): Promise<AlgorithmRow | undefined> {
  const [deleted] = await tx.delete(algorithms).where(eq(algorithms.id, id)).returning();
  return deleted;
}
