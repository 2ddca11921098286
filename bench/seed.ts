/**
 * Benchmark data. The caller the benchmark acts as, its organizations and a few algorithms are made
 * through the GraphQL API, i.e. the real services. The volume (tens of thousands of users, hundreds
 * of thousands of keys and versions) is then written set-based, one INSERT … SELECT per table,
 * copying its algorithm and version contents from the rows the services wrote — one request per
 * row would take an hour at the large scale.
 */
import postgres from 'postgres';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/core/logger.js';
import { createApp } from '../src/app.js';
import { VERSIONED_ALGORITHM, VERSIONED_VERSIONS, graphqlPost } from './queries.js';

export interface Dataset {
  label: string;
  users: number;
  organizations: number;
  keysPerUser: number;
  algorithms: number;
  versionsPerAlgorithm: number;
}

/** The large dataset at `scale` 1: the sizes issue #7 names. */
export function datasetAt(label: string, scale: number): Dataset {
  const at = (n: number) => Math.max(1, Math.round(n * scale));
  return { label, users: at(10_000), organizations: at(1_000), keysPerUser: 20, algorithms: at(50_000), versionsPerAlgorithm: 4 };
}

export interface Seeded {
  /** The standard key the benchmark calls with (a member of three organizations, with algorithms of its own). */
  key: string;
  /** The key of a user who owns nothing and belongs nowhere: the public catalogue is the same for it as for every such caller. */
  outsiderKey: string;
  /**
   * Keys for the authorizer's row, one per measurement, each the default key of a user of its own:
   * on a quiet machine the authorizer answers more requests in a minute (60 000 a second) than one
   * key, or one owner's keys together, may make (1 000 000 a minute, the most an admin may set), and
   * the limiter refuses the rest. A public algorithm is what every one of them may call.
   */
  authorizerKeys: string[];
  rows: { users: number; organizations: number; apiKeys: number; algorithms: number; versions: number };
}

/** A fresh database named `name` on the server of `serverUrl`; returns its URL. */
export async function recreateDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

type Gql = (query: string, variables: Record<string, unknown>, key: string) => Promise<Record<string, any>>;

/** Runs a mutation and returns its payload, failing loudly on any error. */
async function mutate(gql: Gql, key: string, field: string, query: string, input: Record<string, unknown>) {
  const body = await gql(query, { input }, key);
  const payload = body.data?.[field];
  if (body.errors || !payload || payload.userErrors?.length) throw new Error(`seeding: ${field} failed: ${JSON.stringify(body)}`);
  return payload;
}

/**
 * The benchmark's caller and its algorithms, made through the API; returns its key. One of them
 * has VERSIONED_VERSIONS versions, for the REST rows' version pages.
 */
async function seedThroughServices(gql: Gql, adminKey: string, authorizerKeys: number): Promise<Omit<Seeded, 'rows'>> {
  const created = await heavyUser(gql, adminKey, 'bench');
  for (const name of ['benchlab', 'benchworks', 'benchcorp']) {
    await mutate(gql, adminKey, 'createOrganization', `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { userErrors { message } } }`, {
      name,
      label: `The ${name}`,
      owners: ['bench'],
    });
  }
  const key = created.secret as string;
  const publishes = (count: number) => ['MAJOR', 'MINOR', ...Array.from({ length: count - 2 }, () => 'REVISION')];
  for (const [name, callability, versionTypes] of [
    ['template_public', 'PUBLIC', publishes(3)],
    ['template_private', 'PRIVATE', publishes(3)],
    // Enough versions that a REST page of REST_VERSIONS_LIMIT is full and has a next page.
    [VERSIONED_ALGORITHM.split('/')[1]!, 'PUBLIC', publishes(VERSIONED_VERSIONS)],
  ] as const) {
    const { algorithm } = await mutate(gql, key, 'createAlgorithm', `mutation($input: CreateAlgorithmInput!) { createAlgorithm(input: $input) { algorithm { id } userErrors { message } } }`, {
      name,
      details: { label: 'Sentiment Analysis', summary: 'Finds the sentiment of text.', tagline: 'How does it feel?' },
      settings: { language: 'PYTHON3', environment: 'CPU', license: 'MIT', sourceVisibility: 'OPEN' },
    });
    for (const versionType of versionTypes) {
      await mutate(gql, key, 'publishAlgorithm', `mutation($input: PublishAlgorithmInput!) { publishAlgorithm(input: $input) { userErrors { message } } }`, {
        id: algorithm.id,
        versionType,
        ...(versionType === 'MAJOR' ? { callability } : {}),
        releaseNotes: `A ${versionType.toLowerCase()} release.`,
        sampleInput: '"I love it"',
        sampleOutput: '{"sentiment": 0.9}',
      });
    }
  }
  // Each of its own owner: an owner's keys share the owner's budget, so more keys of one caller would not do.
  const more: string[] = [];
  for (let i = 0; i < authorizerKeys; i++) more.push((await heavyUser(gql, adminKey, `caller${i}`)).secret as string);
  return { key, outsiderKey: (await heavyUser(gql, adminKey, 'reader')).secret as string, authorizerKeys: more };
}

/**
 * A user whose default key the benchmark calls with. The benchmark must measure the server, not the
 * default budget: an admin raises the key's own limit, the way an operator would for a heavy client.
 * The limiter still runs.
 */
async function heavyUser(gql: Gql, adminKey: string, username: string) {
  const created = await mutate(gql, adminKey, 'createUser', `mutation($input: CreateUserInput!) { createUser(input: $input) { secret defaultKey { id } userErrors { message } } }`, {
    username,
    email: `${username}@bench.example`,
    fullName: `${username} (benchmark)`,
  });
  await mutate(gql, adminKey, 'setApiKeyRateLimit', `mutation($input: SetApiKeyRateLimitInput!) { setApiKeyRateLimit(input: $input) { userErrors { message } } }`, {
    id: created.defaultKey.id,
    requestsPerMinute: 1_000_000, // the most an admin may set
  });
  return created;
}

/**
 * The volume, set-based. Users own 20 keys each; every organization has five members; four in five
 * algorithms belong to users, the rest to organizations; nine in ten are PUBLIC (1.0.0, 1.0.1, …),
 * the rest PRIVATE-only (0.1.0, 0.1.1, …). Contents are copied from the service-made templates.
 */
async function seedVolume(sql: postgres.Sql, d: Dataset): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`create temporary table bench_users on commit drop as
      select i, gen_random_uuid() as id from generate_series(1, ${d.users}::int) as i`;
    await tx`create temporary table bench_orgs on commit drop as
      select i, gen_random_uuid() as id from generate_series(1, ${d.organizations}::int) as i`;
    // Everything is older than the services' rows, spread over a year, so lists page through volume.
    await tx`insert into owners (id, kind, name, created_at)
      select id, 'USER', 'user' || i, now() - interval '400 days' + i * interval '1 second' from bench_users`;
    await tx`insert into owners (id, kind, name, created_at)
      select id, 'ORGANIZATION', 'org' || i, now() - interval '400 days' + i * interval '1 second' from bench_orgs`;
    await tx`insert into users (id, email, full_name, created_at)
      select id, 'user' || i || '@bench.example', 'User ' || i, now() - interval '400 days' + i * interval '1 second' from bench_users`;
    await tx`insert into organizations (id, label, created_at)
      select id, 'Organization ' || i, now() - interval '400 days' + i * interval '1 second' from bench_orgs`;
    await tx`insert into organization_members (organization_id, user_id, role)
      select o.id, u.id, case when m = 0 then 'OWNER'::member_role else 'MEMBER'::member_role end
      from bench_orgs o cross join generate_series(0, 4) as m
      join bench_users u on u.i = 1 + ((o.i * 5 + m) % ${d.users}::int)
      on conflict do nothing`;
    await tx`create temporary table bench_keys on commit drop as
      select gen_random_uuid() as id, u.id as owner_id, k, u.i * 100 + k as n
      from bench_users u cross join generate_series(1, ${d.keysPerUser}::int) as k`;
    await tx`insert into api_keys (id, owner_id, created_by_user_id, name, kind, mask, created_at, algorithm_access, manage_algorithms, data_access)
      select id, owner_id, owner_id, 'key-' || k, 'STANDARD', 'simBnch…' || lpad((n % 10000)::text, 4, '0'),
        now() - interval '300 days' + n * interval '100 ms', '{algo://*}', k % 2 = 0, 'READ'
      from bench_keys`;
    // The hash of a secret nobody holds: these keys exist to be indexed around, not used.
    await tx`insert into api_key_secrets (api_key_id, hash)
      select id, encode(sha256(convert_to('bench-' || id::text, 'UTF8')), 'hex') from bench_keys`;
    await tx`create temporary table bench_algorithms on commit drop as
      select a.i, gen_random_uuid() as id, coalesce(o.id, u.id) as owner_id, a.i % 10 <> 0 as public
      from generate_series(1, ${d.algorithms}::int) as a(i)
      left join bench_orgs o on a.i % 5 = 0 and o.i = 1 + (a.i / 5) % ${d.organizations}::int
      left join bench_users u on a.i % 5 <> 0 and u.i = 1 + a.i % ${d.users}::int`;
    await tx`insert into algorithms (id, owner_id, name, label, summary, tagline, license, network_access, pipeline_enabled,
        source_visibility, language, environment, package_set, royalty_microcredits, sample_input, callability, has_public_version,
        created_at, updated_at)
      select b.id, b.owner_id, 'algo' || b.i, t.label || ' ' || b.i, t.summary, t.tagline, t.license, t.network_access,
        t.pipeline_enabled, t.source_visibility, t.language, t.environment, t.package_set, t.royalty_microcredits, t.sample_input,
        case when b.public then 'PUBLIC'::callability else 'PRIVATE'::callability end, false,
        now() - interval '200 days' + b.i * interval '1 second', now() - interval '200 days' + b.i * interval '1 second'
      from bench_algorithms b
      cross join (select * from algorithms where name = 'template_public') as t`;
    await tx`insert into algorithm_versions (algorithm_id, major, minor, patch, git_hash, version_type, callability, release_notes,
        sample_input, sample_output, details, settings, published_at, published_by_user_id, published_by_key_id)
      select b.id, case when b.public then 1 else 0 end, case when b.public then 0 else 1 end, v,
        md5(random()::text || b.id::text || v::text) || substr(md5(b.id::text || v::text), 1, 8),
        case when v = 0 then 'MAJOR'::version_type else 'REVISION'::version_type end,
        case when b.public then 'PUBLIC'::callability else 'PRIVATE'::callability end,
        t.release_notes, t.sample_input, t.sample_output, t.details, t.settings,
        now() - interval '200 days' + b.i * interval '1 second' + v * interval '1 hour',
        null, null
      from bench_algorithms b cross join generate_series(0, ${d.versionsPerAlgorithm - 1}::int) as v
      cross join (select v.* from algorithm_versions v join algorithms a on a.id = v.algorithm_id
                  where a.name = 'template_public' order by v.published_at limit 1) as t`;
    // What publish keeps: each algorithm's newest version (its last patch) is its newest PUBLIC one if it is public.
    await tx`update algorithms a set latest_version_id = v.id, latest_public_version_id = case when b.public then v.id end,
        latest_version_summary_json = v.summary_json, latest_public_version_summary_json = case when b.public then v.summary_json end,
        has_public_version = b.public
      from bench_algorithms b join algorithm_versions v on v.algorithm_id = b.id and v.patch = ${d.versionsPerAlgorithm - 1}::int
      where a.id = b.id`;
  });
  await sql`analyze`;
}

/** Seeds a fresh database at `url` and returns the benchmark's keys. */
export async function seed(url: string, dataset: Dataset, authorizerKeys = 0): Promise<Seeded> {
  const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'warn', KEY_USAGE_FLUSH_MS: '60000' });
  const app = await createApp(config, { log: createLogger('warn') });
  let keys: Omit<Seeded, 'rows'>;
  try {
    const gql: Gql = async (query, variables, apiKey) => {
      const response = await app.yoga.fetch(graphqlPost(apiKey, query, variables));
      return (await response.json()) as Record<string, any>;
    };
    keys = await seedThroughServices(gql, app.bootstrapAdminKey!, authorizerKeys);
  } finally {
    await app.close();
  }
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await seedVolume(sql, dataset);
    const [counts] = await sql<Seeded['rows'][]>`select
      (select count(*)::int from users) as users, (select count(*)::int from organizations) as organizations,
      (select count(*)::int from api_keys) as "apiKeys", (select count(*)::int from algorithms) as algorithms,
      (select count(*)::int from algorithm_versions) as versions`;
    return { ...keys, rows: counts! };
  } finally {
    await sql.end();
  }
}
