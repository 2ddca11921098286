/**
 * Opens the gate's state for each request, and closes it with the request id, budget headers, one
 * log line and, when metrics are on, the request's count and latency (and its refusal, if any).
 */
import type { Plugin } from 'graphql-yoga';
import { budgetHeaders } from '../../auth/rate-limit.js';
import type { TrustProxy } from '../../core/client-address.js';
import type { Logger } from '../../core/logger.js';
import { NO_OPERATION, type RequestMetrics } from '../../core/metrics.js';
import { beginRequest } from '../../gate/request.js';
import type { GateServerContext } from './server-context.js';

export function useRequestLifecycle(log: Logger, trustProxy: TrustProxy, metrics: RequestMetrics | undefined): Plugin<object, GateServerContext> {
  return {
    onRequest({ request, url, serverContext }) {
      serverContext.gate = beginRequest(request.headers, url.pathname, { peer: serverContext.req?.socket?.remoteAddress, trustProxy });
    },
    onResponse({ request, response, serverContext }) {
      const state = (serverContext.gate ??= beginRequest(request.headers, new URL(request.url).pathname));
      response.headers.set('x-request-id', state.id);
      if (state.budget) for (const [name, value] of Object.entries(budgetHeaders(state.budget))) response.headers.set(name, value);
      const ms = performance.now() - state.startedAt;
      if (metrics && state.transport) metrics.answered(state.transport, state.operation ?? NO_OPERATION, response.status, ms / 1000, state.refusedFor);
      log.info(
        {
          requestId: state.id,
          method: request.method,
          path: state.path,
          status: response.status,
          ms: Math.round(ms),
          keyId: state.principal?.keyId,
          address: state.address,
        },
        'request',
      );
    },
  };
}
