/**
 * What deleting a user or an organization does to what it owns, in the caller's transaction:
 * refused while it owns an algorithm with a PUBLIC version (callers may depend on it); otherwise
 * its private algorithms are deleted, its keys revoked, and its name kept as a tombstone so it is
 * never issued again. The owners trigger tells every instance to drop its cached keys.
 */
import { and, eq } from 'drizzle-orm';
import { userError } from '../../core/errors.js';
import type { Db } from '../../db/connect.js';
import { algorithms, apiKeys, owners } from '../../db/schema.js';

export async function retireOwner(tx: Db, ownerId: string, what: 'user' | 'organization'): Promise<void> {
  const published = await tx
    .select({ name: algorithms.name })
    .from(algorithms)
    .where(and(eq(algorithms.ownerId, ownerId), eq(algorithms.hasPublicVersion, true)))
    .limit(5);
  if (published.length > 0) {
    const names = published.map((a) => a.name).join(', ');
    throw userError(
      'CONFLICT',
      `${what === 'user' ? 'username' : 'organization'}: owns algorithms with PUBLIC versions (${names}); an admin must delete them first (adminDeleteAlgorithm)`,
      [what === 'user' ? 'username' : 'organization'],
    );
  }
  await tx.delete(algorithms).where(eq(algorithms.ownerId, ownerId));
  await tx.delete(apiKeys).where(eq(apiKeys.ownerId, ownerId));
  await tx.update(owners).set({ deletedAt: new Date() }).where(eq(owners.id, ownerId));
}
