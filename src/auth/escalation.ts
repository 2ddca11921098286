/**
 * No escalation (README, "API keys"): a key may only create or shape keys whose permissions fit within its
 * own, and may only revoke or roll keys no more powerful than itself. Pure: no I/O.
 *
 * `grantExcess` is the one rule for every change that gives a key powers, whichever path makes it.
 */
import { aclUncovered } from './acl.js';
import { hostPatternCovers } from './origin.js';
import type { DataAccess } from '../db/enums.js';
import type { KeyPermissions } from './principal.js';

export interface KeyPowers extends KeyPermissions {
  expiresAt: Date | null;
}

export interface Excess {
  /** Input path of the permission that goes too far (e.g. ["algorithmAccess", "2"]). */
  field: string[];
  message: string;
}

const DATA_RANK: Record<DataAccess, number> = { NONE: 0, READ: 1, READ_WRITE: 2 };

/**
 * Every way `key` exceeds `limit`; empty when it fits within. With `compareExpiry`, a key must also
 * expire no later than the limit. `inputIndexOf` maps a position in `key.algorithmAccess` to the
 * caller's input list (which may have held duplicates), so errors point at what the caller wrote.
 */
export function excessOver(
  key: KeyPowers,
  limit: KeyPowers,
  compareExpiry = true,
  inputIndexOf: (index: number) => number = (index) => index,
): Excess[] {
  const excess: Excess[] = [];
  const beyond = (field: string[], what: string) =>
    excess.push({ field, message: `${field.join('.')}: ${what} goes beyond the calling key's own permissions` });

  const uncovered = new Set(aclUncovered(limit.algorithmAccess, key.algorithmAccess));
  key.algorithmAccess.forEach((entry, index) => {
    if (uncovered.has(entry)) beyond(['algorithmAccess', String(inputIndexOf(index))], entry);
  });
  if (key.manageAlgorithms && !limit.manageAlgorithms) beyond(['manageAlgorithms'], 'managing algorithms');
  if (key.manageAccount && !limit.manageAccount) beyond(['manageAccount'], 'managing the account');
  if (DATA_RANK[key.dataAccess] > DATA_RANK[limit.dataAccess]) beyond(['dataAccess'], key.dataAccess);

  const origin = key.callerOrigin;
  const allowed = limit.callerOrigin;
  if (origin.allowNativeClients && !allowed.allowNativeClients) beyond(['callerOrigin', 'allowNativeClients'], 'native clients');
  if (origin.allowBrowser && !allowed.allowBrowser) beyond(['callerOrigin', 'allowBrowser'], 'browser calls');
  if (origin.allowBrowser && allowed.allowBrowser && allowed.referrerHosts.length > 0) {
    if (origin.referrerHosts.length === 0) beyond(['callerOrigin', 'referrerHosts'], 'any origin');
    origin.referrerHosts.forEach((host, index) => {
      if (!allowed.referrerHosts.some((pattern) => hostPatternCovers(pattern, host))) {
        beyond(['callerOrigin', 'referrerHosts', String(index)], host);
      }
    });
  }

  if (compareExpiry && limit.expiresAt !== null && (key.expiresAt === null || key.expiresAt > limit.expiresAt)) {
    excess.push({
      field: ['expiresAt'],
      message: `expiresAt: must be no later than the calling key's own expiry (${limit.expiresAt.toISOString()}): a key given powers may not outlive the key that gave them`,
    });
  }
  return excess;
}

/** A change to a key, as the no-escalation rule sees it. */
export interface KeyGrant {
  /** The key as the change leaves it. */
  after: KeyPowers;
  /**
   * The key before the change; null when the change hands out a secret (creating the key, rolling
   * it), which grants everything the key holds to whoever receives it.
   */
  before: KeyPowers | null;
  /** The change turns a disabled key back on: every power it holds works again. */
  enables?: boolean;
}

/**
 * Every way a change goes beyond the calling key; empty when it may be made. A change that grants
 * anything (a new secret, a wider permission, a later or removed expiry, re-enabling) must leave the
 * key within the caller, expiry included, whatever the input named: otherwise a key that expires
 * in an hour could make permanent power out of any longer-lived key it may touch. A change that
 * grants nothing (narrowing, renaming, disabling) needs no more than touching the key does.
 */
export function grantExcess(grant: KeyGrant, caller: KeyPowers, inputIndexOf?: (index: number) => number): Excess[] {
  const grants = grant.before === null || grant.enables === true || excessOver(grant.after, grant.before).length > 0;
  return grants ? excessOver(grant.after, caller, true, inputIndexOf) : [];
}
