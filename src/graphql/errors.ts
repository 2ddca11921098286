/**
 * Error shapes clients see. Top-level errors always carry a stable `extensions.code`:
 * UNAUTHENTICATED (401), FORBIDDEN (wrong plane, missing permission, refused origin), BAD_USER_INPUT,
 * NOT_FOUND and INTERNAL_SERVER_ERROR (with a requestId). Mutation failures the caller can fix are
 * `userErrors` in the payload instead.
 */
import { GraphQLError } from 'graphql';
import { ServiceError, type UserErrorData } from '../core/errors.js';

/** A ServiceError outside a mutation payload (e.g. a bad cursor) as a top-level error. */
export function fromServiceError(error: ServiceError): GraphQLError {
  const first = error.errors[0];
  return new GraphQLError(error.message, {
    extensions: {
      code: first?.code === 'NOT_FOUND' ? 'NOT_FOUND' : 'BAD_USER_INPUT',
      fields: error.errors.map((e) => e.field),
    },
  });
}

/**
 * Runs a mutation's service call and shapes the payload: the result's fields plus
 * `userErrors: []`, or every user error with the result's fields left null.
 */
export async function withUserErrors<T extends object>(
  run: () => Promise<T>,
): Promise<Partial<T> & { userErrors: UserErrorData[] }> {
  try {
    return { ...(await run()), userErrors: [] };
  } catch (error) {
    if (error instanceof ServiceError) return { userErrors: error.errors } as Partial<T> & { userErrors: UserErrorData[] };
    throw error;
  }
}
