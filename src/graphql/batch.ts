/**
 * Per-request batching for fields whose loading depends on arguments or on whole parent objects
 * (Pothos's loadable fields key by id). All calls made in one tick with the same `name` share one
 * batch, so a list of 100 parents costs one statement, not 100.
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
