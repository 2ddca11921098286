/** What an operation asks of the schema's root, read from its document. */
import { getOperationAST, Kind, type DocumentNode, type FieldNode, type OperationDefinitionNode, type SelectionNode } from 'graphql';

/** The operation `operationName` picks, and the root fields it selects (through fragments, aliases as written). */
export function rootFields(document: DocumentNode, operationName: string | null | undefined): { operation: OperationDefinitionNode | undefined; fields: FieldNode[] } {
  const operation = getOperationAST(document, operationName) ?? undefined;
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
  );
  const fields: FieldNode[] = [];
  const collect = (selections: readonly SelectionNode[], seen: Set<string>) => {
    for (const selection of selections) {
      if (selection.kind === Kind.FIELD) fields.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet.selections, seen);
      else if (!seen.has(selection.name.value)) {
        const fragment = fragments.get(selection.name.value);
        if (fragment) collect(fragment.selectionSet.selections, new Set([...seen, selection.name.value]));
      }
    }
  };
  if (operation) collect(operation.selectionSet.selections, new Set());
  return { operation, fields };
}

/**
 * `compute`, worked out once per parsed document and operation name: yoga keeps parsed documents,
 * so a repeated query is the same object. Only operations the document defines are kept (undefined
 * otherwise), so names a client makes up grow nothing.
 */
export function perOperation<T, Extra extends unknown[]>(
  compute: (operation: OperationDefinitionNode, document: DocumentNode, ...extra: Extra) => T,
): (document: DocumentNode, operationName: string | null | undefined, ...extra: Extra) => T | undefined {
  const memo = new WeakMap<DocumentNode, Map<string | null | undefined, T>>();
  return (document, operationName, ...extra) => {
    let byName = memo.get(document);
    if (!byName) memo.set(document, (byName = new Map()));
    if (byName.has(operationName)) return byName.get(operationName);
    const operation = getOperationAST(document, operationName);
    if (!operation) return undefined;
    const value = compute(operation, document, ...extra);
    byName.set(operationName, value);
    return value;
  };
}
