/**
 * The admin plane's entry point. Admin keys may use only admin fields and standard keys only
 * standard ones (auth/permissions.ts); each module adds its admin queries to AdminQuery.
 */
import { builder } from './builder.js';

export const AdminQuery = builder.objectRef<Record<string, never>>('AdminQuery').implement({
  description: 'Cluster administration. Needs an admin API key.',
  authScopes: { admin: true },
  fields: () => ({}),
});

builder.objectFields(AdminQuery, (t) => ({
  node: t.node({
    description: 'Any object by its global id: users, organizations, keys, algorithms, private or not.',
    args: { id: t.arg.id({ required: true, description: 'A global id, as read from an `id` field.' }) },
    id: (_root, args) => String(args.id),
  }),
}));

builder.queryField('admin', (t) =>
  t.field({
    type: AdminQuery,
    description: 'Cluster administration: users, organizations, keys and the audit trail. Admin keys only.',
    authScopes: { admin: true },
    resolve: () => ({}),
  }),
);
