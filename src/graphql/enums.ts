/**
 * GraphQL enums made from the database's enums (db/schema.ts): the pgEnum is the one list of values,
 * so a value added there reaches the schema, and a description written here must name a real value.
 */
import { builder } from './builder.js';

export function enumFromDatabase<const Values extends readonly [string, ...string[]]>(
  name: string,
  pgEnum: { enumValues: Values },
  options: { description?: string; values?: { [Value in Values[number]]: string } } = {},
) {
  const values = Object.fromEntries(
    pgEnum.enumValues.map((value: Values[number]) => [value, { description: options.values?.[value] }]),
  ) as Record<Values[number], { description: string | undefined }>;
  return builder.enumType(name, { description: options.description, values });
}
