/**
 * GraphQL POST bodies through the gate's body rules: JSON only, within the size limit, read only up
 * to it. The parser replaces yoga's for POST, so it also refuses batched arrays (batching is off).
 */
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { bodyPrecheck, readJsonObject } from '../../gate/body.js';
import { RefusalError } from '../../gate/refusal.js';
import { refusalError, refusalResponse } from './refusal.js';
import type { GateServerContext } from './server-context.js';

export function useBodyLimit(maxBytes: number): Plugin<object, GateServerContext> {
  return {
    onRequest({ request, serverContext, endResponse }) {
      if (request.method !== 'POST') return;
      const refused = bodyPrecheck(request, maxBytes);
      if (refused) endResponse(refusalResponse(refused, serverContext.gate!));
    },
    onRequestParse({ request, setRequestParser }) {
      if (request.method !== 'POST') return;
      setRequestParser(async (incoming) => {
        try {
          return (await readJsonObject(incoming, maxBytes)) as GraphQLParams;
        } catch (error) {
          throw error instanceof RefusalError ? refusalError(error.refusal) : error;
        }
      });
    },
  };
}
