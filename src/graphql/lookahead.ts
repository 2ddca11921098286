/**
 * What a client asked for below a field, read before the field is fetched: a list reads its items'
 * nested fields in the same statement instead of one batch per field (only ever a hint there: a
 * field it misses still resolves through its own loader), and an owner is answered from its
 * summary when nothing more of it was asked for.
 */
import {
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isInterfaceType,
  isObjectType,
  Kind,
  type FieldNode,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';

/** Each selected field's arguments, once per occurrence (aliases ask for a field twice). */
export type Selected = Map<string, Record<string, unknown>[]>;

/** The fields selected on the items of the connection `info` resolves, under `nodes` or `edges { node }`. */
export function selectedOnNodes(info: GraphQLResolveInfo): Selected {
  const selected: Selected = new Map();
  const connection = getNamedType(info.returnType);
  if (!isObjectType(connection)) return selected;
  const item = getNamedType(connection.getFields().nodes?.type);
  if (!isObjectType(item)) return selected;
  const onConnection = fieldsIn(info, selectionSetsBelow(info));
  const itemSelections = [
    ...selectionSetsOf(onConnection, 'nodes'),
    ...selectionSetsOf(fieldsIn(info, selectionSetsOf(onConnection, 'edges')), 'node'),
  ];
  for (const field of fieldsIn(info, itemSelections)) {
    const definition = item.getFields()[field.name.value];
    if (!definition) continue;
    const list = selected.get(definition.name) ?? [];
    list.push(getArgumentValues(definition, field, info.variableValues));
    selected.set(definition.name, list);
  }
  return selected;
}

/**
 * The names of the fields selected on what `info`'s field returns, through fragments, @skip/@include
 * applied. Read per selection, not per item: callers keep what they work out from it with `oncePerSelection`.
 */
export function selectedFields(info: GraphQLResolveInfo): readonly string[] {
  return fieldsIn(info, selectionSetsBelow(info)).map((field) => field.name.value);
}

/** Values worked out from a field's selection: by the field's nodes (one set per document), then by the request's variables (which @skip/@include may read). */
export type SelectionCache<T> = WeakMap<readonly FieldNode[], WeakMap<object, T>>;

/**
 * `compute()`, worked out once per field of a document and set of variables: a field asked for once
 * per item of a list (an owner per algorithm, a page of algorithms per owner) selects the same below
 * it every time, and what it selects must not be read again for each.
 */
export function oncePerSelection<T>(cache: SelectionCache<T>, info: GraphQLResolveInfo, compute: () => T): T {
  let byVariables = cache.get(info.fieldNodes);
  if (!byVariables) cache.set(info.fieldNodes, (byVariables = new WeakMap()));
  const variables = info.variableValues ?? NO_VARIABLES;
  if (byVariables.has(variables)) return byVariables.get(variables)!;
  const value = compute();
  byVariables.set(variables, value);
  return value;
}

const NO_VARIABLES = {};

const selectionSetsBelow = (info: GraphQLResolveInfo): SelectionSetNode[] =>
  info.fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));

const selectionSetsOf = (fields: FieldNode[], name: string): SelectionSetNode[] =>
  fields.flatMap((field) => (field.name.value === name && field.selectionSet ? [field.selectionSet] : []));

/** The fields of these selection sets, through fragments, leaving out what @skip or @include drops. */
function fieldsIn(info: GraphQLResolveInfo, sets: SelectionSetNode[]): FieldNode[] {
  const fields: FieldNode[] = [];
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (!included(info, selection)) continue;
      if (selection.kind === Kind.FIELD) fields.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else {
        const fragment = info.fragments[selection.name.value];
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  sets.forEach(visit);
  return fields;
}

function included(info: GraphQLResolveInfo, node: Parameters<typeof getDirectiveValues>[1]): boolean {
  return (
    getDirectiveValues(GraphQLSkipDirective, node, info.variableValues)?.if !== true &&
    getDirectiveValues(GraphQLIncludeDirective, node, info.variableValues)?.if !== false
  );
}

/**
 * What a field reads of the object it is on, as its definition declares it
 * (`extensions: { reads: [...] }`): lists read that along with their items, and an owner answered
 * from its summary is one whose selected fields read only `summary`. A field that declares nothing
 * may read anything.
 */
export const reads = (...parts: string[]) => ({ reads: parts });

/**
 * The union of what these fields read of their object, looked up on each of `typeNames` that has
 * the field; null when one of them declares nothing (it may read anything). `__typename` and `id`
 * read nothing: they are on every record. Worked out once per selection by its callers.
 */
export function readsOf(schema: GraphQLSchema, typeNames: readonly string[], fieldNames: readonly string[]): ReadonlySet<string> | null {
  const union = new Set<string>();
  let declared = true;
  for (const name of fieldNames) {
    if (name === '__typename' || name === 'id') continue;
    for (const typeName of typeNames) {
      const type = schema.getType(typeName);
      const field = isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;
      if (!field) continue;
      const parts = (field.extensions as { reads?: readonly string[] }).reads;
      if (parts === undefined) declared = false;
      else for (const part of parts) union.add(part);
    }
  }
  return declared ? union : null;
}
