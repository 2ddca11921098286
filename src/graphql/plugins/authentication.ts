/**
 * The gate's authentication verdict on every GraphQL request, before its body is read or its
 * document parsed: a caller without a good key learns nothing, not even whether its JSON was valid.
 */
import type { Plugin } from 'graphql-yoga';
import { after } from '../../core/now-or-later.js';
import type { Authenticator } from '../../gate/authenticate.js';
import { beginRequest } from '../../gate/request.js';
import { refusalError } from './refusal.js';
import type { GateServerContext } from './server-context.js';

export function useApiKeyAuthentication(authenticator: Authenticator): Plugin<object, GateServerContext> {
  return {
    // Not async: a cached key's verdict is at hand, and a hook that returns a promise makes every
    // later hook of the request wait on microtasks, with the allocations that takes.
    onRequestParse({ request, serverContext }) {
      const state = (serverContext.gate ??= beginRequest(request.headers, new URL(request.url).pathname));
      // Until the verdict says otherwise, the page may read what comes of it (a 503, say).
      state.corsAllowed = true;
      return after(authenticator.authenticate(request.headers, state.address), (verdict) => {
        if (!verdict.valid) {
          state.corsAllowed = verdict.corsAllowed;
          state.principal = verdict.principal;
          throw refusalError(verdict.refusal);
        }
        state.principal = verdict.principal;
        state.caller = verdict.caller;
        state.budget = verdict.budget;
        state.cost = 1;
      });
    },
  };
}
