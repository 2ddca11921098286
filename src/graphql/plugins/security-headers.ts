/**
 * Browser hardening on every response the server sends (GraphQL, REST, health, GraphiQL, errors
 * and refusals alike): yoga runs onResponse for all of them, whoever answered. Nothing is to be
 * sniffed into another type, framed, or told where the user came from. An answer that is not a
 * page may load nothing at all; the GraphiQL page states what it needs in its own policy
 * (graphql/graphiql.ts), which is kept.
 */
import type { Plugin } from 'graphql-yoga';

const API_CSP = "default-src 'none'; frame-ancestors 'none'";

export function useSecurityHeaders(): Plugin {
  return {
    onResponse({ response }) {
      response.headers.set('x-content-type-options', 'nosniff');
      response.headers.set('referrer-policy', 'no-referrer');
      response.headers.set('x-frame-options', 'DENY');
      if (!response.headers.has('content-security-policy')) response.headers.set('content-security-policy', API_CSP);
    },
  };
}
