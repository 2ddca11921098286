import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from './schema.js';

/** The schema as SDL, sorted, exactly as committed in schema.graphql. */
export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
