/**
 * Limits on what one GraphQL request may ask for, so no single request can make the server or the
 * database work without bound:
 *
 *   depth 12 (a Relay connection nests ~6), 15 aliases (__typename included), 5 directives,
 *   2000 tokens, at most 100 ids in `nodes(ids:)`, and a cost that multiplies every nested
 *   selection by the number of objects its list can hold (see `operationCost`)
 *
 * Limits are named in errors but their values are not echoed (probing them teaches nothing), except
 * the ids limit, which is fixed and documented as GitHub's is.
 */
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import {
  GraphQLError,
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DEFAULT_PAGE_SIZE } from '../core/pagination.js';
import { perOperation } from './root-fields.js';

export interface LimitOptions {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxCost: number;
}

/** Ids one `nodes(ids:)` takes, as GitHub's API allows. */
export const MAX_NODE_IDS = 100;

/**
 * What a plain list field (not a connection) may hold at most, for the cost: `extensions: listBound(…)`
 * on its definition. A list that declares none counts as a default page (DEFAULT_PAGE_SIZE): those are
 * short by nature (user errors, a user's memberships), and the objects ceiling bounds them anyway.
 */
export const listBound = (bound: () => number) => ({ listBound: bound });

/**
 * What a text field costs: one unit per 1000 characters it may hold, so that the cost bounds the
 * answer's bytes as well as its objects (`extensions: textCost(100_000)` on a 100 000-character field).
 */
export const textCost = (maxCharacters: number) => ({ cost: Math.ceil(maxCharacters / 1000) });

/** The shape limits; the cost limit comes from configuration (GRAPHQL_MAX_COST). */
export const DEFAULT_LIMITS: Omit<LimitOptions, 'maxCost'> = { maxDepth: 12, maxAliases: 15, maxDirectives: 5, maxTokens: 2000 };

export function useGraphQLLimits(options: LimitOptions): Plugin[] {
  return [
    EnvelopArmorPlugin({
      maxDepth: { n: options.maxDepth, exposeLimits: false, ignoreIntrospection: true },
      // Armor lets __typename aliases through by default; they cost work like any other.
      maxAliases: { n: options.maxAliases, exposeLimits: false, allowList: [] },
      maxDirectives: { n: options.maxDirectives, exposeLimits: false },
      maxTokens: { n: options.maxTokens, exposeLimits: false },
      // Armor's cost ignores `first:`; useConnectionCost below counts page sizes.
      costLimit: { enabled: false },
      // Every request is authenticated before parsing, so suggestions only help key holders.
      blockFieldSuggestion: { enabled: false },
    }) as Plugin,
    useConnectionCost(options.maxCost),
    useErrorCodes(),
  ];
}

const OPERATION_COST = Symbol('operationCost');

type CostCarrier = { [OPERATION_COST]?: number };

/** The cost `useConnectionCost` worked out for the operation running in `context`, for the budget to charge it. */
export const operationCostIn = (context: object): number | undefined => (context as CostCarrier)[OPERATION_COST];

/**
 * Refuses an operation whose cost exceeds `maxCost`, or whose `nodes(ids:)` lists more than
 * MAX_NODE_IDS ids, before it runs (so before any Idempotency-Key is claimed).
 */
export function useConnectionCost(maxCost: number): Plugin {
  // Without variables, an operation costs the same every time: worked out once (null: it has variables).
  const fixedCost = perOperation((operation, document, schema: GraphQLSchema) =>
    operation.variableDefinitions?.length ? null : operationCost(schema, document, operation.name?.value, {}),
  );
  const costOf = (args: { schema: GraphQLSchema; document: DocumentNode; operationName?: string | null; variableValues?: Record<string, unknown> | null }) =>
    fixedCost(args.document, args.operationName, args.schema) ?? operationCost(args.schema, args.document, args.operationName ?? undefined, args.variableValues ?? {});
  return {
    onExecute({ args, setResultAndStopExecution }) {
      let cost: number;
      try {
        cost = costOf(args);
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        setResultAndStopExecution({ errors: [error] });
        return;
      }
      (args.contextValue as CostCarrier)[OPERATION_COST] = cost;
      if (cost > maxCost) {
        setResultAndStopExecution({
          errors: [
            new GraphQLError(
              'Query is too complex (GRAPHQL_MAX_COST): ask for smaller pages, fewer ids, fewer nested lists or fewer fields.',
              { extensions: { code: 'QUERY_TOO_COMPLEX' } },
            ),
          ],
        });
      }
    },
  };
}

/**
 * What an operation may cost at most: each field costs 1 plus its selection's cost times the number
 * of objects it can return, which is the page size for a connection (`first`/`last`, else the
 * default), the number of ids for `nodes(ids:)`, and the declared bound for any other list
 * (`listBound`); a long text costs for its length (`textCost`). So aliases, fragments and repeated ids all count for the work they cause, and the
 * cost bounds the objects in the answer. Throws a GraphQLError for more than MAX_NODE_IDS ids.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown>,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    if (definition.kind === Kind.OPERATION_DEFINITION && (!operationName || definition.name?.value === operationName)) operation ??= definition;
  }
  if (!operation) return 0;
  const root = operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  if (!root) return 0;

  // A variable the client did not send takes its default from the operation, as execution will.
  const defaults = new Map((operation.variableDefinitions ?? []).flatMap((d) => (d.defaultValue ? [[d.variable.name.value, d.defaultValue] as const] : [])));
  const resolved = (value: ValueNode | undefined): ValueNode | unknown => {
    if (value?.kind !== Kind.VARIABLE) return value;
    const name = value.name.value;
    return name in variables ? variables[name] : defaults.get(name);
  };
  const pageSize = (value: ValueNode | undefined): number | undefined => {
    const raw = resolved(value);
    const size = typeof raw === 'number' ? raw : (raw as ValueNode | undefined)?.kind === Kind.INT ? Number((raw as { value: string }).value) : undefined;
    return size !== undefined && Number.isFinite(size) ? Math.max(size, 0) : undefined;
  };
  const listLength = (value: ValueNode | undefined): number => {
    const raw = resolved(value);
    if (Array.isArray(raw)) return raw.length;
    const node = raw as ValueNode | undefined;
    // A single value where a list is expected is a list of one (input coercion).
    return node?.kind === Kind.LIST ? node.values.length : node && node.kind !== Kind.NULL ? 1 : 0;
  };

  const costOf = (type: GraphQLNamedType, selectionSet: SelectionSetNode, seen: Set<string>): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const fields = isObjectType(type) || isInterfaceType(type) ? type.getFields() : undefined;
        const field = fields?.[selection.name.value];
        if (!field || !selection.selectionSet) {
          total += (field?.extensions as { cost?: number } | undefined)?.cost ?? 1;
          continue;
        }
        const child = getNamedType(field.type);
        const argument = (name: string) => selection.arguments?.find((a) => a.name.value === name)?.value;
        let size = 1;
        if (child.name.endsWith('Connection')) {
          size = pageSize(argument('first')) ?? pageSize(argument('last')) ?? DEFAULT_PAGE_SIZE;
        } else if (type === root && field.name === 'nodes') {
          size = listLength(argument('ids'));
          if (size > MAX_NODE_IDS) {
            throw new GraphQLError(`nodes(ids:) takes at most ${MAX_NODE_IDS} ids; this asks for ${size}.`, {
              extensions: { code: 'TOO_MANY_IDS', limit: MAX_NODE_IDS },
            });
          }
        } else if (isListType(getNullableType(field.type)) && !type.name.endsWith('Connection') && !type.name.startsWith('__')) {
          // Introspection lists hold the schema, which is fixed and small.
          // A connection's own `nodes` and `edges` were counted by the page size above.
          size = (field.extensions as { listBound?: () => number }).listBound?.() ?? DEFAULT_PAGE_SIZE;
        }
        total += 1 + size * costOf(child, selection.selectionSet, seen);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        total += costOf(condition ?? type, selection.selectionSet, seen);
      } else {
        const fragment = fragments.get(selection.name.value);
        // Fragment cycles are a validation error; never follow one here.
        if (!fragment || seen.has(fragment.name.value)) continue;
        const condition = schema.getType(fragment.typeCondition.name.value) ?? type;
        total += costOf(condition, fragment.selectionSet, new Set([...seen, fragment.name.value]));
      }
    }
    return total;
  };
  return costOf(root, operation.selectionSet, new Set());
}

/** Every error a client sees carries a code; document errors (syntax, validation, limits) get one here. */
export function useErrorCodes(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || Symbol.asyncIterator in (result as object)) return;
      const single = result as { errors?: readonly GraphQLError[] };
      if (!single.errors?.some((e) => !e.extensions?.code)) return;
      setResult({
        ...(result as object),
        errors: single.errors.map((error) =>
          error.extensions?.code
            ? error
            : new GraphQLError(error.message, {
                nodes: error.nodes,
                source: error.source,
                positions: error.positions,
                path: error.path,
                extensions: { ...error.extensions, code: 'GRAPHQL_VALIDATION_FAILED' },
              }),
        ),
      });
    },
  };
}
