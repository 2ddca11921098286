/** The documents the benchmark sends, shared by the driver and the baselines. */

/** Who am I: answered from the verified key, as nearly every client asks first. */
export const VIEWER = `query Viewer { viewer { key { name kind } owner { name } } }`;

/** A page of algorithms with what a catalogue page shows of each. */
export const NESTED_LIST = `query Catalogue($first: Int!) {
  algorithms(first: $first) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      name
      owner { name }
      latestVersion { semanticVersion callability }
      versions(first: 5) { pageInfo { hasNextPage } nodes { semanticVersion publishedAt } }
    }
  }
}`;

export const NESTED_PAGE_SIZE = 50;

/** The stack's floor: what a stock graphql-yoga answers with no work of ours at all. */
export const HELLO = `{ hello }`;

export function graphqlBody(query: string, variables?: Record<string, unknown>): string {
  return JSON.stringify(variables ? { query, variables } : { query });
}

export function graphqlHeaders(key: string): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Simple ${key}` };
}

/** A GraphQL POST as a client sends it, for `yoga.fetch` (seeding, statement counts). */
export function graphqlPost(key: string, query: string, variables?: Record<string, unknown>): Request {
  return new Request('http://localhost/graphql', { method: 'POST', headers: graphqlHeaders(key), body: graphqlBody(query, variables) });
}
