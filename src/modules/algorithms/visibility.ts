/**
 * Who sees which algorithms and versions: the one rule, as SQL predicates that every read of
 * algorithms and versions is built from (store.ts).
 *
 *   full access  admin keys to everything; organization keys to their organization's algorithms;
 *                user keys to their own and to those of the organizations they belong to. A
 *                standard key without manageAlgorithms only to those its whitelist covers: a key
 *                reads no more than it may do (DESIGN §4.3, least-privilege reads)
 *   algorithms   with full access, all; else those with a PUBLIC version; never a deleted owner's
 *   versions     with full access to the algorithm, all; else its PUBLIC ones
 *
 * The predicates are written over placeholders (`callerValues` fills them), so a statement's text
 * depends only on the kind of caller, never on who it is: a narrowed key's whitelist is bound as two
 * arrays (owners, `owner/name` algorithms), one cheap test per row the caller owns.
 *
 * Deciding a call (access.ts) reads no statement: it applies the same rule in memory to an
 * algorithm's cached facts, through `hasFullAccess`, `seesCalled` and `seesCalledVersion` below,
 * each next to the predicate it mirrors (the cached facts never hold a deleted owner's algorithm).
 */
import { and, eq, isNull, or, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { Principal } from '../../auth/principal.js';
import { algorithms, algorithmVersions, owners } from '../../db/schema.js';
import { aclAllows, aclCoversAll, aclTargets } from '../../auth/acl.js';

/**
 * What the text of a caller's full-access predicate depends on: whether it is an admin's, and
 * whether its whitelist narrows what it owns (a standard key without manageAlgorithms, whose
 * whitelist is not `algo://*`). Default keys are not narrowed, so their statement is the one it always was.
 */
export interface Access {
  admin: boolean;
  narrowed: boolean;
}

/** Whether a standard key's whitelist narrows what it fully sees: without manageAlgorithms, and not `algo://*`. */
const isNarrowed = ({ permissions }: Principal): boolean => !permissions.manageAlgorithms && !aclCoversAll(permissions.algorithmAccess);

export function accessOf(principal: Principal): Access {
  return principal.keyKind === 'ADMIN' ? { admin: true, narrowed: false } : { admin: false, narrowed: isNarrowed(principal) };
}

/**
 * The caller's values for the placeholders of its predicates. Whose algorithms it owns is one array
 * (its owner and the organizations its user belongs to, which the principal carries as verified),
 * so a statement tests each row against it instead of looking the memberships up.
 */
export function callerValues(principal: Principal) {
  const { owners, algorithms } = aclTargets(principal.permissions.algorithmAccess);
  return { callerOwners: [principal.ownerId, ...principal.memberOf], aclOwners: owners, aclAlgorithms: algorithms };
}

/** Whether the caller's whitelist covers the algorithm row in scope (`algorithms` joined with its `owners` row). */
function whitelistCovers(): SQL {
  const ownerName = sql`lower(${owners.name})`;
  return or(
    sql`${ownerName} = any(${sql.placeholder('aclOwners')}::text[])`,
    sql`${ownerName} || '/' || lower(${algorithms.name}) = any(${sql.placeholder('aclAlgorithms')}::text[])`,
  )!;
}

/** Whether the caller has full access to the algorithm row in scope (`algorithms` joined with its `owners` row). */
export function fullAccessTo(access: Access): SQL {
  if (access.admin) return sql`true`;
  const owned = sql`${algorithms.ownerId} = any(${sql.placeholder('callerOwners')}::uuid[])`;
  return access.narrowed ? and(owned, whitelistCovers())! : owned;
}

/**
 * `fullAccessTo`, in memory: whether the caller has full access to `algorithm`, from the same
 * owners (an organization's key has no memberships: `memberOf` is empty).
 */
export function hasFullAccess(principal: Principal, algorithm: { ownerId: string; ownerName: string; name: string }): boolean {
  if (principal.keyKind === 'ADMIN') return true;
  const owned = algorithm.ownerId === principal.ownerId || principal.memberOf.includes(algorithm.ownerId);
  return owned && (!isNarrowed(principal) || aclAllows(principal.permissions.algorithmAccess, algorithm.ownerName, algorithm.name));
}

/** Whether the caller sees the algorithm row in scope (`algorithms` joined with its `owners` row). */
export const seesAlgorithm = (fullAccess: SQL): SQL => and(or(fullAccess, eq(algorithms.hasPublicVersion, true)), isNull(owners.deletedAt))!;

/** `seesAlgorithm`, in memory, for an algorithm of a live owner. */
export const seesCalled = (fullAccess: boolean, algorithm: { hasPublicVersion: boolean }): boolean => fullAccess || algorithm.hasPublicVersion;

/** An algorithm the caller sees, as a statement refers to it: its id, and whether the caller has full access to it. */
export interface SeenAlgorithm {
  id: AnyColumn | SQL | SQL.Aliased;
  fullAccess: SQL | SQL.Aliased;
}

/** Whether the caller sees the `algorithm_versions` row in scope, a version of `algorithm`. */
export const seesVersion = (algorithm: SeenAlgorithm): SQL =>
  and(eq(algorithmVersions.algorithmId, algorithm.id), or(sql`${algorithm.fullAccess}`, eq(algorithmVersions.callability, 'PUBLIC')))!;

/** The `summary_json` of the newest version the caller sees of the algorithm row in scope: its newest, or its newest PUBLIC one (copied by publish). */
export const latestSeenVersionJson = (fullAccess: SQL): SQL =>
  sql`case when ${fullAccess} then ${algorithms.latestVersionSummaryJson} else ${algorithms.latestPublicVersionSummaryJson} end`;

/** `seesVersion`, in memory. */
export const seesCalledVersion = (fullAccess: boolean, version: { callability: 'PUBLIC' | 'PRIVATE' }): boolean =>
  fullAccess || version.callability === 'PUBLIC';

/**
 * Callability as the caller sees it: outsiders see only PUBLIC versions, so to them every visible
 * algorithm is PUBLIC, whatever its newest (private) version says.
 */
export function seenCallability(fullAccess: SQL, callability: 'PUBLIC' | 'PRIVATE'): SQL {
  return callability === 'PRIVATE'
    ? and(fullAccess, eq(algorithms.callability, 'PRIVATE'))!
    : or(and(fullAccess, eq(algorithms.callability, 'PUBLIC')), sql`not (${fullAccess})`)!;
}

/**
 * The owners whose algorithms the caller could have full access to (`fullAccessTo`): its own and,
 * for a user's key, its organizations'. Null for an admin's key, which has full access to all.
 */
export const fullAccessOwners = (principal: Principal): readonly string[] | null =>
  principal.keyKind === 'ADMIN' ? null : [principal.ownerId, ...principal.memberOf];

/**
 * Whether the caller sees every algorithm and version exactly as any outsider does: `fullAccessTo`
 * holds for no row, because none of its `fullAccessOwners` owns an algorithm (`owning`: those that
 * do). Such callers get the same answer to any read of the catalogue, so they may share one
 * (graphql/plugins/response-cache.ts). A narrowed key is judged by its owners all the same: it may
 * see less than they do, never more, and judging it an insider only costs a shared answer.
 */
export function seesAsOutsider(principal: Principal, owning: (ownerId: string) => boolean): boolean {
  const ownerIds = fullAccessOwners(principal);
  return ownerIds !== null && !ownerIds.some(owning);
}
