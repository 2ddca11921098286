/**
 * The one Pothos builder. Scopes (auth/permissions.ts): every root field names its plane (`standard` or
 * `admin`) and, where needed, the permission it takes; object-level rules live in services.
 */
import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import RelayPlugin, { decodeGlobalID } from '@pothos/plugin-relay';
import ScopeAuthPlugin, { AuthScopeFailureType, type AuthFailure } from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import { deniedMessage, permissionsHeld, type Permission } from '../auth/permissions.js';
import type { GraphQLContext } from './context.js';
import { EARLIEST_INSTANT, isIsoDate, isoInstant, LATEST_INSTANT } from '../core/days.js';

export type AuthScopes = Record<Permission, boolean>;

/** The first scope that failed, depth first: what the caller lacks. */
function missingScope(failure: AuthFailure): Permission | undefined {
  switch (failure.kind) {
    case AuthScopeFailureType.AuthScope:
      return failure.scope as Permission;
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

/** An argument the client got wrong, where no mutation payload can carry it. */
const badUserInput = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

/**
 * The id `node`, `nodes` and `admin.node` look up (the only arguments decoded by the relay plugin;
 * mutations read ids with `localIdOf`). Anything but the id of a type that implements Node is the
 * client's mistake and is said so, where the plugin would throw an internal error: an id that
 * does not decode, or one of a type that is unknown or not a Node (a Viewer's, say).
 */
function decodeNodeId(globalID: string): { typename: string; id: string } {
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(globalID);
  } catch {
    throw badUserInput('Not a global id: ids are read from `id` fields.');
  }
  const { configStore } = builder;
  const config = configStore.hasConfig(decoded.typename) ? configStore.getTypeConfig(decoded.typename) : undefined;
  const isNode = config?.kind === 'Object' && config.interfaces.some((ref) => configStore.getTypeConfig(ref).name === 'Node');
  if (!isNode) throw badUserInput('Not the id of an object `node` fetches: only types that implement Node are.');
  return decoded;
}

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  AuthScopes: AuthScopes;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    Date: { Input: string; Output: string };
    JSON: { Input: unknown; Output: unknown };
  };
  Connection: { totalCount: () => Promise<number> };
}>({
  // scope-auth first, so no other plugin's wrapper runs before authorization.
  plugins: [ScopeAuthPlugin, RelayPlugin, DataloaderPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: ({ principal }) => permissionsHeld(principal),
    unauthorizedError: (_parent, _context, info, result) => {
      const scope = missingScope(result.failure);
      const message = scope ? deniedMessage(info.fieldName, scope) : `Not allowed to use "${info.fieldName}".`;
      return new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
    },
  },
  relay: {
    decodeGlobalID: decodeNodeId,
    clientMutationId: 'omit',
    cursorType: 'String',
    nodesOnConnection: { description: 'The items of this page, in order (the same as `edges { node }`).' },
    nodeQueryOptions: {
      authScopes: { standard: true },
      description: 'Any object by its global id; null if it does not exist for you. Standard keys only (admins: `admin.node`).',
      args: { id: { description: 'A global id, as read from an `id` field.' } },
    },
    nodesQueryOptions: {
      authScopes: { standard: true },
      description: 'Objects by their global ids, in the order asked; null for each that does not exist for you. Standard keys only.',
      args: { ids: { description: 'Global ids, as read from `id` fields.' } },
    },
    nodeTypeOptions: { description: 'An object with a global id, which `node(id:)` and `nodes(ids:)` fetch again.' },
    idFieldOptions: { description: 'Global id: opaque and stable. Pass it to `node(id:)` or to a mutation that takes an `id`.' },
    mutationInputArgOptions: { description: "What the mutation needs: see the input type's fields." },
    pageInfoTypeOptions: { description: 'Where a page sits in its list, and the cursors that fetch the pages around it.' },
    pageInfoFieldOptions: { description: 'Cursors of this page, and whether more items lie beyond it.' },
    hasNextPageFieldOptions: {
      description: 'More items follow this page. Paging backwards (`last`), true whenever `before` was given.',
    },
    hasPreviousPageFieldOptions: {
      description: 'More items precede this page. Paging forwards (`first`), true whenever `after` was given.',
    },
    startCursorFieldOptions: { description: "The first item's cursor (null on an empty page): `before` it is the previous page." },
    endCursorFieldOptions: { description: "The last item's cursor (null on an empty page): `after` it is the next page." },
    edgesFieldOptions: { description: 'The items of this page with their cursors, in order.' },
    nodeFieldOptions: { description: 'The item.' },
    cursorFieldOptions: { description: "This item's position: pass it as `after` or `before` to the same list. Opaque." },
    firstArgOptions: {
      description: 'Take this many items from the start, or from `after`: 0 to 100 (20 when neither first nor last is given).',
    },
    lastArgOptions: { description: 'Take this many items from the end, or from `before`: 0 to 100. Not with `first`.' },
    afterArgOptions: { description: 'A cursor from this same list: the page starts after it.' },
    beforeArgOptions: { description: 'A cursor from this same list: the page ends before it.' },
  },
});

builder.scalarType('DateTime', {
  description: 'An instant, as an ISO-8601 string in UTC (2026-01-31T12:00:00.000Z), from year 0001 to year 9999.',
  serialize: isoInstant,
  parseValue: (value) => {
    const date = typeof value === 'string' ? new Date(value) : undefined;
    if (!date || Number.isNaN(date.getTime())) throw badUserInput('DateTime must be an ISO-8601 string.');
    if (date.getTime() < EARLIEST_INSTANT || date.getTime() > LATEST_INSTANT) {
      throw badUserInput('DateTime must lie between 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z.');
    }
    return date;
  },
});

builder.scalarType('Date', {
  description: 'A calendar day, as an ISO-8601 date (2026-01-31). Days of usage are UTC days.',
  serialize: (value) => value,
  parseValue: (value) => {
    if (typeof value !== 'string' || !isIsoDate(value)) throw badUserInput('Date must be an ISO-8601 date that exists, like 2026-01-31.');
    return value;
  },
});

builder.queryType({
  description: 'Every read. Standard keys use the root fields; admin keys use only `admin`. Send the key as `Authorization: Simple <key>`.',
});
builder.mutationType({
  description: 'Every change. Each takes `input` and returns a payload with `userErrors`; admin-only mutations say so.',
});

builder.globalConnectionField('totalCount', (t) =>
  t.int({ description: 'Matching items across all pages.', resolve: (connection) => connection.totalCount() }),
);

/** The builder's schema types, for helpers that build fields outside a type's own definition. */
export type SchemaTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
