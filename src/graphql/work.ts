/**
 * Every list field of the schema, bounded at resolution: it counts the objects it returns against
 * the request's ceiling (MAX_OBJECTS_PER_REQUEST) and resolves nothing once the request has stopped
 * (its deadline passed). Lists are where an answer grows, so checking there bounds the answer
 * whatever the cost estimate said, for the price of one check per list rather than per field.
 */
import { defaultFieldResolver, getNullableType, GraphQLError, isListType, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { currentWork, TooManyObjects, WorkStopped } from '../core/request-work.js';

/** The ceiling as a client sees it, wherever in the request it is met. */
export const responseTooLarge = (error: TooManyObjects) =>
  new GraphQLError(error.message, { extensions: { code: 'RESPONSE_TOO_LARGE', limit: error.limit } });

function counted(value: unknown): unknown {
  const work = currentWork();
  if (!work) return value;
  try {
    work.produced(Array.isArray(value) ? value.length : 0);
  } catch (error) {
    if (!(error instanceof TooManyObjects)) throw error;
    // The answer would grow past the ceiling: stop the whole request here, not just this list.
    work.stop(error);
    throw responseTooLarge(error);
  }
  return value;
}

function bounded(resolve: GraphQLFieldResolver<unknown, unknown>): GraphQLFieldResolver<unknown, unknown> {
  return (source, args, context, info) => {
    const work = currentWork();
    const reason = work?.reason;
    if (reason) {
      throw reason instanceof TooManyObjects ? responseTooLarge(reason) : reason instanceof WorkStopped ? reason : new WorkStopped();
    }
    const value = resolve(source, args, context, info);
    return value instanceof Promise ? value.then(counted) : counted(value);
  };
}

/** Wraps the resolver of every list field of `schema` (in place: graphql-jit reads them from the schema). */
export function boundListResolution(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !isObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      if (isListType(getNullableType(field.type))) field.resolve = bounded(field.resolve ?? defaultFieldResolver);
    }
  }
  return schema;
}
