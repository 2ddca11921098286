import type { Principal } from '../../auth/principal.js';
import type { Budget } from '../../auth/rate-limit.js';
import { builder } from '../../graphql/builder.js';
import { AdminQuery } from '../../graphql/planes.js';
import { ApiKeyType } from '../api-keys/graphql.js';
import { loadOwner, OwnerRef } from '../owners/graphql.js';
import { UserType } from '../users/graphql.js';

/** A budget and what this request spent of it. */
type RateLimitState = Budget & { cost: number };

const RateLimitType = builder.objectRef<RateLimitState>('RateLimit').implement({
  description:
    "The calling key's budget of cost points in the current one-minute window: the tighter of the key's own and its owner's, which all the owner's keys share. A request spends at least 1 point, a GraphQL operation its cost (1 per field, times the objects a list may hold); the same figures come as RateLimit-* headers and in `extensions.cost`.",
  fields: (t) => ({
    limit: t.exposeInt('limit', {
      description:
        "Points allowed per window: the request budget times RATE_LIMIT_POINTS_PER_REQUEST. For the key, its own rateLimitPerMinute or the server default; for the owner, the server's per-owner budget, or the key's own where that is higher.",
    }),
    remaining: t.exposeInt('remaining', { description: 'Points left, after this request. 0 while the window allows no more requests, whatever points are left.' }),
    resetAt: t.field({ type: 'DateTime', description: 'When the window ends and the budget refills.', resolve: (budget) => new Date(budget.resetAt) }),
    cost: t.exposeInt('cost', { description: "The points this request spent: its operation's cost, at least 1." }),
  }),
});

/** The budget as this request left it (the operation's cost was charged before it ran). */
const rateLimitOf = ({ gate }: { gate: { budget?: Budget; cost?: number } }): RateLimitState | null =>
  gate.budget ? { ...gate.budget, cost: gate.cost ?? 1 } : null;

const RATE_LIMIT_DESCRIPTION = "The calling key's budget of cost points in this minute, after this request, and what this request cost (also sent as RateLimit-* headers and `extensions.cost`).";

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
      description: `${RATE_LIMIT_DESCRIPTION} The same as the root \`rateLimit\`.`,
      resolve: (_p, _args, context) => rateLimitOf(context),
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

// Every root field belongs to one plane: standard keys read their budget here, admin keys under `admin`.
builder.queryField('rateLimit', (t) =>
  t.field({
    type: RateLimitType,
    nullable: true,
    description: `${RATE_LIMIT_DESCRIPTION} Standard keys only (admins: \`admin { rateLimit }\`).`,
    authScopes: { standard: true },
    resolve: (_root, _args, context) => rateLimitOf(context),
  }),
);

builder.objectFields(AdminQuery, (t) => ({
  rateLimit: t.field({
    type: RateLimitType,
    nullable: true,
    description: RATE_LIMIT_DESCRIPTION,
    resolve: (_root, _args, context) => rateLimitOf(context),
  }),
}));
