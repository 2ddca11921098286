/**
 * Users: creation (with the `default-key` every user gets), changes and deletion, and the rules
 * around them. A user's username lives in the shared owner namespace, so it can never collide with
 * an organization's name, and is never reissued.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { changingOwner, type KeyCache } from '../../auth/key-cache.js';
import { announceNewOwner } from '../../auth/verify.js';
import { readsAccountData, type AdminActor } from '../../auth/permissions.js';
import { DEFAULT_KEY_NAME, DEFAULT_KEY_PERMISSIONS, type Principal } from '../../auth/principal.js';
import { ServiceError, userError, type UserErrorData } from '../../core/errors.js';
import { MAX_NAME_LENGTH, nameReference, ownerNameSchema, quoted } from '../../core/names.js';
import { boundedArgument, changesBetween, emailSchema, optionalName, parse } from '../../core/validation.js';
import type { Db } from '../../db/connect.js';
import type { ApiKeyRecord, UserRecord } from '../../db/records.js';
import { issueApiKey, revokeAdminApiKeysOf } from '../api-keys/service.js';
import { recordAudit } from '../audit/service.js';
import { organizationsOnlyOwnedBy } from '../organizations/store.js';
import { retireOwner } from '../owners/service.js';
import { countLiveAdministrators, deleteMembershipsOf, insertUser, lockUserNamed, takenNames, updateUserProfile, type Taken } from './store.js';

/** A user's email, administrator standing and memberships are shown to admins, and to the user's own keys that may read account data. */
export function seesPrivateFields(principal: Principal, userId: string): boolean {
  return readsAccountData(principal) && (principal.keyKind === 'ADMIN' || principal.userId === userId);
}

/** The free-text profile, bounded as Algorithmia bounded it (a company name up to 100 characters, a role up to 200). */
const profileFields = {
  fullName: optionalName(200),
  companyName: optionalName(100),
  companyRole: optionalName(200),
};

export const createUserSchema = z.object({
  username: ownerNameSchema,
  email: emailSchema,
  ...profileFields,
  isAdmin: z.boolean().nullish().transform((v) => v ?? false),
});
export type CreateUserInput = z.input<typeof createUserSchema>;


const TAKEN_MESSAGES: Record<Taken, UserErrorData> = {
  username: { code: 'TAKEN', field: ['username'], message: 'username: is taken' },
  email: { code: 'TAKEN', field: ['email'], message: 'email: already used by another account' },
};

const taken = (what: Taken, username: string): UserErrorData =>
  what === 'username' ? { ...TAKEN_MESSAGES.username, message: `username: "${username}" is taken` } : TAKEN_MESSAGES.email;

/**
 * Creates a user and its `default-key`. Returns the key's secret, which is shown once and never
 * stored. Name and email are checked up front so a caller sees every problem at once; the unique
 * indexes still decide races.
 */
export async function createUser(
  db: Db,
  actor: AdminActor,
  input: CreateUserInput,
): Promise<{ user: UserRecord; defaultKey: ApiKeyRecord; secret: string }> {
  const data = parse(createUserSchema, input);

  return db.transaction(async (tx) => {
    const inUse = await takenNames(tx, data.username, data.email);
    const problems = (['username', 'email'] as const).filter((what) => inUse[what]).map((what) => taken(what, data.username));
    if (problems.length > 0) throw new ServiceError(problems);

    const id = randomUUID();
    const { username, email, isAdmin } = data;
    const profile = { email, isAdmin, fullName: data.fullName ?? null, companyName: data.companyName ?? null, companyRole: data.companyRole ?? null };
    const user = await insertUser(tx, id, username, profile);
    if (typeof user === 'string') throw new ServiceError([taken(user, username)]);
    await recordAudit(tx, actor, 'USER_CREATED', { type: 'USER', id }, { username, isAdmin: data.isAdmin });
    await announceNewOwner(tx, id);
    const { apiKey, secret } = await issueApiKey(tx, actor, {
      ownerId: id,
      createdByUserId: actor.userId ?? id,
      name: DEFAULT_KEY_NAME,
      kind: 'STANDARD',
      permissions: DEFAULT_KEY_PERMISSIONS,
    });
    return { user, defaultKey: apiKey, secret };
  });
}

export const updateUserSchema = z.object({
  username: nameReference,
  email: emailSchema.nullish(),
  ...profileFields,
  isAdmin: z.boolean().nullish(),
});

/** A live user by username, row-locked; NOT_FOUND otherwise. */
async function userNamed(tx: Db, username: string): Promise<UserRecord> {
  const found = await lockUserNamed(tx, boundedArgument('username', username, MAX_NAME_LENGTH));
  if (!found) throw userError('NOT_FOUND', `username: no user ${quoted(username)}`, ['username']);
  return found;
}

/** Someone must be left to administer the cluster. */
async function refuseLastAdmin(tx: Db, user: UserRecord, doing: string): Promise<void> {
  if (!user.isAdmin) return;
  if ((await countLiveAdministrators(tx)) <= 1) {
    throw userError('CONFLICT', `username: "${user.username}" is the last cluster administrator; cannot ${doing}`, ['username']);
  }
}

/** Changes only the fields given. The username never changes; emails stay unique. */
export async function updateUser(db: Db, actor: AdminActor, input: z.input<typeof updateUserSchema>, keys: KeyCache): Promise<{ user: UserRecord }> {
  const data = parse(updateUserSchema, input);
  // Cached verifications carry the profile (viewer.user) and admin standing; a demoted user's admin keys are deleted.
  return changingOwner(keys, () => db.transaction(async (tx) => {
    const user = await userNamed(tx, data.username);
    const next = {
      email: data.email ?? user.email,
      fullName: data.fullName === undefined ? user.fullName : data.fullName,
      companyName: data.companyName === undefined ? user.companyName : data.companyName,
      companyRole: data.companyRole === undefined ? user.companyRole : data.companyRole,
      isAdmin: data.isAdmin ?? user.isAdmin,
    };
    if (user.isAdmin && !next.isAdmin) await refuseLastAdmin(tx, user, 'remove the last administrator');
    const changes = changesBetween(user, next);
    if (Object.keys(changes).length === 0) return { user };
    const refused = await updateUserProfile(tx, user.id, next);
    if (refused) throw new ServiceError([taken(refused, user.username)]);
    // Emails are personal data: the trail says that it changed, not what to.
    if (changes.email) changes.email = { from: '[redacted]', to: '[redacted]' };
    await recordAudit(tx, actor, 'USER_UPDATED', { type: 'USER', id: user.id }, { username: user.username, changes });
    if (user.isAdmin && !next.isAdmin) await revokeAdminApiKeysOf(tx, actor, user.id);
    return { user: { ...user, ...next } };
  }), (result) => result.user.id);
}

/**
 * Deletes a user: its keys are revoked, its memberships and private algorithms removed, its name and
 * email kept so they are never reissued. Refused while it owns an algorithm with a PUBLIC version,
 * is the last owner of an organization, or is the last cluster administrator.
 */
export async function deleteUser(db: Db, actor: AdminActor, input: { username: string }, keys: KeyCache): Promise<{ deletedUserId: string }> {
  return changingOwner(keys, () => db.transaction(async (tx) => {
    const user = await userNamed(tx, input.username);
    await refuseLastAdmin(tx, user, 'delete the last administrator');
    const orphaned = await organizationsOnlyOwnedBy(tx, user.id);
    if (orphaned.length > 0) {
      throw userError('CONFLICT', `username: is the last owner of ${orphaned.join(', ')}; make another member an owner first`, [
        'username',
      ]);
    }
    await retireOwner(tx, user.id, 'user');
    await deleteMembershipsOf(tx, user.id);
    await recordAudit(tx, actor, 'USER_DELETED', { type: 'USER', id: user.id }, { username: user.username });
    return { deletedUserId: user.id };
  }), (result) => result.deletedUserId);
}
