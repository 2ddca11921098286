/**
 * What GraphQL tells the request metrics (core/metrics.ts; the request-lifecycle plugin counts):
 * that a request to the endpoint is GraphQL's, which operation it ran and, when it was refused, why.
 *
 * An operation is named by its type and root field, `query viewer` or `mutation createApiKey`,
 * never by the operation name a client chose: root fields are the schema's, so the label takes
 * at most one value per root field (and `query (multiple)` for an operation selecting several).
 */
import { GraphQLError, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../context.js';
import { perOperation, rootFields } from '../root-fields.js';
import { RefusalGraphQLError } from './refusal.js';
import type { GateServerContext } from './server-context.js';

/**
 * Codes of errors raised in GraphQL itself, not by the gate, that refuse what was asked: counted
 * under the code in lower case (the gate's refusals carry their own cause).
 */
const REFUSING_CODES = new Set(['FORBIDDEN', 'QUERY_TOO_COMPLEX', 'TOO_MANY_IDS', 'RESPONSE_TOO_LARGE']);

function operationLabel(document: DocumentNode, operationName: string | null | undefined): string | undefined {
  const { operation, fields } = rootFields(document, operationName);
  if (!operation) return undefined;
  const names = new Set(fields.map((field) => field.name.value));
  return `${operation.operation} ${names.size === 1 ? [...names][0] : '(multiple)'}`;
}

/** The cause of the first error that refuses the request, if any does. */
function refusalCause(errors: readonly unknown[]): string | undefined {
  for (const error of errors) {
    if (error instanceof RefusalGraphQLError) {
      if (error.refusalCause) return error.refusalCause;
    } else if (error instanceof GraphQLError) {
      const code = error.extensions?.code;
      if (typeof code === 'string' && REFUSING_CODES.has(code)) return code.toLowerCase();
    }
  }
  return undefined;
}

export function useGraphQLMetrics(endpoint: string): Plugin<GraphQLContext & GateServerContext, GateServerContext> {
  const labelOf = perOperation((operation, document) => operationLabel(document, operation.name?.value));
  return {
    onRequest({ serverContext }) {
      const gate = serverContext.gate!;
      if (gate.path === endpoint) gate.transport = 'graphql';
    },
    onExecute({ args }) {
      args.contextValue.gate!.operation = labelOf(args.document, args.operationName) ?? undefined;
    },
    onResultProcess({ result, serverContext }) {
      if (Array.isArray(result) || !('errors' in result) || !result.errors?.length) return;
      serverContext.gate!.refusedFor ??= refusalCause(result.errors);
    },
  };
}
