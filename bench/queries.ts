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

/**
 * NESTED_LIST asked of PostGraphile's own schema (bench/postgraphile-server.mjs), aliased to
 * algoplane's field names: the catalogue as a caller who is no owner or member sees it (algorithms
 * with a public version, their public versions), in algoplane's orders — by creation then id, the
 * latest by semantic version, versions by publication then id. PostGraphile has no semantic version
 * field, so it answers major, minor and patch; bench/postgraphile.ts compares the two answers.
 */
export const POSTGRAPHILE_NESTED_LIST = `query Catalogue($first: Int!) {
  algorithms: allAlgorithms(first: $first, condition: { hasPublicVersion: true }, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      name
      owner: ownerByOwnerId { name }
      latestVersion: algorithmVersionsByAlgorithmId(first: 1, condition: { callability: PUBLIC }, orderBy: [MAJOR_DESC, MINOR_DESC, PATCH_DESC]) {
        nodes { major minor patch callability }
      }
      versions: algorithmVersionsByAlgorithmId(first: 5, condition: { callability: PUBLIC }, orderBy: [PUBLISHED_AT_ASC, PRIMARY_KEY_ASC]) {
        pageInfo { hasNextPage }
        nodes { major minor patch publishedAt }
      }
    }
  }
}`;

/** The bench caller's algorithm with many versions (bench/seed.ts), which the REST rows read. */
export const VERSIONED_ALGORITHM = 'bench/versioned';
export const VERSIONED_VERSIONS = 60;
export const REST_VERSIONS_LIMIT = 50;

/** REST's `GET /v1/algorithms/{owner}/{name}`. */
export const REST_ALGORITHM_PATH = `/v1/algorithms/${VERSIONED_ALGORITHM}`;
/** REST's newest page of versions: full, with a marker to the next. */
export const REST_VERSIONS_PATH = `${REST_ALGORITHM_PATH}/versions?limit=${REST_VERSIONS_LIMIT}`;

const SETTINGS = 'algorithmCallability sourceVisibility license networkAccess pipelineEnabled royaltyMicrocredits language environment packageSet';

/**
 * What REST_ALGORITHM_PATH answers, asked of GraphQL: the algorithm as it is now, its latest
 * version's id, semver, git hash and date (REST's version_info and build), its pending build.
 */
export const ALGORITHM = `query Algorithm($ref: String!) {
  algorithm(ref: $ref) {
    id
    name
    owner { name }
    details { label summary tagline }
    settings { ${SETTINGS} }
    sampleInput
    pendingBuildHash
    updatedAt
    latestVersion { id semanticVersion gitHash publishedAt }
  }
}`;

/** What REST_VERSIONS_PATH answers, asked of GraphQL: every field a REST version object shows, and the marker. */
export const VERSIONS = `query Versions($ref: String!, $last: Int!) {
  algorithm(ref: $ref) {
    id
    name
    owner { name }
    versions(last: $last) {
      pageInfo { hasPreviousPage startCursor }
      nodes {
        id
        semanticVersion
        gitHash
        callability
        publishedAt
        releaseNotes
        sampleInput
        sampleOutput
        details { label summary tagline }
        settings { ${SETTINGS} }
      }
    }
  }
}`;

/**
 * The worst request the limits accept, as the bench caller can make it: one owner's id as many times
 * as `nodes(ids:)` takes, each with its algorithms and as many of their versions as the cost limit
 * admits (bench/run.ts picks `versions`). Every id is the same owner, so the answer repeats one
 * owner's catalogue: the most objects per statement read.
 */
export const WORST_ACCEPTED_IDS = 100;
export const WORST_ACCEPTED_ALGORITHMS = 3;
export function worstAccepted(versions: number): string {
  return `query Worst($ids: [ID!]!) {
  nodes(ids: $ids) {
    id
    ... on User {
      username
      algorithms(first: ${WORST_ACCEPTED_ALGORITHMS}) { nodes { name versions(first: ${versions}) { nodes { semanticVersion publishedAt } } } }
    }
  }
}`;
}

/** The stack's floor: what a stock graphql-yoga answers with no work of ours at all. */
export const HELLO = `{ hello }`;

export function graphqlBody(query: string, variables?: Record<string, unknown>): string {
  return JSON.stringify(variables ? { query, variables } : { query });
}

export function graphqlHeaders(key: string): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Simple ${key}` };
}

/** What a REST client sends on a GET. */
export function restHeaders(key: string): Record<string, string> {
  return { authorization: `Simple ${key}` };
}

/**
 * What nginx's auth_request sends the authorizer before a call of `path`, configured as
 * docs/nginx.conf is: the caller's key, the original method and URI, the refusal-status request,
 * the forwarded address and nginx's own request id (32 hex digits, fixed here).
 */
export function authorizeHeaders(key: string, path: string): Record<string, string> {
  return {
    authorization: `Simple ${key}`,
    'x-original-uri': path,
    'x-original-method': 'POST',
    'x-algoplane-refusal-status': '403',
    'x-forwarded-for': '192.0.2.10',
    'x-request-id': '5f0e8c0b9a1d4e7f8a2b3c4d5e6f7a8b',
  };
}

/** A GraphQL POST as a client sends it, for `yoga.fetch` (seeding, statement counts). */
export function graphqlPost(key: string, query: string, variables?: Record<string, unknown>): Request {
  return new Request('http://localhost/graphql', { method: 'POST', headers: graphqlHeaders(key), body: graphqlBody(query, variables) });
}
