/**
 * API key records: issuing (the secret is returned to the caller once and stored only as a hash),
 * loading, and who may see which key.
 */
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { generateApiKey, hashApiKey, maskApiKey, type ApiKeyKind } from '../../auth/api-key.js';
import { ADMIN_KEY_PERMISSIONS, type Actor, type KeyPermissions, type Principal } from '../../auth/principal.js';
import type { Db } from '../../db/connect.js';
import { violatedUniqueConstraint } from '../../db/errors.js';
import { apiKeys, apiKeySecrets, owners, users } from '../../db/schema.js';
import { fromZodError, userError } from '../../core/errors.js';
import { recordAudit } from '../audit/service.js';

export type ApiKeyRecord = typeof apiKeys.$inferSelect;

export const keyNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters');

export interface IssueKeyInput {
  ownerId: string;
  createdByUserId: string | null;
  name: string;
  kind: ApiKeyKind;
  permissions: KeyPermissions;
  expiresAt?: Date | null;
}

/** Creates a key and its first secret. Returns the secret: the only time it exists in the clear. */
export async function issueApiKey(tx: Db, actor: Actor, input: IssueKeyInput): Promise<{ apiKey: ApiKeyRecord; secret: string }> {
  const secret = generateApiKey(input.kind);
  const { callerOrigin, ...flags } = input.permissions;
  let apiKey: ApiKeyRecord | undefined;
  try {
    [apiKey] = await tx
      .insert(apiKeys)
      .values({
        ownerId: input.ownerId,
        createdByUserId: input.createdByUserId,
        name: input.name,
        kind: input.kind,
        mask: maskApiKey(secret),
        expiresAt: input.expiresAt ?? null,
        ...flags,
        ...callerOrigin,
      })
      .returning();
  } catch (error) {
    if (violatedUniqueConstraint(error) === 'api_keys_owner_name_key') {
      throw userError('TAKEN', `name: this owner already has a key named "${input.name}"`, ['name']);
    }
    throw error;
  }
  await tx.insert(apiKeySecrets).values({ apiKeyId: apiKey!.id, hash: hashApiKey(secret) });
  await recordAudit(tx, actor, 'API_KEY_CREATED', { type: 'API_KEY', id: apiKey!.id }, {
    name: input.name,
    kind: input.kind,
    ownerId: input.ownerId,
    ...(input.kind === 'STANDARD' ? { permissions: input.permissions } : {}),
  });
  return { apiKey: apiKey!, secret };
}

/** A key is visible to its owner's keys that manage the account, to itself, and to admin keys. */
export function canSeeApiKey(principal: Principal, key: ApiKeyRecord): boolean {
  if (principal.keyKind === 'ADMIN') return true;
  return key.ownerId === principal.ownerId && (key.id === principal.keyId || principal.permissions.manageAccount);
}

export async function findApiKeysByIds(db: Db, ids: readonly string[]): Promise<ApiKeyRecord[]> {
  return db.select().from(apiKeys).where(inArray(apiKeys.id, [...ids]));
}

/** Each owner's key with the given name (used for `default-key`). */
export async function findApiKeysByName(db: Db, ownerIds: readonly string[], name: string): Promise<ApiKeyRecord[]> {
  return db
    .select()
    .from(apiKeys)
    .where(and(inArray(apiKeys.ownerId, [...ownerIds]), eq(apiKeys.name, name)));
}

export const createAdminApiKeySchema = z.object({ username: z.string(), name: keyNameSchema });

/** Mints an admin key for a cluster administrator (the CLI, bootstrap and the admin plane use this). */
export async function createAdminApiKey(
  db: Db,
  actor: Actor,
  input: z.input<typeof createAdminApiKeySchema>,
): Promise<{ apiKey: ApiKeyRecord; secret: string }> {
  const parsed = createAdminApiKeySchema.safeParse(input);
  if (!parsed.success) throw fromZodError(parsed.error);
  const { username, name } = parsed.data;
  return db.transaction(async (tx) => {
    const [user] = await tx
      .select({ id: users.id, isAdmin: users.isAdmin })
      .from(users)
      .innerJoin(owners, eq(owners.id, users.id))
      .where(and(eq(sql`lower(${owners.name})`, username.toLowerCase()), isNull(owners.deletedAt)));
    if (!user) throw userError('NOT_FOUND', `username: no user "${username}"`, ['username']);
    if (!user.isAdmin) {
      throw userError('INVALID', `username: "${username}" is not a cluster administrator; only administrators hold admin keys`, ['username']);
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
