/**
 * Algorithms and their published versions (DESIGN §6), and who may see and change them (§4.3):
 *
 *   see      the owner and members of the owning organization see everything; everyone else sees
 *            an algorithm once it has a PUBLIC version, and then only its PUBLIC versions
 *   change   the owner, or any member of the owning organization, with a manageAlgorithms key
 *   publish  PUBLIC for an organization: an OWNER of it (or the organization's own key)
 *   delete   not once a PUBLIC version exists, except on the admin plane
 *
 * Invisible algorithms do not exist for the caller: null, or NOT_FOUND in mutations.
 */
import { and, count, desc, eq, inArray, isNull, lte, not, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Actor, Principal } from '../../auth/principal.js';
import { actorOf } from '../../auth/principal.js';
import { aclAllows } from '../../auth/acl.js';
import { originRefusal, type Caller } from '../../auth/origin.js';
import { rows, type Db } from '../../db/connect.js';
import { precompiled, selection } from '../../db/compiled.js';
import { anyOf } from '../../db/any.js';
import { violatedUniqueConstraint } from '../../db/errors.js';
import { algorithms, algorithmVersions, owners } from '../../db/schema.js';
import { ServiceError, userError, type UserErrorData } from '../../core/errors.js';
import { changesBetween, optionalText, parse } from '../../core/validation.js';
import { isUuid } from '../../core/ids.js';
import { NAME_PATTERN, quoted } from '../../core/names.js';
import { assemblePage, keysetPage, planPage, type Page, type PageArgs, type PagePlan } from '../../core/pagination.js';
import { recordAudit } from '../audit/service.js';
import { ownerProfileColumns, profileJoins, type OwnerProfile } from '../owners/service.js';
import { organizationsOf, roleIn } from '../organizations/service.js';
import {
  formatVersion,
  matchesVersionRef,
  nextVersion,
  parseAlgorithmRef,
  parseVersionRef,
  type SemVer,
  type VersionRef,
  type VersionType,
} from './versions.js';

export type AlgorithmRow = typeof algorithms.$inferSelect;
type VersionRow = typeof algorithmVersions.$inferSelect;

/** What lists show of a version; its contents are read only when a client asks for them. */
export type VersionSummary = Pick<
  VersionRow,
  'id' | 'algorithmId' | 'major' | 'minor' | 'patch' | 'versionType' | 'callability' | 'publishedAt' | 'publishedByUserId'
>;
export type VersionContents = Pick<VersionRow, 'releaseNotes' | 'sampleInput' | 'sampleOutput' | 'details' | 'settings'>;

export type VersionRecord = VersionSummary & {
  createdAt: Date;
  semanticVersion: string;
  /** Whether the caller sees the algorithm from inside (owner, member): who published is shown only then. */
  fullAccess: boolean;
  /** Present when the statement that found the version read them too (see `versionContents`). */
  contents?: VersionContents;
};

/** An algorithm as the caller sees it: `fullAccess` when it may see private versions too. */
export type AlgorithmRecord = AlgorithmRow & { fullAccess: boolean } & Partial<OwnerProfile> & {
    /** Read with the list when its client asked for it (undefined otherwise; null when there is none). */
    latestVersion?: VersionRecord | null;
    /** Read with the list for the one `versions` selection its client made, keyed by `versionFilterKey`. */
    versionPage?: { key: string; page: Page<VersionRecord> };
  };
export type Callability = 'PUBLIC' | 'PRIVATE';

// ---------------------------------------------------------------------------------------------
// Validation

const text = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`);

const detailsSchema = z.object({
  label: text(100).min(1, 'is required'),
  summary: optionalText(10_000),
  tagline: optionalText(200),
});

const settingsSchema = z.object({
  license: z.enum(['APL', 'APACHE2', 'GPL3', 'MIT']).nullish(),
  networkAccess: z.enum(['ISOLATED', 'FULL']).nullish(),
  pipelineEnabled: z.boolean().nullish(),
  sourceVisibility: z.enum(['OPEN', 'CLOSED']).nullish(),
  language: z.enum(['JAVA', 'JAVASCRIPT', 'PYTHON2', 'PYTHON3', 'R', 'RUBY', 'RUST', 'SCALA']).nullish(),
  environment: z.enum(['CPU', 'GPU']).nullish(),
  packageSet: optionalText(100),
  royaltyMicrocredits: z.number().int('must be a whole number').min(0, 'must be 0 or more').max(1_000_000_000, 'must be at most 1000000000').nullish(),
});

const algorithmNameSchema = z
  .string()
  .max(30, 'must be at most 30 characters')
  .regex(NAME_PATTERN, 'must start with a letter and contain only letters, digits and underscores');

export const createAlgorithmSchema = z.object({
  owner: z.string().nullish(),
  name: algorithmNameSchema,
  details: detailsSchema,
  settings: settingsSchema.nullish(),
  versionInfo: z.object({ sampleInput: optionalText(100_000) }).nullish(),
});
export type CreateAlgorithmInput = z.input<typeof createAlgorithmSchema>;

export const updateAlgorithmSchema = z.object({
  id: z.string(),
  details: detailsSchema.partial().nullish(),
  settings: settingsSchema.nullish(),
  versionInfo: z.object({ sampleInput: optionalText(100_000) }).nullish(),
});
export type UpdateAlgorithmInput = z.input<typeof updateAlgorithmSchema>;

type Settings = Pick<
  AlgorithmRow,
  'license' | 'networkAccess' | 'pipelineEnabled' | 'sourceVisibility' | 'language' | 'environment' | 'packageSet' | 'royaltyMicrocredits'
>;

const DEFAULT_SETTINGS: Settings = {
  license: 'APL',
  networkAccess: 'ISOLATED',
  pipelineEnabled: false,
  sourceVisibility: 'CLOSED',
  language: null,
  environment: null,
  packageSet: null,
  royaltyMicrocredits: 0,
};

/** Given settings over current ones; null clears language/environment/packageSet, other nulls keep. */
function mergeSettings(current: Settings, given: z.output<typeof settingsSchema> | null | undefined): Settings {
  const pick = <K extends keyof Settings>(key: K, clearable: boolean): Settings[K] => {
    const value = given?.[key];
    if (value === undefined || (value === null && !clearable)) return current[key];
    return value as Settings[K];
  };
  return {
    license: pick('license', false),
    networkAccess: pick('networkAccess', false),
    pipelineEnabled: pick('pipelineEnabled', false),
    sourceVisibility: pick('sourceVisibility', false),
    language: pick('language', true),
    environment: pick('environment', true),
    packageSet: pick('packageSet', true),
    royaltyMicrocredits: pick('royaltyMicrocredits', false),
  };
}

/** The rules that tie settings together (DESIGN §6). */
function settingsProblems(settings: Settings): UserErrorData[] {
  const problems: UserErrorData[] = [];
  const problem = (field: string, message: string) =>
    problems.push({ code: 'INVALID', field: ['settings', field], message: `settings.${field}: ${message}` });
  if (settings.sourceVisibility === 'CLOSED' && settings.license !== 'APL') {
    problem('sourceVisibility', `closed source needs the APL license (license is ${settings.license})`);
  }
  if (!settings.language && !settings.packageSet) problem('language', 'set a language or a packageSet');
  if (settings.language && !settings.environment) problem('environment', 'is required when a language is set');
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Visibility

/** Algorithms the caller has full access to: its owner's, and its user's organizations' (admins: all). */
function fullAccessTo(db: Db, principal: Principal): SQL {
  if (principal.keyKind === 'ADMIN') return sql`true`;
  const own = eq(algorithms.ownerId, principal.ownerId);
  return principal.userId === null ? own : or(own, inArray(algorithms.ownerId, organizationsOf(db, principal.userId)))!;
}

function visibleTo(db: Db, principal: Principal): SQL {
  return or(fullAccessTo(db, principal), eq(algorithms.hasPublicVersion, true))!;
}

/** What the statements below add to the visible algorithms they read, after the columns. */
interface VisibleQuery {
  where?: SQL | undefined;
  orderBy?: SQL[];
  limit?: number;
  /** Further columns by name, copied onto each record as read (json subqueries, say). */
  extras?: Record<string, SQL>;
}

/**
 * Visible algorithms with their owners' profiles, so a list's owners cost no further statement.
 * Written with `sql` over precompiled column lists: it runs on every list and lookup.
 */
async function selectVisible(db: Db, principal: Principal, query: VisibleQuery = {}): Promise<AlgorithmRecord[]> {
  const extras = Object.entries(query.extras ?? {});
  const found = await rows<Record<string, unknown>>(
    db,
    sql`select ${visibleColumns.list}, (${fullAccessTo(db, principal)}) as "fullAccess"${sql.join(
      extras.map(([name, expression]) => sql`, ${expression} as ${sql.identifier(name)}`),
    )} ${VISIBLE_FROM} where ${and(visibleTo(db, principal), isNull(owners.deletedAt), query.where)}${
      query.orderBy ? sql` order by ${sql.join(query.orderBy, sql`, `)}` : sql``
    }${query.limit === undefined ? sql`` : sql` limit ${query.limit}`}`,
  );
  return found.map((row) => {
    const record = visibleColumns.decode(row) as AlgorithmRecord & Record<string, unknown>;
    record.fullAccess = row.fullAccess === true;
    for (const [name] of extras) record[name] = row[name];
    return record;
  });
}

const algorithmColumns = {
  id: algorithms.id,
  ownerId: algorithms.ownerId,
  name: algorithms.name,
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
  hasPublicVersion: algorithms.hasPublicVersion,
  createdAt: algorithms.createdAt,
  updatedAt: algorithms.updatedAt,
};

const visibleColumns = selection({ ...ownerProfileColumns, ...algorithmColumns });
const VISIBLE_FROM = precompiled(sql`from ${algorithms} inner join ${owners} on ${owners.id} = ${algorithms.ownerId} ${profileJoins}`);

export async function findAlgorithmsByIds(db: Db, principal: Principal, ids: readonly string[]): Promise<AlgorithmRecord[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  return selectVisible(db, principal, { where: anyOf(algorithms.id, valid) });
}

export async function findAlgorithm(db: Db, principal: Principal, owner: string, name: string): Promise<AlgorithmRecord | null> {
  const [found] = await selectVisible(db, principal, {
    where: and(eq(sql`lower(${owners.name})`, owner.toLowerCase()), eq(sql`lower(${algorithms.name})`, name.toLowerCase())),
  });
  return found ?? null;
}

/** `owner/name` or `algo://owner/name` (a version part is ignored here). */
export async function findAlgorithmByRef(db: Db, principal: Principal, ref: string): Promise<AlgorithmRecord | null> {
  const parsed = parseAlgorithmRef(ref);
  return parsed ? findAlgorithm(db, principal, parsed.owner, parsed.name) : null;
}

export async function listAlgorithms(
  db: Db,
  principal: Principal,
  args: PageArgs & { owner?: string | null; callability?: Callability | null },
  include: AlgorithmInclude = {},
): Promise<Page<AlgorithmRecord>> {
  // Callability as the caller sees it: outsiders see only PUBLIC versions, so to them every
  // visible algorithm is PUBLIC, whatever its newest (private) version says.
  const full = fullAccessTo(db, principal);
  const callability =
    args.callability === 'PRIVATE'
      ? and(full, eq(algorithms.callability, 'PRIVATE'))
      : args.callability === 'PUBLIC'
        ? or(and(full, eq(algorithms.callability, 'PUBLIC')), not(full))
        : undefined;
  const conditions = and(args.owner ? eq(sql`lower(${owners.name})`, args.owner.toLowerCase()) : undefined, callability);
  const extras = listExtras(db, principal, include);
  return keysetPage(
    args,
    algorithms,
    async (page) =>
      extras.attach(
        await selectVisible(db, principal, { where: and(conditions, page.where), orderBy: page.orderBy, limit: page.limit, extras: extras.fields }),
      ),
    async () =>
      (
        await db
          .select({ n: count() })
          .from(algorithms)
          .innerJoin(owners, eq(owners.id, algorithms.ownerId))
          .where(and(visibleTo(db, principal), isNull(owners.deletedAt), conditions))
      )[0]?.n ?? 0,
  );
}

// ---------------------------------------------------------------------------------------------
// Versions: batched (one statement for any number of algorithms), or read with a list of them

const versionSummaryColumns = {
  id: algorithmVersions.id,
  algorithmId: algorithmVersions.algorithmId,
  major: algorithmVersions.major,
  minor: algorithmVersions.minor,
  patch: algorithmVersions.patch,
  versionType: algorithmVersions.versionType,
  callability: algorithmVersions.callability,
  publishedAt: algorithmVersions.publishedAt,
  publishedByUserId: algorithmVersions.publishedByUserId,
};

const versionContentColumns = {
  id: algorithmVersions.id,
  releaseNotes: algorithmVersions.releaseNotes,
  sampleInput: algorithmVersions.sampleInput,
  sampleOutput: algorithmVersions.sampleOutput,
  details: algorithmVersions.details,
  settings: algorithmVersions.settings,
};

function toVersion(row: VersionSummary, fullAccess: boolean, contents?: VersionContents): VersionRecord {
  return {
    id: row.id,
    algorithmId: row.algorithmId,
    major: row.major,
    minor: row.minor,
    patch: row.patch,
    versionType: row.versionType,
    callability: row.callability,
    publishedAt: row.publishedAt,
    publishedByUserId: row.publishedByUserId,
    createdAt: row.publishedAt,
    semanticVersion: formatVersion(row),
    fullAccess,
    contents,
  };
}

/** A whole version row, contents included (publishing, resolving a reference). */
const fullVersion = (row: VersionRow, fullAccess: boolean) =>
  toVersion(row, fullAccess, {
    releaseNotes: row.releaseNotes,
    sampleInput: row.sampleInput,
    sampleOutput: row.sampleOutput,
    details: row.details,
    settings: row.settings,
  });

/** A version summary as one json object keyed like `VersionSummary`, for versions read with a list. */
const versionSummaryJson = precompiled(
  sql`json_build_object(${sql.join(
    Object.entries(versionSummaryColumns).map(([key, column]) => sql`${sql.raw(`'${key}'`)}, ${column}`),
    sql`, `,
  )})`,
);

type VersionSummaryJson = Omit<VersionSummary, 'publishedAt'> & { publishedAt: string | Date };

/** Completes a parsed json summary into a record in place: lists read hundreds of them per request. */
function fromJson(value: VersionSummaryJson, fullAccess: boolean): VersionRecord {
  const version = value as VersionRecord;
  version.publishedAt = version.createdAt = new Date(value.publishedAt);
  version.semanticVersion = formatVersion(value);
  version.fullAccess = fullAccess;
  return version;
}

const fullAccessById = (algorithmsSeen: readonly AlgorithmRecord[]) => new Map(algorithmsSeen.map((a) => [a.id, a.fullAccess]));

/** Versions the caller may see of these algorithms: all of its own, PUBLIC ones of others'. */
function visibleVersions(algorithmsSeen: readonly AlgorithmRecord[]): SQL | undefined {
  const full = algorithmsSeen.filter((a) => a.fullAccess).map((a) => a.id);
  const publicOnly = algorithmsSeen.filter((a) => !a.fullAccess).map((a) => a.id);
  return or(
    full.length > 0 ? anyOf(algorithmVersions.algorithmId, full) : undefined,
    publicOnly.length > 0 ? and(anyOf(algorithmVersions.algorithmId, publicOnly), eq(algorithmVersions.callability, 'PUBLIC')) : undefined,
  );
}

/** Inside a statement over `algorithms`: the versions of the algorithm at hand that the caller may see. */
function visibleVersionsOfEach(db: Db, principal: Principal): SQL {
  return and(eq(algorithmVersions.algorithmId, algorithms.id), or(fullAccessTo(db, principal), eq(algorithmVersions.callability, 'PUBLIC')))!;
}

const newestFirst = [desc(algorithmVersions.major), desc(algorithmVersions.minor), desc(algorithmVersions.patch)];

/** The latest visible version of each algorithm, in one statement. */
export async function latestVersions(db: Db, algorithmsSeen: readonly AlgorithmRecord[]): Promise<VersionRecord[]> {
  const visible = visibleVersions(algorithmsSeen);
  if (!visible) return [];
  const found = await db
    .selectDistinctOn([algorithmVersions.algorithmId], versionSummaryColumns)
    .from(algorithmVersions)
    .where(visible)
    .orderBy(algorithmVersions.algorithmId, ...newestFirst);
  const full = fullAccessById(algorithmsSeen);
  return found.map((row) => toVersion(row, full.get(row.algorithmId) ?? false));
}

/** The contents of these versions, in one statement, in the order of `ids` (null for an unknown id). */
export async function versionContents(db: Db, ids: readonly string[]): Promise<(VersionContents | null)[]> {
  const found = await db.select(versionContentColumns).from(algorithmVersions).where(anyOf(algorithmVersions.id, ids.filter(isUuid)));
  const byId = new Map(found.map((row) => [row.id, row]));
  return ids.map((id) => byId.get(id) ?? null);
}

export interface VersionFilter extends PageArgs {
  callability?: Callability | null;
  published?: boolean | null;
}

/** Equal for two filters that select the same page, however their arguments were spelled. */
export function versionFilterKey(args: VersionFilter): string {
  return JSON.stringify([args.first, args.after, args.last, args.before, args.callability, args.published].map((arg) => arg ?? null));
}

const versionKeyset = { createdAt: algorithmVersions.publishedAt, id: algorithmVersions.id };

/** The filter's own condition on versions; undefined when it selects none (every version is published). */
const versionFilterSql = (args: VersionFilter): SQL | undefined | false =>
  args.published === false ? false : args.callability ? eq(algorithmVersions.callability, args.callability) : undefined;

/** How many visible versions match the filter, per algorithm, in one grouped statement. */
async function countVersions(db: Db, algorithmsSeen: readonly AlgorithmRecord[], args: VersionFilter): Promise<Map<string, number>> {
  const v = algorithmVersions;
  const visible = visibleVersions(algorithmsSeen);
  const filter = versionFilterSql(args);
  if (!visible || filter === false) return new Map();
  const found = await db.select({ algorithmId: v.algorithmId, n: count() }).from(v).where(and(visible, filter)).groupBy(v.algorithmId);
  return new Map(found.map((row) => [row.algorithmId, row.n]));
}

/** Pages for these algorithms from rows already read; totals come from one grouped count, run only when asked for. */
function versionPagesFrom(
  db: Db,
  algorithmsSeen: readonly AlgorithmRecord[],
  args: VersionFilter,
  plan: PagePlan,
  byAlgorithm: Map<string, VersionRecord[]>,
): Map<string, Page<VersionRecord>> {
  let totals: Promise<Map<string, number>> | undefined;
  const countAll = () => (totals ??= countVersions(db, algorithmsSeen, args));
  return new Map(
    algorithmsSeen.map((algorithm) => [
      algorithm.id,
      assemblePage(plan, byAlgorithm.get(algorithm.id) ?? [], async () => (await countAll()).get(algorithm.id) ?? 0),
    ]),
  );
}

/**
 * A page of visible versions (oldest first) for each algorithm, in one statement: a window function
 * numbers each algorithm's versions, so the page size bounds the rows per algorithm.
 */
export async function versionPages(
  db: Db,
  algorithmsSeen: readonly AlgorithmRecord[],
  args: VersionFilter,
): Promise<Map<string, Page<VersionRecord>>> {
  const v = algorithmVersions;
  const plan = planPage(args, versionKeyset);
  const visible = visibleVersions(algorithmsSeen);
  const filter = versionFilterSql(args);
  const full = fullAccessById(algorithmsSeen);
  const byAlgorithm = new Map<string, VersionRecord[]>();
  if (visible && filter !== false) {
    // Numbered in a window; the outer select reads plain table rows (cheap to map, unlike a
    // subquery's aliased columns) for the ids that rank within the page.
    const ranked = db
      .select({
        id: v.id,
        rank: sql<number>`row_number() over (partition by ${v.algorithmId} order by ${sql.join(plan.orderBy, sql`, `)})`.as('rank'),
      })
      .from(v)
      .where(and(visible, filter, plan.where))
      .as('ranked');
    const records = await db
      .select(versionSummaryColumns)
      .from(v)
      .where(inArray(v.id, db.select({ id: ranked.id }).from(ranked).where(lte(ranked.rank, plan.limit))))
      .orderBy(...plan.orderBy);
    for (const record of records) {
      const list = byAlgorithm.get(record.algorithmId) ?? [];
      list.push(toVersion(record, full.get(record.algorithmId) ?? false));
      byAlgorithm.set(record.algorithmId, list);
    }
  }
  return versionPagesFrom(db, algorithmsSeen, args, plan, byAlgorithm);
}

/** For each algorithm, its visible version with exactly this semver (null when none), in one statement. */
export async function versionsBySemver(db: Db, algorithmsSeen: readonly AlgorithmRecord[], semver: string): Promise<(VersionRecord | null)[]> {
  const ref = parseVersionRef(semver);
  const visible = visibleVersions(algorithmsSeen);
  if (ref?.kind !== 'exact' || !visible) return algorithmsSeen.map(() => null);
  const { major, minor, patch } = ref.version;
  const v = algorithmVersions;
  const found = await db
    .select(versionSummaryColumns)
    .from(v)
    .where(and(visible, eq(v.major, major), eq(v.minor, minor), eq(v.patch, patch)));
  return algorithmsSeen.map((algorithm) => {
    const row = found.find((candidate) => candidate.algorithmId === algorithm.id);
    return row ? toVersion(row, algorithm.fullAccess) : null;
  });
}

/** The versions `ref` may select, newest first, among those the caller may call through it. */
async function resolveVersions(db: Db, algorithm: AlgorithmRecord, ref: VersionRef, limit: number): Promise<VersionRecord[]> {
  const v = algorithmVersions;
  // Only latestPrivate and exact references reach private versions, and only for those who see them.
  const privateReachable = algorithm.fullAccess && (ref.kind === 'latestPrivate' || ref.kind === 'exact');
  const conditions = [
    eq(v.algorithmId, algorithm.id),
    privateReachable ? undefined : eq(v.callability, 'PUBLIC'),
    ref.kind === 'exact' ? and(eq(v.major, ref.version.major), eq(v.minor, ref.version.minor), eq(v.patch, ref.version.patch)) : undefined,
    ref.kind === 'prefix' ? eq(v.major, ref.major) : undefined,
    ref.kind === 'prefix' && ref.minor !== undefined ? eq(v.minor, ref.minor) : undefined,
  ];
  const found = await db
    .select()
    .from(v)
    .where(and(...conditions))
    .orderBy(...newestFirst)
    .limit(limit);
  return found.map((row) => fullVersion(row, algorithm.fullAccess)).filter((version) => matchesVersionRef(ref, version));
}

/** What a list of algorithms reads along with each one, so that those nested fields cost no statement. */
export interface AlgorithmInclude {
  latestVersion?: boolean;
  versions?: VersionFilter;
}

/**
 * The extra columns a list reads for `include`, each a correlated subquery returning json (Postgres
 * evaluates them only for the rows of the page), and how to attach what they read to the records.
 */
function listExtras(db: Db, principal: Principal, include: AlgorithmInclude) {
  const v = algorithmVersions;
  const visible = visibleVersionsOfEach(db, principal);
  // A filter that selects no version (published: false) is left to the batched loader.
  const versionFilter = include.versions && versionFilterSql(include.versions);
  const versionArgs = versionFilter === false ? undefined : include.versions;
  const plan = versionArgs && planPage(versionArgs, versionKeyset);
  const fields: Record<string, SQL> = {};
  if (include.latestVersion) {
    fields.latestVersionJson = sql`(select ${versionSummaryJson} from ${v} where ${visible} order by ${sql.join(newestFirst, sql`, `)} limit 1)`;
  }
  if (versionArgs && plan) {
    fields.versionPageJson = sql`to_json(array(select ${versionSummaryJson} from ${v}
      where ${and(visible, versionFilter || undefined, plan.where)}
      order by ${sql.join(plan.orderBy, sql`, `)} limit ${plan.limit}))`;
  }
  type Row = AlgorithmRecord & { latestVersionJson?: VersionSummaryJson | null; versionPageJson?: VersionSummaryJson[] | null };
  // The rows become the records in place: a list reads dozens of them per request.
  const attach = (rows: Row[]): AlgorithmRecord[] => {
    if (include.latestVersion) {
      for (const row of rows) row.latestVersion = row.latestVersionJson ? fromJson(row.latestVersionJson, row.fullAccess) : null;
    }
    if (versionArgs && plan) {
      const byAlgorithm = new Map(rows.map((row) => [row.id, (row.versionPageJson ?? []).map((json) => fromJson(json, row.fullAccess))]));
      const pages = versionPagesFrom(db, rows, versionArgs, plan, byAlgorithm);
      const key = versionFilterKey(versionArgs);
      for (const row of rows) row.versionPage = { key, page: pages.get(row.id)! };
    }
    return rows;
  };
  return { fields, attach };
}

// ---------------------------------------------------------------------------------------------
// Changes

interface Managed {
  algorithm: AlgorithmRow;
  /** The caller's standing with the owner: the owner itself, or its role in the owning organization. */
  standing: 'OWNER' | 'MEMBER';
}

/** The owner the caller names for a new algorithm: its own by default, or an organization it belongs to. */
async function ownerForNewAlgorithm(tx: Db, principal: Principal, name: string | null | undefined): Promise<string> {
  if (name === undefined || name === null) return principal.ownerId;
  const [owner] = await tx
    .select({ id: owners.id, kind: owners.kind })
    .from(owners)
    .where(and(eq(sql`lower(${owners.name})`, name.toLowerCase()), isNull(owners.deletedAt)));
  if (owner && (owner.id === principal.ownerId || (owner.kind === 'ORGANIZATION' && (await roleIn(tx, owner.id, principal.userId))))) {
    return owner.id;
  }
  throw userError('NOT_FOUND', `owner: no user or organization ${quoted(name)} this key may create algorithms for`, ['owner']);
}

/** An algorithm the caller may change (row-locked); NOT_FOUND when it may not even see it. */
async function managedAlgorithm(tx: Db, principal: Principal, id: string): Promise<Managed> {
  const notFound = userError('NOT_FOUND', 'id: no such algorithm', ['id']);
  if (!isUuid(id)) throw notFound;
  const [algorithm] = await tx.select().from(algorithms).where(eq(algorithms.id, id)).for('update');
  if (!algorithm) throw notFound;
  if (algorithm.ownerId === principal.ownerId) return { algorithm, standing: 'OWNER' };
  const role = await roleIn(tx, algorithm.ownerId, principal.userId);
  if (role) return { algorithm, standing: role };
  if (!algorithm.hasPublicVersion) throw notFound;
  throw userError('FORBIDDEN', 'id: only the owner, or members of the owning organization, may change this algorithm', ['id']);
}

export async function createAlgorithm(db: Db, principal: Principal, input: CreateAlgorithmInput): Promise<{ algorithm: AlgorithmRecord }> {
  const data = parse(createAlgorithmSchema, input);
  const settings = mergeSettings(DEFAULT_SETTINGS, data.settings);
  const problems = settingsProblems(settings);
  if (problems.length > 0) throw new ServiceError(problems);
  return db.transaction(async (tx) => {
    const ownerId = await ownerForNewAlgorithm(tx, principal, data.owner);
    let created: AlgorithmRow | undefined;
    try {
      [created] = await tx
        .insert(algorithms)
        .values({
          ownerId,
          name: data.name,
          label: data.details.label,
          summary: data.details.summary ?? null,
          tagline: data.details.tagline ?? null,
          ...settings,
          sampleInput: data.versionInfo?.sampleInput ?? null,
        })
        .returning();
    } catch (error) {
      if (violatedUniqueConstraint(error) === 'algorithms_owner_name_ci_key') {
        throw userError('TAKEN', `name: this owner already has an algorithm named ${quoted(data.name)}`, ['name']);
      }
      throw error;
    }
    await recordAudit(tx, actorOf(principal), 'ALGORITHM_CREATED', { type: 'ALGORITHM', id: created!.id }, {
      ownerId,
      name: data.name,
    });
    return { algorithm: { ...created!, fullAccess: true } };
  });
}

/** Changes only the fields given; the name and owner never change. */
export async function updateAlgorithm(db: Db, principal: Principal, input: UpdateAlgorithmInput): Promise<{ algorithm: AlgorithmRecord }> {
  const data = parse(updateAlgorithmSchema, input);
  return db.transaction(async (tx) => {
    const { algorithm } = await managedAlgorithm(tx, principal, data.id);
    const settings = mergeSettings(algorithm, data.settings);
    const problems = settingsProblems(settings);
    if (problems.length > 0) throw new ServiceError(problems);
    const values = {
      label: data.details?.label ?? algorithm.label,
      summary: data.details?.summary === undefined ? algorithm.summary : data.details.summary,
      tagline: data.details?.tagline === undefined ? algorithm.tagline : data.details.tagline,
      ...settings,
      sampleInput: data.versionInfo?.sampleInput === undefined ? algorithm.sampleInput : data.versionInfo.sampleInput,
    };
    const changes = changesBetween(algorithm, values);
    if (Object.keys(changes).length === 0) return { algorithm: { ...algorithm, fullAccess: true } };
    const [updated] = await tx
      .update(algorithms)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(algorithms.id, algorithm.id))
      .returning();
    await recordAudit(tx, actorOf(principal), 'ALGORITHM_UPDATED', { type: 'ALGORITHM', id: algorithm.id }, { changes });
    return { algorithm: { ...updated!, fullAccess: true } };
  });
}

export const publishAlgorithmSchema = z.object({
  id: z.string(),
  versionType: z.enum(['MAJOR', 'MINOR', 'REVISION']),
  callability: z.enum(['PUBLIC', 'PRIVATE']).nullish(),
  releaseNotes: optionalText(100_000),
  sampleInput: optionalText(100_000),
  sampleOutput: optionalText(100_000),
});
export type PublishAlgorithmInput = z.input<typeof publishAlgorithmSchema>;

/**
 * Publishes an immutable snapshot as the next version. Callability stays what it was unless the
 * caller sets it, and may change only with a MAJOR version (the first version may be either).
 */
export async function publishAlgorithm(
  db: Db,
  principal: Principal,
  input: PublishAlgorithmInput,
): Promise<{ algorithm: AlgorithmRecord; version: VersionRecord }> {
  const data = parse(publishAlgorithmSchema, input);
  return db.transaction(async (tx) => {
    const { algorithm, standing } = await managedAlgorithm(tx, principal, data.id);
    const [last] = await tx
      .select()
      .from(algorithmVersions)
      .where(eq(algorithmVersions.algorithmId, algorithm.id))
      .orderBy(...newestFirst)
      .limit(1);
    const callability = data.callability ?? last?.callability ?? 'PRIVATE';
    if (last && callability !== last.callability && data.versionType !== 'MAJOR') {
      throw userError(
        'INVALID',
        `callability: changing it from ${last.callability} to ${callability} needs a MAJOR version (this is ${data.versionType})`,
        ['callability'],
      );
    }
    if (callability === 'PUBLIC' && standing !== 'OWNER') {
      throw userError('FORBIDDEN', "callability: only an owner of the organization may publish its algorithms PUBLIC", ['callability']);
    }
    const semver = nextVersion(last ?? null, data.versionType as VersionType);
    const [version] = await tx
      .insert(algorithmVersions)
      .values({
        algorithmId: algorithm.id,
        ...semver,
        versionType: data.versionType,
        callability,
        releaseNotes: data.releaseNotes ?? null,
        sampleInput: data.sampleInput ?? algorithm.sampleInput,
        sampleOutput: data.sampleOutput ?? null,
        details: { label: algorithm.label, summary: algorithm.summary, tagline: algorithm.tagline },
        settings: {
          license: algorithm.license,
          networkAccess: algorithm.networkAccess,
          pipelineEnabled: algorithm.pipelineEnabled,
          sourceVisibility: algorithm.sourceVisibility,
          language: algorithm.language,
          environment: algorithm.environment,
          packageSet: algorithm.packageSet,
          royaltyMicrocredits: algorithm.royaltyMicrocredits,
        },
        publishedByUserId: principal.userId,
        publishedByKeyId: principal.keyId,
      })
      .returning();
    const [updated] = await tx
      .update(algorithms)
      .set({ callability, hasPublicVersion: algorithm.hasPublicVersion || callability === 'PUBLIC', updatedAt: new Date() })
      .where(eq(algorithms.id, algorithm.id))
      .returning();
    await recordAudit(tx, actorOf(principal), 'ALGORITHM_PUBLISHED', { type: 'ALGORITHM', id: algorithm.id }, {
      version: formatVersion(semver),
      versionType: data.versionType,
      callability,
    });
    return { algorithm: { ...updated!, fullAccess: true }, version: fullVersion(version!, true) };
  });
}

export async function deleteAlgorithm(db: Db, principal: Principal, input: { id: string }): Promise<{ deletedAlgorithmId: string }> {
  return db.transaction(async (tx) => {
    const { algorithm, standing } = await managedAlgorithm(tx, principal, input.id);
    if (algorithm.hasPublicVersion) {
      throw userError('FORBIDDEN', 'id: this algorithm has a PUBLIC version, so callers may depend on it; only an admin can delete it', ['id']);
    }
    if (standing !== 'OWNER') throw userError('FORBIDDEN', 'id: only an owner of the organization may delete its algorithms', ['id']);
    await tx.delete(algorithms).where(eq(algorithms.id, algorithm.id));
    await recordAudit(tx, actorOf(principal), 'ALGORITHM_DELETED', { type: 'ALGORITHM', id: algorithm.id }, {
      ownerId: algorithm.ownerId,
      name: algorithm.name,
    });
    return { deletedAlgorithmId: algorithm.id };
  });
}

/** Admin plane: deletes any algorithm, public versions and all. */
export async function adminDeleteAlgorithm(db: Db, actor: Actor, input: { id: string }): Promise<{ deletedAlgorithmId: string }> {
  const notFound = userError('NOT_FOUND', 'id: no such algorithm', ['id']);
  if (!isUuid(input.id)) throw notFound;
  return db.transaction(async (tx) => {
    const [deleted] = await tx.delete(algorithms).where(eq(algorithms.id, input.id)).returning();
    if (!deleted) throw notFound;
    await recordAudit(tx, actor, 'ALGORITHM_DELETED', { type: 'ALGORITHM', id: deleted.id }, {
      ownerId: deleted.ownerId,
      name: deleted.name,
      hadPublicVersion: deleted.hasPublicVersion,
    });
    return { deletedAlgorithmId: deleted.id };
  });
}

// ---------------------------------------------------------------------------------------------
// May this key call it?

export type AccessReason = 'ALLOWED' | 'NOT_IN_ACL' | 'NOT_FOUND' | 'NO_PUBLIC_VERSION' | 'VERSION_NOT_FOUND' | 'ORIGIN_NOT_ALLOWED';

export interface AccessDecision {
  allowed: boolean;
  reason: AccessReason;
  algorithm: AlgorithmRecord | null;
  version: VersionRecord | null;
}

/**
 * What the execution tier asks before running `ref` for this key, checked in this order: the
 * caller's origin, the key's whitelist, the algorithm's visibility, then the version reference.
 */
export async function decideAccess(db: Db, principal: Principal, ref: string, caller: Caller): Promise<AccessDecision> {
  const deny = (reason: AccessReason, algorithm: AlgorithmRecord | null = null): AccessDecision => ({
    allowed: false,
    reason,
    algorithm,
    version: null,
  });
  const parsed = parseAlgorithmRef(ref);
  if (!parsed) throw userError('INVALID', 'ref: must be owner/name[/version] or algo://owner/name[/version]', ['ref']);
  if (originRefusal(principal.permissions.callerOrigin, caller)) return deny('ORIGIN_NOT_ALLOWED');
  if (!aclAllows(principal.permissions.algorithmAccess, parsed.owner, parsed.name)) return deny('NOT_IN_ACL');
  const algorithm = await findAlgorithm(db, principal, parsed.owner, parsed.name);
  if (!algorithm) return deny('NOT_FOUND');
  const [version] = await resolveVersions(db, algorithm, parsed.version, 1);
  if (!version) {
    const reason = parsed.version.kind === 'latest' && !algorithm.hasPublicVersion ? 'NO_PUBLIC_VERSION' : 'VERSION_NOT_FOUND';
    return deny(reason, algorithm);
  }
  return { allowed: true, reason: 'ALLOWED', algorithm, version };
}

