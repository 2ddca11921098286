/**
 * May this key call this algorithm, and which version does the call reach? The one decision behind
 * GraphQL's `algorithmAccess` and the gateway authorizer's algorithm calls (modules/calls). It
 * reads nothing once the algorithm's call sheet is cached (call-sheets.ts): the caller's
 * memberships come with its principal, and who sees what is visibility.ts's rule, applied in memory.
 *
 * In this order: the caller's origin; the key's whitelist; the algorithm's visibility (NOT_FOUND,
 * so a private algorithm of another owner is never told from none); the version reference. A call
 * by id (Algorithmia's `POST /v1/algo/{algorithmId}[/{version}]`) does not name the algorithm, so
 * its whitelist is checked once the algorithm is known to be visible: an id then tells nothing
 * the caller could not see.
 *
 * Version references (versions.ts): none or `latest`, the newest PUBLIC version; `1.2.*` and `1.*`,
 * the newest PUBLIC one under the prefix; `latestPrivate`, the newest of any callability, for the
 * owner and the members of the owning organization only (anyone else is refused with
 * LATEST_PRIVATE_NOT_ALLOWED, never handed a public version instead); an exact version or a git
 * hash, that version, when the caller may see it.
 */
import { aclAllows } from '../../auth/acl.js';
import { ORIGIN_REFUSAL_MESSAGES, originRefusal, type Caller } from '../../auth/origin.js';
import type { Principal } from '../../auth/principal.js';
import { after, type NowOrLater } from '../../core/now-or-later.js';
import type { SheetSource } from './call-sheets.js';
import { ACCESS_REASON_TEXT, type AccessRefusal, type CallableVersion, type CallSheet } from './model.js';
import type { VersionRef } from './versions.js';
import { hasFullAccess, seesCalled, seesCalledVersion } from './visibility.js';

/** The algorithm a call names: by owner and name, or by its id. */
export type AlgorithmTarget = { by: 'name'; owner: string; name: string } | { by: 'id'; id: string };

export interface AlgorithmCall {
  target: AlgorithmTarget;
  /** The version reference; null for one that is none (no version can match it). */
  version: VersionRef | null;
}

export type AccessVerdict =
  | { allowed: true; algorithm: CallSheet; version: CallableVersion }
  /** `algorithm`: once it was found visible (a version was refused), else null. */
  | { allowed: false; reason: AccessRefusal; message: string; algorithm: CallSheet | null };

const refused = (reason: AccessRefusal, algorithm: CallSheet | null = null, message = ACCESS_REASON_TEXT[reason]): AccessVerdict => ({
  allowed: false,
  reason,
  message,
  algorithm,
});

/** The verdict, at once when the algorithm's call sheet is cached. */
export function decideAlgorithmCall(sheets: SheetSource, principal: Principal, caller: Caller, call: AlgorithmCall): NowOrLater<AccessVerdict> {
  const origin = originRefusal(principal.permissions.callerOrigin, caller);
  if (origin) return refused('ORIGIN_NOT_ALLOWED', null, ORIGIN_REFUSAL_MESSAGES[origin]);
  const { target } = call;
  const whitelist = principal.permissions.algorithmAccess;
  if (target.by === 'name' && !aclAllows(whitelist, target.owner, target.name)) return refused('NOT_IN_ACL');
  return after(target.by === 'name' ? sheets.byName(target.owner, target.name) : sheets.byId(target.id), (sheet) => {
    const fullAccess = sheet !== null && hasFullAccess(principal, sheet);
    if (sheet === null || !seesCalled(fullAccess, sheet)) return refused('NOT_FOUND');
    if (target.by === 'id' && !aclAllows(whitelist, sheet.ownerName, sheet.name)) return refused('NOT_IN_ACL');
    return resolve(sheet, call.version, fullAccess);
  });
}

/** The version `ref` reaches for a caller who sees the algorithm (with full access or not), or why none. */
function resolve(sheet: CallSheet, ref: VersionRef | null, fullAccess: boolean): AccessVerdict {
  if (ref?.kind === 'latestPrivate' && !fullAccess) return refused('LATEST_PRIVATE_NOT_ALLOWED', sheet);
  // Newest first: the first version selected is the newest.
  const version = ref && sheet.versions.find((candidate) => selects(ref, candidate) && seesCalledVersion(fullAccess, candidate));
  if (version) return { allowed: true, algorithm: sheet, version };
  return refused(ref?.kind === 'latest' && !sheet.hasPublicVersion ? 'NO_PUBLIC_VERSION' : 'VERSION_NOT_FOUND', sheet);
}

/** Whether `ref` selects `version`, whoever asks: `latest` and prefixes select PUBLIC versions only. */
function selects(ref: VersionRef, version: CallableVersion): boolean {
  switch (ref.kind) {
    case 'latest':
      return version.callability === 'PUBLIC';
    case 'latestPrivate':
      return true;
    case 'prefix':
      return version.callability === 'PUBLIC' && version.major === ref.major && (ref.minor === undefined || version.minor === ref.minor);
    case 'exact':
      return version.major === ref.version.major && version.minor === ref.version.minor && version.patch === ref.version.patch;
    case 'gitHash':
      return version.gitHash === ref.gitHash;
  }
}
