/**
 * Public pages served from cache: answers to queries that only read what every outsider sees the
 * same (the public catalogue, public profiles, public versions), shared by every caller who sees
 * the catalogue as an outsider. plugins/response-cache.ts decides when; this file holds which
 * documents qualify and where the answers are kept.
 *
 * Who may share an answer is two rules, each written once:
 * - the document (`isShareable`): every field it selects is in SHARED_FIELDS, the fields whose
 *   answer depends on nothing about the caller but its full access to algorithms. Anything else
 *   (viewer, keys, the admin plane, an account's email or memberships, a snippet naming the
 *   caller's key, access decisions, node lookups that may reach a key) keeps the document out:
 *   a field added to the schema is not shared until it is listed here.
 * - the caller (modules/algorithms/visibility.ts `seesAsOutsider`): full access to no algorithm.
 *   Its answer to such a document is then the one every outsider gets, so it may be stored and
 *   served to any of them. An owner, a member of an owning organization, or an admin's key never
 *   reads from a shared entry nor writes into one.
 *
 * Entries are keyed by the document's text, the operation's name and the variables; the caller's
 * class needs no part in the key, since only one class ever shares. Every change to what outsiders
 * see (a publish, a delete, a callability change, an owner's profile, an owner's retirement)
 * clears every entry, on every instance (app.ts): such changes are rare next to reads, and
 * clearing all is the invalidation nothing can miss. RESPONSE_CACHE_TTL_MS is only a safety net.
 */
import { createHash } from 'node:crypto';
import {
  getNamedType,
  getOperationAST,
  isObjectType,
  isInterfaceType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { Redis } from 'ioredis';
import type { NowOrLater } from '../core/now-or-later.js';

/** The fields whose answer is the same for every caller with full access to no algorithm, by type. */
const SHARED_FIELDS: Record<string, ReadonlySet<string>> = Object.fromEntries(
  Object.entries({
    Query: ['algorithm', 'algorithms', 'user', 'organization'],
    Algorithm: [
      'callability', 'createdAt', 'details', 'id', 'latestVersion', 'name', 'owner', 'sampleInput', 'settings', 'updatedAt', 'version',
      'versionByGitHash', 'versions',
    ],
    AlgorithmVersion: [
      'callability', 'details', 'gitHash', 'id', 'publishedAt', 'releaseNotes', 'sampleInput', 'sampleOutput', 'semanticVersion', 'settings',
      'versionType',
    ],
    AlgorithmDetails: ['label', 'summary', 'tagline'],
    AlgorithmSettings: [
      'algorithmCallability', 'environment', 'language', 'license', 'networkAccess', 'packageSet', 'pipelineEnabled', 'royaltyMicrocredits',
      'sourceVisibility',
    ],
    AlgorithmConnection: ['edges', 'nodes', 'pageInfo', 'totalCount'],
    AlgorithmEdge: ['cursor', 'node'],
    AlgorithmVersionConnection: ['edges', 'nodes', 'pageInfo', 'totalCount'],
    AlgorithmVersionEdge: ['cursor', 'node'],
    PageInfo: ['endCursor', 'hasNextPage', 'hasPreviousPage', 'startCursor'],
    Owner: ['algorithms', 'name'],
    User: ['algorithms', 'companyName', 'companyRole', 'createdAt', 'fullName', 'id', 'name', 'username'],
    Organization: ['algorithms', 'createdAt', 'id', 'label', 'name', 'type', 'url'],
  }).map(([type, fields]) => [type, new Set(fields)]),
);

/** Which fields are shared, as schema coordinates (`Type.field`): for the test that keeps the list in step with the schema. */
export const sharedFieldCoordinates = (): string[] => Object.entries(SHARED_FIELDS).flatMap(([type, fields]) => [...fields].map((field) => `${type}.${field}`));

/** Per document and operation name: worked out once, since yoga hands the same document object for the same text. */
const shareableByDocument = new WeakMap<DocumentNode, Map<string, boolean>>();

/** Whether the operation is a query selecting only SHARED_FIELDS (and `__typename`), through every fragment. */
export function isShareable(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): boolean {
  let byName = shareableByDocument.get(document);
  if (!byName) shareableByDocument.set(document, (byName = new Map()));
  const known = byName.get(operationName ?? '');
  if (known !== undefined) return known;
  const shareable = decideShareable(schema, document, operationName);
  byName.set(operationName ?? '', shareable);
  return shareable;
}

function decideShareable(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): boolean {
  const operation = getOperationAST(document, operationName);
  const query = schema.getQueryType();
  if (!operation || operation.operation !== 'query' || !query) return false;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const selects = (type: GraphQLNamedType | undefined, selectionSet: SelectionSetNode, spread: ReadonlySet<string>): boolean => {
    if (!type || !(isObjectType(type) || isInterfaceType(type))) return false;
    const fields = type.getFields();
    return selectionSet.selections.every((selection) => {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__typename') return true;
        const field = fields[name];
        if (!field || !SHARED_FIELDS[type.name]?.has(name)) return false;
        return !selection.selectionSet || selects(getNamedType(field.type), selection.selectionSet, spread);
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        return selects(condition, selection.selectionSet, spread);
      }
      const fragment = fragments.get(selection.name.value);
      // A cycle is refused by validation before execution; refusing it here too costs nothing.
      if (!fragment || spread.has(fragment.name.value)) return false;
      return selects(schema.getType(fragment.typeCondition.name.value), fragment.selectionSet, new Set([...spread, fragment.name.value]));
    });
  };
  return selects(query, operation.selectionSet, new Set());
}

/** What an entry is found by: the document's text, the operation's name and the variables, hashed (a bounded Redis field). */
export function entryKey(query: string, operationName: string | null | undefined, variables: unknown): string {
  return createHash('sha256')
    .update(operationName ?? '')
    .update('\0')
    .update(query)
    .update('\0')
    .update(JSON.stringify(variables ?? null))
    .digest('base64url');
}

/** An answer's `data`, as stored. */
export type SharedData = Record<string, unknown>;

/** Where shared answers are kept: this process's memory, or Redis (one store for every instance). */
export interface SharedResponses {
  /** The data stored under `key`, if any; undefined also when the store cannot answer. */
  get(key: string): NowOrLater<SharedData | undefined>;
  /** A mark to pass to `set`: an answer worked out before a later `clear` must not be stored. */
  mark(): number;
  /** Stores `data` (`json` is its text) under `key`, unless the store was cleared since `mark`. */
  set(key: string, data: SharedData, json: string, mark: number): void;
  /** Drops every entry: something outsiders see has changed. */
  clear(): void;
}

export interface SharedResponseLimits {
  ttlMs: number;
  maxEntries: number;
  /** Bound on the stored text of all entries together; a larger answer is not stored. */
  maxBytes: number;
}

interface MemoryEntry {
  data: SharedData;
  bytes: number;
  validUntil: number;
}

/** One process's store: entries past the bounds go oldest first (a Map iterates in insertion order). */
export class MemoryResponses implements SharedResponses {
  private readonly entries = new Map<string, MemoryEntry>();
  private bytes = 0;
  private generation = 0;

  constructor(private readonly limits: SharedResponseLimits) {}

  get(key: string): SharedData | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.validUntil > Date.now()) return entry.data;
    this.drop(key, entry);
    return undefined;
  }

  mark(): number {
    return this.generation;
  }

  set(key: string, data: SharedData, json: string, mark: number): void {
    if (mark !== this.generation || json.length > this.limits.maxBytes) return;
    const held = this.entries.get(key);
    if (held) this.drop(key, held);
    this.entries.set(key, { data, bytes: json.length, validUntil: Date.now() + this.limits.ttlMs });
    this.bytes += json.length;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.limits.maxEntries && this.bytes <= this.limits.maxBytes) break;
      this.drop(oldest, entry);
    }
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
    this.bytes = 0;
  }

  private drop(key: string, entry: MemoryEntry): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}

/**
 * Stores an entry in the one hash that holds them all, within the bounds (entries, and bytes as
 * counted in its `#bytes` field): a full hash takes nothing more until it expires or is cleared.
 * The hash expires RESPONSE_CACHE_TTL_MS after its first entry, so no entry outlives the TTL.
 */
const STORE_SCRIPT = `
local size = string.len(ARGV[2])
local bytes = tonumber(redis.call('HGET', KEYS[1], '#bytes') or '0')
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 or redis.call('HLEN', KEYS[1]) > tonumber(ARGV[3]) or bytes + size > tonumber(ARGV[4]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[1], '#bytes', size)
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
return 1`;

/**
 * Every instance's store, in Redis (REDIS_URL), on the connection the rate limits use. Requests
 * never fail on it: a command that fails is a miss, or an answer not stored. Clearing is one DEL,
 * sent by every instance as each learns of a change, so that an answer another instance stored
 * from data read before the change, ahead of its own notification, goes too. A DEL that fails
 * leaves the store unused (every read a miss, and a retry of the DEL) until one succeeds.
 */
export class RedisResponses implements SharedResponses {
  private generation = 0;
  private uncleared = false;

  constructor(
    private readonly client: Redis,
    /** The hash's name; it carries the app's version, so instances of two versions never share an answer. */
    private readonly hash: string,
    private readonly limits: SharedResponseLimits,
  ) {}

  get(key: string): NowOrLater<SharedData | undefined> {
    if (this.uncleared) {
      this.clear();
      return undefined;
    }
    return this.client.hget(this.hash, key).then(
      (json) => (json === null ? undefined : (JSON.parse(json) as SharedData)),
      () => undefined,
    );
  }

  mark(): number {
    return this.generation;
  }

  set(key: string, _data: SharedData, json: string, mark: number): void {
    if (mark !== this.generation || this.uncleared) return;
    this.client
      .eval(STORE_SCRIPT, 1, this.hash, key, json, this.limits.maxEntries, this.limits.maxBytes, this.limits.ttlMs)
      .catch(() => {});
  }

  clear(): void {
    const generation = ++this.generation;
    this.uncleared = true;
    this.client.del(this.hash).then(
      () => {
        // An earlier DEL's answer says nothing of a later change.
        if (generation === this.generation) this.uncleared = false;
      },
      () => {},
    );
  }
}
