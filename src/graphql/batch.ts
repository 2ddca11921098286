/**
 * Per-request batching. Every field that loads something per parent goes through a loader, in one
 * of two ways:
 * - a node (User, Organization, ApiKey, Algorithm) by its id: the resolver returns the id and the
 *   node's `loadableNode` loads it;
 * - anything else (an owner, a user's memberships or default key, a page of members or versions, a
 *   load that depends on arguments): a named `batched()` loader, exported by the module that owns
 *   the rows, so two fields that need the same rows share one batch and one statement.
 * All calls made in one tick with the same `name` share one batch, so a list of 100 parents costs
 * one statement, not 100 (test/statement-counts.test.ts holds every list to that).
 */
import DataLoader from 'dataloader';

const loaders = new WeakMap<object, Map<string, DataLoader<unknown, unknown>>>();

export function batched<K, V>(context: object, name: string, load: (keys: readonly K[]) => Promise<V[]>): DataLoader<K, V> {
  let byName = loaders.get(context);
  if (!byName) loaders.set(context, (byName = new Map()));
  let loader = byName.get(name) as DataLoader<K, V> | undefined;
  if (!loader) {
    loader = new DataLoader<K, V>(load);
    byName.set(name, loader as DataLoader<unknown, unknown>);
  }
  return loader;
}
