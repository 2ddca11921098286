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
