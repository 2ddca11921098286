/**
 * `npm run bench`: seeds a small and a large database, starts algoplane on each (and once more on
 * the large one with its public pages' cache off) next to its baselines (stock graphql-yoga, a
 * hand-written server, PostGraphile v5 on the large database, bare node:http), drives them with autocannon (in a fresh process per measurement, bench/load-client.ts) and prints one table of ratios. Each ratio compares two
 * targets measured in the same run, interleaved A B, B A, … over several rounds, and reports the
 * median: on a shared, noisy machine only ratios mean anything.
 *
 *   npm run bench -- [--scale 1] [--rounds 5] [--duration 3] [--warmup 2] [--connections 10] [--only TEXT]
 *
 * `--scale` sizes the large dataset (1 = 10 000 users, 1 000 organizations, 200 000 keys, 50 000
 * algorithms, 200 000 versions); the small one is always a hundredth of scale 1. `--only` measures
 * only the rows whose label contains TEXT (case-insensitive), e.g. `--only postgraphile`, for
 * development: every server still starts and every answer is still checked, so the rows run under
 * the conditions of a full run, but the result is marked partial. PostGraphile is installed from the
 * npm registry into a scratch folder on first use (bench/postgraphile.ts). Postgres comes from
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); the benchmark creates and
 * drops its own databases there. Exits 1 when a target is missed.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { answerOf } from './answers.js';
import type { LoadFigures, LoadJob } from './load-client.js';
import { countStatements } from './statements.js';
import {
  ALGORITHM,
  HELLO,
  NESTED_LIST,
  NESTED_PAGE_SIZE,
  POSTGRAPHILE_NESTED_LIST,
  REST_ALGORITHM_PATH,
  REST_VERSIONS_LIMIT,
  REST_VERSIONS_PATH,
  VERSIONED_ALGORITHM,
  VERSIONED_VERSIONS,
  VERSIONS,
  VIEWER,
  WORST_ACCEPTED_IDS,
  authorizeHeaders,
  graphqlBody,
  graphqlHeaders,
  restHeaders,
  worstAccepted,
} from './queries.js';
import { parse } from 'graphql';
import postgres from 'postgres';
import { AUTH_CHANGE_CHANNEL } from '../src/auth/verify.js';
import { ALGORITHM_CHANGE_CHANNEL } from '../src/modules/algorithms/call-sheets.js';
import { loadConfig } from '../src/config.js';
import { operationCost } from '../src/graphql/limits.js';
import { schema } from '../src/graphql/schema.js';
import { datasetAt, recreateDatabase, seed, type Seeded } from './seed.js';
import { assertSameCatalogue, installPostGraphile } from './postgraphile.js';

const { values: flags } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
    only: { type: 'string' },
  },
});
const scale = Number(flags.scale);
const rounds = Number(flags.rounds);
const duration = Number(flags.duration);
/** Seconds of load each target gets before any is measured. */
const warmup = Number(flags.warmup);
const connections = Number(flags.connections);
const only = flags.only?.toLowerCase();
/** Whether a row is measured in this run (all are, without --only). */
const selected = (label: string) => only === undefined || label.toLowerCase().includes(only);
const serverUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SMALL_SCALE = 0.01;
const benchDatabase = (label: string) => `algoplane_bench_${label}`;
const BENCH_DATABASES = ['small', 'large'].map(benchDatabase);
/** Asks Postgres which of its sessions serve the benchmark; connected to the server's own database, so not one of them. */
const monitor = postgres(serverUrl, { max: 1, onnotice: () => {} });
const RSS_LIMIT_MB = 250;

const log = (line: string) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------
// Servers

interface Target {
  name: string;
  /** The server process, whose CPU time is read around each load. */
  pid: number;
  url: string;
  method: 'GET' | 'POST';
  /** None on a GET. */
  body?: string;
  headers: Record<string, string>;
  /** The exact response every request must get; set after the first request. */
  expected?: string;
  /** Servers paused (SIGSTOP) while this target is loaded: a baseline measured alone, in the same rounds as in company. */
  paused?: readonly ChildProcess[];
  /** Keys to call with, the next one for each load, in place of the one in `headers` (bench/seed.ts `authorizerKeys`). */
  keys?: readonly string[];
}

/** How many times each target was loaded: which of its `keys` the next load takes. */
const loads = new Map<Target, number>();

function headersOf(target: Target): Record<string, string> {
  const n = loads.get(target) ?? 0;
  loads.set(target, n + 1);
  return target.keys ? { ...target.headers, authorization: `Simple ${target.keys[n % target.keys.length]}` } : target.headers;
}

/** Set once the benchmark shuts its servers down: an exit before then is a failure. */
let stopping = false;
/** Every server started, so that a failing run leaves none behind. */
const children: ChildProcess[] = [];

interface Running {
  name: string;
  port: number;
  child: ChildProcess;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

/**
 * Every server runs as compiled JavaScript, the way `npm start` runs algoplane (`npm run build`,
 * then `node dist/main.js`): the baselines are compiled the same way, next to it in dist/bench.
 */
async function compileServers(): Promise<void> {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  await build({
    entryPoints: ['bench/stock-yoga.ts', 'bench/handwritten.ts', 'bench/bare.ts'],
    outdir: 'dist/bench',
    platform: 'node',
    format: 'esm',
    target: 'node24',
    logLevel: 'warning',
  });
}

/**
 * The node flags `npm start` gives the server, so algoplane runs here exactly as it does there; the
 * baselines get them too, so that no side's figures come from a runtime setting rather than its code
 * (they size V8's heap, which moves both throughput and memory).
 */
function startFlags(): string[] {
  const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start;
  const flags = /exec node ((?:--\S+ )*)dist\/main\.js/.exec(start);
  if (!flags) throw new Error(`cannot read the node flags of npm start: ${start}`);
  return flags[1]!.trim().split(' ').filter(Boolean);
}

async function startServer(name: string, script: string, args: string[], env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [...startFlags(), script, ...args], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    // algoplane logs a line per request, as in production; it goes nowhere here.
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      log(`${name} exited early (${code ?? signal})`);
      stopping = true;
      for (const other of children) other.kill('SIGTERM');
      process.exit(2);
    }
  });
  return { name, port, child };
}

/**
 * The bench's keys have the highest request budget an admin may set (bench/seed.ts); what a request
 * is worth in cost points is raised to the most the server allows too, because a catalogue page
 * costs its full 1 851 points even from the cache, and the cached row asks for thousands a second:
 * at the default worth the key's budget runs out within seconds and the row fails with 429s. The
 * limiter still counts every request and every point.
 */
const BENCH_BUDGETS = { RATE_LIMIT_POINTS_PER_REQUEST: '10000' };

function startAlgoplane(name: string, databaseUrl: string, env: Record<string, string> = {}): Promise<Running> {
  return startServer(name, 'dist/main.js', ['start'], { DATABASE_URL: databaseUrl, ...BENCH_BUDGETS, ...env });
}

async function answer(target: Target): Promise<{ status: number; text: string }> {
  const response = await fetch(target.url, { method: target.method, headers: target.headers, body: target.body });
  return { status: response.status, text: await response.text() };
}

async function untilAnswering(target: Target): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    try {
      const { status, text } = await answer(target);
      if (status === 200 && !text.includes('"errors"')) {
        target.expected = text;
        return;
      }
      // Bound but still starting (migrations, bootstrap): the port answers 503 until it serves.
      if (status === 503 && text.includes('"starting"')) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      throw new Error(`${target.name} answered ${status}: ${text.slice(0, 300)}`);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // not listening yet
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${target.name} never answered`);
}

function peakRssMb(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
  return kb / 1024;
}

// ---------------------------------------------------------------------------------------------
// Load

interface Sample {
  rps: number;
  p99: number;
  /** CPU time per request, in ms, of the server and of the Postgres sessions serving the benchmark's databases: steadier than req/s on a shared machine. */
  serverCpu: number;
  postgresCpu: number;
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** User plus system CPU time of a process so far, in clock ticks (0 once it is gone). */
function cpuTicks(pid: number): number {
  try {
    // The command name is in parentheses and may hold spaces: count fields after its closing one.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/**
 * CPU time so far of each Postgres session connected to the benchmark's databases, by process id.
 * Not of every Postgres process on the machine: the machine is shared, and what other sessions make
 * Postgres do meanwhile must not be charged to the target under load (spread over its requests, it
 * would weigh most on the slower side of a row).
 */
async function postgresTicks(): Promise<Map<number, number>> {
  const sessions = await monitor<{ pid: number }[]>`select pid from pg_stat_activity where datname = any(${BENCH_DATABASES})`;
  return new Map(sessions.map(({ pid }) => [pid, cpuTicks(pid)]));
}

/** Ticks the sessions spent between two readings; one opened meanwhile counts from its start. */
function postgresTicksSince(before: Map<number, number>, after: Map<number, number>): number {
  let ticks = 0;
  for (const [pid, now] of after) ticks += now - (before.get(pid) ?? 0);
  return ticks;
}

/** Runs `job` in a fresh load client (bench/load-client.ts): its job on stdin, its figures on stdout. */
function inLoadClient(job: LoadJob): Promise<LoadFigures> {
  return new Promise((resolve, reject) => {
    const client = spawn(process.execPath, ['--import', 'tsx', 'bench/load-client.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let figures = '';
    client.stdout.setEncoding('utf8').on('data', (chunk: string) => (figures += chunk));
    client.on('error', reject);
    client.on('exit', (code) => (code === 0 ? resolve(JSON.parse(figures) as LoadFigures) : reject(new Error(`the load client exited with ${code}`))));
    client.stdin.end(JSON.stringify(job));
  });
}

async function load(target: Target, seconds: number): Promise<Sample> {
  const job: LoadJob = { url: target.url, method: target.method, headers: headersOf(target), body: target.body, expected: target.expected, connections, seconds };
  for (const other of target.paused ?? []) other.kill('SIGSTOP');
  const before = { server: cpuTicks(target.pid), postgres: await postgresTicks() };
  const result = await inLoadClient(job).finally(() => {
    for (const other of target.paused ?? []) other.kill('SIGCONT');
  });
  const server = cpuTicks(target.pid) - before.server;
  const postgresSpent = postgresTicksSince(before.postgres, await postgresTicks());
  if (result.failed > 0) throw new Error(`${target.name}: ${result.failed} failed or wrong responses under load`);
  const msPerRequest = (ticks: number) => (ticks * 1000) / CLOCK_TICKS_PER_SECOND / Math.max(result.requests, 1);
  return {
    rps: result.requests / result.seconds,
    p99: result.p99,
    serverCpu: msPerRequest(server),
    postgresCpu: msPerRequest(postgresSpent),
  };
}

/** The most warm-up loads a target gets while its CPU per request still moves. */
const MAX_WARMUP_LOADS = 6;
/** Two warm-up loads in a row whose CPU per request is this close: the target runs as fast as it will. */
const STEADY = 0.05;

/**
 * Loads `target` until two loads in a row spend the same CPU per request within STEADY (at most
 * MAX_WARMUP_LOADS); returns how many it took. V8 optimizes a larger program over more requests:
 * with one fixed warm-up, algoplane's viewer was still getting faster through the first row's
 * rounds while stock yoga had settled (BENCHMARKS.md), so a side was measured below its speed.
 * Every target, the baselines too, is warmed the same way.
 */
async function warmUp(target: Target): Promise<number> {
  let previous = (await load(target, warmup)).serverCpu;
  for (let count = 2; count <= MAX_WARMUP_LOADS; count++) {
    const now = (await load(target, warmup)).serverCpu;
    if (Math.abs(now - previous) <= STEADY * Math.max(now, previous)) return count;
    previous = now;
  }
  return MAX_WARMUP_LOADS;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Each figure's median over the rounds (not one round's figures). */
const medianSample = (samples: Sample[]): Sample => ({
  rps: median(samples.map((s) => s.rps)),
  p99: median(samples.map((s) => s.p99)),
  serverCpu: median(samples.map((s) => s.serverCpu)),
  postgresCpu: median(samples.map((s) => s.postgresCpu)),
});

interface Comparison {
  label: string;
  a: Target;
  b: Target;
  target: number;
  /** A's p99 latency (the median over rounds) must also stay under this many ms. */
  p99UnderMs?: number;
  /** A's Postgres CPU per request (the median over rounds) must also stay below B's. */
  postgresCpuBelowB?: boolean;
}

async function compare(comparison: Comparison) {
  const ratios: number[] = [];
  const as: Sample[] = [];
  const bs: Sample[] = [];
  for (let round = 0; round < rounds; round++) {
    // A B, then B A: drift in the machine's load weighs on both sides alike.
    const order = round % 2 === 0 ? ([comparison.a, comparison.b] as const) : ([comparison.b, comparison.a] as const);
    const first = await load(order[0], duration);
    const second = await load(order[1], duration);
    const [a, b] = round % 2 === 0 ? [first, second] : [second, first];
    as.push(a);
    bs.push(b);
    ratios.push(a.rps / b.rps);
  }
  const ratio = median(ratios);
  log(`  ${comparison.label}: ${ratios.map((r) => r.toFixed(2)).join(' ')} → ${ratio.toFixed(2)}`);
  return {
    ...comparison,
    ratio,
    aMedian: medianSample(as),
    bMedian: medianSample(bs),
  };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const small = datasetAt('small', SMALL_SCALE);
  const large = datasetAt('large', scale);
  log(`seeding small (scale ${SMALL_SCALE}) and large (scale ${scale}) datasets…`);
  const seeded: Record<'small' | 'large', Seeded & { url: string }> = {} as never;
  for (const dataset of [small, large]) {
    const started = Date.now();
    const url = await recreateDatabase(serverUrl, benchDatabase(dataset.label));
    // A key per load of the authorizer: each warm-up load and each round.
    seeded[dataset.label as 'small' | 'large'] = { url, ...(await seed(url, dataset, dataset === large ? rounds + MAX_WARMUP_LOADS : 0)) };
    log(`  ${dataset.label}: ${JSON.stringify(seeded[dataset.label as 'small' | 'large'].rows)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  log('counting SQL statements per request…');
  const statements = {
    small: await countStatements(seeded.small.url, seeded.small.key),
    large: await countStatements(seeded.large.url, seeded.large.key),
  };

  log('compiling and starting servers…');
  await compileServers();
  const postgraphileScript = installPostGraphile(log);
  const servers = [
    await startServer('stock yoga', 'dist/bench/stock-yoga.js', [], {}),
    await startServer('hand-written', 'dist/bench/handwritten.js', [], { DATABASE_URL: seeded.large.url }),
    await startAlgoplane('algoplane (small)', seeded.small.url),
    await startAlgoplane('algoplane (large)', seeded.large.url),
    // The same server with the public pages' cache off: what a cached page saves.
    await startAlgoplane('algoplane (large, no cache)', seeded.large.url, { RESPONSE_CACHE_TTL_MS: '0' }),
    await startServer('bare node:http', 'dist/bench/bare.js', [], {}),
    // Production mode said outright: Grafast's development mode adds checks that slow planning.
    await startServer('PostGraphile v5', postgraphileScript, [], { DATABASE_URL: seeded.large.url, GRAPHILE_ENV: 'production' }),
  ];
  const [stock, handwritten, algoplaneSmall, algoplaneLarge, algoplaneUncached, bare, postgraphile] = servers as [
    Running,
    Running,
    Running,
    Running,
    Running,
    Running,
    Running,
  ];
  const target = (server: Running, key: string, name: string, query: string, variables?: Record<string, unknown>): Target => ({
    name: `${server.name} ${name}`,
    pid: server.child.pid!,
    url: `http://127.0.0.1:${server.port}/graphql`,
    method: 'POST',
    body: graphqlBody(query, variables),
    headers: graphqlHeaders(key),
  });
  const restTarget = (server: Running, key: string, name: string, path: string): Target => ({
    name: `${server.name} ${name}`,
    pid: server.child.pid!,
    url: `http://127.0.0.1:${server.port}${path}`,
    method: 'GET',
    headers: restHeaders(key),
  });
  const nested = { first: NESTED_PAGE_SIZE };
  const ref = { ref: VERSIONED_ALGORITHM };
  const targets = {
    hello: target(stock, seeded.large.key, 'hello', HELLO),
    // The same server, every other one paused: what the baseline does alone, measured in the same rounds.
    helloAlone: { ...target(stock, seeded.large.key, 'hello, every other server paused', HELLO), paused: servers.filter((server) => server !== stock).map((server) => server.child) },
    handwritten: target(handwritten, seeded.large.key, 'nested list', NESTED_LIST, nested),
    // PostGraphile has no notion of keys: it ignores the header, as it applies no visibility rules.
    postgraphile: target(postgraphile, seeded.large.key, 'nested list', POSTGRAPHILE_NESTED_LIST, nested),
    smallViewer: target(algoplaneSmall, seeded.small.key, 'viewer', VIEWER),
    smallNested: target(algoplaneSmall, seeded.small.key, 'nested list', NESTED_LIST, nested),
    largeViewer: target(algoplaneLarge, seeded.large.key, 'viewer', VIEWER),
    largeNested: target(algoplaneLarge, seeded.large.key, 'nested list', NESTED_LIST, nested),
    // The catalogue as a caller who owns nothing sees it: the same for every such caller, so shared.
    cachedCatalogue: target(algoplaneLarge, seeded.large.outsiderKey, 'public catalogue (cached)', NESTED_LIST, nested),
    uncachedCatalogue: target(algoplaneUncached, seeded.large.outsiderKey, 'public catalogue', NESTED_LIST, nested),
    restAlgorithm: restTarget(algoplaneLarge, seeded.large.key, `REST GET ${REST_ALGORITHM_PATH}`, REST_ALGORITHM_PATH),
    graphqlAlgorithm: target(algoplaneLarge, seeded.large.key, 'GraphQL algorithm(ref)', ALGORITHM, ref),
    restVersions: restTarget(algoplaneLarge, seeded.large.key, `REST GET ${REST_VERSIONS_PATH}`, REST_VERSIONS_PATH),
    graphqlVersions: target(algoplaneLarge, seeded.large.key, `GraphQL algorithm(ref) { versions(last: ${REST_VERSIONS_LIMIT}) }`, VERSIONS, {
      ...ref,
      last: REST_VERSIONS_LIMIT,
    }),
    // What nginx's auth_request asks before a call of the newest public version (docs/AUTHORIZER.md).
    authorize: {
      name: `${algoplaneLarge.name} authorize POST /v1/algo/${VERSIONED_ALGORITHM}`,
      pid: algoplaneLarge.child.pid!,
      url: `http://127.0.0.1:${algoplaneLarge.port}/v1/authorize`,
      method: 'GET',
      headers: authorizeHeaders(seeded.large.key, `/v1/algo/${VERSIONED_ALGORITHM}`),
      keys: seeded.large.authorizerKeys,
    } satisfies Target,
    // The same request as the authorizer's: node parses the same headers on both sides.
    bare: {
      name: `${bare.name} constant`,
      pid: bare.child.pid!,
      url: `http://127.0.0.1:${bare.port}/v1/authorize`,
      method: 'GET',
      headers: authorizeHeaders(seeded.large.key, `/v1/algo/${VERSIONED_ALGORITHM}`),
    } satisfies Target,
  };
  try {
    for (const each of Object.values(targets)) await untilAnswering(each);
    // Kept honest: the baseline must do the same work, so it must say exactly the same thing.
    if (answerOf(targets.handwritten.expected!) !== answerOf(targets.largeNested.expected!)) {
      const [ours, theirs] = [join(tmpdir(), 'algoplane-nested.json'), join(tmpdir(), 'handwritten-nested.json')];
      writeFileSync(ours, targets.largeNested.expected!);
      writeFileSync(theirs, targets.handwritten.expected!);
      throw new Error(`the hand-written baseline and algoplane answer the nested list differently: compare ${ours} and ${theirs}`);
    }
    assertSameCatalogue(targets.largeNested.expected!, targets.postgraphile.expected!, NESTED_PAGE_SIZE);
    if (answerOf(targets.cachedCatalogue.expected!) !== answerOf(targets.uncachedCatalogue.expected!)) throw new Error('the public catalogue answers differently from the cache');
    // Both sides of the version rows must read a full page with more beyond it.
    const restPage = JSON.parse(targets.restVersions.expected!) as { marker: string | null; results: unknown[] };
    const graphqlPage = (JSON.parse(targets.graphqlVersions.expected!) as { data: { algorithm: { versions: { pageInfo: { hasPreviousPage: boolean }; nodes: unknown[] } } } })
      .data.algorithm.versions;
    if (restPage.results.length !== REST_VERSIONS_LIMIT || !restPage.marker || graphqlPage.nodes.length !== REST_VERSIONS_LIMIT || !graphqlPage.pageInfo.hasPreviousPage) {
      throw new Error(`the version rows do not read a full page with a next one: REST ${restPage.results.length}, GraphQL ${graphqlPage.nodes.length}`);
    }
    const comparisons: Comparison[] = [
      { label: VIEWER_LABEL, a: targets.largeViewer, b: targets.hello, target: 1.0 },
      // A baseline slowed by the bench (other servers' work, other flags) would flatter every ratio against it.
      { label: ALONE_LABEL, a: targets.hello, b: targets.helloAlone, target: ALONE_TARGET },
      { label: 'nested list vs hand-written', a: targets.largeNested, b: targets.handwritten, target: 0.5 },
      // The generated server on the same data and the same answer, with no visibility rules to apply.
      { label: 'nested list vs PostGraphile v5', a: targets.largeNested, b: targets.postgraphile, target: 1.5, postgresCpuBelowB: true },
      // An outsider's catalogue page answered from the shared cache, against the same page worked out each time.
      { label: 'public catalogue: cached vs uncached', a: targets.cachedCatalogue, b: targets.uncachedCatalogue, target: 5 },
      { label: 'scale: viewer, large vs small', a: targets.largeViewer, b: targets.smallViewer, target: 0.9 },
      { label: 'scale: nested list, large vs small', a: targets.largeNested, b: targets.smallNested, target: 0.9 },
      // Same data, same key, same server: REST has no GraphQL document to parse, validate and execute.
      { label: 'REST vs GraphQL: one algorithm', a: targets.restAlgorithm, b: targets.graphqlAlgorithm, target: 1.0 },
      { label: `REST vs GraphQL: ${REST_VERSIONS_LIMIT} versions of ${VERSIONED_VERSIONS}`, a: targets.restVersions, b: targets.graphqlVersions, target: 1.0 },
      // A cached key and a cached algorithm: the authorizer's every-call path.
      { label: 'authorizer vs bare node:http', a: targets.authorize, b: targets.bare, target: 0.5, p99UnderMs: 2 },
    ].filter((comparison) => selected(comparison.label));
    if (comparisons.length === 0 && !selected(WORST_LABEL) && !selected(INVALIDATION_LABEL)) throw new Error(`no row matches --only ${JSON.stringify(flags.only)}`);
    const measured = new Set(comparisons.flatMap((comparison) => [comparison.a, comparison.b]));
    log(`warming up: loads of ${warmup} s per target until its CPU per request holds steady…`);
    for (const each of Object.values(targets).filter((target) => measured.has(target))) log(`  ${each.name}: ${await warmUp(each)} loads`);

    log(`measuring: ${rounds} rounds × ${duration} s per target, ${connections} connections…`);
    const results = [];
    for (const comparison of comparisons) results.push(await compare(comparison));
    const rss = Object.fromEntries(servers.map((server) => [server.name, peakRssMb(server.child)]));
    const afterInvalidation = selected(INVALIDATION_LABEL) ? await authorizeAfterInvalidation(seeded.large.url, targets.authorize) : undefined;
    const worst = selected(WORST_LABEL) ? await worstAcceptedRow(seeded.large, targets.largeNested, nested) : undefined;
    const missed = report(results, statements, rss, seeded, worst, afterInvalidation);
    process.exitCode = missed ? 1 : 0;
  } finally {
    stopping = true;
    for (const server of servers) server.child.kill('SIGTERM');
    await monitor.end();
  }
}

const VIEWER_LABEL = 'stack overhead: viewer vs stock yoga { hello }';
const ALONE_LABEL = 'stock yoga { hello }: in the bench vs alone (every other server paused)';
/** The in-bench figure must be at least this share of the alone one: what is left is the machine's noise. */
const ALONE_TARGET = 0.9;

const INVALIDATIONS = 50;
const INVALIDATION_LABEL = `authorize right after its key and algorithm were invalidated (${INVALIDATIONS} times, one at a time)`;

/**
 * One authorization right after its key and its algorithm were dropped from the caches, as a
 * change made anywhere drops them (NOTIFY on the channels the services use): the key read and the
 * algorithm read from the database again. Timed once per invalidation, after the notification has
 * had time to arrive; in ms, the median and the slowest.
 */
async function authorizeAfterInvalidation(url: string, target: Target): Promise<{ median: number; max: number }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [ownerName] = VERSIONED_ALGORITHM.split('/') as [string, string];
    const [owner] = await sql<[{ id: string }]>`select id from owners where lower(name) = lower(${ownerName})`;
    const times: number[] = [];
    for (let i = 0; i < INVALIDATIONS; i++) {
      await sql`select pg_notify(${AUTH_CHANGE_CHANNEL}, ${`owner:${owner.id}`}), pg_notify(${ALGORITHM_CHANGE_CHANNEL}, ${`owner:${owner.id}`})`;
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = performance.now();
      const { status } = await answer(target);
      if (status !== 200) throw new Error(`authorization after an invalidation answered ${status}`);
      times.push(performance.now() - started);
    }
    return { median: median(times), max: Math.max(...times) };
  } finally {
    await sql.end();
  }
}

/** How many times a nested list's time the worst accepted request may take: its cost is about 10 times a nested list's (19 201 against 1 851). */
const WORST_TIME_MULTIPLE = 20;
const WORST_LABEL = 'worst accepted request';

interface WorstRow {
  document: string;
  cost: number;
  nestedCost: number;
  worst: Sample;
  nested: Sample;
  rssMb: number;
}

/**
 * The worst request the limits accept (bench/queries.ts `worstAccepted`, its versions raised until
 * one more would be refused) against a nested list, on a fresh server so that its peak RSS is this
 * row's alone.
 */
async function worstAcceptedRow(large: Seeded & { url: string }, nestedTarget: Target, nested: { first: number }): Promise<WorstRow> {
  const maxCost = loadConfig({ DATA_DIR: 'memory://' }).graphqlMaxCost;
  const costOf = (query: string, variables: Record<string, unknown>) => operationCost(schema, parse(query), undefined, variables);
  const server = await startAlgoplane('algoplane (worst accepted)', large.url);
  try {
    const viewer = { ...nestedTarget, name: `${server.name} viewer`, pid: server.child.pid!, url: `http://127.0.0.1:${server.port}/graphql`, body: graphqlBody('{ viewer { owner { ... on User { id } } } }') };
    await untilAnswering(viewer);
    const ownerId = (JSON.parse(viewer.expected!) as { data: { viewer: { owner: { id: string } } } }).data.viewer.owner.id;
    const variables = { ids: Array.from({ length: WORST_ACCEPTED_IDS }, () => ownerId) };
    let versions = 1;
    while (versions < 100 && costOf(worstAccepted(versions + 1), variables) <= maxCost) versions++;
    const document = worstAccepted(versions);
    const worstTarget: Target = { ...viewer, name: `${server.name} worst`, body: graphqlBody(document, variables) };
    const nestedHere: Target = { ...viewer, name: `${server.name} nested list`, body: nestedTarget.body, expected: undefined };
    await untilAnswering(worstTarget);
    await untilAnswering(nestedHere);
    await load(nestedHere, 2);
    await load(worstTarget, 2);
    const worstSamples: Sample[] = [];
    const nestedSamples: Sample[] = [];
    for (let round = 0; round < rounds; round++) {
      nestedSamples.push(await load(nestedHere, duration));
      worstSamples.push(await load(worstTarget, duration));
    }
    log(`  worst accepted request: versions(first: ${versions}), cost ${costOf(document, variables)} of ${maxCost}`);
    return {
      document: `nodes(ids: ${WORST_ACCEPTED_IDS} × one owner) { algorithms(first: 3) { versions(first: ${versions}) } }`,
      cost: costOf(document, variables),
      nestedCost: costOf(NESTED_LIST, nested),
      worst: medianSample(worstSamples),
      nested: medianSample(nestedSamples),
      rssMb: peakRssMb(server.child),
    };
  } finally {
    server.child.kill('SIGTERM');
  }
}

function report(
  results: Awaited<ReturnType<typeof compare>>[],
  statements: Record<'small' | 'large', Awaited<ReturnType<typeof countStatements>>>,
  rss: Record<string, number>,
  seeded: Record<'small' | 'large', Seeded>,
  worst: WorstRow | undefined,
  afterInvalidation: { median: number; max: number } | undefined,
): boolean {
  const rows: string[][] = [['measure', 'A', 'B', 'ratio A/B (median)', 'target', '']];
  let missed = false;
  const verdict = (ok: boolean) => {
    if (!ok) missed = true;
    return ok ? 'met' : 'MISSED';
  };
  const side = (name: string, { rps, p99, serverCpu, postgresCpu }: Sample) =>
    `${name}: ${Math.round(rps)} req/s, p99 ${p99} ms; CPU per request ${serverCpu.toFixed(2)} ms + Postgres ${postgresCpu.toFixed(2)} ms`;
  for (const r of results) {
    const p99Met = r.p99UnderMs === undefined || r.aMedian.p99 < r.p99UnderMs;
    const postgresMet = !r.postgresCpuBelowB || r.aMedian.postgresCpu < r.bMedian.postgresCpu;
    const target = `≥ ${r.target}${r.p99UnderMs === undefined ? '' : `, A's p99 < ${r.p99UnderMs} ms`}${r.postgresCpuBelowB ? ", A's Postgres CPU < B's" : ''}`;
    rows.push([r.label, side(r.a.name, r.aMedian), side(r.b.name, r.bMedian), r.ratio.toFixed(2), target, verdict(r.ratio >= r.target && p99Met && postgresMet)]);
  }
  for (const size of ['small', 'large'] as const) {
    const s = statements[size];
    const perPage = Object.entries(s.nested).map(([first, n]) => `first ${first}: ${n}`).join(', ');
    const flat = new Set(Object.values(s.nested)).size === 1;
    rows.push([`SQL statements per request (${size})`, `viewer: ${s.viewer}`, `nested list ${perPage}`, '', 'independent of first', verdict(flat)]);
  }
  for (const [name, mb] of Object.entries(rss)) {
    const ours = name.startsWith('algoplane');
    rows.push([`peak RSS under load: ${name}`, `${mb.toFixed(0)} MB`, '', '', ours ? `< ${RSS_LIMIT_MB} MB` : '', ours ? verdict(mb < RSS_LIMIT_MB) : '']);
  }
  if (worst) {
    // Time per request under the same load, from req/s: how many nested lists one worst request is worth.
    const multiple = worst.nested.rps / worst.worst.rps;
    rows.push([
      `${WORST_LABEL}: ${worst.document}, cost ${worst.cost} (nested list ${worst.nestedCost})`,
      side('worst', worst.worst),
      side('nested list', worst.nested),
      `${multiple.toFixed(1)}× the time`,
      `≤ ${WORST_TIME_MULTIPLE}×, peak RSS < ${RSS_LIMIT_MB} MB`,
      `${verdict(multiple <= WORST_TIME_MULTIPLE && worst.rssMb < RSS_LIMIT_MB)} (peak RSS ${worst.rssMb.toFixed(0)} MB)`,
    ]);
  }
  if (afterInvalidation) {
    rows.push([INVALIDATION_LABEL, `median ${afterInvalidation.median.toFixed(1)} ms, slowest ${afterInvalidation.max.toFixed(1)} ms`, '', '', '', '']);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  const out = [
    `algoplane benchmark: scale ${scale}, ${rounds} rounds × ${duration} s per target, ${connections} connections, node ${process.version}`,
    ...(only === undefined ? [] : [`PARTIAL RUN: only the rows matching --only ${JSON.stringify(flags.only)}; not a benchmark result.`]),
    `large: ${JSON.stringify(seeded.large.rows)}`,
    `small: ${JSON.stringify(seeded.small.rows)}`,
    '',
    line(rows[0]!),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
    '',
    missed ? 'Some targets were MISSED.' : only === undefined ? 'All targets met.' : 'The targets measured were met.',
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  return missed;
}

main().catch((error: unknown) => {
  log(`benchmark failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
});
