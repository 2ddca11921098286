/**
 * What a key may do at all, before any object is looked at: its plane (standard or admin, the
 * seed's rule) and its management permissions. Defined once here; the GraphQL scopes are these,
 * and every service that needs one opens with `requirePermission`.
 */
import { PermissionDenied } from '../core/errors.js';
import type { Actor, Principal } from './principal.js';
import { actorOf } from './principal.js';

export type Permission = 'standard' | 'admin' | 'manageAlgorithms' | 'manageAccount';

/** What the caller lacks, as error messages say it. */
export const PERMISSION_NEEDS: Record<Permission, string> = {
  standard: 'a standard API key (admin keys may use only admin fields)',
  admin: 'an admin API key (standard keys may not use admin fields)',
  manageAlgorithms: 'a key with the manageAlgorithms permission',
  manageAccount: 'a key with the manageAccount permission',
};

/** Every permission, held or not, by this key. The management permissions are standard keys' only. */
export function permissionsHeld(principal: Principal): Record<Permission, boolean> {
  const standard = principal.keyKind === 'STANDARD';
  return {
    standard,
    admin: principal.keyKind === 'ADMIN',
    manageAlgorithms: standard && principal.permissions.manageAlgorithms,
    manageAccount: standard && principal.permissions.manageAccount,
  };
}

/**
 * Whether the key may read account data at all (the owner's email, organization contacts and
 * members, other keys, audit): admin keys, and standard keys with manageAccount. A key embedded in a
 * web page is public, so it reads no more than it may do (DESIGN §4.3). Whose account it is, each
 * rule that uses this checks.
 */
export const readsAccountData = (principal: Principal): boolean => principal.keyKind === 'ADMIN' || principal.permissions.manageAccount;

export const deniedMessage = (operation: string, permission: Permission) => `"${operation}" needs ${PERMISSION_NEEDS[permission]}.`;

/** Refuses `operation` unless the key holds `permission`. */
export function requirePermission(principal: Principal, operation: string, permission: Permission): void {
  if (!permissionsHeld(principal)[permission]) throw new PermissionDenied(deniedMessage(operation, permission));
}

declare const adminPlane: unique symbol;

/**
 * Who may act on the admin plane: an admin key (`adminActorOf`, which checks), or the operator at
 * the console (`consoleActor`). Admin-plane services take one, so no transport can call them
 * without the check: the type cannot be made otherwise.
 */
export type AdminActor = Actor & { readonly [adminPlane]: true };

export function adminActorOf(principal: Principal, operation: string): AdminActor {
  requirePermission(principal, operation, 'admin');
  return actorOf(principal) as AdminActor;
}

/** The operator at the console (the CLI) or the first start's bootstrap: not a request, no key. */
export const consoleActor = (via: 'cli' | 'bootstrap'): AdminActor => ({ keyId: null, userId: null, via }) as AdminActor;
