/**
 * The app factory: database, migrations, key verification and the GraphQL server, wired from one
 * Config. `main.ts` listens; tests call `app.yoga.fetch` or `app.listen(0)`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga, useReadinessCheck, type Plugin, type YogaServerInstance } from 'graphql-yoga';
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
import { connect, type Database } from './db/connect.js';
import { Authenticator } from './gate/authenticate.js';
import { withDeadline } from './gate/deadline.js';
import type { GraphQLContext } from './graphql/context.js';
import { DEFAULT_LIMITS, useGraphQLLimits } from './graphql/limits.js';
import { useApiKeyAuthentication } from './graphql/plugins/authentication.js';
import { useBodyLimit } from './graphql/plugins/body-limit.js';
import { toClientError, useClientErrors } from './graphql/plugins/client-errors.js';
import { useKeyCors } from './graphql/plugins/cors.js';
import { useRequestDeadline } from './graphql/plugins/deadline.js';
import { useGraphiQLFiles } from './graphql/plugins/graphiql.js';
import { useIdempotency } from './graphql/plugins/idempotency.js';
import { useStorableInput } from './graphql/plugins/input.js';
import { useKnownOperationTypes } from './graphql/plugins/operations.js';
import { useRequestLifecycle } from './graphql/plugins/request-lifecycle.js';
import { useSecurityHeaders } from './graphql/plugins/security-headers.js';
import type { GateServerContext } from './graphql/plugins/server-context.js';
import { schema } from './graphql/schema.js';
import { deleteExpiredIdempotencyRecords } from './modules/idempotency/service.js';
import { restGate } from './rest/handler.js';
import { createRestApi } from './rest/routes.js';

const APP_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export interface App {
  config: Config;
  database: Database;
  yoga: YogaServerInstance<GateServerContext, GraphQLContext>;
  verifier: KeyVerifier;
  usage: KeyUsageRecorder;
  log: Logger;
  /** The admin key created on this start (empty database only); null otherwise. Never logged. */
  bootstrapAdminKey: string | null;
  /** The HTTP server, once `listen` has been called. */
  readonly server: Server | undefined;
  /** Starts the HTTP server; resolves with the bound port. */
  listen(port?: number, host?: string): Promise<number>;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), then releases everything. */
  close(): Promise<void>;
}

export interface AppOptions {
  log?: Logger;
  /** Sees every SQL statement the app sends. */
  onQuery?: (query: string, params: unknown[]) => void;
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
  const database = await connect({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.databasePoolSize,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    statementTimeoutMs: config.statementTimeoutMs,
    onQuery: options.onQuery,
  });
  let bootstrapAdminKey: string | null = null;
  let stopListening: (() => Promise<void>) | undefined;
  let usage: KeyUsageRecorder | undefined;
  let rateLimits: RateLimits | undefined;
  let sweeper: NodeJS.Timeout | undefined;
  try {
    await database.migrate(async () => {
      bootstrapAdminKey = await bootstrapAdmin(database.db, config.adminEmail);
    });
    const verifier = new KeyVerifier(database.db, {
      positiveTtlMs: config.keyCacheTtlMs,
      negativeTtlMs: config.keyNegativeCacheTtlMs,
    });
    stopListening = await database.listen(AUTH_CHANGE_CHANNEL, (payload) => verifier.invalidate(payload));
    usage = new KeyUsageRecorder(database.db, log, config.keyUsageFlushMs, (batch) => verifier.noteUsage(batch));
    rateLimits = new RateLimits({
      redisUrl: config.redisUrl,
      defaultPerMinute: config.rateLimitPerMinute,
      ownerPerMinute: config.ownerRateLimitPerMinute,
      authFailuresPerMinute: config.authFailuresPerMinute,
      graphiqlPerMinute: config.graphiqlRequestsPerMinute,
    });
    const authenticator = new Authenticator({ verifier, usage, rateLimits, deadlineMs: config.requestTimeoutMs });
    // Idempotency records live 24 hours; sweep the expired ones now and then.
    sweeper = setInterval(() => void deleteExpiredIdempotencyRecords(database.db).catch(() => {}), 15 * 60 * 1000);
    sweeper.unref();

    const restApi = createRestApi(APP_VERSION);
    const rest = restGate(
      restApi.app,
      { authenticator, db: database.db, keys: verifier, log, maxBodyBytes: config.maxBodyBytes, deadlineMs: config.requestTimeoutMs },
      restApi.publicPaths,
    );

    const yoga = createYoga<GateServerContext, GraphQLContext>({
      schema,
      graphqlEndpoint: '/graphql',
      batching: false,
      // useBodyLimit enforces our limit, reading bodies without a Content-Length only up to it;
      // yoga's own check would pipe every body through an extra stream for a 25 MB limit.
      maxRequestBodySize: false,
      landingPage: false,
      healthCheckEndpoint: '/health',
      // Decided per key by useKeyCors: yoga's default reflects any origin *with* credentials.
      cors: false,
      // Served by useGraphiQLFiles below, as static files rather than yoga's 9 MB page per view.
      graphiql: false,
      logging: {
        debug: (...args) => log.debug(yogaLogLine(args)),
        info: (...args) => log.info(yogaLogLine(args)),
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
        keyCache: verifier,
        algorithmApiUrl: config.algorithmApiUrl,
        caller: gate!.caller!,
        rateLimit: gate!.budget,
      }),
      plugins: [
        useSecurityHeaders(),
        useRequestLifecycle(log),
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
        useBodyLimit(config.maxBodyBytes),
        useKeyCors('/graphql'),
        // Keys travel in the Authorization header, which no cross-site form or simple request can
        // send: requiring it on every request a browser would not preflight stops CSRF outright.
        useCSRFPrevention({ requestHeaders: ['authorization'] }),
        useReadinessCheck({
          endpoint: '/ready',
          check: async ({ fetchAPI }) => {
            try {
              await withDeadline(database.ping(), Math.min(config.requestTimeoutMs, 5000));
              return fetchAPI.Response.json({ status: 'ready' });
            } catch {
              return fetchAPI.Response.json({ status: 'database unavailable' }, { status: 503 });
            }
          },
        }),
        useApiKeyAuthentication(authenticator),
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
        useIdempotency(config.requestTimeoutMs),
        useRequestDeadline(config.requestTimeoutMs),
        useClientErrors(log),
      ],
    });

    let server: Server | undefined;
    const recorder = usage;
    const limits = rateLimits;
    const unlisten = stopListening;
    return {
      config,
      database,
      yoga,
      verifier,
      usage: recorder,
      log,
      bootstrapAdminKey,
      get server() {
        return server;
      },
      listen(port = config.port, host = config.host) {
        server = createServer(yoga);
        const listening = server;
        return new Promise((resolve, reject) => {
          listening.once('error', reject);
          listening.listen(port, host, () => resolve((listening.address() as AddressInfo).port));
        });
      },
      async close() {
        if (server?.listening) await drain(server, config.shutdownGraceMs);
        clearInterval(sweeper);
        await unlisten().catch(() => {});
        await recorder.close();
        await limits.close();
        await database.close();
      },
    };
  } catch (error) {
    await stopListening?.().catch(() => {});
    await usage?.close().catch(() => {});
    await rateLimits?.close().catch(() => {});
    await database.close().catch(() => {});
    throw error;
  }
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
