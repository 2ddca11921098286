import type { Principal } from '../../auth/principal.js';
import { builder } from '../../graphql/builder.js';
import { ApiKeyType } from '../api-keys/graphql.js';
import { ownerLoader } from '../owners/graphql.js';
import { UserType } from '../users/graphql.js';

const ViewerType = builder.objectRef<Principal>('Viewer').implement({
  description: 'Who the calling key is and acts for.',
  fields: (t) => ({
    key: t.field({ type: ApiKeyType, description: 'The key this request was made with.', resolve: (p) => p.keyId }),
    owner: t.loadable({ ...ownerLoader, description: 'Whose key it is: a user or an organization.', resolve: (p) => p.ownerId }),
    user: t.field({
      type: UserType,
      nullable: true,
      description: 'The user the key acts as; null for organization-owned keys, which act as the organization.',
      resolve: (p) => p.userId,
    }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: ViewerType,
    description: 'The calling key, its owner and its user. Standard keys only.',
    authScopes: { standard: true },
    resolve: (_root, _args, { principal }) => principal,
  }),
);
