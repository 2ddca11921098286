/** CORS by key on the GraphQL endpoint: preflights answered for any origin, real requests as the gate decided. */
import type { Plugin } from 'graphql-yoga';
import { applyCors, preflightResponse } from '../../gate/cors.js';
import type { GateServerContext } from './server-context.js';

export function useKeyCors(graphqlPath: string): Plugin<object, GateServerContext> {
  return {
    onRequest({ request, url, endResponse }) {
      if (request.method === 'OPTIONS' && url.pathname === graphqlPath) endResponse(preflightResponse(request, ['GET', 'POST']));
    },
    onResponse({ request, response, serverContext }) {
      if (request.method === 'OPTIONS' || serverContext.gate?.path !== graphqlPath) return;
      applyCors(request, response, serverContext.gate?.corsAllowed);
    },
  };
}
