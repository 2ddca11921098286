/**
 * Who a request acts as once its key is verified. Services take a Principal (or an Actor for
 * work started outside a request), never a GraphQL context.
 */
import type { ApiKeyKind, DataAccess, OwnerKind } from '../db/enums.js';
import type { ApiKeyRecord, OwnerRecord } from '../db/records.js';

export interface CallerOriginRules {
  allowNativeClients: boolean;
  allowBrowser: boolean;
  /** Empty: any origin, when browser calls are allowed. */
  referrerHosts: string[];
}

export interface KeyPermissions {
  /** Normalised `algo://` whitelist entries. */
  algorithmAccess: string[];
  manageAlgorithms: boolean;
  manageAccount: boolean;
  dataAccess: DataAccess;
  callerOrigin: CallerOriginRules;
}

export interface Principal {
  keyId: string;
  keyKind: ApiKeyKind;
  ownerId: string;
  ownerKind: OwnerKind;
  ownerName: string;
  /** The user this key acts as; null for organization-owned keys, which act as the organization. */
  userId: string | null;
  /**
   * The organizations the key's user belongs to, as verified (empty for an organization's key):
   * whoever calls an organization's private algorithm is decided from it without a query, and
   * joining or leaving drops the cached verification like any change to the owner.
   */
  memberOf: readonly string[];
  permissions: KeyPermissions;
  /**
   * The key and its owner as verified, so `viewer` needs no further query (and the key's own
   * request budget is at hand). Cached with the verification and dropped with it on any change to
   * either (the auth-change trigger).
   */
  key: ApiKeyRecord;
  owner?: OwnerRecord;
}

/** Who made a change, for the audit trail: a request's key, or the operator at the console. */
export interface Actor {
  keyId: string | null;
  userId: string | null;
  via: 'api' | 'cli' | 'bootstrap';
}

export function actorOf(principal: Principal): Actor {
  return { keyId: principal.keyId, userId: principal.userId, via: 'api' };
}

/** The seed's defaults for a new key: it can call nothing and manage nothing (README, "API keys": new keys can do nothing until told). */
export const NEW_KEY_PERMISSIONS: KeyPermissions = {
  algorithmAccess: [],
  manageAlgorithms: false,
  manageAccount: false,
  dataAccess: 'NONE',
  callerOrigin: { allowNativeClients: true, allowBrowser: false, referrerHosts: [] },
};

/** Every user's `default-key` (README, "API keys"). */
export const DEFAULT_KEY_PERMISSIONS: KeyPermissions = {
  algorithmAccess: ['algo://*'],
  manageAlgorithms: true,
  manageAccount: true,
  dataAccess: 'READ_WRITE',
  callerOrigin: { allowNativeClients: true, allowBrowser: true, referrerHosts: [] },
};

export const DEFAULT_KEY_NAME = 'default-key';

/**
 * Admin keys carry no standard permissions. They may be used from a browser because GraphiQL, the
 * admin's console, is a browser page (same-origin requests still send `Origin`).
 */
export const ADMIN_KEY_PERMISSIONS: KeyPermissions = {
  ...NEW_KEY_PERMISSIONS,
  callerOrigin: { allowNativeClients: true, allowBrowser: true, referrerHosts: [] },
};

/** The permissions stored in an api_keys row, in the shape the rest of the code uses. */
export function permissionsOf(row: {
  algorithmAccess: string[];
  manageAlgorithms: boolean;
  manageAccount: boolean;
  dataAccess: DataAccess;
  allowNativeClients: boolean;
  allowBrowser: boolean;
  referrerHosts: string[];
}): KeyPermissions {
  return {
    algorithmAccess: row.algorithmAccess,
    manageAlgorithms: row.manageAlgorithms,
    manageAccount: row.manageAccount,
    dataAccess: row.dataAccess,
    callerOrigin: {
      allowNativeClients: row.allowNativeClients,
      allowBrowser: row.allowBrowser,
      referrerHosts: row.referrerHosts,
    },
  };
}
