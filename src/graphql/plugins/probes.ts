/**
 * The probes a load balancer or orchestrator asks: `/health` (the process answers) and `/ready`
 * (it can serve: its database answers). Matched on the exact path, so `/v1/algorithms/ada/health`
 * stays an algorithm, and before anything else of the request runs. Yoga's own plugins match the
 * end of the URL, and its readiness check runs a URLPattern on every request.
 */
import type { Plugin } from 'graphql-yoga';

export interface Probes {
  /**
   * Whether the server can serve requests now (false answers 503 with `reason`), and `details`:
   * more fields of the body, for what is degraded without stopping service (say, `redis`).
   */
  ready(): Promise<({ ready: true } | { ready: false; reason: string }) & { details?: Record<string, string> }>;
}

const json = (status: number, body: object) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } });

export function useProbes(probes: Probes): Plugin {
  return {
    onRequest({ url, endResponse }) {
      const path = url.pathname;
      if (path === '/health') return endResponse(json(200, { status: 'ok' }));
      if (path === '/ready') {
        return probes
          .ready()
          .then((state) => endResponse(state.ready ? json(200, { status: 'ready', ...state.details }) : json(503, { status: state.reason, ...state.details })));
      }
    },
  };
}
