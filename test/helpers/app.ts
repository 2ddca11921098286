/**
 * A real app on a fresh database for each test file: a new Postgres database on the server named by
 * DATABASE_URL (as in CI), otherwise an in-memory PGlite. Requests go through `yoga.fetch`, so tests
 * see exactly what an HTTP client sees.
 */
import { randomBytes } from 'node:crypto';
import { decodeGlobalID } from '@pothos/plugin-relay';
import postgres from 'postgres';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { createApp, type App } from '../../src/app.js';

export const ON_POSTGRES = Boolean(process.env.DATABASE_URL);

export interface TestDatabase {
  /** postgres:// URL of the new database, or undefined for PGlite. */
  url: string | undefined;
  drop(): Promise<void>;
}

/** A new, empty database: its own Postgres database, or (without DATABASE_URL) nothing to create. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return { url: undefined, drop: async () => {} };
  const name = `algoplane_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = postgres(serverUrl, { max: 1, onnotice: () => {} });
      try {
        await client.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

export interface CostReport {
  requested: number;
  actual: number;
  limit: number;
  remaining: number;
}

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  headers: Headers;
  body: { data?: T | null; errors?: { message: string; path?: string[]; extensions?: Record<string, any> }[] };
  /**
   * The response's `extensions.cost`, which every operation that reached execution carries: taken
   * out of `body`, so that tests comparing whole bodies compare what they are about.
   */
  cost?: CostReport;
}

export interface RequestOptions {
  key?: string;
  variables?: Record<string, unknown>;
  headers?: Record<string, string>;
}

export interface TestApp {
  app: App;
  config: Config;
  /** The admin key printed by the bootstrap of this fresh database. */
  adminKey: string;
  /** Every log line the app wrote, as parsed JSON. */
  logs: Record<string, unknown>[];
  /** Every SQL statement the app sent. */
  queries: string[];
  gql<T = Record<string, any>>(query: string, options?: RequestOptions): Promise<GraphQLResponse<T>>;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  // Budgets far above what any test sends, except where a test sets its own (rate-limits.test.ts).
  return loadConfig({
    DATA_DIR: 'memory://',
    LOG_LEVEL: 'info',
    KEY_USAGE_FLUSH_MS: '60000',
    RATE_LIMIT_PER_MINUTE: '1000000',
    AUTH_FAILURES_PER_MINUTE: '1000000',
    ...overrides,
  });
}

export function graphqlRequest(query: string, options: RequestOptions = {}): RequestInit {
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.key ? { authorization: `Simple ${options.key}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables: options.variables }),
  };
}

/** Starts an app; with `database` it reuses that database instead of creating one. */
export async function startTestApp(
  options: { env?: Record<string, string>; database?: TestDatabase; usageClock?: () => number } = {},
): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const config = testConfig({ ...(database.url ? { DATABASE_URL: database.url } : {}), ...options.env });
  const logs: Record<string, unknown>[] = [];
  const queries: string[] = [];
  const log = createLogger(config.logLevel, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const app = await createApp(config, { log, onQuery: (query) => queries.push(query), usageClock: options.usageClock });
  const fetch = (path: string, init?: RequestInit) => Promise.resolve(app.yoga.fetch(new Request(`http://localhost${path}`, init)));
  return {
    app,
    config,
    adminKey: app.bootstrapAdminKey ?? '',
    logs,
    queries,
    fetch,
    async gql(query, requestOptions) {
      const response = await fetch('/graphql', graphqlRequest(query, requestOptions));
      const body = await response.json();
      const { cost, ...extensions } = body.extensions ?? {};
      if (Object.keys(extensions).length > 0) body.extensions = extensions;
      else delete body.extensions;
      return { status: response.status, headers: response.headers, body, ...(cost && { cost }) };
    },
    async close() {
      await app.close();
      if (!options.database) await database.drop();
    },
  };
}

/**
 * `statements` without the public pages' cache's own: whether the caller's owners own an algorithm
 * (src/modules/algorithms/outsiders.ts), asked before a public page is looked up and again before
 * one is shared. What is left is what the read itself sent.
 */
export const readStatements = (statements: string[]): string[] =>
  statements.filter((statement) => !statement.startsWith('select distinct "owner_id" from "algorithms"'));

let counter = 0;
/** A username no other test in this run uses. */
export function uniqueName(prefix = 'user'): string {
  counter += 1;
  return `${prefix}_${process.pid}_${counter}`;
}

/** Creates a user through the admin plane; returns its username, id and default-key secret. */
export async function createUser(t: TestApp, username = uniqueName()): Promise<{ username: string; id: string; key: string }> {
  const response = await t.gql<{ createUser: { user: { id: string }; secret: string; userErrors: unknown[] } }>(
    `mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } secret userErrors { message } } }`,
    { key: t.adminKey, variables: { input: { username, email: `${username}@example.com` } } },
  );
  const payload = response.body.data?.createUser;
  if (!payload || payload.userErrors.length > 0) throw new Error(`createUser failed: ${JSON.stringify(response.body)}`);
  return { username, id: payload.user.id, key: payload.secret };
}

/** The database id inside a Relay global id. */
export function localId(globalId: string): string {
  return decodeGlobalID(globalId).id;
}

/** Creates an organization through the admin plane, with its owners and members; returns its name. */
export async function createOrganization(t: TestApp, owners: string[], members: string[] = []): Promise<string> {
  const name = uniqueName('Org');
  const created = await t.gql(
    `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { userErrors { message } } }`,
    { key: t.adminKey, variables: { input: { name, label: name, owners } } },
  );
  if (created.body.data?.createOrganization?.userErrors?.length !== 0) throw new Error(`createOrganization failed: ${JSON.stringify(created.body)}`);
  for (const username of members) {
    const added = await t.gql(
      `mutation($o: String!, $u: String!) { addOrganizationMember(input: { organization: $o, username: $u, role: MEMBER }) { userErrors { message } } }`,
      { key: t.adminKey, variables: { o: name, u: username } },
    );
    if (added.body.data?.addOrganizationMember?.userErrors?.length !== 0) throw new Error(`addOrganizationMember failed: ${JSON.stringify(added.body)}`);
  }
  return name;
}
