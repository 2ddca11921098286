/**
 * Enum values with a description each, for `builder.enumType`. The schema is its users' manual, and
 * the type of `descriptions` makes a value without one a compile error.
 */
export function describedValues<const V extends string>(
  values: readonly V[],
  descriptions: Record<V, string>,
): Record<V, { description: string }> {
  return Object.fromEntries(values.map((value) => [value, { description: descriptions[value] }])) as Record<V, { description: string }>;
}
