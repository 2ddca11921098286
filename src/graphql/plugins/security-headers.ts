/**
 * Browser hardening on every response the server sends (GraphQL, REST, health, GraphiQL, errors
 * and refusals alike): yoga runs onResponse for all of them, whoever answered. Nothing is to be
 * sniffed into another type, framed, or told where the user came from. An answer that is not a
 * page may load nothing at all; the GraphiQL page states what it needs in its own policy
 * (graphql/graphiql.ts), which is kept.
 */
import type { Plugin } from 'graphql-yoga';

/** The headers of every answer that is not a page; a page keeps its own content-security-policy. */
export const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
} as const;

const HEADERS = Object.entries(SECURITY_HEADERS);

export function useSecurityHeaders(): Plugin {
  return {
    onResponse({ response }) {
      for (const [name, value] of HEADERS) {
        if (name !== 'content-security-policy' || !response.headers.has(name)) response.headers.set(name, value);
      }
    },
  };
}
