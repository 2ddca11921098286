/**
 * API keys: issuing, shaping, rolling and revoking them, and who may do which to whom.
 *
 * Secrets exist in the clear only in the return value of issue/roll; the database keeps SHA-256
 * hashes. Every change is audited in the same transaction as the change. No escalation (README, "API keys"): a key may
 * only shape keys within its own permissions, and only touch keys no more powerful than itself.
 */
import { z } from 'zod';
import type { ApiKeyRecord } from '../../db/records.js';
import { changingKey, type KeyCache } from '../../auth/key-cache.js';
import { readsAccountData, requirePermission, type AdminActor } from '../../auth/permissions.js';
import { describeAcl, parseAcl } from '../../auth/acl.js';
import { generateApiKey, hashApiKey, maskApiKey } from '../../auth/api-key.js';
import type { ApiKeyKind, OwnerKind } from '../../db/enums.js';
import { excessOver, grantExcess, type KeyGrant, type KeyPowers } from '../../auth/escalation.js';
import { parseHostPattern } from '../../auth/origin.js';
import {
  ADMIN_KEY_PERMISSIONS,
  actorOf,
  NEW_KEY_PERMISSIONS,
  permissionsOf,
  type Actor,
  type KeyPermissions,
  type Principal,
} from '../../auth/principal.js';
import type { Db } from '../../db/connect.js';
import { dataAccess } from '../../db/enums.js';
import { ServiceError, userError, type UserErrorData } from '../../core/errors.js';
import { boundedArgument, changesBetween, nameText, parse } from '../../core/validation.js';
import { isUuid } from '../../core/ids.js';
import { isoDay, utcDayOf } from '../../core/days.js';
import { MAX_NAME_LENGTH, nameReference, quoted } from '../../core/names.js';
import { limits, refuseOverQuota, type Limits } from '../../core/limits.js';
import type { Page, PageArgs } from '../../core/pagination.js';
import { recordAudit } from '../audit/service.js';
import { memberOf, organizationNamed, roleIn } from '../organizations/service.js';
import { findOrganizationByName, ownedOrganizations } from '../organizations/store.js';
import { lockOwner } from '../owners/store.js';
import { findUsersByIds, lockUserNamed } from '../users/store.js';
import {
  countStandardKeysOf,
  deleteAdminApiKey,
  deleteAdminApiKeysOf,
  deleteApiKey,
  deleteUsageBefore,
  endSecrets,
  findApiKey,
  findLiveOwnerNamed,
  findLiveUserNamed,
  findOwnerKind,
  insertApiKey,
  insertSecret,
  lockApiKey,
  setApiKeyMask,
  setRateLimitPerMinute,
  standardKeysOf,
  updateApiKeySettings,
  usageOfKeys,
} from './store.js';

export const MAX_GRACE_PERIOD_SECONDS = 24 * 60 * 60;

export const keyNameSchema = nameText(64).min(1, 'must not be empty');

export type CreateApiKeyInput = KeySettingsInput & {
  name: string;
  /** Username or organization name; default the calling key's owner. */
  owner?: string | null;
};

export type UpdateApiKeyInput = KeySettingsInput & {
  id: string;
  disabled?: boolean | null;
};

export interface KeyChangeResult {
  apiKey: ApiKeyRecord;
  warnings: UserErrorData[];
}

// ---------------------------------------------------------------------------------------------
// Issuing

export interface IssueKeyInput {
  ownerId: string;
  createdByUserId: string | null;
  name: string;
  kind: ApiKeyKind;
  permissions: KeyPermissions;
  expiresAt?: Date | null;
}

/**
 * Creates a key and its first secret. Every path that adds a key comes here (rolls add none), so
 * the owner's quota of standard keys is kept here. Admin keys, which only administrators mint for
 * administrators, are outside it (the bootstrap's admin needs two keys whatever the quota), and
 * gain no throughput: they share their owner's request budget. Returns the secret: the only time
 * it exists in the clear.
 */
export async function issueApiKey(tx: Db, actor: Actor, input: IssueKeyInput): Promise<{ apiKey: ApiKeyRecord; secret: string }> {
  if (input.kind === 'STANDARD') {
    await lockOwner(tx, input.ownerId);
    refuseOverQuota('keysPerOwner', await countStandardKeysOf(tx, input.ownerId));
  }
  const secret = generateApiKey(input.kind);
  const { callerOrigin, ...flags } = input.permissions;
  const apiKey = await insertApiKey(tx, {
    ownerId: input.ownerId,
    createdByUserId: input.createdByUserId,
    name: input.name,
    kind: input.kind,
    mask: maskApiKey(secret),
    expiresAt: input.expiresAt ?? null,
    ...flags,
    ...callerOrigin,
  });
  if (typeof apiKey === 'string') throw nameTaken(input.name);
  await insertSecret(tx, apiKey.id, hashApiKey(secret));
  await recordAudit(tx, actor, 'API_KEY_CREATED', { type: 'API_KEY', id: apiKey.id }, {
    name: input.name,
    kind: input.kind,
    ownerId: input.ownerId,
    expiresAt: input.expiresAt ?? null,
    ...(input.kind === 'STANDARD' ? { permissions: input.permissions } : {}),
  });
  return { apiKey, secret };
}

const nameTaken = (name: string): ServiceError => userError('TAKEN', `name: this owner already has a key named ${quoted(name)}`, ['name']);

// ---------------------------------------------------------------------------------------------
// Validation

/** Hosts in one key's `callerOrigin.referrerHosts`: each is compared with every host of a caller's key. */
export const MAX_REFERRER_HOSTS = 100;

/**
 * Every key setting a caller may give, checked all at once (each broken rule is one INVALID error
 * naming its field); absent and null fields keep their value, except `expiresAt`, where null removes it.
 * The whitelist's cap is the operator's (`limits().aclEntries`), so the schema is built for it;
 * lists are counted before their entries are read.
 */
const keySettingsSchemaFor = (maxAclEntries: number) => z.object({
  name: keyNameSchema.nullish(),
  algorithmAccess: z
    .array(z.string())
    .max(maxAclEntries, `must be at most ${maxAclEntries} entries`)
    .nullish()
    .transform((entries, ctx) => {
      if (!entries) return undefined;
      const acl = parseAcl(entries);
      for (const problem of acl.errors) ctx.addIssue({ code: 'custom', message: problem.message, path: [problem.index] });
      return acl;
    }),
  callerOrigin: z
    .object({
      allowNativeClients: z.boolean().nullish(),
      allowBrowser: z.boolean().nullish(),
      referrerHosts: z
        .array(z.string())
        .max(MAX_REFERRER_HOSTS, `must be at most ${MAX_REFERRER_HOSTS} entries`)
        .nullish()
        .transform((patterns, ctx) => {
          if (!patterns) return undefined;
          const hosts: string[] = [];
          patterns.forEach((pattern, index) => {
            const parsed = parseHostPattern(pattern);
            if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error, path: [index] });
            else if (!hosts.includes(parsed.host)) hosts.push(parsed.host);
          });
          return hosts;
        }),
    })
    .nullish(),
  expiresAt: z
    .date()
    .nullish()
    .refine((date) => date === null || date === undefined || date > new Date(), 'must be in the future'),
  manageAlgorithms: z.boolean().nullish(),
  manageAccount: z.boolean().nullish(),
  dataAccess: z.enum(dataAccess.enumValues).nullish(),
});

const keySettingsSchemas = new WeakMap<Readonly<Limits>, ReturnType<typeof keySettingsSchemaFor>>();

function keySettingsSchema(): ReturnType<typeof keySettingsSchemaFor> {
  const current = limits();
  let schema = keySettingsSchemas.get(current);
  if (!schema) keySettingsSchemas.set(current, (schema = keySettingsSchemaFor(current.aclEntries)));
  return schema;
}

/** What a caller may say about a standard key; absent fields keep their default (or, on update, their value). */
export type KeySettingsInput = z.input<ReturnType<typeof keySettingsSchemaFor>>;

/**
 * Applies `input` over `base`. Returns the resulting settings and warnings (redundant whitelist
 * entries, hosts that cannot apply), or throws every INVALID error.
 */
function applySettings(
  base: { name: string; permissions: KeyPermissions; expiresAt: Date | null },
  input: KeySettingsInput,
): { name: string; permissions: KeyPermissions; expiresAt: Date | null; warnings: UserErrorData[]; aclInputIndexes?: number[] } {
  const data = parse(keySettingsSchema(), input);
  const warnings: UserErrorData[] = (data.algorithmAccess?.redundant ?? []).map((redundant) => ({
    code: 'REDUNDANT',
    field: ['algorithmAccess', String(redundant.index)],
    message: `algorithmAccess.${redundant.index}: ${redundant.entry} has no effect: ${redundant.coveredBy} already covers it`,
  }));

  const origin = { ...base.permissions.callerOrigin };
  if (data.callerOrigin) {
    origin.allowNativeClients = data.callerOrigin.allowNativeClients ?? origin.allowNativeClients;
    origin.allowBrowser = data.callerOrigin.allowBrowser ?? origin.allowBrowser;
    origin.referrerHosts = data.callerOrigin.referrerHosts ?? origin.referrerHosts;
  }
  if (!origin.allowBrowser && origin.referrerHosts.length > 0) {
    warnings.push({
      code: 'NO_EFFECT',
      field: ['callerOrigin', 'referrerHosts'],
      message: 'callerOrigin.referrerHosts: has no effect while allowBrowser is false',
    });
  }
  if (!origin.allowBrowser && !origin.allowNativeClients) {
    warnings.push({
      code: 'NO_EFFECT',
      field: ['callerOrigin'],
      message: 'callerOrigin: allows neither native clients nor browsers, so the key cannot be used',
    });
  }

  return {
    name: data.name ?? base.name,
    expiresAt: data.expiresAt === undefined ? base.expiresAt : data.expiresAt,
    warnings,
    aclInputIndexes: data.algorithmAccess?.inputIndexes,
    permissions: {
      algorithmAccess: data.algorithmAccess?.entries ?? base.permissions.algorithmAccess,
      manageAlgorithms: data.manageAlgorithms ?? base.permissions.manageAlgorithms,
      manageAccount: data.manageAccount ?? base.permissions.manageAccount,
      dataAccess: data.dataAccess ?? base.permissions.dataAccess,
      callerOrigin: origin,
    },
  };
}

/** Refuses a change that grants the key more than the caller holds (auth/escalation.ts), naming the input's fields. */
function refuseGrant(grant: KeyGrant, caller: KeyPowers, aclInputIndexes?: number[]): void {
  const excess = grantExcess(grant, caller, (index) => aclInputIndexes?.[index] ?? index);
  if (excess.length > 0) throw new ServiceError(excess.map((e) => ({ code: 'FORBIDDEN', ...e })));
}

// ---------------------------------------------------------------------------------------------
// Who may manage what

interface ManagedOwner {
  id: string;
  name: string;
  kind: OwnerKind;
}

/**
 * The owner whose keys the caller names: its own owner by default, or (by name) its own owner or an
 * organization its user owns. Anything else does not exist as far as the caller is concerned.
 */
async function resolveManagedOwner(tx: Db, principal: Principal, name: string | null | undefined): Promise<ManagedOwner> {
  if (name === undefined || name === null) {
    return { id: principal.ownerId, name: principal.ownerName, kind: principal.ownerKind };
  }
  const owner = await findLiveOwnerNamed(tx, boundedArgument('owner', name, MAX_NAME_LENGTH));
  if (owner && (await managesOwner(tx, principal, owner))) return owner;
  throw userError('NOT_FOUND', `owner: no user or organization ${quoted(name)} whose keys this key may manage`, ['owner']);
}

async function managesOwner(tx: Db, principal: Principal, owner: { id: string; kind: OwnerKind }): Promise<boolean> {
  if (owner.id === principal.ownerId) return true;
  return owner.kind === 'ORGANIZATION' && (await roleIn(tx, owner.id, principal.userId)) === 'OWNER';
}

const powersOf = (key: ApiKeyRecord): KeyPowers => ({ ...permissionsOf(key), expiresAt: key.expiresAt });

/** The calling key as stored now (not as cached), for comparisons. */
async function callerPowers(tx: Db, principal: Principal): Promise<KeyPowers> {
  const key = await findApiKey(tx, principal.keyId);
  if (!key) throw userError('FORBIDDEN', 'the calling key no longer exists');
  return powersOf(key);
}

/**
 * A standard key the caller may change: one of a managed owner's, and no more powerful than the
 * caller (unless it is the caller itself). With `handsOutSecret` (rolling), the key must also fit
 * the no-escalation rule as a new key would, expiry included: the caller receives its new secret.
 * Row-locked for the transaction.
 */
async function managedKey(tx: Db, principal: Principal, id: string, caller: KeyPowers, handsOutSecret = false): Promise<ApiKeyRecord> {
  const notFound = userError('NOT_FOUND', 'id: no such API key', ['id']);
  if (!isUuid(id)) throw notFound;
  const key = await lockApiKey(tx, id);
  if (!key) throw notFound;
  const owner = await findOwnerKind(tx, key.ownerId);
  if (!owner || !(await managesOwner(tx, principal, owner))) throw notFound;
  if (key.kind === 'ADMIN') {
    throw userError('FORBIDDEN', 'id: admin keys are managed with admin keys (revokeAdminApiKey)', ['id']);
  }
  if (key.id !== principal.keyId) {
    const powers = powersOf(key);
    const excess = handsOutSecret ? grantExcess({ after: powers, before: null }, caller) : excessOver(powers, caller, false);
    if (excess.length > 0) {
      const fields = [...new Set(excess.map((e) => e.field[0]))].join(', ');
      throw userError('FORBIDDEN', `id: this key has permissions the calling key lacks (${fields})`, ['id']);
    }
  }
  return key;
}

// ---------------------------------------------------------------------------------------------
// Standard plane

export async function createApiKey(
  db: Db,
  principal: Principal,
  input: CreateApiKeyInput,
): Promise<KeyChangeResult & { secret: string }> {
  requirePermission(principal, 'createApiKey', 'manageAccount');
  const settings = applySettings({ name: '', permissions: NEW_KEY_PERMISSIONS, expiresAt: null }, input);
  return db.transaction(async (tx) => {
    const owner = await resolveManagedOwner(tx, principal, input.owner);
    refuseGrant(
      { after: { ...settings.permissions, expiresAt: settings.expiresAt }, before: null },
      await callerPowers(tx, principal),
      settings.aclInputIndexes,
    );
    const { apiKey, secret } = await issueApiKey(tx, actorOf(principal), {
      ownerId: owner.id,
      createdByUserId: principal.userId,
      name: settings.name,
      kind: 'STANDARD',
      permissions: settings.permissions,
      expiresAt: settings.expiresAt,
    });
    return { apiKey, secret, warnings: settings.warnings };
  });
}

export async function updateApiKey(db: Db, principal: Principal, input: UpdateApiKeyInput, keys: KeyCache): Promise<KeyChangeResult> {
  requirePermission(principal, 'updateApiKey', 'manageAccount');
  return changingKey(keys, input.id, () => db.transaction(async (tx) => {
    const caller = await callerPowers(tx, principal);
    const key = await managedKey(tx, principal, input.id, caller);
    const next = applySettings({ name: key.name, permissions: permissionsOf(key), expiresAt: key.expiresAt }, input);
    const disabled = input.disabled ?? key.disabled;
    refuseGrant(
      { after: { ...next.permissions, expiresAt: next.expiresAt }, before: powersOf(key), enables: key.disabled && !disabled },
      caller,
      next.aclInputIndexes,
    );

    const { callerOrigin, ...flags } = next.permissions;
    const values = {
      name: next.name,
      expiresAt: next.expiresAt,
      disabled,
      ...flags,
      ...callerOrigin,
    };
    const changes = changesBetween(key, values);
    if (Object.keys(changes).length === 0) return { apiKey: key, warnings: next.warnings };

    const updated = await updateApiKeySettings(tx, key.id, values);
    if (typeof updated === 'string') throw nameTaken(next.name);
    await recordAudit(tx, actorOf(principal), 'API_KEY_UPDATED', { type: 'API_KEY', id: key.id }, {
      name: key.name,
      kind: key.kind,
      ownerId: key.ownerId,
      changes,
    });
    return { apiKey: updated, warnings: next.warnings };
  }));
}

/** Deletes a key and its secrets: every secret stops working at once, everywhere. */
export async function revokeApiKey(db: Db, principal: Principal, input: { id: string }, keys: KeyCache): Promise<{ revokedApiKeyId: string }> {
  requirePermission(principal, 'revokeApiKey', 'manageAccount');
  return changingKey(keys, input.id, () => db.transaction(async (tx) => {
    const key = await managedKey(tx, principal, input.id, await callerPowers(tx, principal));
    await deleteApiKey(tx, key.id);
    await recordAudit(tx, actorOf(principal), 'API_KEY_REVOKED', { type: 'API_KEY', id: key.id }, {
      name: key.name,
      kind: key.kind,
      ownerId: key.ownerId,
    });
    return { revokedApiKeyId: key.id };
  }));
}

/** One rule, so a value that is both fractional and out of range is one error, as it always was. */
const wholeNumberFrom = (min: number, max: number, message: string) =>
  z.number().refine((value) => Number.isInteger(value) && value >= min && value <= max, message);

const rollSchema = z.object({
  gracePeriodSeconds: wholeNumberFrom(0, MAX_GRACE_PERIOD_SECONDS, `must be a whole number from 0 to ${MAX_GRACE_PERIOD_SECONDS} (24 h)`),
});

/**
 * Gives a key a new secret. The old one keeps working for the grace period (0 s to 24 h: a
 * deployment's time to switch), then stops; any secret still in grace from an earlier roll stops
 * at once, so at most two secrets work at a time.
 */
export async function rollApiKey(
  db: Db,
  principal: Principal,
  input: { id: string; gracePeriodSeconds: number },
  keys: KeyCache,
): Promise<KeyChangeResult & { secret: string }> {
  requirePermission(principal, 'rollApiKey', 'manageAccount');
  const { gracePeriodSeconds: grace } = parse(rollSchema, input);
  return changingKey(keys, input.id, () => db.transaction(async (tx) => {
    const key = await managedKey(tx, principal, input.id, await callerPowers(tx, principal), true);
    const now = new Date();
    const oldSecretsEnd = new Date(now.getTime() + grace * 1000);
    await endSecrets(tx, key.id, oldSecretsEnd);
    const secret = generateApiKey(key.kind);
    await insertSecret(tx, key.id, hashApiKey(secret));
    const updated = await setApiKeyMask(tx, key.id, maskApiKey(secret), now);
    await recordAudit(tx, actorOf(principal), 'API_KEY_ROLLED', { type: 'API_KEY', id: key.id }, {
      name: key.name,
      kind: key.kind,
      ownerId: key.ownerId,
      gracePeriodSeconds: grace,
      previousSecretValidUntil: oldSecretsEnd.toISOString(),
    });
    return { apiKey: updated, secret, warnings: [] };
  }));
}

/** The standard keys of an owner the caller manages (default: its own owner), oldest first. */
export async function listApiKeys(
  db: Db,
  principal: Principal,
  args: PageArgs & { owner?: string | null },
): Promise<Page<ApiKeyRecord>> {
  requirePermission(principal, 'apiKeys', 'manageAccount');
  const owner = await resolveManagedOwner(db, principal, args.owner);
  return standardKeysOf(db, owner.id, args);
}

// ---------------------------------------------------------------------------------------------
// Admin plane

export const createAdminApiKeySchema = z.object({ username: nameReference, name: keyNameSchema });

/** Mints an admin key for a cluster administrator (the CLI, bootstrap and the admin plane use this). */
export async function createAdminApiKey(
  db: Db,
  actor: AdminActor,
  input: z.input<typeof createAdminApiKeySchema>,
): Promise<{ apiKey: ApiKeyRecord; secret: string }> {
  const { username, name } = parse(createAdminApiKeySchema, input);
  return db.transaction(async (tx) => {
    const user = await findLiveUserNamed(tx, username);
    if (!user) throw userError('NOT_FOUND', `username: no user ${quoted(username)}`, ['username']);
    if (!user.isAdmin) {
      throw userError('INVALID', `username: ${quoted(username)} is not a cluster administrator; only administrators hold admin keys`, ['username']);
    }
    return issueApiKey(tx, actor, {
      ownerId: user.id,
      createdByUserId: actor.userId ?? user.id,
      name,
      kind: 'ADMIN',
      permissions: ADMIN_KEY_PERMISSIONS,
    });
  });
}

/** A key as the admin plane shows it: with its owner, and the username of the user who made it (null when no live user did). */
export interface AdminKeyView {
  apiKey: ApiKeyRecord;
  owner: { name: string; kind: OwnerKind };
  createdBy: string | null;
}

async function adminViews(tx: Db, owner: AdminKeyView['owner'], keys: readonly ApiKeyRecord[]): Promise<AdminKeyView[]> {
  const creatorIds = [...new Set(keys.flatMap((key) => key.createdByUserId ?? []))];
  const names = new Map((await findUsersByIds(tx, creatorIds)).map((creator) => [creator.id, creator.username]));
  return keys.map((apiKey) => ({ apiKey, owner, createdBy: (apiKey.createdByUserId && names.get(apiKey.createdByUserId)) ?? null }));
}

export type IssueStandardKeyInput = KeySettingsInput & {
  name: string;
  /** The user who will own the key or, with `organization`, the member recorded as having made it. */
  username: string;
  /** The organization that will own the key; absent, the user owns it. */
  organization?: string | null;
};

/**
 * Issues a standard key for a user, or for an organization on behalf of one of its members: how an
 * admin restores access to an owner that has lost every key able to manage keys. The settings are
 * checked as createApiKey checks them and take the same defaults (manageAccount too: it is given
 * only when asked for). There is no escalation to refuse: the admin plane can already make a user
 * anew, full default-key included.
 */
export async function issueStandardApiKey(
  db: Db,
  actor: AdminActor,
  input: IssueStandardKeyInput,
): Promise<AdminKeyView & { secret: string; warnings: UserErrorData[] }> {
  const settings = applySettings({ name: '', permissions: NEW_KEY_PERMISSIONS, expiresAt: null }, input);
  return db.transaction(async (tx) => {
    // Row-locked, so the owner cannot be deleted (and its keys revoked) while its new key is written.
    let owner: AdminKeyView['owner'] & { id: string };
    let createdByUserId: string;
    if (input.organization === undefined || input.organization === null) {
      const user = await lockUserNamed(tx, boundedArgument('username', input.username, MAX_NAME_LENGTH));
      if (!user) throw userError('NOT_FOUND', `username: no user ${quoted(input.username)}`, ['username']);
      owner = { id: user.id, name: user.username, kind: 'USER' };
      // Made by the admin, as createUser's default-key is.
      createdByUserId = actor.userId ?? user.id;
    } else {
      const organization = await organizationNamed(tx, input.organization);
      createdByUserId = (await memberOf(tx, organization, input.username)).userId;
      owner = { id: organization.id, name: organization.name, kind: 'ORGANIZATION' };
    }
    const { apiKey, secret } = await issueApiKey(tx, actor, {
      ownerId: owner.id,
      createdByUserId,
      name: settings.name,
      kind: 'STANDARD',
      permissions: settings.permissions,
      expiresAt: settings.expiresAt,
    });
    const [view] = await adminViews(tx, { name: owner.name, kind: owner.kind }, [apiKey]);
    return { ...view!, secret, warnings: settings.warnings };
  });
}

/** At most this many of an organization's keys are listed at once on the admin plane. */
export const MAX_LISTED_KEYS = 100;

/** An organization's first MAX_LISTED_KEYS standard keys, oldest first. The actor is the proof of the admin check; a read records nothing. */
export async function organizationApiKeys(db: Db, _actor: AdminActor, input: { organization: string }): Promise<AdminKeyView[]> {
  const organization = await findOrganizationByName(db, boundedArgument('organization', input.organization, MAX_NAME_LENGTH));
  if (!organization) throw userError('NOT_FOUND', `organization: no organization ${quoted(input.organization)}`, ['organization']);
  const page = await standardKeysOf(db, organization.id, { first: MAX_LISTED_KEYS });
  return adminViews(db, { name: organization.name, kind: 'ORGANIZATION' }, page.edges.map((edge) => edge.node));
}

export const MAX_RATE_LIMIT_PER_MINUTE = 1_000_000;

const rateLimitSchema = z.object({
  requestsPerMinute: wholeNumberFrom(
    1,
    MAX_RATE_LIMIT_PER_MINUTE,
    `must be a whole number from 1 to ${MAX_RATE_LIMIT_PER_MINUTE}, or null for the default`,
  ).nullable(),
});

/** Admin plane: a key's own request budget per minute, or null for the server default. */
export async function setApiKeyRateLimit(
  db: Db,
  actor: AdminActor,
  input: { id: string; requestsPerMinute: number | null },
  keys: KeyCache,
): Promise<{ apiKey: ApiKeyRecord }> {
  const notFound = userError('NOT_FOUND', 'id: no such API key', ['id']);
  if (!isUuid(input.id)) throw notFound;
  const { requestsPerMinute: limit } = parse(rateLimitSchema, input);
  return changingKey(keys, input.id, () => db.transaction(async (tx) => {
    const before = await lockApiKey(tx, input.id);
    if (!before) throw notFound;
    const apiKey = await setRateLimitPerMinute(tx, input.id, limit);
    await recordAudit(tx, actor, 'API_KEY_RATE_LIMIT_SET', { type: 'API_KEY', id: input.id }, {
      name: before.name,
      ownerId: before.ownerId,
      changes: changesBetween(before, { rateLimitPerMinute: limit }),
    });
    return { apiKey };
  }));
}

/** Revokes an admin key (admin plane): a leaked admin key must be stoppable without database access. */
export async function revokeAdminApiKey(db: Db, actor: AdminActor, input: { id: string }, keys: KeyCache): Promise<{ revokedApiKeyId: string }> {
  const notFound = userError('NOT_FOUND', 'id: no such admin key', ['id']);
  if (!isUuid(input.id)) throw notFound;
  return changingKey(keys, input.id, () => db.transaction(async (tx) => {
    const key = await deleteAdminApiKey(tx, input.id);
    if (!key) throw notFound;
    await recordAudit(tx, actor, 'API_KEY_REVOKED', { type: 'API_KEY', id: key.id }, {
      name: key.name,
      kind: key.kind,
      ownerId: key.ownerId,
    });
    return { revokedApiKeyId: key.id };
  }));
}

/**
 * Deletes the admin keys of a user who stops being a cluster administrator, in the caller's
 * transaction, one audit event each. Deleted, not merely refused, so that promoting the user again
 * never brings an old secret back to life. The caller drops the owner's cached keys after commit.
 */
export async function revokeAdminApiKeysOf(tx: Db, actor: AdminActor, userId: string): Promise<void> {
  for (const key of await deleteAdminApiKeysOf(tx, userId)) {
    await recordAudit(tx, actor, 'API_KEY_REVOKED', { type: 'API_KEY', id: key.id }, {
      name: key.name,
      kind: key.kind,
      ownerId: key.ownerId,
      reason: 'the owner is no longer a cluster administrator',
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * The keys among `keys` the caller may see: admin keys see all. A standard key sees itself and,
 * when it may read account data (manageAccount), the standard keys of every owner it manages (the
 * same rule as for changing them). Admin keys never show on the standard plane.
 */
export async function visibleApiKeys(db: Db, principal: Principal, keys: readonly ApiKeyRecord[]): Promise<ApiKeyRecord[]> {
  if (principal.keyKind === 'ADMIN') return [...keys];
  const readsAccount = readsAccountData(principal);
  const managed = new Set([principal.ownerId]);
  const others = [...new Set(keys.map((key) => key.ownerId).filter((id) => id !== principal.ownerId))];
  if (readsAccount && others.length > 0 && principal.userId !== null) {
    for (const id of await ownedOrganizations(db, principal.userId, others)) managed.add(id);
  }
  return keys.filter((key) => key.kind === 'STANDARD' && (key.id === principal.keyId || (readsAccount && managed.has(key.ownerId))));
}

/** A stored whitelist with each entry's redundancy, for display. */
export function algorithmAccessOf(key: ApiKeyRecord) {
  return describeAcl(key.algorithmAccess);
}

// ---------------------------------------------------------------------------------------------
// Usage (recorded by auth/usage.ts)

/** UTC days of usage kept per key; the sweep deletes older ones. So also the most a read may ask for. */
export const USAGE_RETENTION_DAYS = 90;
/** UTC days of usage a read returns when it does not say. */
export const DEFAULT_USAGE_DAYS = 30;

/** A key's calls on one UTC day: allowed (`calls`) and refused. */
export interface KeyUsageDay {
  /** An ISO date. */
  day: string;
  calls: number;
  refused: number;
}

const usageSchema = z.object({
  days: wholeNumberFrom(1, USAGE_RETENTION_DAYS, `must be a whole number from 1 to ${USAGE_RETENTION_DAYS}`),
});

/** The first of the `days` UTC days that end today, as an ISO date. */
const firstOfDays = (days: number, now: number): string => isoDay(utcDayOf(now) - days + 1);

/**
 * The usage of the keys among `keys` the caller may see (the rule that shows keys, `visibleApiKeys`)
 * over the last `days` UTC days, today included: per key id, its days with counts, newest first.
 * Keys it may not see are absent. One statement for all the keys.
 */
export async function usageOfApiKeys(
  db: Db,
  principal: Principal,
  keys: readonly ApiKeyRecord[],
  days: number,
): Promise<Map<string, KeyUsageDay[]>> {
  const { days: window } = parse(usageSchema, { days });
  const visible = await visibleApiKeys(db, principal, keys);
  const usage = new Map(visible.map((key): [string, KeyUsageDay[]] => [key.id, []]));
  for (const { apiKeyId, ...day } of await usageOfKeys(db, [...usage.keys()], firstOfDays(window, Date.now()))) usage.get(apiKeyId)!.push(day);
  return usage;
}

/** One key's usage (see `usageOfApiKeys`); NOT_FOUND for a key the caller may not see. */
export async function apiKeyUsage(
  db: Db,
  principal: Principal,
  input: { id: string; days: number },
): Promise<{ apiKey: ApiKeyRecord; usage: KeyUsageDay[] }> {
  const { days } = parse(usageSchema, input);
  const notFound = userError('NOT_FOUND', 'id: no such API key', ['id']);
  const key = isUuid(input.id) ? await findApiKey(db, input.id) : undefined;
  if (!key) throw notFound;
  const usage = (await usageOfApiKeys(db, principal, [key], days)).get(key.id);
  if (!usage) throw notFound;
  return { apiKey: key, usage };
}

/** Deletes the usage of days past USAGE_RETENTION_DAYS (the app's periodic sweep). */
export async function deleteExpiredKeyUsage(db: Db, now = Date.now()): Promise<void> {
  await deleteUsageBefore(db, firstOfDays(USAGE_RETENTION_DAYS, now));
}
