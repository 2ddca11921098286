/**
 * The app factory: database, migrations, key verification and the GraphQL server, wired from one
 * Config. `main.ts` binds the port first (`bindServer`), then serves the app on it; tests call
 * `app.yoga.fetch` or `app.listen(0)`.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { createRequire } from 'node:module';
import { GraphQLError } from 'graphql';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { RateLimits } from './auth/rate-limit.js';
import { KeyUsageRecorder } from './auth/usage.js';
import { AUTH_CHANGE_CHANNEL, KeyVerifier } from './auth/verify.js';
import { bootstrapAdmin } from './bootstrap.js';
import type { Config } from './config.js';
import { configureLimits } from './core/limits.js';
import { createLogger, loggedError, type Logger } from './core/logger.js';
import { Metrics, serveMetrics } from './core/metrics.js';
import { StartupError } from './core/startup-error.js';
import { connect, type ConnectOptions, type Database } from './db/connect.js';
import { Authenticator } from './gate/authenticate.js';
import { withDeadline } from './gate/deadline.js';
import type { GraphQLContext } from './graphql/context.js';
import { DEFAULT_LIMITS, useGraphQLLimits } from './graphql/limits.js';
import { useApiKeyAuthentication } from './graphql/plugins/authentication.js';
import { useBodyLimit } from './graphql/plugins/body-limit.js';
import { useCostBudget } from './graphql/plugins/cost-budget.js';
import { toClientError, useClientErrors } from './graphql/plugins/client-errors.js';
import { useKeyCors } from './graphql/plugins/cors.js';
import { useRequestDeadline } from './graphql/plugins/deadline.js';
import { useGraphiQLFiles } from './graphql/plugins/graphiql.js';
import { useIdempotency } from './graphql/plugins/idempotency.js';
import { useStorableInput } from './graphql/plugins/input.js';
import { useGraphQLMetrics } from './graphql/plugins/metrics.js';
import { useKnownOperationTypes } from './graphql/plugins/operations.js';
import { useProbes } from './graphql/plugins/probes.js';
import { useRequestLifecycle } from './graphql/plugins/request-lifecycle.js';
import { withSharedRequestHooks } from './graphql/plugins/request-hooks.js';
import { SECURITY_HEADERS, useSecurityHeaders } from './graphql/plugins/security-headers.js';
import { useValidationCache } from './graphql/plugins/validation-cache.js';
import type { GateServerContext } from './graphql/plugins/server-context.js';
import { schema } from './graphql/schema.js';
import { deleteExpiredKeyUsage } from './modules/api-keys/service.js';
import { deleteExpiredIdempotencyRecords } from './modules/idempotency/service.js';
import { createAuthorizer, isAuthorizeRequest } from './authorizer/handler.js';
import { ALGORITHM_CHANGE_CHANNEL, CallSheets, type SheetCache, type SheetSource } from './modules/algorithms/call-sheets.js';
import { Outsiders } from './modules/algorithms/outsiders.js';
import type { KeyCache } from './auth/key-cache.js';
import { MemoryResponses, RedisResponses } from './graphql/response-cache.js';
import { useResponseCache, type PublicPages } from './graphql/plugins/response-cache.js';
import { restGate } from './rest/handler.js';
import { createRestApi } from './rest/routes.js';

const APP_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export interface App {
  config: Config;
  database: Database;
  yoga: YogaServerInstance<GateServerContext, GraphQLContext>;
  verifier: KeyVerifier;
  /** What the authorizer and algorithmAccess know of algorithms, cached. */
  callSheets: CallSheets;
  usage: KeyUsageRecorder;
  log: Logger;
  /** The admin key created on this start (empty database only); null otherwise. Never logged. */
  bootstrapAdminKey: string | null;
  /** The HTTP server, once `listen` or `serve` has been called. */
  readonly server: Server | undefined;
  /** The listener serving /metrics (METRICS_PORT), once the app serves. */
  readonly metricsServer: Server | undefined;
  /** Runs the periodic clean-ups now (they run every 15 minutes): expired Idempotency-Key records, usage past its retention. */
  sweep(): Promise<void>;
  /** Binds the ports (`bindListeners`) and serves on them; resolves with the HTTP port. */
  listen(port?: number, host?: string): Promise<number>;
  /** Serves on the ports `bindListeners` bound (metrics too, when METRICS_PORT is set); returns the HTTP port. */
  serve(listeners: Listeners): number;
  /**
   * Shuts down without failing a request: /ready answers 503 at once; a server whose readiness was
   * asked keeps serving for the ready delay (so its load balancer notices), then stops accepting,
   * lets in-flight requests finish (up to the grace period), and releases everything.
   */
  close(): Promise<void>;
}

export interface AppOptions {
  log?: Logger;
  /** Sees every SQL statement the app sends. */
  onQuery?: (query: string, params: unknown[]) => void;
  /** The clock key usage is dated by, in milliseconds since the epoch (tests move it across midnight); default Date.now. */
  usageClock?: () => number;
}

/** What the server tells another process that finds its DATA_DIR held. */
export const SERVER_HOLDER = 'algoplane start';

/** The configured database; `holder` is what this process tells another that finds DATA_DIR held. */
export function connectDatabase(config: Config, holder: string, options: Pick<ConnectOptions, 'poolSize' | 'onQuery'> = {}): Promise<Database> {
  return connect({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    holder,
    poolSize: options.poolSize ?? config.databasePoolSize,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    migrationLockTimeoutMs: config.migrationLockTimeoutMs,
    statementTimeoutMs: config.statementTimeoutMs,
    onQuery: options.onQuery,
  });
}

/**
 * The HTTP port, bound before anything is opened or written: a port in use stops start-up before
 * migrations run or an admin key is made. Until `App.serve` takes it over, it answers every request
 * 503 (starting) with Retry-After.
 */
export async function bindServer(port: number, host: string, names = { port: 'PORT', host: 'HOST' }): Promise<Server> {
  const server = createServer(answerStarting);
  await listening(server, port, host).catch((error: unknown) => {
    throw new StartupError(listenFailure(error as NodeJS.ErrnoException, port, host, names));
  });
  return server;
}

/** The ports a server serves on: the HTTP one, and the metrics one when METRICS_PORT is set. */
export interface Listeners {
  server: Server;
  metrics?: Server;
}

/** Every port of `config` bound (`bindServer`), before anything is opened or written; none left bound on failure. */
export async function bindListeners(config: Pick<Config, 'port' | 'host' | 'metricsPort' | 'metricsHost'>): Promise<Listeners> {
  const server = await bindServer(config.port, config.host);
  if (config.metricsPort === undefined) return { server };
  try {
    return { server, metrics: await bindServer(config.metricsPort, config.metricsHost, { port: 'METRICS_PORT', host: 'METRICS_HOST' }) };
  } catch (error) {
    await new Promise((closed) => server.close(closed));
    throw error;
  }
}

/**
 * Each answer while starting also ends its connection: a client told to retry comes back on a new
 * one, rather than on a kept-alive socket the server may close meanwhile (its keep-alive timeout
 * can pass while start-up runs).
 */
function answerStarting(_request: IncomingMessage, response: ServerResponse) {
  response
    .writeHead(503, { ...SECURITY_HEADERS, 'content-type': 'application/json', 'retry-after': '1', connection: 'close' })
    .end('{"status":"starting"}');
}

/** One line for a port that cannot be listened on, naming the settings that chose it. */
function listenFailure(error: NodeJS.ErrnoException, port: number, host: string, names = { port: 'PORT', host: 'HOST' }): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is already in use (${names.port}, ${names.host}): stop what listens there, or choose another ${names.port}`;
    case 'EACCES':
      return `port ${port} on ${host} needs privileges this process lacks (${names.port}): choose one above 1023`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return `${names.host} ${host} is not an address of this machine`;
    default:
      return `cannot listen on port ${port} on ${host} (${names.port}, ${names.host}): ${error.message}`;
  }
}

const GRAPHIQL_EXAMPLE = `# Welcome to algoplane.
# Put your API key in the Headers tab below:
#   { "Authorization": "Simple sim…" }   (standard key)
#   { "Authorization": "Simple adm…" }   (admin key)
# then pick an operation with the run button.
#
# With a standard key:
query Viewer {
  viewer {
    key { name mask kind }
    owner { name }
    user { username email }
  }
}

# With an admin key:
query Users {
  admin {
    users(first: 10) {
      totalCount
      nodes { username email isAdmin createdAt }
      pageInfo { hasNextPage endCursor }
    }
  }
}
`;

/** What yoga logs, as one line; an error as the logger's serializer has it (never a statement's parameters). */
const yogaLogLine = (args: unknown[]) => args.map((arg) => (arg instanceof Error ? `${arg.name}: ${loggedError(arg).message}` : String(arg))).join(' ');

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const log = options.log ?? createLogger(config.logLevel);
  configureLimits(config.limits);
  const database = await connectDatabase(config, SERVER_HOLDER, { onQuery: options.onQuery });
  let bootstrapAdminKey: string | null = null;
  const stopListening: (() => Promise<void>)[] = [];
  let usage: KeyUsageRecorder | undefined;
  let rateLimits: RateLimits | undefined;
  let sweeper: NodeJS.Timeout | undefined;
  try {
    await database.migrate(async () => {
      bootstrapAdminKey = await bootstrapAdmin(database.db, config.adminEmail);
    });
    rateLimits = new RateLimits(
      {
        redisUrl: config.redisUrl,
        defaultPerMinute: config.rateLimitPerMinute,
        ownerPerMinute: config.ownerRateLimitPerMinute,
        pointsPerRequest: config.rateLimitPointsPerRequest,
        authFailuresPerMinute: config.authFailuresPerMinute,
        graphiqlPerMinute: config.graphiqlRequestsPerMinute,
      },
      log,
    );
    await rateLimits.start();
    const pages = publicPages(config, database, rateLimits);
    // Whatever changes what outsiders see of algorithms (created, published, deleted, an owner
    // retired) or of owners (a profile) clears the public pages, on every instance.
    const algorithmsChanged = () => {
      pages?.outsiders.forget();
      pages?.store.clear();
    };
    const ownerChanged = () => pages?.store.clear();
    const verifier = new KeyVerifier(database.db, {
      positiveTtlMs: config.keyCacheTtlMs,
      negativeTtlMs: config.keyNegativeCacheTtlMs,
    });
    stopListening.push(
      await database.listen(AUTH_CHANGE_CHANNEL, (payload) => {
        verifier.invalidate(payload);
        if (payload.startsWith('owner:') || payload.startsWith('new-owner:')) ownerChanged();
      }),
    );
    const callSheets = new CallSheets(database.db, { ttlMs: config.algorithmCacheTtlMs });
    stopListening.push(
      await database.listen(ALGORITHM_CHANGE_CHANNEL, (payload) => {
        callSheets.invalidate(payload);
        algorithmsChanged();
      }),
    );
    // What services tell this instance at once after a change they made (other instances hear the
    // NOTIFY): the public pages go along with the verified keys and the call sheets.
    const keys: KeyCache = {
      forgetKey: (keyId) => verifier.forgetKey(keyId),
      forgetOwner(ownerId) {
        verifier.forgetOwner(ownerId);
        ownerChanged();
      },
    };
    const sheets: SheetSource & SheetCache = {
      byName: (owner, name) => callSheets.byName(owner, name),
      byId: (id) => callSheets.byId(id),
      forget(stale) {
        callSheets.forget(stale);
        algorithmsChanged();
      },
    };
    usage = new KeyUsageRecorder(database.db, log, config.keyUsageFlushMs, (batch) => verifier.noteUsage(batch), options.usageClock);
    const authenticator = new Authenticator({ verifier, usage, rateLimits, deadlineMs: config.requestTimeoutMs });
    const limiter = rateLimits;
    const metrics =
      config.metricsPort === undefined
        ? undefined
        : new Metrics({
            keyCache: () => verifier.stats(),
            algorithmCache: () => callSheets.stats(),
            responseCache: () => pages?.counts ?? { hits: 0, misses: 0 },
            database: () => database.stats(),
            rateLimitStore: () => limiter.store(),
          });
    // Idempotency records live 24 hours, key usage USAGE_RETENTION_DAYS: sweep what is older now and then.
    const sweep = async () => {
      await deleteExpiredIdempotencyRecords(database.db).catch(() => {});
      await deleteExpiredKeyUsage(database.db).catch(() => {});
    };
    sweeper = setInterval(() => void sweep(), 15 * 60 * 1000);
    sweeper.unref();

    const restApi = createRestApi(APP_VERSION);
    const rest = restGate(
      restApi.app,
      { authenticator, db: database.db, keys, callSheets: sheets, log, maxBodyBytes: config.maxBodyBytes, deadlineMs: config.requestTimeoutMs },
      restApi.publicPaths,
    );

    const yoga = createYoga<GateServerContext, GraphQLContext>({
      schema,
      graphqlEndpoint: '/graphql',
      batching: false,
      // Bodies are JSON only (useBodyLimit's parser, for every POST): yoga's multipart parser would
      // only be asked, on every request, whether a body it never reads is its kind.
      multipart: false,
      // Yoga's parse cache stays; validation is cached by useValidationCache below, which builds no key per request.
      parserAndValidationCache: { validationCache: false },
      // useBodyLimit enforces our limit, reading bodies without a Content-Length only up to it;
      // yoga's own check would pipe every body through an extra stream for a 25 MB limit.
      maxRequestBodySize: false,
      landingPage: false,
      // Yoga always installs its health check, answering any URL that *ends* with the endpoint
      // (an algorithm named "health" included). No request URL ends with a space (HTTP parsers refuse
      // one, URL parsing encodes it), so it never answers: useProbes does, on exact paths.
      healthCheckEndpoint: ' ',
      // Decided per key by useKeyCors: yoga's default reflects any origin *with* credentials.
      cors: false,
      // Served by useGraphiQLFiles below, as static files rather than yoga's 9 MB page per view.
      graphiql: false,
      // Yoga logs several debug lines per request: the line is built only when the level is on.
      logging: {
        debug: (...args) => log.isLevelEnabled('debug') && log.debug(yogaLogLine(args)),
        info: (...args) => log.isLevelEnabled('info') && log.info(yogaLogLine(args)),
        warn: (...args) => log.warn(yogaLogLine(args)),
        // Yoga logs each error that maskError replaced; maskError (toClientError) has logged every
        // failure among them at its own level (a database away is a warning): yoga's copy is for debugging.
        error: (...args) => (args.some((arg) => arg instanceof Error) ? log.debug(yogaLogLine(args)) : log.error(yogaLogLine(args))),
      },
      maskedErrors: {
        // Last line of defence for errors outside execution; execution errors are shaped (and
        // logged with their request id) by useClientErrors.
        maskError: (error) =>
          error instanceof GraphQLError
            ? toClientError(error, log, undefined)
            : toClientError(new GraphQLError('Unexpected error.', { originalError: error as Error }), log, undefined),
      },
      context: ({ gate }) => ({
        // Authentication ran before the context is built: a request without a principal never gets here.
        principal: gate!.principal!,
        db: database.db,
        requestId: gate!.id,
        log,
        keyCache: keys,
        callSheets: sheets,
        algorithmApiUrl: config.algorithmApiUrl,
        caller: gate!.caller!,
        gate: gate!,
      }),
      // The hooks every request passes through (onRequest, onRequestParse, onExecute, onResultProcess,
      // onResponse) run as one plugin's; each plugin's other hooks stay where it stands (request-hooks.ts).
      plugins: withSharedRequestHooks([
        useSecurityHeaders(),
        useRequestLifecycle(log, config.trustProxy, metrics?.requests),
        useProbes({
          async ready() {
            readinessWatched = true;
            if (draining) return { ready: false, reason: 'draining' };
            // Redis away leaves the server ready: budgets are then counted per instance, which the body says.
            const store = limiter.store();
            const details = store === 'memory' ? undefined : { redis: store === 'redis' ? 'ok' : 'unavailable' };
            try {
              await withDeadline(database.ping(), Math.min(config.requestTimeoutMs, 5000));
              return { ready: true, details };
            } catch {
              return { ready: false, reason: 'database unavailable', details };
            }
          },
        }),
        // GraphiQL bundled with the server rather than fetched from a CDN: works offline and behind
        // firewalls, and the page loads no third-party script next to a pasted key.
        useGraphiQLFiles(
          '/graphql',
          {
            title: 'algoplane',
            defaultQuery: GRAPHIQL_EXAMPLE,
            headers: JSON.stringify({ Authorization: 'Simple <paste your API key here>' }, null, 2),
          },
          rateLimits,
        ),
        // Algorithmia's REST API: answered here, through the same gate, before anything GraphQL's.
        {
          onRequest({ request, url, serverContext, endResponse }) {
            if (url.pathname === '/v1' || url.pathname.startsWith('/v1/')) return rest(request, serverContext.gate!).then(endResponse);
          },
        } satisfies Plugin<object, GateServerContext>,
        ...(metrics ? [useGraphQLMetrics('/graphql')] : []),
        useBodyLimit(config.maxBodyBytes),
        useKeyCors('/graphql'),
        // Before the CSRF check: a request without a key is refused here whatever it is (401, as
        // over POST), and one with a key has the header the CSRF check asks for.
        useApiKeyAuthentication(authenticator),
        // Keys travel in the Authorization header, which no cross-site form or simple request can
        // send: requiring it on every request a browser would not preflight stops CSRF outright.
        useCSRFPrevention({ requestHeaders: ['authorization'] }),
        useStorableInput(),
        useKnownOperationTypes(),
        // Compiles each document once into plain functions (graphql-jit): several times less work
        // per field than graphql-js's generic executor. Runs first among the execution plugins, so
        // the cost check, the idempotency record and the deadline below all wrap it.
        useGraphQlJit({}, { onError: (error) => log.warn({ err: error }, 'graphql-jit could not compile a document') }),
        // Order matters in execution: the cost check refuses before anything is claimed; the
        // idempotency record wraps the real work; the deadline wraps both, answering 503 on time
        // while the work (and its record) finishes behind it.
        ...useGraphQLLimits({ ...DEFAULT_LIMITS, maxCost: config.graphqlMaxCost }),
        // The cost just worked out, charged to the key's budget of points before anything runs.
        useCostBudget(authenticator),
        useIdempotency(config.requestTimeoutMs),
        useRequestDeadline(config.requestTimeoutMs),
        // Inside the cost check and the deadline: a cached answer is charged and bounded like any.
        ...(pages ? [useResponseCache(pages)] : []),
        useClientErrors(log),
        // Last, after every plugin that adds a validation rule.
        useValidationCache(),
      ]),
    });

    // Gateways ask before every call: answered on plain node:http, ahead of yoga (authorizer/handler.ts).
    const authorize = createAuthorizer({
      authenticator,
      sheets: callSheets,
      log,
      trustProxy: config.trustProxy,
      deadlineMs: config.requestTimeoutMs,
      metrics: metrics?.requests,
      usage,
    });

    let server: Server | undefined;
    let metricsServer: Server | undefined;
    // Shutdown begins by answering /ready with 503 (see close); the flag is read per request.
    let draining = false;
    let readinessWatched = false;
    const answer = (request: IncomingMessage, response: ServerResponse) => {
      // Once draining, every answer ends its connection, so keep-alive clients reconnect
      // (through their load balancer, to an instance that stays).
      if (draining) response.setHeader('connection', 'close');
      if (isAuthorizeRequest(request.url)) return authorize(request, response);
      return yoga(request, response);
    };
    const takeOver = (bound: Server, handler: (request: IncomingMessage, response: ServerResponse) => void) => {
      bound.removeListener('request', answerStarting);
      bound.on('request', handler);
    };
    const serve = (listeners: Listeners) => {
      takeOver(listeners.server, answer);
      server = listeners.server;
      if (metrics && listeners.metrics) {
        takeOver(listeners.metrics, serveMetrics(metrics));
        metricsServer = listeners.metrics;
      }
      return (listeners.server.address() as AddressInfo).port;
    };
    const recorder = usage;
    return {
      config,
      database,
      yoga,
      verifier,
      callSheets,
      usage: recorder,
      log,
      bootstrapAdminKey,
      get server() {
        return server;
      },
      get metricsServer() {
        return metricsServer;
      },
      sweep,
      async listen(port = config.port, host = config.host) {
        return serve(await bindListeners({ ...config, port, host }));
      },
      serve,
      async close() {
        draining = true;
        // Scrapes need no draining, and a scraper's kept-alive connection must not hold shutdown.
        if (metricsServer?.listening) {
          metricsServer.close();
          metricsServer.closeAllConnections();
        }
        if (server?.listening) {
          // A load balancer sends requests until its health checks see /ready fail: keep serving
          // them meanwhile. Nothing watches a server whose /ready was never asked (a developer's
          // Ctrl-C, tests): it stops at once.
          if (readinessWatched && config.shutdownReadyDelayMs > 0) {
            log.info({ readyDelayMs: config.shutdownReadyDelayMs }, 'draining: /ready answers 503; still serving until load balancers notice');
            await new Promise((resolve) => setTimeout(resolve, config.shutdownReadyDelayMs));
          }
          await drain(server, config.shutdownGraceMs);
        }
        clearInterval(sweeper);
        await unlistenAll(stopListening);
        await recorder.close();
        await limiter.close();
        await database.close();
      },
    };
  } catch (error) {
    await unlistenAll(stopListening);
    await usage?.close().catch(() => {});
    await rateLimits?.close().catch(() => {});
    await database.close().catch(() => {});
    throw error;
  }
}

/**
 * The public pages' cache (graphql/response-cache.ts), unless RESPONSE_CACHE_TTL_MS is 0: in Redis
 * when REDIS_URL is set, so every instance shares one; in this process's memory otherwise. In Redis,
 * the answers are named by the app's version and the database they were read from (its address and
 * name, never a password): a Redis shared by other clusters, or by instances of another version
 * during a rolling upgrade, never mixes their answers.
 */
function publicPages(config: Config, database: Database, rateLimits: RateLimits): PublicPages | undefined {
  if (config.responseCacheTtlMs === 0) return undefined;
  const limits = { ttlMs: config.responseCacheTtlMs, maxEntries: config.responseCacheMaxEntries, maxBytes: config.responseCacheMaxBytes };
  const redis = rateLimits.sharedClient();
  const source = config.databaseUrl === undefined ? undefined : new URL(config.databaseUrl);
  const readFrom = source && createHash('sha256').update(`${source.hostname}:${source.port}${source.pathname}`).digest('base64url').slice(0, 16);
  return {
    store: redis && readFrom ? new RedisResponses(redis, `algoplane:pages:${APP_VERSION}:${readFrom}`, limits) : new MemoryResponses(limits),
    outsiders: new Outsiders(database.db, { ttlMs: config.responseCacheTtlMs }),
    counts: { hits: 0, misses: 0 },
  };
}

/** Stops every LISTEN; one that fails to stop (a connection already gone) stops no other. */
async function unlistenAll(stops: readonly (() => Promise<void>)[]): Promise<void> {
  await Promise.all(stops.map((stop) => stop().catch(() => {})));
}

/** Starts `server` on `port`; resolves with the port bound. */
function listening(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting connections and waits for in-flight requests, closing stragglers after `graceMs`. */
function drain(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
