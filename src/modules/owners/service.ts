/**
 * What deleting a user or an organization does to what it owns, in the caller's transaction:
 * refused while it owns an algorithm with a PUBLIC version (callers may depend on it); otherwise
 * its private algorithms are deleted, its keys revoked, and its name kept as a tombstone so it is
 * never issued again. The owners trigger tells every instance to drop its cached keys; the
 * transaction announces that the owner's algorithms are gone, so every instance drops their call
 * sheets (within milliseconds, this one included).
 */
import { userError } from '../../core/errors.js';
import type { Db } from '../../db/connect.js';
import { announceStale } from '../algorithms/call-sheets.js';
import { publishedAlgorithmNames, retireOwnerRows } from './store.js';

export async function retireOwner(tx: Db, ownerId: string, what: 'user' | 'organization'): Promise<void> {
  const published = await publishedAlgorithmNames(tx, ownerId, 5);
  if (published.length > 0) {
    const field = what === 'user' ? 'username' : 'organization';
    throw userError(
      'CONFLICT',
      `${field}: owns algorithms with PUBLIC versions (${published.join(', ')}); an admin must delete them first (adminDeleteAlgorithm)`,
      [field],
    );
  }
  await retireOwnerRows(tx, ownerId);
  await announceStale(tx, { ownerId });
}
