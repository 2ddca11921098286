/**
 * Limits on what one GraphQL request may ask for, so no single request can make the server or the
 * database work without bound. Limits are not echoed in errors: probing them teaches nothing.
 *
 *   depth 12 (a Relay connection nests ~6), 15 aliases (__typename included), 5 directives,
 *   2000 tokens, and a cost that multiplies nested selections by connection page sizes
 */
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import {
  GraphQLError,
  getNamedType,
  isInterfaceType,
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

export interface LimitOptions {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxCost: number;
}

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

/**
 * Refuses an operation whose cost exceeds `maxCost`, before it runs. Each field costs 1 plus its
 * selection's cost, times the page size when the field is a connection (`first`/`last`, else the
 * default), so `algorithms(first: 100) { versions(first: 100) { … } }` costs what it will do.
 */
export function useConnectionCost(maxCost: number): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const cost = operationCost(args.schema, args.document, args.operationName ?? undefined, args.variableValues ?? {});
      if (cost > maxCost) {
        setResultAndStopExecution({
          errors: [
            new GraphQLError('Query is too complex: ask for smaller pages, fewer nested connections or fewer fields.', {
              extensions: { code: 'QUERY_TOO_COMPLEX' },
            }),
          ],
        });
      }
    },
  };
}

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
  const defaults = new Map(
    (operation.variableDefinitions ?? []).flatMap((definition) =>
      definition.defaultValue?.kind === Kind.INT ? [[definition.variable.name.value, Number(definition.defaultValue.value)] as const] : [],
    ),
  );
  const pageSize = (value: ValueNode | undefined): number | undefined => {
    if (!value) return undefined;
    const raw =
      value.kind === Kind.VARIABLE
        ? (variables[value.name.value] ?? defaults.get(value.name.value))
        : value.kind === Kind.INT
          ? Number(value.value)
          : undefined;
    return typeof raw === 'number' && Number.isFinite(raw) ? Math.max(raw, 0) : undefined;
  };

  const costOf = (type: GraphQLNamedType, selectionSet: SelectionSetNode, seen: Set<string>): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const fields = isObjectType(type) || isInterfaceType(type) ? type.getFields() : undefined;
        const field = fields?.[selection.name.value];
        if (!field || !selection.selectionSet) {
          total += 1;
          continue;
        }
        const child = getNamedType(field.type);
        const argument = (name: string) => selection.arguments?.find((a) => a.name.value === name)?.value;
        const size = child.name.endsWith('Connection')
          ? (pageSize(argument('first')) ?? pageSize(argument('last')) ?? DEFAULT_PAGE_SIZE)
          : 1;
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
