/**
 * Error shapes clients see. Coded errors pass as they are; service errors outside a payload become
 * coded top-level errors; anything else becomes the gate's opaque 500 or retryable 503, logged
 * with the request's id.
 */
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { PermissionDenied, ServiceError } from '../../core/errors.js';
import { TooManyObjects } from '../../core/request-work.js';
import { responseTooLarge } from '../work.js';
import type { Logger } from '../../core/logger.js';
import { unexpectedFailure } from '../../gate/failures.js';
import type { GraphQLContext } from '../context.js';
import { fromServiceError } from '../errors.js';
import { RefusalGraphQLError } from './refusal.js';

/** The error as a client may see it; unexpected ones are logged when `log` is given. */
export function toClientError(error: GraphQLError, log: Logger | undefined, requestId: string | undefined): GraphQLError {
  const original = error.originalError;
  if (original instanceof PermissionDenied) {
    return new GraphQLError(original.message, { nodes: error.nodes, path: error.path, extensions: { code: 'FORBIDDEN' } });
  }
  if (original instanceof TooManyObjects) {
    // A statement refused after the ceiling stopped the request: the same answer as the list that met it.
    const tooLarge = responseTooLarge(original);
    return new GraphQLError(tooLarge.message, { nodes: error.nodes, path: error.path, extensions: tooLarge.extensions });
  }
  if (original instanceof ServiceError) {
    const mapped = fromServiceError(original);
    return new GraphQLError(mapped.message, { nodes: error.nodes, path: error.path, extensions: mapped.extensions });
  }
  const coded = typeof error.extensions?.code === 'string';
  if (coded && (!original || original instanceof GraphQLError)) return error;
  if (!original) return error; // parse and validation errors: about the document, safe to show
  const failure = unexpectedFailure(original, log, requestId, error.path);
  return new RefusalGraphQLError(failure, {
    nodes: error.nodes,
    path: error.path,
    extensions: {
      code: failure.code,
      requestId,
      // Execution errors answer 200 as GraphQL over HTTP has it; a retryable one says so to clients and proxies.
      ...(failure.status === 503 ? { http: { status: failure.status, headers: failure.headers } } : {}),
    },
  });
}

/** Shapes execution errors while the request's id is at hand (yoga's masking sees no context). */
export function useClientErrors(log: Logger): Plugin<GraphQLContext> {
  return {
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          if (Symbol.asyncIterator in result || !result.errors?.length) return;
          const { requestId } = args.contextValue;
          setResult({ ...result, errors: result.errors.map((e) => toClientError(e, log, requestId)) });
        },
      };
    },
  };
}
