/**
 * What the server tells Prometheus (README "Metrics"): requests and their latency by transport and
 * operation, refusals by cause, the key cache, the database and the rate limiter's store, and
 * Node's process metrics (prom-client's defaults).
 *
 * The request path only adds to plain numbers here (`RequestMetrics.answered`): no label object,
 * no string built, no allocation once an operation has been seen. prom-client's labelled
 * `observe` and `inc` cost about 1 µs a request for the same (a label object, a hash string and a
 * check of every label on every call), so our own families are written out at scrape time instead,
 * next to prom-client's process metrics. Everything else is read when scraped, from the parts that
 * keep it (`MetricSources`).
 *
 * Label values come from closed sets only: transports, status codes, causes, and operations named
 * by the schema's root fields or the router's templates, never by anything a client chose. No
 * key, key id, user or path is ever a label.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';

/** The surfaces requests arrive through. */
export type Transport = 'graphql' | 'rest' | 'graphiql' | 'authorizer';

/** The operation of a request answered before it reached one: refused at the gate, or no such route. */
export const NO_OPERATION = '(none)';

/** Upper bounds, in seconds, of the latency histogram's buckets. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What a cache counts: the key verifier (auth/verify.ts), the algorithms' call sheets (modules/algorithms/call-sheets.ts). */
export interface CacheStats {
  hits: number;
  misses: number;
  entries: number;
  /** Entries dropped on a change notification from the database (any process), or on a change made here. */
  invalidations: { notify: number; local: number };
}

/** What the public pages' cache counts (graphql/plugins/response-cache.ts): shareable requests answered from it, or worked out. */
export interface LookupCounts {
  hits: number;
  misses: number;
}

/** What the database connection counts (db/connect.ts). */
export interface DatabaseStats {
  driver: 'pglite' | 'postgres';
  /** Connections the pool may open (PGlite: its one). */
  poolSize: number;
  /** Transactions running now, each holding one of those connections. */
  transactionsActive: number;
  statements: number;
}

/**
 * Which store counts the rate limits now: Redis; this process's memory because no REDIS_URL is
 * set; or this process's memory because Redis is set but not connected (each instance then counts
 * on its own).
 */
export type RateLimitStore = 'redis' | 'memory' | 'fallback';

export interface MetricSources {
  keyCache(): CacheStats;
  algorithmCache(): CacheStats;
  responseCache(): LookupCounts;
  database(): DatabaseStats;
  rateLimitStore(): RateLimitStore;
}

/** One operation's requests: latency buckets (not cumulative), their sum and count, and the count by status. */
class OperationSeries {
  readonly buckets: number[] = LATENCY_BUCKETS.map(() => 0);
  sum = 0;
  count = 0;
  readonly statuses = new Map<number, number>();

  add(status: number, seconds: number): void {
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[bucket]!) bucket++;
    if (bucket < LATENCY_BUCKETS.length) this.buckets[bucket]!++;
    this.sum += seconds;
    this.count++;
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }
}

/** The per-request part: what each transport's requests did, kept as plain numbers. */
export class RequestMetrics {
  private readonly operations = new Map<Transport, Map<string, OperationSeries>>();
  private readonly refusals = new Map<Transport, Map<string, number>>();

  /** A request answered with `status` after `seconds`; `refusedFor` is the cause when it was refused. */
  answered(transport: Transport, operation: string, status: number, seconds: number, refusedFor: string | undefined): void {
    let byOperation = this.operations.get(transport);
    if (!byOperation) this.operations.set(transport, (byOperation = new Map()));
    let series = byOperation.get(operation);
    if (!series) byOperation.set(operation, (series = new OperationSeries()));
    series.add(status, seconds);
    if (refusedFor === undefined) return;
    let byCause = this.refusals.get(transport);
    if (!byCause) this.refusals.set(transport, (byCause = new Map()));
    byCause.set(refusedFor, (byCause.get(refusedFor) ?? 0) + 1);
  }

  families(): string[] {
    const requests: Sample[] = [];
    const latency: Sample[] = [];
    for (const [transport, byOperation] of this.operations) {
      for (const [operation, series] of byOperation) {
        const labels = { transport, operation };
        for (const [status, count] of series.statuses) requests.push({ labels: { ...labels, status: String(status) }, value: count });
        let cumulative = 0;
        LATENCY_BUCKETS.forEach((bound, i) => {
          cumulative += series.buckets[i]!;
          latency.push({ suffix: '_bucket', labels: { ...labels, le: String(bound) }, value: cumulative });
        });
        latency.push(
          { suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: series.count },
          { suffix: '_sum', labels, value: series.sum },
          { suffix: '_count', labels, value: series.count },
        );
      }
    }
    const refusals: Sample[] = [];
    for (const [transport, byCause] of this.refusals) {
      for (const [cause, count] of byCause) refusals.push({ labels: { transport, cause }, value: count });
    }
    return [
      family('algoplane_requests_total', 'counter', 'Requests answered, by transport, operation and HTTP status.', requests),
      family('algoplane_request_duration_seconds', 'histogram', 'Time from a request\'s arrival to its answer, by transport and operation.', latency),
      family('algoplane_refusals_total', 'counter', 'Requests refused, by transport and cause (README "Metrics" lists the causes).', refusals),
    ];
  }
}

interface Sample {
  suffix?: string;
  labels?: Readonly<Record<string, string>>;
  value: number;
}

const escapeLabel = (value: string) => value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));

/** One metric family in Prometheus's text format (0.0.4). */
function family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string, samples: Sample[]): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const { suffix = '', labels, value } of samples) {
    const pairs = labels ? Object.entries(labels).map(([label, v]) => `${label}="${escapeLabel(v)}"`) : [];
    lines.push(`${name}${suffix}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${value}`);
  }
  return lines.join('\n');
}

/** The families read from their sources when scraped. */
function sourcedFamilies(sources: MetricSources): string[] {
  const keys = sources.keyCache();
  const algorithms = sources.algorithmCache();
  const pages = sources.responseCache();
  const database = sources.database();
  const store = sources.rateLimitStore();
  const driver = { driver: database.driver };
  return [
    family('algoplane_key_cache_lookups_total', 'counter', 'Verifications of well-formed keys answered from the key cache (hit) or the database (miss).', [
      { labels: { result: 'hit' }, value: keys.hits },
      { labels: { result: 'miss' }, value: keys.misses },
    ]),
    family('algoplane_key_cache_invalidations_total', 'counter', 'Key cache invalidations: on a NOTIFY from the database (a change by any instance), or on a change made by this one.', [
      { labels: { source: 'notify' }, value: keys.invalidations.notify },
      { labels: { source: 'local' }, value: keys.invalidations.local },
    ]),
    family('algoplane_key_cache_entries', 'gauge', 'Verified keys (good and bad) held in the key cache.', [{ value: keys.entries }]),
    family('algoplane_algorithm_cache_lookups_total', 'counter', "The authorizer's reads of algorithms answered from its cache (hit) or the database (miss).", [
      { labels: { result: 'hit' }, value: algorithms.hits },
      { labels: { result: 'miss' }, value: algorithms.misses },
    ]),
    family('algoplane_algorithm_cache_invalidations_total', 'counter', 'Algorithm cache invalidations: on a NOTIFY from the database (a change by any instance), or on a change made by this one.', [
      { labels: { source: 'notify' }, value: algorithms.invalidations.notify },
      { labels: { source: 'local' }, value: algorithms.invalidations.local },
    ]),
    family('algoplane_algorithm_cache_entries', 'gauge', 'Algorithms (found or not) held in the algorithm cache.', [{ value: algorithms.entries }]),
    family('algoplane_response_cache_lookups_total', 'counter', "Requests for public pages answered from the shared cache (hit) or worked out (miss); others never look.", [
      { labels: { result: 'hit' }, value: pages.hits },
      { labels: { result: 'miss' }, value: pages.misses },
    ]),
    family('algoplane_db_pool_size', 'gauge', 'Database connections the pool may open (the embedded database has one).', [{ labels: driver, value: database.poolSize }]),
    family('algoplane_db_transactions_active', 'gauge', 'Transactions running now, each holding a pool connection.', [{ labels: driver, value: database.transactionsActive }]),
    family('algoplane_db_statements_total', 'counter', 'SQL statements sent.', [{ labels: driver, value: database.statements }]),
    family(
      'algoplane_rate_limit_store',
      'gauge',
      'Where rate limits are counted now (1): redis; memory (no REDIS_URL); fallback (REDIS_URL set but Redis not connected: each instance counts alone).',
      (['redis', 'memory', 'fallback'] as const).map((state) => ({ labels: { state }, value: state === store ? 1 : 0 })),
    ),
  ];
}

export class Metrics {
  readonly requests = new RequestMetrics();
  /** Node's process metrics (CPU, memory, heap, event loop lag, GC), from prom-client. */
  private readonly process = new Registry();

  constructor(private readonly sources: MetricSources) {
    collectDefaultMetrics({ register: this.process });
  }

  get contentType(): string {
    return this.process.contentType;
  }

  /** Every family, in Prometheus's text format. */
  async exposition(): Promise<string> {
    const ours = [...this.requests.families(), ...sourcedFamilies(this.sources)].join('\n\n');
    return `${ours}\n\n${await this.process.metrics()}`;
  }
}

/** The metrics listener's requests: `GET /metrics` and nothing else. */
export function serveMetrics(metrics: Metrics) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: this listener serves /metrics only.\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed.\n');
      return;
    }
    metrics.exposition().then(
      (text) => response.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }).end(request.method === 'HEAD' ? undefined : text),
      () => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Metrics could not be collected.\n'),
    );
  };
}
