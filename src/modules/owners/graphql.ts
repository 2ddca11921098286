import type { GraphQLResolveInfo } from 'graphql';
import { batched } from '../../graphql/batch.js';
import { builder } from '../../graphql/builder.js';
import { oncePerSelection, reads, readsOf, selectedFields, type SelectionCache } from '../../graphql/lookahead.js';
import { ownerFromSummary, type OwnerRecord, type OwnerSummary } from '../../db/records.js';
import { findOwnersByIds } from './store.js';

export const OwnerRef = builder.interfaceRef<OwnerRecord>('Owner').implement({
  description: 'A user or an organization: what owns algorithms and API keys. Names share one namespace.',
  resolveType: (owner) => (owner.kind === 'USER' ? 'User' : 'Organization'),
  fields: (t) => ({
    name: t.string({
      description: 'The username or organization name, as in algo://<name>/….',
      extensions: reads('summary'),
      resolve: (owner) => (owner.kind === 'USER' ? owner.username : owner.name),
    }),
  }),
});

/** One owner by id, batched with every other lookup made in the same tick of the request. */
export function loadOwner(context: { db: Parameters<typeof findOwnersByIds>[0] }, id: string): Promise<OwnerRecord | null> {
  return batched<string, OwnerRecord | null>(context, 'owner', async (ids) => {
    const found = await findOwnersByIds(context.db, ids);
    return ids.map((key) => found.find((owner) => owner.id === key) ?? null);
  }).load(id);
}

/**
 * An owner field's answer from what was read with its parent: the summary (id, kind and name) when
 * every field the client selected of the owner declares it reads no more (`reads('summary')`), else
 * the whole owner, batched. A field that declares nothing loads the whole owner, so a new field is
 * never answered from a partial record.
 */
const OWNER_TYPES = ['Owner', 'User', 'Organization'];
const onlySummary = (read: ReadonlySet<string> | null) => read !== null && [...read].every((part) => part === 'summary');
/** Whether an owner field's selection reads only the summary: the same for every item of a list, so worked out once. */
const summarySuffices: SelectionCache<boolean> = new WeakMap();

export function ownerOf(context: { db: Parameters<typeof findOwnersByIds>[0] }, info: GraphQLResolveInfo, owned: Partial<OwnerSummary> & { ownerId: string }) {
  const { ownerName, ownerKind } = owned;
  if (
    ownerName !== undefined &&
    ownerKind !== undefined &&
    oncePerSelection(summarySuffices, info, () => onlySummary(readsOf(info.schema, OWNER_TYPES, selectedFields(info))))
  ) {
    return ownerFromSummary({ ownerId: owned.ownerId, ownerName, ownerKind });
  }
  return loadOwner(context, owned.ownerId).then((owner) => owner!);
}
