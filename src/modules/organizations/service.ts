/**
 * Organizations: groups of users that own algorithms and keys under their own name. Names share the
 * owner namespace with usernames. Every organization has at least one OWNER, always.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { changingOwner, type KeyCache } from '../../auth/key-cache.js';
import { readsAccountData, type AdminActor } from '../../auth/permissions.js';
import type { Principal } from '../../auth/principal.js';
import { ServiceError, userError, type UserErrorData } from '../../core/errors.js';
import { boundedArgument, changesBetween, emailSchema, nameText, optionalName, parse } from '../../core/validation.js';
import { MAX_NAME_LENGTH, nameReference, ownerNameSchema, quoted } from '../../core/names.js';
import type { Db } from '../../db/connect.js';
import { memberRole, organizationType } from '../../db/enums.js';
import type { MemberRole, MembershipRecord, OrganizationRecord } from '../../db/records.js';
import { recordAudit } from '../audit/service.js';
import { retireOwner } from '../owners/service.js';
import {
  deleteMembership,
  deleteMembershipsIn,
  findMembership,
  findOrganizationById,
  insertMembership,
  insertMemberships,
  insertOrganization,
  lockOrganizationNamed,
  lockOwnerIds,
  roleOf,
  setMemberRole,
  updateOrganizationProfile,
  userIdsNamed,
} from './store.js';


// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Admins, and the organization's own keys and its members' keys that may read account data, see its
 * contacts and members. The caller's memberships are read only when the key alone does not decide.
 */
export async function seesInside(
  principal: Principal,
  organizationId: string,
  callerMemberships: () => Promise<readonly MembershipRecord[]>,
): Promise<boolean> {
  if (!readsAccountData(principal)) return false;
  if (principal.keyKind === 'ADMIN' || principal.ownerId === organizationId) return true;
  return (await callerMemberships()).some((m) => m.organizationId === organizationId);
}

/** The user's role in the organization, or null when not a member; a key without a user is a member of nothing. */
export async function roleIn(db: Db, organizationId: string, userId: string | null): Promise<MemberRole | null> {
  return userId === null ? null : roleOf(db, organizationId, userId);
}

// ---------------------------------------------------------------------------------------------
// Changes (admin plane)

const urlSchema = z
  .string()
  .trim()
  .max(2000, 'must be at most 2000 characters')
  .refine((value) => /^https?:\/\/[^\s]+$/i.test(value) && URL.canParse(value), 'must be an http:// or https:// URL');

const organizationFields = {
  label: nameText(100).min(1, 'is required'),
  contactName: optionalName(200),
  email: emailSchema.nullish(),
  url: urlSchema.nullish(),
  type: z.enum(organizationType.enumValues).nullish(),
};

export const createOrganizationSchema = z.object({
  name: ownerNameSchema,
  ...organizationFields,
  owners: z.array(nameReference).min(1, 'must name at least one owner (a username)').max(100, 'must name at most 100 owners'),
});

export const updateOrganizationSchema = z.object({
  organization: nameReference,
  ...organizationFields,
  label: organizationFields.label.nullish(),
});

/** Live users by username (case-insensitively); every name that is not one is a NOT_FOUND error. */
async function usersNamed(tx: Db, usernames: readonly string[], field: string): Promise<Map<string, string>> {
  const byName = await userIdsNamed(tx, usernames);
  const missing: UserErrorData[] = usernames
    .map((name, index) => ({ name, index }))
    .filter(({ name }) => !byName.has(name.toLowerCase()))
    .map(({ name, index }) => ({
      code: 'NOT_FOUND',
      field: usernames.length > 1 || field === 'owners' ? [field, String(index)] : [field],
      message: `${field}${field === 'owners' ? `.${index}` : ''}: no user ${quoted(name)}`,
    }));
  if (missing.length > 0) throw new ServiceError(missing);
  return byName;
}

/** A live organization by name, row-locked; NOT_FOUND naming `field` otherwise. */
export async function organizationNamed(tx: Db, name: string, field = 'organization'): Promise<OrganizationRecord> {
  const found = await lockOrganizationNamed(tx, boundedArgument(field, name, MAX_NAME_LENGTH));
  if (!found) throw userError('NOT_FOUND', `${field}: no organization ${quoted(name)}`, [field]);
  return found;
}

/**
 * Runs a change to memberships, then drops the cached verifications of the users it touched (their
 * keys carry their memberships); the database's NOTIFY tells the other instances.
 */
async function changingMemberships<T>(keys: KeyCache, change: () => Promise<{ result: T; userIds: Iterable<string> }>): Promise<T> {
  const { result, userIds } = await change();
  for (const userId of userIds) keys.forgetOwner(userId);
  return result;
}

export async function createOrganization(
  db: Db,
  actor: AdminActor,
  input: z.input<typeof createOrganizationSchema>,
  keys: KeyCache,
): Promise<{ organization: OrganizationRecord }> {
  const data = parse(createOrganizationSchema, input);
  return changingMemberships(keys, () => db.transaction(async (tx) => {
    const ownerIds = await usersNamed(tx, data.owners, 'owners');
    const id = randomUUID();
    const refused = await insertOrganization(tx, id, data.name, {
      label: data.label,
      contactName: data.contactName,
      email: data.email ?? null,
      url: data.url ?? null,
      type: data.type ?? 'BASIC',
    });
    if (refused) throw userError('TAKEN', `name: ${quoted(data.name)} is taken`, ['name']);
    await insertMemberships(tx, id, [...new Set(ownerIds.values())], 'OWNER');
    await recordAudit(tx, actor, 'ORGANIZATION_CREATED', { type: 'ORGANIZATION', id }, {
      name: data.name,
      owners: [...ownerIds.values()],
    });
    return { result: { organization: (await findOrganizationById(tx, id))! }, userIds: ownerIds.values() };
  }));
}

export async function updateOrganization(
  db: Db,
  actor: AdminActor,
  input: z.input<typeof updateOrganizationSchema>,
  keys: KeyCache,
): Promise<{ organization: OrganizationRecord }> {
  const data = parse(updateOrganizationSchema, input);
  // Cached verifications carry the profile (viewer.owner).
  return changingOwner(keys, () => db.transaction(async (tx) => {
    const current = await organizationNamed(tx, data.organization);
    const next = {
      label: data.label ?? current.label,
      contactName: data.contactName === undefined ? current.contactName : data.contactName,
      email: data.email === undefined ? current.email : data.email,
      url: data.url === undefined ? current.url : data.url,
      type: data.type ?? current.type,
    };
    const changes = changesBetween(current, next);
    if (Object.keys(changes).length === 0) return { organization: current };
    await updateOrganizationProfile(tx, current.id, next);
    await recordAudit(tx, actor, 'ORGANIZATION_UPDATED', { type: 'ORGANIZATION', id: current.id }, { changes });
    return { organization: { ...current, ...next } };
  }), (result) => result.organization.id);
}

/**
 * Deletes an organization: its keys are revoked, its memberships and private algorithms removed,
 * its name kept so it is never reissued. Refused while it has an algorithm with a PUBLIC version.
 */
export async function deleteOrganization(
  db: Db,
  actor: AdminActor,
  input: { organization: string },
  keys: KeyCache,
): Promise<{ deletedOrganizationId: string }> {
  return changingOwner(keys, () => db.transaction(async (tx) => {
    const organization = await organizationNamed(tx, input.organization);
    await retireOwner(tx, organization.id, 'organization');
    await deleteMembershipsIn(tx, organization.id);
    await recordAudit(tx, actor, 'ORGANIZATION_DELETED', { type: 'ORGANIZATION', id: organization.id }, { name: organization.name });
    return { deletedOrganizationId: organization.id };
  }), (result) => result.deletedOrganizationId);
}

const roleSchema = z.enum(memberRole.enumValues);

/**
 * Adds a user to an organization in `role`. A user who is already a member is refused, unless
 * `ifMember` is 'keep': then nothing changes, and `added: false` says so (Algorithmia's REST PUT
 * answers 200 "already a member" instead of 201).
 */
export async function addOrganizationMember(
  db: Db,
  actor: AdminActor,
  input: { organization: string; username: string; role: MemberRole; ifMember?: 'refuse' | 'keep' },
  keys: KeyCache,
): Promise<{ organization: OrganizationRecord; membership: MembershipRecord; added: boolean }> {
  const role = parse(roleSchema, input.role);
  return changingMemberships<{ organization: OrganizationRecord; membership: MembershipRecord; added: boolean }>(keys, () => db.transaction(async (tx) => {
    const organization = await organizationNamed(tx, input.organization);
    const username = boundedArgument('username', input.username, MAX_NAME_LENGTH);
    const userId = (await usersNamed(tx, [username], 'username')).get(username.toLowerCase())!;
    const existing = await findMembership(tx, organization.id, userId);
    if (existing) {
      if (input.ifMember === 'keep') return { result: { organization, membership: existing, added: false }, userIds: [] };
      throw userError('CONFLICT', `username: ${quoted(input.username)} is already a member (use setOrganizationMemberRole)`, ['username']);
    }
    const membership = await insertMembership(tx, organization.id, userId, role);
    await recordAudit(tx, actor, 'ORGANIZATION_MEMBER_ADDED', { type: 'ORGANIZATION', id: organization.id }, { userId, role });
    return { result: { organization, membership, added: true }, userIds: [userId] };
  }));
}

/** The user's id and role in the organization; NOT_FOUND naming `username` when no such user, or not a member. */
export async function memberOf(tx: Db, organization: OrganizationRecord, username: string): Promise<{ userId: string; role: MemberRole }> {
  const userId = (await usersNamed(tx, [boundedArgument('username', username, MAX_NAME_LENGTH)], 'username')).get(username.toLowerCase())!;
  const role = await roleIn(tx, organization.id, userId);
  if (!role) throw userError('NOT_FOUND', `username: ${quoted(username)} is not a member of ${organization.name}`, ['username']);
  return { userId, role };
}

/** The owners are read row-locked (`lockOwnerIds`) so two changes cannot both remove "the other" owner. */
function refuseLastOwner(ownerIds: string[], userId: string, organization: OrganizationRecord): void {
  if (ownerIds.length === 1 && ownerIds[0] === userId) {
    throw userError('CONFLICT', `username: is the last owner of ${organization.name}; make another member an owner first`, ['username']);
  }
}

export async function removeOrganizationMember(
  db: Db,
  actor: AdminActor,
  input: { organization: string; username: string },
  keys: KeyCache,
): Promise<{ organization: OrganizationRecord }> {
  return changingMemberships(keys, () => db.transaction(async (tx) => {
    const organization = await organizationNamed(tx, input.organization);
    const { userId, role } = await memberOf(tx, organization, input.username);
    if (role === 'OWNER') refuseLastOwner(await lockOwnerIds(tx, organization.id), userId, organization);
    await deleteMembership(tx, organization.id, userId);
    await recordAudit(tx, actor, 'ORGANIZATION_MEMBER_REMOVED', { type: 'ORGANIZATION', id: organization.id }, { userId, role });
    return { result: { organization }, userIds: [userId] };
  }));
}

export async function setOrganizationMemberRole(
  db: Db,
  actor: AdminActor,
  input: { organization: string; username: string; role: MemberRole },
): Promise<{ organization: OrganizationRecord; membership: MembershipRecord }> {
  const role = parse(roleSchema, input.role);
  return db.transaction(async (tx) => {
    const organization = await organizationNamed(tx, input.organization);
    const member = await memberOf(tx, organization, input.username);
    if (member.role === 'OWNER' && role === 'MEMBER') refuseLastOwner(await lockOwnerIds(tx, organization.id), member.userId, organization);
    const membership = await setMemberRole(tx, organization.id, member.userId, role);
    if (member.role !== role) {
      await recordAudit(tx, actor, 'ORGANIZATION_MEMBER_ROLE_CHANGED', { type: 'ORGANIZATION', id: organization.id }, {
        userId: member.userId,
        changes: { role: { from: member.role, to: role } },
      });
    }
    return { organization, membership };
  });
}
