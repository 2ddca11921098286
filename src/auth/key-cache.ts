/**
 * What a service tells the key verifier after it changes keys or their owners. Other processes
 * learn of the change through the database's NOTIFY; this one must not wait for it, or the
 * caller's very next request could still pass on a revoked key.
 */
export interface KeyCache {
  /** Drops what is cached about one key. */
  forgetKey(keyId: string): void;
  /** Drops what is cached about every key of an owner (its profile and admin standing ride along). */
  forgetOwner(ownerId: string): void;
}

/**
 * Runs a change to key `keyId`, then drops its cached verification whether or not the change went
 * through: a failure may come after the commit (a lost connection), and forgetting costs one lookup.
 */
export async function changingKey<T>(cache: KeyCache, keyId: string, change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } finally {
    cache.forgetKey(keyId);
  }
}

/** Runs a change to an owner, then drops its keys' cached verifications once the change has gone through (its id comes from the result). */
export async function changingOwner<T>(cache: KeyCache, change: () => Promise<T>, ownerIdOf: (result: T) => string): Promise<T> {
  const result = await change();
  cache.forgetOwner(ownerIdOf(result));
  return result;
}
