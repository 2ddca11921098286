import type { Principal } from '../../auth/principal.js';
import type { Budget } from '../../auth/rate-limit.js';
import { builder } from '../../graphql/builder.js';
import { ApiKeyType } from '../api-keys/graphql.js';
import { loadOwner, OwnerRef } from '../owners/graphql.js';
import { UserType } from '../users/graphql.js';

const RateLimitType = builder.objectRef<Budget>('RateLimit').implement({
  description:
    "The calling key's request budget in the current one-minute window: the tighter of the key's own and its owner's, which all the owner's keys share.",
  fields: (t) => ({
    limit: t.exposeInt('limit', {
      description:
        "Requests allowed per window: for the key, its own rateLimitPerMinute or the server default; for the owner, the server's per-owner budget, or the key's own where that is higher.",
    }),
    remaining: t.exposeInt('remaining', { description: 'Requests left, after this one.' }),
    resetAt: t.expose('resetAt', { type: 'DateTime', description: 'When the window ends and the budget refills.' }),
  }),
});

const ViewerType = builder.objectRef<Principal>('Viewer').implement({
  description: 'Who the calling key is and acts for.',
  fields: (t) => ({
    key: t.field({ type: ApiKeyType, description: 'The key this request was made with.', resolve: (p) => p.key }),
    owner: t.field({
      type: OwnerRef,
      description: 'Whose key it is: a user or an organization.',
      resolve: (p, _args, context) => p.owner ?? loadOwner(context, p.ownerId).then((owner) => owner!),
    }),
    user: t.field({
      type: UserType,
      nullable: true,
      description: 'The user the key acts as; null for organization-owned keys, which act as the organization.',
      resolve: (p) => p.userId,
    }),
    rateLimit: t.field({
      type: RateLimitType,
      nullable: true,
      description: "This key's remaining request budget, or its owner's where that is tighter (also sent as RateLimit-* headers).",
      resolve: (_p, _args, { rateLimit }) => rateLimit ?? null,
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
