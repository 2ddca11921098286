/**
 * Three instances behind a real HAProxy, on one Postgres and one Redis, each a real process
 * (`node dist/main.js start`, as `npm start` runs it): revocation reaches all of them within a
 * second, one key's budget is shared, a rolling restart under load fails no request, and a
 * `kill -9` under write load loses and doubles nothing for clients that retry with Idempotency-Key.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, ON_POSTGRES, type TestDatabase } from './helpers/app.js';
import { buildProgram, startCli, type RunningServer } from './helpers/cli.js';
import { freePort } from './helpers/foreground.js';
import { CHECK_INTERVAL_MS, CHECKS_TO_FALL, HAPROXY, startHaproxy, type RunningHaproxy } from './helpers/haproxy.js';

const REDIS_URL = process.env.REDIS_URL;
const skipped = !ON_POSTGRES
  ? 'needs Postgres (DATABASE_URL): instances cannot share the embedded database, one process per DATA_DIR'
  : !HAPROXY
    ? 'needs haproxy (apt-get install haproxy; .ci/run installs it)'
    : undefined;

/** The instances' request deadline: a claim a killed instance left is taken over at twice this age. */
const REQUEST_TIMEOUT_MS = 3000;

interface Answer {
  status: number;
  servedBy: string | null;
  body: { data?: Record<string, any> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function gql(url: string, key: string, query: string, variables?: object, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Simple ${key}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: Answer['body'];
  try {
    body = JSON.parse(text);
  } catch {
    body = { errors: [{ message: `not JSON: ${text.slice(0, 200)}` }] }; // HAProxy's own error pages, say
  }
  return { status: response.status, servedBy: response.headers.get('x-served-by'), body };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const CREATE_ALGORITHM = `mutation($name: String!) { createAlgorithm(input: {
  name: $name, details: { label: $name }, settings: { language: PYTHON3, environment: CPU } }) {
  algorithm { id name } userErrors { message } } }`;
const PUBLISH = `mutation($id: ID!) { publishAlgorithm(input: { id: $id, versionType: REVISION }) {
  version { semanticVersion } userErrors { message } } }`;

/** The payload of a mutation that succeeded without user errors, or undefined. */
function payloadOf(answer: Answer, field: string): Record<string, any> | undefined {
  const payload = answer.body.data?.[field];
  return answer.status === 200 && !answer.body.errors && payload && payload.userErrors.length === 0 ? payload : undefined;
}

describe.skipIf(skipped)(`several instances behind HAProxy${skipped ? ` (skipped: ${skipped})` : ''}`, () => {
  const names = ['a1', 'a2', 'a3'];
  let database: TestDatabase;
  let sql: postgres.Sql;
  const ports: Record<string, number> = {};
  const servers: Record<string, RunningServer> = {};
  let haproxy: RunningHaproxy;
  let adminKey: string;
  let adaKey: string;

  const envOf = (name: string): Record<string, string> => ({
    DATABASE_URL: database.url!,
    ...(REDIS_URL ? { REDIS_URL } : {}),
    PORT: String(ports[name]),
    LOG_LEVEL: 'warn',
    DATABASE_POOL_SIZE: '5',
    // Long enough for HAProxy to see `fall` failed checks, with room for a loaded machine.
    SHUTDOWN_READY_DELAY_MS: String(CHECK_INTERVAL_MS * (CHECKS_TO_FALL + 5)),
    REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    RATE_LIMIT_PER_MINUTE: '1000000',
    AUTH_FAILURES_PER_MINUTE: '1000000',
  });
  const start = async (name: string) => {
    servers[name] = await startCli(envOf(name), 'built');
  };
  const direct = (name: string) => `http://127.0.0.1:${ports[name]}`;

  beforeAll(async () => {
    database = await createTestDatabase();
    sql = postgres(database.url!, { max: 2, onnotice: () => {} });
    await buildProgram();
    for (const name of names) ports[name] = await freePort();
    // All three at once on an empty database: migrations and the bootstrap are serialised by a lock.
    await Promise.all(names.map(start));
    await waitFor('the admin key', () => names.some((name) => /^admin key: (adm\w+)$/m.test(servers[name]!.stderr())), 10_000);
    const printed = names.flatMap((name) => [...servers[name]!.stderr().matchAll(/^admin key: (adm\w+)$/gm)].map((m) => m[1]!));
    expect(printed).toHaveLength(1);
    adminKey = printed[0]!;
    haproxy = await startHaproxy(names.map((name) => ({ name, port: ports[name]! })));

    const created = await gql(haproxy.url, adminKey, 'mutation { createUser(input: { username: "ada", email: "ada@example.com" }) { secret userErrors { message } } }');
    adaKey = created.body.data!.createUser.secret;
    expect(adaKey).toMatch(/^sim/);
  });

  afterAll(async () => {
    await Promise.all(Object.values(servers).map((server) => server.kill()));
    await haproxy?.stop();
    await sql?.end();
    await database?.drop();
  });

  const createKey = async (name: string) => {
    const created = await gql(haproxy.url, adaKey, `mutation($name: String!) { createApiKey(input: { name: $name }) { apiKey { id } secret userErrors { message } } }`, { name });
    const payload = payloadOf(created, 'createApiKey')!;
    return { id: payload.apiKey.id as string, secret: payload.secret as string };
  };

  it('refuses a key revoked through one instance on every instance within a second', async () => {
    const key = await createKey('revoked-soon');
    // Every instance has verified it, and trusts it from its cache.
    for (const name of names) expect((await gql(direct(name), key.secret, '{ viewer { key { name } } }')).status).toBe(200);

    const revoked = await gql(direct('a1'), adaKey, 'mutation($id: ID!) { revokeApiKey(input: { id: $id }) { userErrors { message } } }', { id: key.id });
    expect(payloadOf(revoked, 'revokeApiKey')).toBeDefined();
    const at = Date.now();
    const refusedAfter = await Promise.all(
      names.map(async (name) => {
        await waitFor(`${name} to refuse the revoked key`, async () => (await gql(direct(name), key.secret, '{ viewer { key { name } } }')).status === 401, 5000);
        return Date.now() - at;
      }),
    );
    for (const ms of refusedAfter) expect(ms).toBeLessThan(1000);
    for (let i = 0; i < 3; i++) expect((await gql(haproxy.url, key.secret, '{ __typename }')).status).toBe(401);
  });

  it.skipIf(!REDIS_URL)(`shares one key's budget across all three${REDIS_URL ? '' : ' (skipped: needs Redis, REDIS_URL)'}`, async () => {
    const key = await createKey('budgeted');
    // Set before the key is ever used, so no instance holds it in its cache with the old budget.
    const set = await gql(haproxy.url, adminKey, 'mutation($id: ID!) { setApiKeyRateLimit(input: { id: $id, requestsPerMinute: 12 }) { userErrors { message } } }', { id: key.id });
    expect(payloadOf(set, 'setApiKeyRateLimit')).toBeDefined();

    const answers: Answer[] = [];
    for (let i = 0; i < 21; i++) answers.push(await gql(haproxy.url, key.secret, '{ __typename }'));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(12);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(9);
    expect(new Set(answers.filter((a) => a.status === 200).map((a) => a.servedBy))).toEqual(new Set(names));
  });

  it('fails no request while all three restart one at a time (SIGTERM) under steady load', async () => {
    const lastServed: Record<string, number> = {};
    const failures: unknown[] = [];
    let sent = 0;
    let running = true;
    const client = async (client: number) => {
      for (let i = 0; running; i++) {
        sent++;
        const write = i % 3 === 0;
        try {
          const answer = write
            ? await gql(haproxy.url, adaKey, CREATE_ALGORITHM, { name: `roll_${client}_${i}` })
            : await gql(haproxy.url, adaKey, '{ viewer { key { name } } }');
          if (answer.servedBy) lastServed[answer.servedBy] = Date.now();
          const ok = write ? payloadOf(answer, 'createAlgorithm') : answer.status === 200 && !answer.body.errors;
          if (!ok) failures.push({ status: answer.status, body: answer.body, servedBy: answer.servedBy });
        } catch (error) {
          failures.push({ error: String(error), cause: String((error as Error).cause) });
        }
      }
    };
    const load = [0, 1, 2, 3].map(client);
    try {
      await sleep(500);
      for (const name of names) {
        expect(await servers[name]!.stop()).toBe(0);
        const restarted = Date.now();
        await start(name);
        await waitFor(`HAProxy to send ${name} traffic again`, () => (lastServed[name] ?? 0) > restarted);
      }
      await sleep(300);
    } finally {
      running = false;
      await Promise.all(load);
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(100);
  }, 90_000);

  it('loses nothing and doubles nothing when one instance is killed (-9) under write load and clients retry with Idempotency-Key', async () => {
    const answered: { key: string; answer: Answer }[] = [];
    let retries = 0;
    /** Sends until an answer comes that is not "try again": a lost connection, 502/503/504, or 409 still running. */
    const untilAnswered = async (url: string, query: string, variables: object, idempotencyKey: string): Promise<Answer> => {
      const giveUpAt = Date.now() + 30_000;
      for (let attempt = 0; ; attempt++) {
        if (Date.now() > giveUpAt) throw new Error(`no answer for Idempotency-Key ${idempotencyKey} in 30 s`);
        if (attempt > 0) retries++;
        // A client that called the instance directly fails over to the load balancer.
        const target = attempt === 0 ? url : haproxy.url;
        let answer: Answer | undefined;
        try {
          answer = await gql(target, adaKey, query, variables, { 'idempotency-key': idempotencyKey });
        } catch {
          answer = undefined;
        }
        const again = !answer || [502, 503, 504].includes(answer.status) || answer.body.errors?.[0]?.extensions?.code === 'IDEMPOTENCY_IN_PROGRESS';
        if (!again) {
          answered.push({ key: idempotencyKey, answer: answer! });
          return answer!;
        }
        await sleep(200);
      }
    };
    /** The algorithm's id, read as a client does when told its create ran but its answer was lost. */
    const idOf = async (created: Answer, name: string): Promise<string | undefined> => {
      if (created.body.errors?.[0]?.extensions?.code !== 'IDEMPOTENT_RESPONSE_NOT_STORED') return created.body.data?.createAlgorithm?.algorithm?.id;
      const read = await gql(haproxy.url, adaKey, 'query($ref: String!) { algorithm(ref: $ref) { id } }', { ref: `ada/${name}` });
      return read.body.data?.algorithm?.id;
    };
    /** Creates an algorithm, then publishes it: one version each, whatever was retried. */
    const createAndPublish = async (url: string, name: string) => {
      const created = await untilAnswered(url, CREATE_ALGORITHM, { name }, `create-${name}`);
      const id = await idOf(created, name);
      if (id) await untilAnswered(haproxy.url, PUBLISH, { id }, `publish-${name}`);
    };

    let running = true;
    const writers = [0, 1, 2, 3, 4].map(async (writer) => {
      for (let i = 0; running; i++) await createAndPublish(haproxy.url, `kill_${writer}_${i}`);
    });
    const victim = 'a2';
    const stragglers: Promise<void>[] = [];
    try {
      await sleep(1000);
      // Make sure the victim dies with work in hand: hold writes to algorithms, send it requests
      // directly, and kill it once they have claimed their Idempotency-Keys and wait on the lock.
      const lock = await sql.reserve();
      await lock`begin`;
      await lock`lock table algorithms in share mode`;
      try {
        for (let i = 0; i < 3; i++) stragglers.push(createAndPublish(direct(victim), `straggler_${i}`));
        await waitFor('the stragglers to claim', async () => {
          const [row] = await sql`select count(*)::int as n from idempotency_records where idempotency_key like 'create-straggler_%'`;
          return row!.n === 3;
        });
        await servers[victim]!.kill();
      } finally {
        await lock`rollback`;
        lock.release();
      }
      await sleep(1500);
    } finally {
      running = false;
    }
    await Promise.all([...writers, ...stragglers]);

    expect(retries).toBeGreaterThan(0);
    // Each got its result, or was told it ran (its answer lost with its process) and read it.
    const ranUnanswered = (answer: Answer) => answer.body.errors?.[0]?.extensions?.code === 'IDEMPOTENT_RESPONSE_NOT_STORED';
    const wrong = answered.filter(({ answer }) => !ranUnanswered(answer) && !payloadOf(answer, Object.keys(answer.body.data ?? {})[0] ?? ''));
    expect(wrong).toEqual([]);
    const created = answered.filter(({ key }) => key.startsWith('create-')).map(({ key }) => key.slice('create-'.length));
    expect(created.filter((name) => name.startsWith('straggler_'))).toHaveLength(3);
    // Exactly one algorithm per create, and one version per publish: nothing lost, nothing doubled.
    const rows = await sql<{ name: string; versions: number }[]>`
      select a.name, (select count(*)::int from algorithm_versions v where v.algorithm_id = a.id) as versions
      from algorithms a where a.name like 'kill\\_%' or a.name like 'straggler\\_%'`;
    expect(rows.map((r) => r.name).sort()).toEqual([...created].sort());
    expect(rows.filter((r) => r.versions !== 1)).toEqual([]);
  }, 90_000);
});

describe.skipIf(!HAPROXY)('the sample docs/haproxy.cfg', () => {
  it('is a configuration HAProxy accepts', () => {
    const check = spawnSync(HAPROXY!, ['-c', '-f', fileURLToPath(new URL('../docs/haproxy.cfg', import.meta.url))], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toContain('Configuration file is valid');
    expect(check.status).toBe(0);
  });
});
