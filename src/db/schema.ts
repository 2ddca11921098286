/**
 * Every table (docs/ARCHITECTURE.md). drizzle-kit diffs this file into SQL under drizzle/ (`npm run db:generate`).
 *
 * Timestamps are timestamptz(3): JavaScript dates carry milliseconds, so a keyset cursor built from a
 * row's createdAt compares exactly with the stored value.
 */
import { sql, type SQL } from 'drizzle-orm';
import { epochMillis, jsonArrayText, type JsonElement } from './json-text.js';
import {
  type AnyPgColumn,
  bigserial,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

import {
  apiKeyKind,
  callability,
  dataAccess,
  environment,
  language,
  license,
  memberRole,
  networkAccess,
  organizationType,
  ownerKind,
  sourceVisibility,
  versionType,
} from './enums.js';

// drizzle-kit reads the enums from this file.
export * from './enums.js';

const timestamps = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });
const createdAt = () => timestamps('created_at').notNull().defaultNow();

/**
 * The text of an enum's value, as an immutable expression (a stored column may use no other, and
 * an enum's own text output is only stable).
 */
const enumLabel = (column: SQL | AnyPgColumn, values: readonly string[]): SQL =>
  sql`(case ${column} ${sql.join(
    values.map((value) => sql.raw(`when '${value}' then '${value}'`)),
    sql` `,
  )} end)`;

/**
 * The owner namespace shared by users and organizations. A row is never deleted: a deleted user or
 * organization keeps its row with `deletedAt` set, so its name is never issued again.
 */
export const owners = pgTable(
  'owners',
  {
    id: uuid('id').primaryKey(),
    kind: ownerKind('kind').notNull(),
    name: text('name').notNull(),
    createdAt: createdAt(),
    deletedAt: timestamps('deleted_at'),
    /** OWNER_SUMMARY_FIELDS as a JSON array, written by Postgres with the row: what lists read of an algorithm's owner. */
    summaryJson: text('summary_json')
      .notNull()
      .generatedAlwaysAs((): SQL => ownerSummaryJson()),
  },
  (t) => [
    uniqueIndex('owners_name_ci_key').on(sql`lower(${t.name})`),
    check('owners_name_format', sql`${t.name} ~ '^[A-Za-z][A-Za-z0-9_]*$' and length(${t.name}) <= 30`),
  ],
);

export const users = pgTable(
  'users',
  {
    id: uuid('id')
      .primaryKey()
      .references(() => owners.id),
    email: text('email').notNull(),
    fullName: text('full_name'),
    companyName: text('company_name'),
    companyRole: text('company_role'),
    isAdmin: boolean('is_admin').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    // Deleted users keep their row (see owners), so an email once used is never reissued either.
    uniqueIndex('users_email_ci_key').on(sql`lower(${t.email})`),
    index('users_created_at_id_idx').on(t.createdAt, t.id),
  ],
);

export const organizations = pgTable(
  'organizations',
  {
    id: uuid('id')
      .primaryKey()
      .references(() => owners.id),
    label: text('label').notNull(),
    contactName: text('contact_name'),
    email: text('email'),
    url: text('url'),
    type: organizationType('type').notNull().default('BASIC'),
    createdAt: createdAt(),
  },
  (t) => [index('organizations_created_at_id_idx').on(t.createdAt, t.id)],
);

export const organizationMembers = pgTable(
  'organization_members',
  {
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: memberRole('role').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.userId] }),
    index('organization_members_user_idx').on(t.userId),
  ],
);

/**
 * An API key record. Its secrets live in api_key_secrets: one normally, two while a roll's grace
 * period runs. Permissions apply to STANDARD keys; ADMIN keys carry the neutral defaults.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => owners.id),
    createdByUserId: uuid('created_by_user_id').references(() => users.id),
    name: text('name').notNull(),
    kind: apiKeyKind('kind').notNull(),
    mask: text('mask').notNull(),
    createdAt: createdAt(),
    updatedAt: timestamps('updated_at').notNull().defaultNow(),
    lastUsedAt: timestamps('last_used_at'),
    expiresAt: timestamps('expires_at'),
    disabled: boolean('disabled').notNull().default(false),
    algorithmAccess: text('algorithm_access').array().notNull().default(sql`'{}'::text[]`),
    manageAlgorithms: boolean('manage_algorithms').notNull().default(false),
    manageAccount: boolean('manage_account').notNull().default(false),
    dataAccess: dataAccess('data_access').notNull().default('NONE'),
    allowNativeClients: boolean('allow_native_clients').notNull().default(true),
    allowBrowser: boolean('allow_browser').notNull().default(false),
    referrerHosts: text('referrer_hosts').array().notNull().default(sql`'{}'::text[]`),
    /** Requests per minute; null: the server default (RATE_LIMIT_PER_MINUTE). Set by admins. */
    rateLimitPerMinute: integer('rate_limit_per_minute'),
  },
  (t) => [
    uniqueIndex('api_keys_owner_name_key').on(t.ownerId, t.name),
    index('api_keys_owner_created_at_id_idx').on(t.ownerId, t.createdAt, t.id),
    index('api_keys_created_at_id_idx').on(t.createdAt, t.id),
  ],
);

/** SHA-256 (hex) of each live secret of a key. `expiresAt` ends an old secret's grace period. */
export const apiKeySecrets = pgTable(
  'api_key_secrets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    apiKeyId: uuid('api_key_id')
      .notNull()
      .references(() => apiKeys.id, { onDelete: 'cascade' }),
    hash: text('hash').notNull(),
    createdAt: createdAt(),
    expiresAt: timestamps('expires_at'),
  },
  (t) => [
    uniqueIndex('api_key_secrets_hash_key').on(t.hash),
    index('api_key_secrets_api_key_idx').on(t.apiKeyId),
    check('api_key_secrets_hash_format', sql`${t.hash} ~ '^[0-9a-f]{64}$'`),
  ],
);

/**
 * Calls made with each key, per UTC day, as the authorizer decided them: `calls` allowed, `refused`
 * refused (a key the authorizer identified, refused for its origin, whitelist, data access or
 * budget). Written in batches by auth/usage.ts, never on a request's path; rows past the retention
 * (USAGE_RETENTION_DAYS, modules/api-keys/service.ts) are swept. A key's rows go with it.
 *
 * Counts are int, GraphQL's Int, and the writer stops them at its maximum (2 147 483 647, about
 * 24 855 calls a second all day on one key): above the highest budget a key may be given
 * (MAX_RATE_LIMIT_PER_MINUTE × 1 440 = 1.44 billion a day), so only refused calls, or allowed ones
 * counted by instances that do not share budgets, could reach it.
 */
export const apiKeyUsageDays = pgTable(
  'api_key_usage_days',
  {
    apiKeyId: uuid('api_key_id')
      .notNull()
      .references(() => apiKeys.id, { onDelete: 'cascade' }),
    day: date('day', { mode: 'string' }).notNull(),
    calls: integer('calls').notNull().default(0),
    refused: integer('refused').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.apiKeyId, t.day] }),
    // The sweep deletes by day alone.
    index('api_key_usage_days_day_idx').on(t.day),
    check('api_key_usage_days_counts_non_negative', sql`${t.calls} >= 0 and ${t.refused} >= 0`),
  ],
);

export const algorithms = pgTable(
  'algorithms',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => owners.id),
    name: text('name').notNull(),
    label: text('label').notNull(),
    summary: text('summary'),
    tagline: text('tagline'),
    license: license('license').notNull().default('APL'),
    networkAccess: networkAccess('network_access').notNull().default('ISOLATED'),
    pipelineEnabled: boolean('pipeline_enabled').notNull().default(false),
    sourceVisibility: sourceVisibility('source_visibility').notNull().default('CLOSED'),
    language: language('language'),
    environment: environment('environment'),
    packageSet: text('package_set'),
    royaltyMicrocredits: integer('royalty_microcredits').notNull().default(0),
    sampleInput: text('sample_input'),
    /** The latest version's callability (PRIVATE until published): kept by publish, never set directly. */
    callability: callability('callability').notNull().default('PRIVATE'),
    /** Whether any version is PUBLIC: what makes the algorithm visible to everyone. Never reverts. */
    hasPublicVersion: boolean('has_public_version').notNull().default(false),
    /** ALGORITHM_SUMMARY_FIELDS as a JSON array, written by Postgres with the row: what every read of the algorithm has. */
    summaryJson: text('summary_json')
      .notNull()
      .generatedAlwaysAs((): SQL => algorithmSummaryJson()),
    /**
     * Its newest version, and its newest PUBLIC one: the latest version as the owner and members see
     * it, and as everyone else does. Kept by publish in its transaction (versions are deleted only
     * with their algorithm). Reads show the copies below; these ids are what the copies are held to
     * (check constraints) and what a query of the tables joins on. No foreign key: deleting an
     * algorithm's versions would then look up algorithms by these columns, once per version.
     */
    latestVersionId: uuid('latest_version_id'),
    latestPublicVersionId: uuid('latest_public_version_id'),
    /**
     * Those two versions' `summary_json`, copied by publish: a list shows each algorithm's latest
     * version from its own row, not by one index probe per row into 200,000 versions (a third of a
     * catalogue page's buffers, BENCHMARKS.md). Versions never change, so a copy never goes stale.
     */
    latestVersionSummaryJson: text('latest_version_summary_json'),
    latestPublicVersionSummaryJson: text('latest_public_version_summary_json'),
    /**
     * The git hash a compile minted for the next version (Algorithmia REST `…/compile`, which builds nothing here):
     * repeated compiles return it, and the next publish gives it to its version and clears it.
     */
    pendingBuildHash: text('pending_build_hash'),
    createdAt: createdAt(),
    updatedAt: timestamps('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('algorithms_public_created_at_id_idx').on(t.createdAt, t.id).where(sql`${t.hasPublicVersion}`),
    uniqueIndex('algorithms_owner_name_ci_key').on(t.ownerId, sql`lower(${t.name})`),
    index('algorithms_owner_created_at_id_idx').on(t.ownerId, t.createdAt, t.id),
    index('algorithms_created_at_id_idx').on(t.createdAt, t.id),
    check('algorithms_name_format', sql`${t.name} ~ '^[A-Za-z][A-Za-z0-9_]*$' and length(${t.name}) <= 30`),
    check('algorithms_royalty_non_negative', sql`${t.royaltyMicrocredits} >= 0`),
    check('algorithms_pending_build_hash_format', sql`${t.pendingBuildHash} ~ '^[0-9a-f]{40}$'`),
    // A PUBLIC version is a version: it has a newest one, and has_public_version says the same thing.
    check(
      'algorithms_latest_versions',
      sql`${t.hasPublicVersion} = (${t.latestPublicVersionId} is not null) and (${t.latestVersionId} is not null or ${t.latestPublicVersionId} is null)`,
    ),
    // Each copy is of the version its id names, and there is one exactly when there is an id.
    check('algorithms_latest_version_copy', copyOfVersion(t.latestVersionSummaryJson, t.latestVersionId)),
    check('algorithms_latest_public_version_copy', copyOfVersion(t.latestPublicVersionSummaryJson, t.latestPublicVersionId)),
  ],
);

/**
 * The fields of an owner's and of an algorithm's `summary_json`, in the order of their arrays
 * (db/json-text.ts). Names need no escaping: their check constraints allow only letters, digits
 * and underscores.
 */
export const OWNER_SUMMARY_FIELDS = ['name', 'kind'] as const;
export const ALGORITHM_SUMMARY_FIELDS = ['id', 'ownerId', 'name', 'hasPublicVersion', 'createdAt'] as const;

function ownerSummaryJson(): SQL {
  const elements: Record<(typeof OWNER_SUMMARY_FIELDS)[number], JsonElement> = {
    name: { string: sql`${owners.name}` },
    kind: { string: enumLabel(owners.kind, ownerKind.enumValues) },
  };
  return jsonArrayText(OWNER_SUMMARY_FIELDS.map((name) => elements[name]));
}

function algorithmSummaryJson(): SQL {
  const a = algorithms;
  const elements: Record<(typeof ALGORITHM_SUMMARY_FIELDS)[number], JsonElement> = {
    id: { string: sql`${a.id}::text` },
    ownerId: { string: sql`${a.ownerId}::text` },
    name: { string: sql`${a.name}` },
    hasPublicVersion: { json: sql`${a.hasPublicVersion}::text` },
    createdAt: { json: epochMillis(a.createdAt) },
  };
  return jsonArrayText(ALGORITHM_SUMMARY_FIELDS.map((name) => elements[name]));
}

/**
 * The fields of a version's `summary_json`, in the order of its array (db/json-text.ts). Its strings
 * need no escaping (uuids, a git hash of 40 hex digits, enum labels): plain concatenation writes them.
 * The algorithms' copies of their latest versions' arrays keep the order they were copied in, and
 * their check constraints compare only the id: a change here, or to a published version's columns,
 * needs a migration that copies them again (test/catalogue-latest.test.ts runs every later migration
 * over copies made by 0015 and fails on one that leaves them stale).
 */
export const VERSION_SUMMARY_FIELDS = ['id', 'major', 'minor', 'patch', 'gitHash', 'versionType', 'callability', 'publishedAt', 'publishedByUserId'] as const;

/** Whether `copy` is a version's `summary_json` naming the version `id` names, or both are null. */
const copyOfVersion = (copy: AnyPgColumn, id: AnyPgColumn): SQL =>
  sql`coalesce((${copy}::json ->> ${sql.raw(String(VERSION_SUMMARY_FIELDS.indexOf('id')))})::uuid = ${id}, ${copy} is null and ${id} is null)`;

/** `summary_json`'s expression: each of VERSION_SUMMARY_FIELDS, as JSON; the time as epoch milliseconds. */
function versionSummaryJson(): SQL {
  const v = algorithmVersions;
  const elements: Record<(typeof VERSION_SUMMARY_FIELDS)[number], JsonElement> = {
    id: { string: sql`${v.id}::text` },
    major: { json: sql`${v.major}::text` },
    minor: { json: sql`${v.minor}::text` },
    patch: { json: sql`${v.patch}::text` },
    gitHash: { string: sql`${v.gitHash}` },
    versionType: { string: enumLabel(v.versionType, versionType.enumValues) },
    callability: { string: enumLabel(v.callability, callability.enumValues) },
    publishedAt: { json: epochMillis(v.publishedAt) },
    publishedByUserId: { string: sql`${v.publishedByUserId}::text` },
  };
  return jsonArrayText(VERSION_SUMMARY_FIELDS.map((name) => elements[name]));
}

/** An immutable snapshot taken at publish time. */
export const algorithmVersions = pgTable(
  'algorithm_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    algorithmId: uuid('algorithm_id')
      .notNull()
      .references(() => algorithms.id, { onDelete: 'cascade' }),
    major: integer('major').notNull(),
    minor: integer('minor').notNull(),
    patch: integer('patch').notNull(),
    /** 40 hex digits, as Algorithmia addresses versions (`…/versions/{git_hash}`); unique across all algorithms. */
    gitHash: text('git_hash').notNull(),
    versionType: versionType('version_type').notNull(),
    callability: callability('callability').notNull(),
    releaseNotes: text('release_notes'),
    sampleInput: text('sample_input'),
    sampleOutput: text('sample_output'),
    details: jsonb('details').notNull(),
    settings: jsonb('settings').notNull(),
    publishedAt: timestamps('published_at').notNull().defaultNow(),
    publishedByUserId: uuid('published_by_user_id').references(() => users.id),
    publishedByKeyId: uuid('published_by_key_id'),
    /**
     * The version's summary as lists read it along with its algorithm: a JSON array of
     * VERSION_SUMMARY_FIELDS, written by Postgres with the row. Built once here rather than
     * concatenated on every read, it halved the catalogue statement's work (BENCHMARKS.md).
     */
    summaryJson: text('summary_json')
      .notNull()
      .generatedAlwaysAs((): SQL => versionSummaryJson()),
  },
  (t) => [
    uniqueIndex('algorithm_versions_semver_key').on(t.algorithmId, t.major, t.minor, t.patch),
    uniqueIndex('algorithm_versions_git_hash_key').on(t.gitHash),
    check('algorithm_versions_git_hash_format', sql`${t.gitHash} ~ '^[0-9a-f]{40}$'`),
    index('algorithm_versions_callability_idx').on(t.algorithmId, t.callability, t.major, t.minor, t.patch),
    // Version pages are in publishing order (keyset on published_at, id): read in index order, no sort.
    index('algorithm_versions_published_idx').on(t.algorithmId, t.publishedAt, t.id),
  ],
);

/**
 * Security-relevant changes, written in the transaction of the change. Actor and target are plain
 * ids (no foreign keys): the trail outlives the keys and objects it names. `summary` is redacted by
 * the writer and never holds a secret.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    at: createdAt(),
    actorKeyId: uuid('actor_key_id'),
    actorUserId: uuid('actor_user_id'),
    actorVia: text('actor_via').notNull(),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    summary: jsonb('summary').notNull().default({}),
  },
  (t) => [
    index('audit_events_target_idx').on(t.targetType, t.targetId),
    index('audit_events_actor_user_idx').on(t.actorUserId),
  ],
);

/**
 * Responses to mutations sent with an Idempotency-Key, per API key, kept 24 hours so a retry
 * replays the first answer instead of acting twice. `response` never holds a secret. A key's
 * records go with the key: nobody can replay them, and a revoked key's must not keep the space.
 */
export const idempotencyRecords = pgTable(
  'idempotency_records',
  {
    apiKeyId: uuid('api_key_id')
      .notNull()
      .references(() => apiKeys.id, { onDelete: 'cascade' }),
    idempotencyKey: text('idempotency_key').notNull(),
    requestHash: text('request_hash').notNull(),
    /** The first answer, when it was small enough to keep (MAX_IDEMPOTENT_RESPONSE_BYTES). */
    response: jsonb('response'),
    /** The first answer's size as JSON; null while the first request is still running. */
    responseBytes: integer('response_bytes'),
    /**
     * Set inside each transaction of the first request, so it commits with the request's writes:
     * true once any of them committed. A claim its process left (killed, say) is taken over by a
     * retry only while false, so the work never runs twice.
     */
    workCommitted: boolean('work_committed').notNull().default(false),
    createdAt: createdAt(),
    expiresAt: timestamps('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.apiKeyId, t.idempotencyKey] }),
    index('idempotency_records_expires_at_idx').on(t.expiresAt),
    // A key's live records are counted on every claim (MAX_IDEMPOTENCY_RECORDS_PER_KEY): index-only.
    index('idempotency_records_api_key_expires_at_idx').on(t.apiKeyId, t.expiresAt),
  ],
);
