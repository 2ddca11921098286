/** Opens the gate's state for each request, and closes it with the request id, budget headers and one log line. */
import type { Plugin } from 'graphql-yoga';
import { budgetHeaders } from '../../auth/rate-limit.js';
import type { Logger } from '../../core/logger.js';
import { beginRequest } from '../../gate/request.js';
import type { GateServerContext } from './server-context.js';

export function useRequestLifecycle(log: Logger): Plugin<object, GateServerContext> {
  return {
    onRequest({ request, serverContext }) {
      serverContext.gate = beginRequest(request, serverContext.req?.socket?.remoteAddress);
    },
    onResponse({ request, response, serverContext }) {
      const state = (serverContext.gate ??= beginRequest(request));
      response.headers.set('x-request-id', state.id);
      if (state.budget) for (const [name, value] of Object.entries(budgetHeaders(state.budget))) response.headers.set(name, value);
      log.info(
        {
          requestId: state.id,
          method: request.method,
          path: new URL(request.url).pathname,
          status: response.status,
          ms: Math.round(performance.now() - state.startedAt),
          keyId: state.principal?.keyId,
        },
        'request',
      );
    },
  };
}
