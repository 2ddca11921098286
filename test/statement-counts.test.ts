/**
 * Every list field with a nested per-parent field loads that field in batches: the same query costs
 * the same number of SQL statements with 10 parents as with 50. Seeded through the API, counted
 * through the app's `onQuery` hook.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, createUser, localId, startTestApp, type TestApp } from './helpers/app.js';

const PARENTS = 50;

let t: TestApp;
let users: { username: string; key: string }[] = [];
/** A user with PARENTS keys of its own, for the standard plane's `apiKeys`. */
let keeper: { username: string; key: string };

async function must(query: string, key: string, variables: Record<string, unknown>): Promise<Record<string, any>> {
  const response = await t.gql(query, { key, variables });
  const data = response.body.data;
  const payload = data && (Object.values(data)[0] as { userErrors?: unknown[] } | null);
  if (response.body.errors || !payload || (payload.userErrors?.length ?? 0) > 0) {
    throw new Error(`seeding failed: ${JSON.stringify(response.body)}`);
  }
  return payload;
}

const CREATE_ALGORITHM = `mutation($input: CreateAlgorithmInput!) { createAlgorithm(input: $input) { algorithm { id } userErrors { message } } }`;
const PUBLISH = `mutation($id: ID!) { publishAlgorithm(input: { id: $id, versionType: MAJOR, callability: PUBLIC }) { userErrors { message } } }`;

/** An algorithm under `owner`, published PUBLIC as 1.0.0. */
async function publishedAlgorithm(key: string, owner: string, name: string): Promise<void> {
  const input = { name, owner, details: { label: name }, settings: { language: 'PYTHON3', environment: 'CPU' } };
  const created = await must(CREATE_ALGORITHM, key, { input });
  await must(PUBLISH, key, { id: created.algorithm.id });
}

beforeAll(async () => {
  t = await startTestApp();
  // Each user owns one organization and is a member of the next one; each owner has a public algorithm.
  for (let i = 0; i < PARENTS; i++) users.push(await createUser(t));
  for (let i = 0; i < PARENTS; i++) {
    const user = users[i]!;
    const organization = await createOrganization(t, [user.username], [users[(i + 1) % PARENTS]!.username]);
    await t.gql(`mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { userErrors { message } } }`, {
      key: t.adminKey,
      variables: { input: { organization, contactName: 'Contact', email: `${organization}@example.com` } },
    });
    await publishedAlgorithm(user.key, user.username, 'mine');
    await publishedAlgorithm(user.key, organization, 'ours');
    const viewer = await t.gql('{ viewer { key { id } } }', { key: user.key });
    t.app.usage.countCall(localId(viewer.body.data!.viewer.key.id), 'allowed');
  }
  keeper = await createUser(t);
  for (let i = 0; i < PARENTS; i++) {
    const created = await must(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } userErrors { message } } }`, keeper.key, {
      input: { name: `key_${i}`, manageAccount: true },
    });
    // Each key has usage, so each has a list to read.
    const keyId = localId(created.apiKey.id);
    t.app.usage.countCall(keyId, 'allowed');
    t.app.usage.countCall(keyId, 'refused');
  }
  await t.app.usage.flush();
}, 600_000);
afterAll(() => t?.close());

interface Case {
  name: string;
  key: () => string;
  /** Takes `$first: Int!`, the number of parents. */
  query: string;
  nodes: (data: Record<string, any>) => unknown[];
}

const adminUsers = (nodes: string): Case['query'] => `query($first: Int!) { admin { users(first: $first) { nodes { username ${nodes} } } } }`;
const adminOrganizations = (nodes: string): Case['query'] =>
  `query($first: Int!) { admin { organizations(first: $first) { nodes { name ${nodes} } } } }`;

const CASES: Case[] = [
  {
    name: 'admin.users { organizations }',
    key: () => t.adminKey,
    query: adminUsers('organizations { role since organization { name label } user { username } }'),
    nodes: (data) => data.admin.users.nodes,
  },
  {
    name: 'admin.users { defaultKey }',
    key: () => t.adminKey,
    query: adminUsers('defaultKey { mask isDefault owner { name } }'),
    nodes: (data) => data.admin.users.nodes,
  },
  {
    name: 'admin.users { algorithms } (Owner.algorithms in a list)',
    key: () => t.adminKey,
    query: adminUsers('algorithms { totalCount nodes { name latestVersion { semanticVersion } } }'),
    nodes: (data) => data.admin.users.nodes,
  },
  {
    name: 'admin.organizations { members { user } }',
    key: () => t.adminKey,
    query: adminOrganizations('contactName email members { totalCount nodes { role since user { username email } organization { name } } }'),
    nodes: (data) => data.admin.organizations.nodes,
  },
  {
    name: 'admin.organizations { algorithms } (Owner.algorithms in a list)',
    key: () => t.adminKey,
    query: adminOrganizations('algorithms { totalCount nodes { name } }'),
    nodes: (data) => data.admin.organizations.nodes,
  },
  {
    name: 'apiKeys { owner }',
    key: () => keeper.key,
    query: `query($first: Int!) { apiKeys(first: $first) { nodes { name owner { name ... on User { email organizations { role } } } } } }`,
    nodes: (data) => data.apiKeys.nodes,
  },
  {
    name: 'admin.apiKeys { owner }',
    key: () => t.adminKey,
    query: `query($first: Int!) { admin { apiKeys(first: $first, kind: STANDARD) { nodes { name
      owner { name ... on User { email fullName defaultKey { mask } organizations { role organization { name } } } ... on Organization { label } } } } } }`,
    nodes: (data) => data.admin.apiKeys.nodes,
  },
  {
    name: 'apiKeys { usage }',
    key: () => keeper.key,
    query: `query($first: Int!) { apiKeys(first: $first) { nodes { name usage { day calls refused } } } }`,
    nodes: (data) => data.apiKeys.nodes,
  },
  {
    name: 'admin.apiKeys { usage }',
    key: () => t.adminKey,
    query: `query($first: Int!) { admin { apiKeys(first: $first, kind: STANDARD) { nodes { name usage(days: 7) { day calls } recent: usage(days: 1) { calls } } } } }`,
    nodes: (data) => data.admin.apiKeys.nodes,
  },
  {
    name: 'admin.auditEvents { actorUser }',
    key: () => t.adminKey,
    query: `query($first: Int!) { admin { auditEvents(first: $first, action: ALGORITHM_CREATED) { nodes { action targetId
      actorUser { username email defaultKey { mask } organizations { role organization { name } } } } } } }`,
    nodes: (data) => data.admin.auditEvents.nodes,
  },
  {
    name: 'algorithms { owner latestVersion versions version(semver) }',
    key: () => users[0]!.key,
    query: `query($first: Int!) { algorithms(first: $first) { nodes { name
      owner { name ... on User { fullName } ... on Organization { label } }
      latestVersion { semanticVersion details { label } }
      versions { totalCount nodes { semanticVersion } }
      version(semver: "1.0.0") { semanticVersion } } } }`,
    nodes: (data) => data.algorithms.nodes,
  },
  {
    name: 'algorithms { owner { algorithms } } (Owner.algorithms in a list)',
    key: () => users[0]!.key,
    query: `query($first: Int!) { algorithms(first: $first) { nodes { name owner { name algorithms { totalCount nodes { name } } } } } }`,
    nodes: (data) => data.algorithms.nodes,
  },
];

/** The statements one run of `query` sends, after a run that warms the key cache. */
async function statementsFor(c: Case, first: number): Promise<number> {
  await t.gql(c.query, { key: c.key(), variables: { first } });
  const before = t.queries.length;
  const response = await t.gql(c.query, { key: c.key(), variables: { first } });
  expect(response.body.errors).toBeUndefined();
  expect(c.nodes(response.body.data!)).toHaveLength(first);
  return t.queries.length - before;
}

describe('statements per list do not grow with the number of parents', () => {
  it.each(CASES)('$name', async (c) => {
    const ten = await statementsFor(c, 10);
    const fifty = await statementsFor(c, PARENTS);
    expect({ list: c.name, parents: PARENTS, statements: fifty }).toEqual({ list: c.name, parents: PARENTS, statements: ten });
  });
});

describe('what a list reads along follows each request', () => {
  /** The statements one run sends, after a run that warms the key cache. */
  async function statements(query: string, variables: Record<string, unknown>): Promise<number> {
    await t.gql(query, { key: users[0]!.key, variables });
    const before = t.queries.length;
    const response = await t.gql(query, { key: users[0]!.key, variables });
    expect(response.body.errors).toBeUndefined();
    return t.queries.length - before;
  }

  it('reads versions along when @include lets them in, after a request of the same document that left them out', async () => {
    const directed = `query($first: Int!, $withVersions: Boolean!) { algorithms(first: $first) { nodes { name
      versions @include(if: $withVersions) { nodes { semanticVersion } } } } }`;
    const plain = `query($first: Int!) { algorithms(first: $first) { nodes { name versions { nodes { semanticVersion } } } } }`;
    const without = await statements(directed, { first: 10, withVersions: false });
    const withVersions = await statements(directed, { first: 10, withVersions: true });
    expect({ without, withVersions }).toEqual({ without: 1, withVersions: await statements(plain, { first: 10 }) });
  });
});
