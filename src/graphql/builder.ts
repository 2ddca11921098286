/**
 * The one Pothos builder. Scopes (DESIGN §4.3): every root field names its plane (`standard` or
 * `admin`) and, where needed, the permission it takes; object-level rules live in services.
 */
import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin, { AuthScopeFailureType, type AuthFailure } from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import type { GraphQLContext } from './context.js';

export interface AuthScopes {
  standard: boolean;
  admin: boolean;
  manageAlgorithms: boolean;
  manageAccount: boolean;
}

const NEEDS: Record<keyof AuthScopes, string> = {
  standard: 'a standard API key (admin keys may use only admin fields)',
  admin: 'an admin API key (standard keys may not use admin fields)',
  manageAlgorithms: 'a key with the manageAlgorithms permission',
  manageAccount: 'a key with the manageAccount permission',
};

/** The first scope that failed, depth first: what the caller lacks. */
function missingScope(failure: AuthFailure): keyof AuthScopes | undefined {
  switch (failure.kind) {
    case AuthScopeFailureType.AuthScope:
      return failure.scope as keyof AuthScopes;
    case AuthScopeFailureType.AllAuthScopes:
    case AuthScopeFailureType.AnyAuthScopes:
      for (const child of failure.failures) {
        const scope = missingScope(child);
        if (scope) return scope;
      }
      return undefined;
    default:
      return undefined;
  }
}

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  AuthScopes: AuthScopes;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
  };
  Connection: { totalCount: () => Promise<number> };
}>({
  // scope-auth first, so no other plugin's wrapper runs before authorization.
  plugins: [ScopeAuthPlugin, RelayPlugin, DataloaderPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: ({ principal }) => {
      const standard = principal.keyKind === 'STANDARD';
      return {
        standard,
        admin: principal.keyKind === 'ADMIN',
        manageAlgorithms: standard && principal.permissions.manageAlgorithms,
        manageAccount: standard && principal.permissions.manageAccount,
      };
    },
    unauthorizedError: (_parent, _context, info, result) => {
      const scope = missingScope(result.failure);
      const message = scope ? `"${info.fieldName}" needs ${NEEDS[scope]}.` : `Not allowed to use "${info.fieldName}".`;
      return new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
    },
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodesOnConnection: true,
    nodeQueryOptions: { authScopes: { standard: true } },
    nodesQueryOptions: { authScopes: { standard: true } },
  },
});

builder.scalarType('DateTime', {
  description: 'An instant, as an ISO-8601 string in UTC (2026-01-31T12:00:00.000Z).',
  serialize: (value) => value.toISOString(),
  parseValue: (value) => {
    const date = typeof value === 'string' ? new Date(value) : undefined;
    if (!date || Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be an ISO-8601 string');
    return date;
  },
});

builder.queryType({});
builder.mutationType({});

builder.globalConnectionField('totalCount', (t) =>
  t.int({ description: 'Matching items across all pages.', resolve: (connection) => connection.totalCount() }),
);

/** The builder's schema types, for helpers that build fields outside a type's own definition. */
export type SchemaTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
