/**
 * Start-up as an operator meets it, through the CLI: one process per embedded data directory,
 * a throwaway in-memory database, a port in use found before anything is written, and every
 * start-up path ending within DATABASE_CONNECT_TIMEOUT_MS, with one line, when the database host
 * or the data directory never answers.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindServer } from '../src/app.js';
import { createTestDatabase, ON_POSTGRES, startTestApp, type TestApp, type TestDatabase } from './helpers/app.js';
import { runCli, startCli, type CliRun, type RunningServer } from './helpers/cli.js';
import { startSilentHost, type SilentHost } from './helpers/silent-host.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ADMIN_KEY_LINE = /^admin key: (adm[0-9A-Za-z]{28})$/m;
const COMMANDS = [['start'], ['migrate'], ['bootstrap'], ['admin-key', '--user', 'admin']];

let scratch: string;
/** How long the CLI takes to start and exit with nothing to do: what a time limit is measured on top of. */
let processStartMs: number;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'algoplane-startup-'));
  const help = await runCli(['help'], {});
  expect(help.code).toBe(0);
  processStartMs = help.ms;
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** The whole of stderr is one line, and it is this one. */
function oneLine(run: CliRun): string {
  const lines = run.stderr.split('\n').filter(Boolean);
  expect(lines, run.stderr).toHaveLength(1);
  return lines[0]!;
}

async function adminQuery(server: RunningServer, key: string) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Simple ${key}` },
    body: JSON.stringify({ query: '{ admin { user(username: "admin") { username } } }' }),
  });
  // The answer without its cost report (extensions.cost), whose figures change with every request.
  const { data, errors } = await response.json();
  return { status: response.status, body: { data, ...(errors && { errors }) } };
}

describe.skipIf(ON_POSTGRES)('one process per embedded DATA_DIR', () => {
  it(
    'refuses a second process with one line naming the directory and the holder, with exact steps; the lock dies with its holder',
    { timeout: 240_000 },
    async () => {
      // Reached by a path longer than a socket address may be, and by a short symbolic link: one lock.
      const longPath = path.join(scratch, 'a-data-directory-whose-path-is-longer-than-a-unix-socket-address-may-be-0123456789');
      const dataDir = path.join(scratch, 'shared');
      await mkdir(longPath);
      await symlink(longPath, dataDir);
      expect(Buffer.byteLength(path.join(longPath, '.algoplane.sock'))).toBeGreaterThan(107);
      const first = await startCli({ DATA_DIR: longPath });
      await expect.poll(() => first.stderr()).toMatch(ADMIN_KEY_LINE);
      const adminKey = ADMIN_KEY_LINE.exec(first.stderr())![1]!;
      const held = `algoplane: DATA_DIR ${dataDir} is in use by algoplane start (pid ${first.pid}), and the embedded database opens in one process at a time: `;
      try {
        const second = await runCli(['start'], { DATA_DIR: dataDir, PORT: '0' });
        expect(second.code).toBe(1);
        expect(oneLine(second)).toBe(
          `${held}stop it (kill -TERM ${first.pid}, or Ctrl-C where it runs) first, or give this server a DATA_DIR of its own; several servers share one database through Postgres (DATABASE_URL)`,
        );

        const adminKeyRun = await runCli(['admin-key', '--user', 'admin'], { DATA_DIR: dataDir });
        expect(adminKeyRun.code).toBe(1);
        expect(adminKeyRun.stdout).not.toMatch(/adm[0-9A-Za-z]{28}/);
        expect(oneLine(adminKeyRun)).toBe(
          `${held}stop it (kill -TERM ${first.pid}, or Ctrl-C where it runs), run \`npm run algoplane -- admin-key --user admin\`, then start the server again (npm start); or use DATABASE_URL, so that the server and the CLI share one Postgres database`,
        );
        for (const command of ['migrate', 'bootstrap']) {
          const refused = await runCli([command], { DATA_DIR: longPath });
          expect(refused.code).toBe(1);
          expect(oneLine(refused)).toContain(`${held.replace(dataDir, longPath)}stop it (kill -TERM ${first.pid}, or Ctrl-C where it runs), run \`npm run algoplane -- ${command}\`, then`);
        }
        // The first server never noticed.
        expect(await adminQuery(first, adminKey)).toMatchObject({ status: 200 });
      } finally {
        // However the holder ends, its lock ends with it.
        process.kill(first.pid, 'SIGKILL');
        await first.stop();
      }

      const minted = await runCli(['admin-key', '--user', 'admin', '--name', 'after crash'], { DATA_DIR: dataDir });
      expect(minted.stderr).toBe('');
      expect(minted.code).toBe(0);
      const newKey = ADMIN_KEY_LINE.exec(minted.stdout)![1]!;
      const restarted = await startCli({ DATA_DIR: dataDir });
      try {
        expect(await adminQuery(restarted, newKey)).toEqual({ status: 200, body: { data: { admin: { user: { username: 'admin' } } } } });
        expect(await adminQuery(restarted, adminKey)).toMatchObject({ status: 200 });
      } finally {
        expect(await restarted.stop()).toBe(0);
      }
    },
  );

  it('keeps DATA_DIR=memory:// in memory: no folder, a new database on every start, several at once', { timeout: 180_000 }, async () => {
    const folder = path.join(ROOT, 'memory:');
    const servers = await Promise.all([startCli({ DATA_DIR: 'memory://' }), startCli({ DATA_DIR: 'memory://' })]);
    try {
      for (const server of servers) await expect.poll(() => server.stderr()).toMatch(ADMIN_KEY_LINE);
      const [one, two] = servers.map((server) => ADMIN_KEY_LINE.exec(server.stderr())![1]!);
      expect(one).not.toBe(two);
      expect(await adminQuery(servers[0]!, two!)).toMatchObject({ status: 401 });
      expect(existsSync(folder)).toBe(false);
    } finally {
      for (const server of servers) await server.stop();
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('start-up fails fast, with one line', () => {
  let database: TestDatabase;
  let silent: SilentHost;
  let port: Server;

  beforeAll(async () => {
    database = await createTestDatabase();
    silent = await startSilentHost();
    port = createServer();
    await new Promise<void>((resolve) => port.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => port?.close(resolve));
    await silent?.close();
    await database?.drop();
  });

  /** The run ended on its own within the time limit, plus what starting and ending the process costs, plus 5 s. */
  function endedWithin(run: CliRun, limitMs: number) {
    expect(run.code, `killed after ${Math.round(run.ms)} ms\n${run.stderr}`).toBe(1);
    expect(run.ms).toBeLessThan(processStartMs + limitMs + 5000);
  }

  it('finds a port in use before anything is written: no database, no admin key', { timeout: 120_000 }, async () => {
    const taken = (port.address() as { port: number }).port;
    const dataDir = path.join(scratch, 'never-written');
    const env: Record<string, string> = database.url ? { DATABASE_URL: database.url } : { DATA_DIR: dataDir };
    const run = await runCli(['start'], { ...env, PORT: String(taken), HOST: '127.0.0.1' });
    expect(run.code).toBe(1);
    expect(oneLine(run)).toBe(`algoplane: port ${taken} on 127.0.0.1 is already in use (PORT, HOST): stop what listens there, or choose another PORT`);
    expect(run.stdout).not.toMatch(ADMIN_KEY_LINE);
    if (database.url) {
      const sql = postgres(database.url, { max: 1, onnotice: () => {} });
      try {
        expect(await sql`select table_name from information_schema.tables where table_schema in ('public', 'drizzle')`).toEqual([]);
      } finally {
        await sql.end();
      }
    } else {
      expect(existsSync(dataDir)).toBe(false);
    }
  });

  it('says a metrics port in use in one line naming METRICS_PORT, and exits', { timeout: 120_000 }, async () => {
    const taken = (port.address() as { port: number }).port;
    const run = await runCli(['start'], { DATA_DIR: 'memory://', PORT: '0', HOST: '127.0.0.1', METRICS_PORT: String(taken) });
    expect(run.code).toBe(1);
    expect(oneLine(run)).toBe(
      `algoplane: port ${taken} on 127.0.0.1 is already in use (METRICS_PORT, METRICS_HOST): stop what listens there, or choose another METRICS_PORT`,
    );
  });

  it('answers 503 "starting" on its bound port until the app serves there', async () => {
    const server = await bindServer(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    let t: TestApp | undefined;
    try {
      const starting = await fetch(`${url}/health`);
      expect(starting.status).toBe(503);
      expect(starting.headers.get('retry-after')).toBe('1');
      expect(starting.headers.get('connection')).toBe('close');
      expect(starting.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await starting.json()).toEqual({ status: 'starting' });
      t = await startTestApp();
      t.app.serve({ server });
      expect((await fetch(`${url}/health`)).status).toBe(200);
    } finally {
      if (t) await t.close();
      else server.close();
    }
  });

  it.each(COMMANDS)('%s: a Postgres host that never completes the TCP handshake', { timeout: 120_000 }, async (...args) => {
    const run = await runCli(args, { DATABASE_URL: `postgres://postgres:hunter2@127.0.0.1:${silent.port}/algoplane`, DATABASE_CONNECT_TIMEOUT_MS: '1000', PORT: '0' }, 60_000);
    endedWithin(run, 1000);
    expect(oneLine(run)).toBe(`algoplane: the database at 127.0.0.1:${silent.port} did not answer within 1000 ms (DATABASE_CONNECT_TIMEOUT_MS)`);
  });

  it.each(COMMANDS)('%s: a DATA_DIR under /proc, where no directory can be made', { timeout: 120_000 }, async (...args) => {
    const run = await runCli(args, { DATA_DIR: '/proc/self/algoplane', DATABASE_CONNECT_TIMEOUT_MS: '1000', PORT: '0' }, 60_000);
    endedWithin(run, 1000);
    expect(oneLine(run)).toBe("algoplane: DATA_DIR /proc/self/algoplane cannot be used: ENOENT: no such file or directory, mkdir '/proc/self/algoplane'");
  });

  it.skipIf(!ON_POSTGRES)(
    'waits for another instance migrating up to MIGRATION_LOCK_TIMEOUT_MS, then names the Postgres backend that holds the lock',
    { timeout: 120_000 },
    async () => {
      const holder = postgres(database.url!, { max: 1, onnotice: () => {} });
      try {
        const [{ pid }] = await holder<[{ pid: number }]>`select pg_backend_pid() as pid, pg_advisory_lock(720514001)`;
        const run = await runCli(['migrate'], { DATABASE_URL: database.url!, MIGRATION_LOCK_TIMEOUT_MS: '1000' }, 60_000);
        endedWithin(run, 1000);
        expect(oneLine(run)).toBe(
          `algoplane: another instance has held the start-up lock (migrations) for over 1000 ms (MIGRATION_LOCK_TIMEOUT_MS): it is still migrating, or stuck: Postgres backend ${pid} (pg_stat_activity says whose; pg_terminate_backend(${pid}) frees it)`,
        );
      } finally {
        await holder.end();
      }
    },
  );
});
