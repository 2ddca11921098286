/**
 * `algoplane <command>`: start (default) | migrate | bootstrap | admin-key --user <username> [--name <name>]
 */
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { consoleActor } from './auth/permissions.js';
import { bootstrapAdmin } from './bootstrap.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { ServiceError } from './core/errors.js';
import { StartupError } from './core/startup-error.js';
import type { Database } from './db/connect.js';
import { DataDirInUse } from './db/data-dir.js';
import { batchedStdout, createLogger } from './core/logger.js';
import { createAdminApiKey } from './modules/api-keys/service.js';
import { bindListeners, connectDatabase, createApp, SERVER_HOLDER, type App } from './app.js';

const USAGE = `Usage: algoplane [command]

Commands:
  start                               run the server (default)
  migrate                             apply database migrations and exit
  bootstrap                           migrate; on an empty database create the admin user and print an admin key
  admin-key --user <username> [--name <key name>]
                                      mint another admin key for a cluster administrator and print it

Configuration comes from the environment (see README.md): PORT, HOST, DATABASE_URL, DATA_DIR, LOG_LEVEL, METRICS_PORT, ...`;

/** A minted key goes to stdout, the command's only output (no log stream there), once, and never through the logger. */
function printSecret(label: string, secret: string) {
  process.stdout.write(`${label}: ${secret}\n`);
}

const RULE = '='.repeat(78);

/**
 * The bootstrap admin key, once, on stderr: stdout carries the JSON log stream, which log shippers
 * collect and keep. One write, so no log line lands inside the banner. The `admin key: ` line is
 * what scripts (.ci/run) read.
 */
function printBootstrapKey(secret: string) {
  process.stderr.write(
    [
      RULE,
      'algoplane: a new cluster, and its first admin key. It is shown this once and never again:',
      'store it in a secret store now. It lists users and creates them in GraphiQL.',
      '',
      `admin key: ${secret}`,
      RULE,
      '',
    ].join('\n'),
  );
}

async function withDatabase<T>(config: Config, command: string, run: (database: Database) => Promise<T>): Promise<T> {
  const database = await connectDatabase(config, `algoplane ${command}`, { poolSize: 2 });
  try {
    return await run(database);
  } finally {
    await database.close();
  }
}

const httpUrl = (host: string, port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

async function start(config: Config) {
  const stdout = batchedStdout();
  const log = createLogger(config.logLevel, stdout);
  // The ports first: one in use stops start-up before the database is opened or written.
  const listeners = await bindListeners(config);
  let app: App;
  try {
    app = await createApp(config, { log });
  } catch (error) {
    listeners.server.close();
    listeners.metrics?.close();
    throw error;
  }
  if (app.bootstrapAdminKey) printBootstrapKey(app.bootstrapAdminKey);
  const port = app.serve(listeners);
  const where = `${httpUrl(config.host, port)}/graphql`;
  log.info({ url: where, database: app.database.driver }, 'algoplane listening');
  if (app.metricsServer) log.info({ url: `${httpUrl(config.metricsHost, (app.metricsServer.address() as AddressInfo).port)}/metrics` }, 'metrics listening');
  stdout.write(`GraphiQL: ${where}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: draining in-flight requests');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(argv: string[]) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { user: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals[0] ?? 'start';
  if (values.help || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = loadConfig();
  try {
    await run(command, values, config);
  } catch (error) {
    if (error instanceof DataDirInUse) throw new StartupError(whatToDo(error, command === 'start' ? 'npm start' : `npm run algoplane -- ${shellWords(argv)}`));
    throw error;
  }
}

async function run(command: string, values: { user?: string | undefined; name?: string | undefined }, config: Config) {
  switch (command) {
    case 'start':
      return start(config);
    case 'migrate':
      await withDatabase(config, command, (database) => database.migrate());
      process.stdout.write('migrations applied\n');
      return;
    case 'bootstrap':
      await withDatabase(config, command, async (database) => {
        let secret: string | null = null;
        await database.migrate(async () => {
          secret = await bootstrapAdmin(database.db, config.adminEmail);
        });
        if (secret) printBootstrapKey(secret);
        else process.stdout.write('database already has users: nothing to bootstrap\n');
      });
      return;
    case 'admin-key': {
      if (!values.user) throw new UsageError('admin-key needs --user <username>');
      const username = values.user;
      const name = values.name ?? `admin-key-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
      await withDatabase(config, command, async (database) => {
        await database.migrate();
        const { secret } = await createAdminApiKey(database.db, consoleActor('cli'), { username, name });
        printSecret('admin key', secret);
      });
      return;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/**
 * DATA_DIR held by another process: what to do, in exact commands. A server holds it for its whole
 * life, so a command for the same database runs while it is stopped, or on Postgres, which any
 * number of processes share.
 */
function whatToDo(error: DataDirInUse, thisCommand: string): string {
  const { holder } = error;
  const stop = holder ? `stop it (kill -TERM ${holder.pid}, or Ctrl-C where it runs)` : 'stop it';
  if (holder && holder.command !== SERVER_HOLDER) return `${error.message}: it ends by itself; run \`${thisCommand}\` again once it has`;
  if (thisCommand === 'npm start') {
    return `${error.message}: ${stop} first, or give this server a DATA_DIR of its own; several servers share one database through Postgres (DATABASE_URL)`;
  }
  return `${error.message}: ${stop}, run \`${thisCommand}\`, then start the server again (npm start); or use DATABASE_URL, so that the server and the CLI share one Postgres database`;
}

/** The command line as a shell would take it back. */
function shellWords(argv: string[]): string {
  return argv.map((word) => (/^[\w./:=@-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`)).join(' ');
}

class UsageError extends Error {}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof UsageError || error instanceof ServiceError || error instanceof StartupError) {
    process.stderr.write(`algoplane: ${error.message}\n`);
    if (error instanceof UsageError) process.stderr.write(`\n${USAGE}\n`);
  } else {
    // Anything else is unexpected: say so without dumping internals (connection strings, SQL).
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`algoplane: failed: ${message}\n`);
  }
  process.exit(1);
});
