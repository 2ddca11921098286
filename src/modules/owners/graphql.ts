import type { GraphQLResolveInfo } from 'graphql';
import { batched } from '../../graphql/batch.js';
import { builder } from '../../graphql/builder.js';
import { selectedFields } from '../../graphql/lookahead.js';
import { ownerFromSummary, type OwnerRecord, type OwnerSummary } from '../../db/records.js';
import { findOwnersByIds } from './store.js';

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

/** One owner by id, batched with every other lookup made in the same tick of the request. */
export function loadOwner(context: { db: Parameters<typeof findOwnersByIds>[0] }, id: string): Promise<OwnerRecord | null> {
  return batched<string, OwnerRecord | null>(context, 'owner', async (ids) => {
    const found = await findOwnersByIds(context.db, ids);
    return ids.map((key) => found.find((owner) => owner.id === key) ?? null);
  }).load(id);
}

/** Fields of an owner that need no more than its summary: id, kind and name (or things loaded by id). */
const SUMMARY_FIELDS = new Set(['__typename', 'id', 'name', 'username', 'algorithms', 'defaultKey', 'organizations', 'members']);

/**
 * An owner field's answer from what was read with its parent: the summary when the client selected
 * nothing more of the owner, else the whole owner, batched. Any field not known to need only the
 * summary loads the whole owner, so a new field is never answered from a partial record.
 */
export function ownerOf(context: { db: Parameters<typeof findOwnersByIds>[0] }, info: GraphQLResolveInfo, owned: Partial<OwnerSummary> & { ownerId: string }) {
  const { ownerName, ownerKind } = owned;
  if (ownerName !== undefined && ownerKind !== undefined && selectedFields(info).every((field) => SUMMARY_FIELDS.has(field))) {
    return ownerFromSummary({ ownerId: owned.ownerId, ownerName, ownerKind });
  }
  return loadOwner(context, owned.ownerId).then((owner) => owner!);
}
