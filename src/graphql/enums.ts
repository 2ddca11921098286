/**
 * GraphQL enums: made from the database's enums (db/enums.ts), the one list of values, so a value
 * added there reaches the schema. The schema is its users' manual: the types make an enum or a
 * value without a description a compile error, and a description of a value that does not exist one too.
 */
import { builder } from './builder.js';

type Described<Values extends readonly string[]> = { description: string; values: { [Value in Values[number]]: string } };

/** An enum of these values, each described. */
export function describedEnum<const Values extends readonly [string, ...string[]]>(name: string, values: Values, options: Described<Values>) {
  const described = Object.fromEntries(values.map((value: Values[number]) => [value, { description: options.values[value] }])) as Record<
    Values[number],
    { description: string }
  >;
  return builder.enumType(name, { description: options.description, values: described });
}

/** The GraphQL enum of a database enum. */
export function enumFromDatabase<const Values extends readonly [string, ...string[]]>(
  name: string,
  pgEnum: { enumValues: Values },
  options: Described<Values>,
) {
  return describedEnum(name, pgEnum.enumValues, options);
}
