/** Users' rows: the user's own columns in `users`, its username in the shared `owners` namespace. */
import { and, count, eq, ilike, inArray, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { violatedUniqueConstraint } from '../../db/errors.js';
import { containing } from '../../db/like.js';
import { userProfileColumns, type UserRecord } from '../../db/records.js';
import { organizationMembers, owners, users } from '../../db/schema.js';
import { isUuid } from '../../core/ids.js';
import type { Page, PageArgs } from '../../core/pagination.js';
import { keysetPage } from '../../db/keyset.js';

const userColumns = { id: users.id, username: owners.name, ...userProfileColumns };

function selectUsers(db: Db) {
  return db.select(userColumns).from(users).innerJoin(owners, eq(owners.id, users.id)).$dynamic();
}

const live = isNull(owners.deletedAt);
const named = (username: string) => eq(sql`lower(${owners.name})`, username.toLowerCase());
const asRecord = (row: Omit<UserRecord, 'kind'>): UserRecord => ({ kind: 'USER', ...row });

export async function findUsersByIds(db: Db, ids: readonly string[]): Promise<UserRecord[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  const found = await selectUsers(db).where(and(inArray(users.id, valid), live));
  return found.map(asRecord);
}

export async function findUserByUsername(db: Db, username: string): Promise<UserRecord | null> {
  const [found] = await selectUsers(db).where(and(named(username), live));
  return found ? asRecord(found) : null;
}

/** A live user by username, row-locked for a change. */
export async function lockUserNamed(tx: Db, username: string): Promise<UserRecord | null> {
  const [found] = await selectUsers(tx).where(and(named(username), live)).for('update', { of: users });
  return found ? asRecord(found) : null;
}

export async function countUsers(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users);
  return row?.n ?? 0;
}

export async function countLiveAdministrators(tx: Db): Promise<number> {
  const [row] = await tx.select({ n: count() }).from(users).innerJoin(owners, eq(owners.id, users.id)).where(and(eq(users.isAdmin, true), live));
  return row?.n ?? 0;
}

/** Every live user, oldest first; `query` matches username, email or full name, case-insensitively. */
export async function listUsers(db: Db, args: PageArgs & { query?: string | null }): Promise<Page<UserRecord>> {
  const pattern = args.query ? containing(args.query) : undefined;
  const filter = and(live, pattern ? or(ilike(owners.name, pattern), ilike(users.email, pattern), ilike(users.fullName, pattern)) : undefined);
  return keysetPage(
    args,
    users,
    async (page) => (await selectUsers(db).where(and(filter, page.where)).orderBy(...page.orderBy).limit(page.limit)).map(asRecord),
    async () => {
      const [row] = await db.select({ n: count() }).from(users).innerJoin(owners, eq(owners.id, users.id)).where(filter);
      return row?.n ?? 0;
    },
  );
}

/** Which of a username (in any owner, deleted ones included: names are never reissued) and an email are in use. */
export async function takenNames(tx: Db, username: string, email: string): Promise<{ username: boolean; email: boolean }> {
  const [nameOwner] = await tx.select({ id: owners.id }).from(owners).where(named(username));
  const [emailUser] = await tx.select({ id: users.id }).from(users).where(eq(sql`lower(${users.email})`, email.toLowerCase()));
  return { username: nameOwner !== undefined, email: emailUser !== undefined };
}

/** What a unique index refused, when a write raced another. */
export type Taken = 'username' | 'email';

const takenBy = (error: unknown): Taken | undefined => {
  const constraint = violatedUniqueConstraint(error);
  return constraint === 'owners_name_ci_key' ? 'username' : constraint === 'users_email_ci_key' ? 'email' : undefined;
};

export type UserProfile = Omit<UserRecord, 'kind' | 'id' | 'username' | 'createdAt'>;

/** Inserts the user's owner and user rows; the name or email a unique index refused, if any. */
export async function insertUser(tx: Db, id: string, username: string, profile: UserProfile): Promise<UserRecord | Taken> {
  try {
    await tx.insert(owners).values({ id, kind: 'USER', name: username });
    await tx.insert(users).values({ id, ...profile });
  } catch (error) {
    const taken = takenBy(error);
    if (taken) return taken;
    throw error;
  }
  const [user] = await selectUsers(tx).where(eq(users.id, id));
  return asRecord(user!);
}

/** Writes a user's profile; 'email' when another account holds the email. */
export async function updateUserProfile(tx: Db, id: string, profile: UserProfile): Promise<Taken | undefined> {
  try {
    await tx.update(users).set(profile).where(eq(users.id, id));
    return undefined;
  } catch (error) {
    const taken = takenBy(error);
    if (taken) return taken;
    throw error;
  }
}

export async function deleteMembershipsOf(tx: Db, userId: string): Promise<void> {
  await tx.delete(organizationMembers).where(eq(organizationMembers.userId, userId));
}
