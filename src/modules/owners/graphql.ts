import { batched } from '../../graphql/batch.js';
import { builder } from '../../graphql/builder.js';
import { findOwnersByIds, type OwnerRecord } from './service.js';

export const OwnerRef = builder.interfaceRef<OwnerRecord>('Owner').implement({
  description: 'A user or an organization: what owns algorithms and API keys. Names share one namespace.',
  resolveType: (owner) => (owner.kind === 'USER' ? 'User' : 'Organization'),
  fields: (t) => ({
    name: t.string({
      description: 'The username or organization name, as in algo://<name>/….',
      resolve: (owner) => (owner.kind === 'USER' ? owner.username : owner.name),
    }),
  }),
});

/** Field options that resolve an owner id through the per-request owner loader. */
export const ownerLoader = {
  type: OwnerRef,
  load: (ids: string[], context: { db: Parameters<typeof findOwnersByIds>[0] }) => findOwnersByIds(context.db, ids),
  sort: (owner: OwnerRecord) => owner.id,
} as const;

/** One owner by id, batched with every other lookup made in the same tick of the request. */
export function loadOwner(context: { db: Parameters<typeof findOwnersByIds>[0] }, id: string): Promise<OwnerRecord | null> {
  return batched<string, OwnerRecord | null>(context, 'owner', async (ids) => {
    const found = await findOwnersByIds(context.db, ids);
    return ids.map((key) => found.find((owner) => owner.id === key) ?? null);
  }).load(id);
}
