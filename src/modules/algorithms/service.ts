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
import type { Db } from '../../db/connect.js';
import { selection, shapedStatement, type Shape } from '../../db/compiled.js';
import { anyOf } from '../../db/any.js';
import { violatedUniqueConstraint } from '../../db/errors.js';
import { algorithms, algorithmVersions, owners } from '../../db/schema.js';
import { ServiceError, userError, type UserErrorData } from '../../core/errors.js';
import { changesBetween, optionalText, parse } from '../../core/validation.js';
import { isUuid } from '../../core/ids.js';
import { NAME_PATTERN, quoted } from '../../core/names.js';
import { assemblePage, pagePlaceholders, pageQuery, pageValues, planPage, type Page, type PageArgs, type PagePlan } from '../../core/pagination.js';
import { recordAudit } from '../audit/service.js';
import { ownerSummaryColumns, type OwnerSummary } from '../../db/records.js';
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

/** What every read of a visible algorithm has: enough to name, page and authorize it. */
export type AlgorithmKey = Pick<AlgorithmRow, 'id' | 'ownerId' | 'name' | 'hasPublicVersion' | 'createdAt'> & {
  /** Whether the caller sees it from inside (owner, member, admin): all its versions, and its state. */
  fullAccess: boolean;
};

/** The algorithm as it is now, which its owner and members see (outsiders see its latest PUBLIC version's). */
export type AlgorithmState = Omit<AlgorithmRow, keyof AlgorithmKey>;

/** What a list or lookup read along with an algorithm, so that its nested fields cost no statement. */
interface ReadAlong {
  /** Undefined when not read along; null when there is none. */
  latestVersion?: VersionRecord | null;
  /** The one `versions` selection its client made, keyed by `versionFilterKey`. */
  versionPage?: { key: string; page: Page<VersionRecord> };
}

/** An algorithm as a list read it: its key, and what else its client asked for (see `AlgorithmInclude`). */
export type ListedAlgorithm = AlgorithmKey & Partial<AlgorithmState> & Partial<OwnerSummary> & ReadAlong;

/** An algorithm with all of its state, as lookups and changes return it. */
export type AlgorithmRecord = AlgorithmRow & { fullAccess: boolean } & Partial<OwnerSummary> & ReadAlong;

/** Whether the algorithm's state was read with it (`updatedAt` is never null, so undefined means not read). */
export const hasState = (algorithm: ListedAlgorithm): algorithm is ListedAlgorithm & AlgorithmState => algorithm.updatedAt !== undefined;

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

/**
 * What decides a caller's full access, as far as the text of a statement goes: admin keys have it
 * to everything, organization keys to their organization's algorithms, user keys to their own and
 * their organizations'. Which owner and user are bound as values (`callerValues`).
 */
type Access = 'admin' | 'organization' | 'user';

const accessOf = (principal: Principal): Access =>
  principal.keyKind === 'ADMIN' ? 'admin' : principal.userId === null ? 'organization' : 'user';

const callerValues = (principal: Principal) => ({ callerOwnerId: principal.ownerId, callerUserId: principal.userId });

/** Algorithms the caller has full access to, over the placeholders `callerValues` fills. */
function fullAccessTo(access: Access): SQL {
  if (access === 'admin') return sql`true`;
  const own = eq(algorithms.ownerId, sql.placeholder('callerOwnerId'));
  return access === 'organization' ? own : or(own, sql`${algorithms.ownerId} in (${organizationsOf(sql.placeholder('callerUserId'))})`)!;
}

const keyColumns = selection({
  id: algorithms.id,
  ownerId: algorithms.ownerId,
  name: algorithms.name,
  hasPublicVersion: algorithms.hasPublicVersion,
  createdAt: algorithms.createdAt,
  ...ownerSummaryColumns,
});

const stateColumnsByName = {
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
} satisfies { [K in keyof AlgorithmState]-?: unknown };
const stateColumns = selection(stateColumnsByName);

/** What the text of the visible-algorithms statement depends on; everything else is bound as values. */
interface VisibleShape extends Shape {
  access: Access;
  /** Which algorithms: these `ids`, the one named `ownerName`/`name`, or a page of a list. */
  by: 'ids' | 'name' | 'page';
  /** A list's filters: of one owner (`ownerName`), of one callability as the caller sees it. */
  ofOwner: boolean;
  callability: Callability | null;
  /** A list's page bounds (see `pagePlaceholders`, prefix `page`). */
  pageAfter: boolean;
  pageBefore: boolean;
  pageBackwards: boolean;
  /** What is read besides each algorithm's key and its owner's summary (see `AlgorithmInclude`). */
  state: boolean;
  latestVersion: boolean;
  /** The one version page read along, its filter and bounds (prefix `versions`); null for none. */
  versionsCallability: Callability | 'ANY' | null;
  versionsAfter: boolean;
  versionsBefore: boolean;
  versionsBackwards: boolean;
}

const algorithmKeyset = { createdAt: algorithms.createdAt, id: algorithms.id };

/** The conditions of the visible-algorithms statement: what the caller may see, and what it asked for. */
function visibleWhere(shape: VisibleShape): SQL {
  const full = fullAccessTo(shape.access);
  // Callability as the caller sees it: outsiders see only PUBLIC versions, so to them every
  // visible algorithm is PUBLIC, whatever its newest (private) version says.
  const callability =
    shape.callability === 'PRIVATE'
      ? and(full, eq(algorithms.callability, 'PRIVATE'))
      : shape.callability === 'PUBLIC'
        ? or(and(full, eq(algorithms.callability, 'PUBLIC')), not(full))
        : undefined;
  const ownerNamed = eq(sql`lower(${owners.name})`, sql.placeholder('ownerName'));
  return and(
    or(full, eq(algorithms.hasPublicVersion, true)),
    isNull(owners.deletedAt),
    shape.by === 'ids' ? anyOf(algorithms.id, sql.placeholder('ids')) : undefined,
    shape.by === 'name' ? and(ownerNamed, eq(sql`lower(${algorithms.name})`, sql.placeholder('name'))) : undefined,
    shape.ofOwner ? ownerNamed : undefined,
    callability,
  )!;
}

const VISIBLE_FROM = sql`from ${algorithms} inner join ${owners} on ${owners.id} = ${algorithms.ownerId}`;

/** The algorithms a statement found, as its outer query sees them (see `selectVisible`). */
const FOUND = { id: sql.raw('found.id'), fullAccess: sql.raw('found."fullAccess"') };

/**
 * Visible algorithms, with what their readers asked for along: their state, and their latest
 * versions and a page of their versions as correlated subqueries over the algorithms found, which
 * Postgres evaluates only for those (and with full access worked out once per algorithm). One
 * statement whatever the page size.
 */
const selectVisible = shapedStatement((shape: VisibleShape) => {
  const columns = [keyColumns.list, sql`(${fullAccessTo(shape.access)}) as "fullAccess"`];
  if (shape.state) columns.push(stateColumns.list);
  const page =
    shape.by === 'page'
      ? pagePlaceholders(algorithmKeyset, { after: shape.pageAfter, before: shape.pageBefore, backwards: shape.pageBackwards }, 'page')
      : undefined;
  const found = sql`select ${sql.join(columns, sql`, `)} ${VISIBLE_FROM}
    where ${and(visibleWhere(shape), page?.where)}
    ${page ? sql`order by ${sql.join(page.orderBy, sql`, `)} limit ${page.limit}` : undefined}`;
  const along: SQL[] = [];
  if (shape.latestVersion) along.push(sql`${latestVersionJson(FOUND)} as "latestVersion"`);
  if (shape.versionsCallability !== null) along.push(sql`${versionPageJson(FOUND, shape)} as "versionPage"`);
  if (along.length === 0) return found;
  const direction = sql.raw(shape.pageBackwards ? 'desc' : 'asc');
  return sql`select found.*, ${sql.join(along, sql`, `)} from (${found}) found
    ${page ? sql`order by found."createdAt" ${direction}, found.id ${direction}` : undefined}`;
});

const countVisible = shapedStatement((shape: VisibleShape) => sql`select count(*)::int as n ${VISIBLE_FROM} where ${visibleWhere(shape)}`);

/** The shape of a read of whole algorithms (lookups): their state, nothing else along. */
const lookupShape = (principal: Principal, by: 'ids' | 'name'): VisibleShape => ({
  access: accessOf(principal),
  by,
  ofOwner: false,
  callability: null,
  pageAfter: false,
  pageBefore: false,
  pageBackwards: false,
  state: true,
  latestVersion: false,
  versionsCallability: null,
  versionsAfter: false,
  versionsBefore: false,
  versionsBackwards: false,
});

/** A row of the visible-algorithms statement as read: its versions still json. */
type VisibleRow = AlgorithmKey & { latestVersion?: VersionJson | null; versionPage?: VersionJson[] | null };

/**
 * Rows of the visible-algorithms statement made into records in place (lists read dozens per
 * request): each row object becomes the record, its json versions the version records.
 */
function decodeVisible(db: Db, shape: VisibleShape, found: Record<string, unknown>[], versions?: { args: VersionFilter; plan: PagePlan }): ListedAlgorithm[] {
  for (const row of found) {
    keyColumns.decode(row);
    if (shape.state) stateColumns.decode(row);
  }
  const rows = found as unknown as VisibleRow[];
  const records = found as unknown as ListedAlgorithm[];
  if (shape.latestVersion) {
    rows.forEach((row, i) => (records[i]!.latestVersion = row.latestVersion ? fromJson(row.latestVersion, row) : null));
  }
  if (versions && shape.versionsCallability !== null) {
    const byAlgorithm = new Map(rows.map((row) => [row.id, (row.versionPage ?? []).map((json) => fromJson(json, row))]));
    const pages = versionPagesFrom(db, rows, versions.args, versions.plan, byAlgorithm);
    const key = versionFilterKey(versions.args);
    records.forEach((record) => (record.versionPage = { key, page: pages.get(record.id)! }));
  }
  return records;
}

async function findVisible(db: Db, principal: Principal, by: 'ids' | 'name', values: Record<string, unknown>): Promise<AlgorithmRecord[]> {
  const shape = lookupShape(principal, by);
  const found = await selectVisible(db, shape, { ...callerValues(principal), ...values });
  // Their state was read: these are whole records.
  return decodeVisible(db, shape, found) as AlgorithmRecord[];
}

export async function findAlgorithmsByIds(db: Db, principal: Principal, ids: readonly string[]): Promise<AlgorithmRecord[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  return findVisible(db, principal, 'ids', { ids: valid });
}

export async function findAlgorithm(db: Db, principal: Principal, owner: string, name: string): Promise<AlgorithmRecord | null> {
  const [found] = await findVisible(db, principal, 'name', { ownerName: owner.toLowerCase(), name: name.toLowerCase() });
  return found ?? null;
}

/** `owner/name` or `algo://owner/name` (a version part is ignored here). */
export async function findAlgorithmByRef(db: Db, principal: Principal, ref: string): Promise<AlgorithmRecord | null> {
  const parsed = parseAlgorithmRef(ref);
  return parsed ? findAlgorithm(db, principal, parsed.owner, parsed.name) : null;
}

/** What a list of algorithms reads along with each one, for the fields its client asked for. */
export interface AlgorithmInclude {
  /** Its state (else `algorithmStates` loads it for those that need it). */
  state?: boolean;
  latestVersion?: boolean;
  versions?: VersionFilter;
}

/** Everything: for callers that name no fields. */
const EVERYTHING: AlgorithmInclude = { state: true };

export async function listAlgorithms(
  db: Db,
  principal: Principal,
  args: PageArgs & { owner?: string | null; callability?: Callability | null },
  include: AlgorithmInclude = EVERYTHING,
): Promise<Page<ListedAlgorithm>> {
  const plan = planPage(args);
  // A version filter that selects nothing (published: false) is left to the batched loader.
  const versions =
    include.versions && versionFilterSql(include.versions) !== false ? { args: include.versions, plan: planPage(include.versions) } : undefined;
  const shape: VisibleShape = {
    access: accessOf(principal),
    by: 'page',
    ofOwner: Boolean(args.owner),
    callability: args.callability ?? null,
    pageAfter: plan.after !== undefined,
    pageBefore: plan.before !== undefined,
    pageBackwards: plan.backwards,
    state: include.state === true,
    latestVersion: include.latestVersion === true,
    versionsCallability: versions ? (versions.args.callability ?? 'ANY') : null,
    versionsAfter: versions?.plan.after !== undefined,
    versionsBefore: versions?.plan.before !== undefined,
    versionsBackwards: versions?.plan.backwards ?? false,
  };
  const values = {
    ...callerValues(principal),
    ownerName: args.owner?.toLowerCase(),
    ...pageValues(plan, 'page'),
    ...(versions && pageValues(versions.plan, 'versions')),
  };
  const found = decodeVisible(db, shape, await selectVisible(db, shape, values), versions);
  return assemblePage(plan, found, async () => (await countVisible<{ n: number }>(db, shape, values))[0]?.n ?? 0);
}

/** The state of these algorithms, in the order of `ids`, for those a list read without it. */
export async function algorithmStates(db: Db, ids: readonly string[]): Promise<(AlgorithmState | null)[]> {
  const found = await db
    .select({ id: algorithms.id, ...stateColumnsByName })
    .from(algorithms)
    .where(anyOf(algorithms.id, ids.filter(isUuid)));
  const byId = new Map(found.map((row) => [row.id, row]));
  return ids.map((id) => byId.get(id) ?? null);
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

/**
 * A version summary as a json array, for versions read with algorithms: far less text to read and
 * parse than an object per version. `fromJson` reads it back; the algorithm is the row's own.
 */
const versionSummaryJson = sql`json_build_array(${algorithmVersions.id}, ${algorithmVersions.major}, ${algorithmVersions.minor}, ${algorithmVersions.patch},
  ${algorithmVersions.versionType}, ${algorithmVersions.callability}, floor(extract(epoch from ${algorithmVersions.publishedAt}) * 1000),
  ${algorithmVersions.publishedByUserId})`;

type VersionJson = [
  id: string,
  major: number,
  minor: number,
  patch: number,
  versionType: VersionSummary['versionType'],
  callability: Callability,
  publishedAtMs: number,
  publishedByUserId: string | null,
];

function fromJson(json: VersionJson, algorithm: AlgorithmKey): VersionRecord {
  const [id, major, minor, patch, versionType, callability, publishedAtMs, publishedByUserId] = json;
  const publishedAt = new Date(publishedAtMs);
  return toVersion({ id, algorithmId: algorithm.id, major, minor, patch, versionType, callability, publishedAt, publishedByUserId }, algorithm.fullAccess);
}

const fullAccessById = (algorithmsSeen: readonly AlgorithmKey[]) => new Map(algorithmsSeen.map((a) => [a.id, a.fullAccess]));

/** Versions the caller may see of these algorithms: all of its own, PUBLIC ones of others'. */
function visibleVersions(algorithmsSeen: readonly AlgorithmKey[]): SQL | undefined {
  const full = algorithmsSeen.filter((a) => a.fullAccess).map((a) => a.id);
  const publicOnly = algorithmsSeen.filter((a) => !a.fullAccess).map((a) => a.id);
  return or(
    full.length > 0 ? anyOf(algorithmVersions.algorithmId, full) : undefined,
    publicOnly.length > 0 ? and(anyOf(algorithmVersions.algorithmId, publicOnly), eq(algorithmVersions.callability, 'PUBLIC')) : undefined,
  );
}

/** An algorithm as a statement's subqueries see it: its id, and whether the caller has full access to it. */
interface AlgorithmInStatement {
  id: SQL;
  fullAccess: SQL;
}

/** The versions of the algorithm at hand that the caller may see: all, with full access; else the PUBLIC ones. */
const visibleVersionsOf = (algorithm: AlgorithmInStatement) =>
  and(eq(algorithmVersions.algorithmId, algorithm.id), or(algorithm.fullAccess, eq(algorithmVersions.callability, 'PUBLIC')))!;

const newestFirst = [desc(algorithmVersions.major), desc(algorithmVersions.minor), desc(algorithmVersions.patch)];

/** The algorithm's latest visible version, as json. */
const latestVersionJson = (algorithm: AlgorithmInStatement) =>
  sql`(select ${versionSummaryJson} from ${algorithmVersions} where ${visibleVersionsOf(algorithm)} order by ${sql.join(newestFirst, sql`, `)} limit 1)`;

/** The page of the algorithm's visible versions the shape asks for, as a json array. */
function versionPageJson(algorithm: AlgorithmInStatement, shape: VisibleShape): SQL {
  const v = algorithmVersions;
  const page = pagePlaceholders(versionKeyset, { after: shape.versionsAfter, before: shape.versionsBefore, backwards: shape.versionsBackwards }, 'versions');
  const callability = shape.versionsCallability === 'ANY' || shape.versionsCallability === null ? undefined : eq(v.callability, shape.versionsCallability);
  return sql`to_json(array(select ${versionSummaryJson} from ${v} where ${and(visibleVersionsOf(algorithm), callability, page.where)}
    order by ${sql.join(page.orderBy, sql`, `)} limit ${page.limit}))`;
}

/** The latest visible version of each algorithm, in one statement. */
export async function latestVersions(db: Db, algorithmsSeen: readonly AlgorithmKey[]): Promise<VersionRecord[]> {
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
async function countVersions(db: Db, algorithmsSeen: readonly AlgorithmKey[], args: VersionFilter): Promise<Map<string, number>> {
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
  algorithmsSeen: readonly AlgorithmKey[],
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
  algorithmsSeen: readonly AlgorithmKey[],
  args: VersionFilter,
): Promise<Map<string, Page<VersionRecord>>> {
  const v = algorithmVersions;
  const plan = planPage(args);
  const query = pageQuery(plan, versionKeyset);
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
        rank: sql<number>`row_number() over (partition by ${v.algorithmId} order by ${sql.join(query.orderBy, sql`, `)})`.as('rank'),
      })
      .from(v)
      .where(and(visible, filter, query.where))
      .as('ranked');
    const records = await db
      .select(versionSummaryColumns)
      .from(v)
      .where(inArray(v.id, db.select({ id: ranked.id }).from(ranked).where(lte(ranked.rank, query.limit))))
      .orderBy(...query.orderBy);
    for (const record of records) {
      const list = byAlgorithm.get(record.algorithmId) ?? [];
      list.push(toVersion(record, full.get(record.algorithmId) ?? false));
      byAlgorithm.set(record.algorithmId, list);
    }
  }
  return versionPagesFrom(db, algorithmsSeen, args, plan, byAlgorithm);
}

/** For each algorithm, its visible version with exactly this semver (null when none), in one statement. */
export async function versionsBySemver(db: Db, algorithmsSeen: readonly AlgorithmKey[], semver: string): Promise<(VersionRecord | null)[]> {
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

