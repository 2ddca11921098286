/**
 * Users: creation (with the `default-key` every user gets), lookup and listing. A user's username
 * lives in the shared owner namespace (owners), so it can never collide with an organization's name.
 */
import { randomUUID } from 'node:crypto';
import { and, count, eq, ilike, inArray, isNull, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { DEFAULT_KEY_NAME, DEFAULT_KEY_PERMISSIONS, type Actor, type Principal } from '../../auth/principal.js';
import type { Db } from '../../db/connect.js';
import { violatedUniqueConstraint } from '../../db/errors.js';
import { organizationMembers, owners, users } from '../../db/schema.js';
import { ServiceError, userError, type UserErrorData } from '../../core/errors.js';
import { changesBetween, emailSchema, optionalText, parse } from '../../core/validation.js';
import { isUuid } from '../../core/ids.js';
import { keysetPage, type Page, type PageArgs } from '../../core/pagination.js';
import { issueApiKey, type ApiKeyRecord } from '../api-keys/service.js';
import { recordAudit } from '../audit/service.js';
import { escapeLike, organizationsOnlyOwnedBy } from '../organizations/service.js';
import { retireOwner } from '../owners/retire.js';
import { ownerNameSchema, quoted } from '../../core/names.js';

export interface UserRecord {
  kind: 'USER';
  id: string;
  username: string;
  email: string;
  fullName: string | null;
  companyName: string | null;
  companyRole: string | null;
  isAdmin: boolean;
  createdAt: Date;
}

/** A user's email and memberships are shown to the user and to admins only. */
export function seesPrivateFields(principal: Principal, userId: string): boolean {
  return principal.keyKind === 'ADMIN' || principal.userId === userId;
}

export const createUserSchema = z.object({
  username: ownerNameSchema,
  email: emailSchema,
  fullName: optionalText(200),
  companyName: optionalText(200),
  companyRole: optionalText(200),
  isAdmin: z.boolean().nullish().transform((v) => v ?? false),
});
export type CreateUserInput = z.input<typeof createUserSchema>;

/** A user's own columns; the id and username live in `owners`. */
export const userProfileColumns = {
  email: users.email,
  fullName: users.fullName,
  companyName: users.companyName,
  companyRole: users.companyRole,
  isAdmin: users.isAdmin,
  createdAt: users.createdAt,
};

const userColumns = { id: users.id, username: owners.name, ...userProfileColumns };

function selectUsers(db: Db) {
  return db
    .select(userColumns)
    .from(users)
    .innerJoin(owners, eq(owners.id, users.id))
    .$dynamic();
}

const live = isNull(owners.deletedAt);
const asRecord = (row: Omit<UserRecord, 'kind'>): UserRecord => ({ kind: 'USER', ...row });

/**
 * Creates a user and its `default-key`. Returns the key's secret, which is shown once and never
 * stored. Name and email are checked up front so a caller sees every problem at once; the unique
 * indexes still decide races.
 */
export async function createUser(
  db: Db,
  actor: Actor,
  input: CreateUserInput,
): Promise<{ user: UserRecord; defaultKey: ApiKeyRecord; secret: string }> {
  const data = parse(createUserSchema, input);

  return db.transaction(async (tx) => {
    const taken: UserErrorData[] = [];
    const [nameOwner] = await tx
      .select({ id: owners.id })
      .from(owners)
      .where(eq(sql`lower(${owners.name})`, data.username.toLowerCase()));
    if (nameOwner) taken.push({ code: 'TAKEN', field: ['username'], message: `username: "${data.username}" is taken` });
    const [emailUser] = await tx
      .select({ id: users.id })
      .from(users)
      .where(eq(sql`lower(${users.email})`, data.email.toLowerCase()));
    if (emailUser) taken.push({ code: 'TAKEN', field: ['email'], message: 'email: already used by another account' });
    if (taken.length > 0) throw new ServiceError(taken);

    const id = randomUUID();
    try {
      await tx.insert(owners).values({ id, kind: 'USER', name: data.username });
      await tx.insert(users).values({
        id,
        email: data.email,
        fullName: data.fullName,
        companyName: data.companyName,
        companyRole: data.companyRole,
        isAdmin: data.isAdmin,
      });
    } catch (error) {
      const constraint = violatedUniqueConstraint(error);
      if (constraint === 'owners_name_ci_key') throw userError('TAKEN', `username: "${data.username}" is taken`, ['username']);
      if (constraint === 'users_email_ci_key') throw userError('TAKEN', 'email: already used by another account', ['email']);
      throw error;
    }
    const [user] = await selectUsers(tx).where(eq(users.id, id));
    await recordAudit(tx, actor, 'USER_CREATED', { type: 'USER', id }, {
      username: data.username,
      isAdmin: data.isAdmin,
    });
    const { apiKey, secret } = await issueApiKey(tx, actor, {
      ownerId: id,
      createdByUserId: actor.userId ?? id,
      name: DEFAULT_KEY_NAME,
      kind: 'STANDARD',
      permissions: DEFAULT_KEY_PERMISSIONS,
    });
    return { user: asRecord(user!), defaultKey: apiKey, secret };
  });
}

export async function findUsersByIds(db: Db, ids: readonly string[]): Promise<UserRecord[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  const found = await selectUsers(db).where(and(inArray(users.id, valid), live));
  return found.map(asRecord);
}

export async function findUserByUsername(db: Db, username: string): Promise<UserRecord | null> {
  const [found] = await selectUsers(db).where(and(eq(sql`lower(${owners.name})`, username.toLowerCase()), live));
  return found ? asRecord(found) : null;
}

export async function countUsers(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users);
  return row?.n ?? 0;
}

/** Every live user, oldest first; `query` matches username, email or full name, case-insensitively. */
export async function listUsers(db: Db, args: PageArgs & { query?: string | null }): Promise<Page<UserRecord>> {
  const pattern = args.query ? `%${escapeLike(args.query)}%` : undefined;
  const filter = and(
    live,
    pattern ? or(ilike(owners.name, pattern), ilike(users.email, pattern), ilike(users.fullName, pattern)) : undefined,
  );
  return keysetPage(
    args,
    users,
    async (page) => {
      const found = await selectUsers(db)
        .where(and(filter, page.where))
        .orderBy(...page.orderBy)
        .limit(page.limit);
      return found.map(asRecord);
    },
    async () => {
      const [row] = await db.select({ n: count() }).from(users).innerJoin(owners, eq(owners.id, users.id)).where(filter);
      return row?.n ?? 0;
    },
  );
}

export const updateUserSchema = z.object({
  username: z.string(),
  email: emailSchema.nullish(),
  fullName: optionalText(200),
  companyName: optionalText(200),
  companyRole: optionalText(200),
  isAdmin: z.boolean().nullish(),
});

/** A live user by username, row-locked; NOT_FOUND otherwise. */
async function userNamed(tx: Db, username: string): Promise<UserRecord> {
  const [found] = await selectUsers(tx)
    .where(and(eq(sql`lower(${owners.name})`, username.toLowerCase()), live))
    .for('update', { of: users });
  if (!found) throw userError('NOT_FOUND', `username: no user ${quoted(username)}`, ['username']);
  return asRecord(found);
}

/** Someone must be left to administer the cluster. */
async function refuseLastAdmin(tx: Db, user: UserRecord, doing: string): Promise<void> {
  if (!user.isAdmin) return;
  const [row] = await tx
    .select({ n: count() })
    .from(users)
    .innerJoin(owners, eq(owners.id, users.id))
    .where(and(eq(users.isAdmin, true), live));
  if ((row?.n ?? 0) <= 1) {
    throw userError('CONFLICT', `username: "${user.username}" is the last cluster administrator; cannot ${doing}`, ['username']);
  }
}

/** Changes only the fields given. The username never changes; emails stay unique. */
export async function updateUser(db: Db, actor: Actor, input: z.input<typeof updateUserSchema>): Promise<{ user: UserRecord }> {
  const data = parse(updateUserSchema, input);
  return db.transaction(async (tx) => {
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
    try {
      await tx.update(users).set(next).where(eq(users.id, user.id));
    } catch (error) {
      if (violatedUniqueConstraint(error) === 'users_email_ci_key') throw userError('TAKEN', 'email: already used by another account', ['email']);
      throw error;
    }
    // Emails are personal data: the trail says that it changed, not what to.
    if (changes.email) changes.email = { from: '[redacted]', to: '[redacted]' };
    await recordAudit(tx, actor, 'USER_UPDATED', { type: 'USER', id: user.id }, { username: user.username, changes });
    return { user: { ...user, ...next } };
  });
}

/**
 * Deletes a user: its keys are revoked, its memberships and private algorithms removed, its name and
 * email kept so they are never reissued. Refused while it owns an algorithm with a PUBLIC version,
 * is the last owner of an organization, or is the last cluster administrator.
 */
export async function deleteUser(db: Db, actor: Actor, input: { username: string }): Promise<{ deletedUserId: string }> {
  return db.transaction(async (tx) => {
    const user = await userNamed(tx, input.username);
    await refuseLastAdmin(tx, user, 'delete the last administrator');
    const orphaned = await organizationsOnlyOwnedBy(tx, user.id);
    if (orphaned.length > 0) {
      throw userError('CONFLICT', `username: is the last owner of ${orphaned.join(', ')}; make another member an owner first`, [
        'username',
      ]);
    }
    await retireOwner(tx, user.id, 'user');
    await tx.delete(organizationMembers).where(eq(organizationMembers.userId, user.id));
    await recordAudit(tx, actor, 'USER_DELETED', { type: 'USER', id: user.id }, { username: user.username });
    return { deletedUserId: user.id };
  });
}
