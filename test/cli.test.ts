/**
 * `algoplane` as a user runs it: first start on an empty database, restart, admin-key, migrate,
 * bad configuration. On PGlite under a temporary DATA_DIR, or on a fresh Postgres database in CI.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/app.js';
import { runCli, startCli } from './helpers/cli.js';

let database: TestDatabase;
let dataDir: string;
let env: Record<string, string>;

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = await mkdtemp(path.join(tmpdir(), 'algoplane-cli-'));
  env = database.url ? { DATABASE_URL: database.url } : { DATA_DIR: dataDir };
});
afterAll(async () => {
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

async function gql(url: string, key: string, query: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Simple ${key}` },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: await response.json() };
}

const ADMIN_KEY_LINE = /^admin key: (adm[0-9A-Za-z]{28})$/m;
let adminKey: string;

describe('algoplane start', () => {
  it('on an empty database: migrates, creates the admin user, prints one admin key on stderr, apart from the logs, serves GraphQL', async () => {
    const server = await startCli(env);
    try {
      // Written before the GraphiQL line, but the two pipes arrive in no set order.
      await expect.poll(() => server.stderr()).toMatch(ADMIN_KEY_LINE);
      const printed = server.stderr().match(new RegExp(ADMIN_KEY_LINE, 'gm')) ?? [];
      expect(printed).toHaveLength(1);
      adminKey = ADMIN_KEY_LINE.exec(server.stderr())![1]!;
      expect(server.stderr()).toContain('shown this once');
      expect(server.banner).not.toContain(adminKey);
      expect((await fetch(`${server.url}/ready`)).status).toBe(200);
      const users = await gql(server.url, adminKey, '{ admin { users { nodes { username isAdmin } } } }');
      expect(users.body.data).toEqual({ admin: { users: { nodes: [{ username: 'admin', isAdmin: true }] } } });
      expect(users.body.errors).toBeUndefined();
      const created = await gql(
        server.url,
        adminKey,
        'mutation { createUser(input: { username: "kept", email: "kept@example.com" }) { secret userErrors { message } } }',
      );
      expect(created.body.data.createUser.userErrors).toEqual([]);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('logs in batches, yet a quiet server shows each request at once, and writes every line before it exits', async () => {
    const server = await startCli({ ...env, LOG_LEVEL: 'info' });
    const lines = () => server.stdout().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    let stopped = false;
    try {
      // Before the banner that startCli waits for: the start-up lines.
      expect(server.banner).toContain('"msg":"algoplane listening"');
      const asked = performance.now();
      const response = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'quiet-server-line' } });
      expect(response.status).toBe(200);
      await expect.poll(() => lines().some((line) => line.requestId === 'quiet-server-line'), { timeout: 1000, interval: 20 }).toBe(true);
      expect(performance.now() - asked).toBeLessThan(1000);
      // The last lines before exit: the shutdown line, and the requests answered just before it.
      for (let i = 0; i < 20; i++) await fetch(`${server.url}/health`, { headers: { 'x-request-id': `before-exit-${i}` } });
      expect(await server.stop()).toBe(0);
      stopped = true;
      const ids = lines().map((line) => line.requestId);
      for (let i = 0; i < 20; i++) expect(ids).toContain(`before-exit-${i}`);
      expect(lines().some((line) => line.msg === 'shutting down: draining in-flight requests')).toBe(true);
    } finally {
      if (!stopped) await server.stop();
    }
  });

  it('on a restart: keeps users and keys, prints no new key', async () => {
    const server = await startCli(env);
    try {
      const users = await gql(server.url, adminKey, '{ admin { users { nodes { username } } } }');
      expect(users.body.data.admin.users.nodes.map((u: { username: string }) => u.username)).toEqual(['admin', 'kept']);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.banner).not.toMatch(ADMIN_KEY_LINE);
    expect(server.stderr()).not.toMatch(ADMIN_KEY_LINE);
  });
});

describe('algoplane admin-key', () => {
  it('mints another admin key for an administrator and prints it', async () => {
    const run = await runCli(['admin-key', '--user', 'admin', '--name', 'ops-laptop'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const key = ADMIN_KEY_LINE.exec(run.stdout)![1]!;
    expect(key).not.toBe(adminKey);

    const server = await startCli(env);
    try {
      const keys = await gql(server.url, key, '{ admin { user(username: "admin") { username } } }');
      expect(keys.body.data).toEqual({ admin: { user: { username: 'admin' } } });
      expect(keys.body.errors).toBeUndefined();
    } finally {
      await server.stop();
    }
  });

  it('refuses a user who is not an administrator, and a missing --user', async () => {
    const notAdmin = await runCli(['admin-key', '--user', 'kept'], env);
    expect(notAdmin.code).toBe(1);
    expect(notAdmin.stderr).toContain('"kept" is not a cluster administrator');
    expect(notAdmin.stdout).not.toMatch(/adm[0-9A-Za-z]{28}/);

    const missing = await runCli(['admin-key'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('admin-key needs --user <username>');
  });

  it('refuses a name the administrator already uses for a key', async () => {
    const run = await runCli(['admin-key', '--user', 'admin', '--name', 'ops-laptop'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('already has a key named "ops-laptop"');
  });
});

describe('algoplane migrate and configuration', () => {
  it('migrate applies migrations (idempotently) and exits', async () => {
    const run = await runCli(['migrate'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('migrations applied');
  });

  it('stops with one line per bad variable, naming it', async () => {
    const run = await runCli(['start'], { ...env, PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('PORT must be a whole number from 0 to 65535 (got "eighty")');
    expect(run.stderr).toContain('LOG_LEVEL must be one of');
    expect(run.stdout).toBe('');
  });

  it('refuses REDIS_URL without DATABASE_URL, naming both, before touching the embedded database', async () => {
    const unused = await mkdtemp(path.join(tmpdir(), 'algoplane-cli-'));
    try {
      // A server that starts anyway is stopped rather than left running.
      const run = await runCli(['start'], { DATA_DIR: unused, REDIS_URL: 'redis://127.0.0.1:6379', PORT: '0' }, 20_000);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^algoplane: Invalid configuration:\n {2}REDIS_URL is set but DATABASE_URL is not: [^\n]*\n$/);
      expect(run.stdout).toBe('');
      expect(await readdir(unused)).toEqual([]);
    } finally {
      await rm(unused, { recursive: true, force: true });
    }
  });
});
