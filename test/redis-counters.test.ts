/**
 * Shared rate-limit counters (REDIS_URL) when Redis is not there: the server starts and serves on
 * per-instance counters, and says so once per change of state, in its log and in /ready's body.
 * A dead Redis is a closed port on loopback; one that goes away and comes back is the real Redis
 * behind a TCP proxy that refuses, or goes silent. REDIS_URL goes with a shared Postgres only.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_CONNECT_TIMEOUT_MS } from '../src/auth/shared-counters.js';
import { createUser, ON_POSTGRES, startTestApp, type TestApp } from './helpers/app.js';
import { startFaultProxy, type FaultProxy } from './helpers/fault-proxy.js';

const VIEWER = '{ viewer { key { name } } }';
const WARN = 40;
const INFO = 30;

/** The log lines about Redis, as level and message. */
const redisLines = (t: TestApp) =>
  t.logs.filter((line) => String(line.msg).startsWith('Redis (REDIS_URL)')).map((line) => ({ level: line.level, msg: String(line.msg) }));

const ready = async (t: TestApp) => {
  const response = await t.fetch('/ready');
  return { status: response.status, body: await response.json() };
};

/** A dead Redis on loopback: a port where nothing listens, or a listener that accepts and never answers. */
interface DeadRedis {
  port: number;
  /** Why the log says it is unreachable. */
  reason: RegExp;
  close(): Promise<void>;
}

async function listening(onConnection?: (socket: Socket) => void): Promise<Server> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function closedPort(): Promise<DeadRedis> {
  const server = await listening();
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return { port, reason: /ECONNREFUSED/, close: async () => {} };
}

async function silentListener(): Promise<DeadRedis> {
  const sockets = new Set<Socket>();
  const server = await listening((socket) => {
    sockets.add(socket);
    socket.resume();
  });
  return {
    port: (server.address() as AddressInfo).port,
    // Its first command (AUTH or the ready check) times out, or else start-up's bound.
    reason: new RegExp(`timed out|no answer within ${REDIS_CONNECT_TIMEOUT_MS} ms`),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe.skipIf(!ON_POSTGRES).each([
  ['on a closed port', closedPort],
  ['that accepts connections and never answers', silentListener],
] as const)('a Redis that is not there at start: %s', (_kind, deadRedis) => {
  let t: TestApp;
  let dead: DeadRedis;
  let startedInMs: number;
  beforeAll(async () => {
    dead = await deadRedis();
    const began = Date.now();
    t = await startTestApp({ env: { REDIS_URL: `redis://:hunter2@127.0.0.1:${dead.port}`, RATE_LIMIT_PER_MINUTE: '3' } });
    startedInMs = Date.now() - began;
  });
  afterAll(async () => {
    await t?.close();
    await dead?.close();
  });

  it('starts anyway, saying once that budgets are counted per instance; /ready stays 200 and says redis unavailable', async () => {
    // The database's part of start-up takes a few seconds; Redis adds at most its bound.
    expect(startedInMs).toBeLessThan(REDIS_CONNECT_TIMEOUT_MS + 15_000);
    expect(redisLines(t)).toEqual([{ level: WARN, msg: expect.stringMatching(/is unreachable: starting anyway, with rate limits counted by each instance in memory/) }]);
    const line = t.logs.find((entry) => String(entry.msg).startsWith('Redis (REDIS_URL)'))!;
    expect(line.redis).toBe(`127.0.0.1:${dead.port}`);
    expect(line.reason).toMatch(dead.reason);
    expect(JSON.stringify(t.logs)).not.toContain('hunter2');
    expect(await ready(t)).toEqual({ status: 200, body: { status: 'ready', redis: 'unavailable' } });
  });

  it('serves requests within their budget on the in-memory counters, and logs no line per request or per retry', async () => {
    const user = await createUser(t);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await t.gql(VIEWER, { key: user.key })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    // ioredis keeps retrying meanwhile (every 50 ms at first): still the one line.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(redisLines(t)).toHaveLength(1);
  });
});

describe.skipIf(!ON_POSTGRES || !process.env.REDIS_URL)('a Redis that goes away and comes back', () => {
  let t: TestApp;
  let proxy: FaultProxy;
  beforeAll(async () => {
    const redis = new URL(process.env.REDIS_URL!);
    proxy = await startFaultProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    t = await startTestApp({ env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}` } });
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
  });

  it('logs each change of state once (answers, lost, back), shows it in /ready, and serves all along', async () => {
    const user = await createUser(t);
    expect(redisLines(t)).toEqual([{ level: INFO, msg: expect.stringMatching(/answers: rate limits are shared by every instance/) }]);
    expect(await ready(t)).toEqual({ status: 200, body: { status: 'ready', redis: 'ok' } });

    const expected = [...redisLines(t)];
    // Refused (the connection dropped), then silent (connected, but no answer): each is lost, then back.
    for (const fault of ['refuse', 'stall'] as const) {
      await proxy.setMode(fault);
      await expect.poll(() => redisLines(t).length, { timeout: 10_000 }).toBe(expected.length + 1);
      expected.push({ level: WARN, msg: expect.stringMatching(/connection lost: rate limits are counted by each instance in memory/) });
      expect(redisLines(t)).toEqual(expected);
      expect(await ready(t)).toEqual({ status: 200, body: { status: 'ready', redis: 'unavailable' } });
      for (let i = 0; i < 3; i++) expect((await t.gql(VIEWER, { key: user.key })).status).toBe(200);

      await proxy.setMode('pass');
      await expect.poll(() => redisLines(t).length, { timeout: 10_000 }).toBe(expected.length + 1);
      expected.push({ level: INFO, msg: expect.stringMatching(/answers: rate limits are shared by every instance/) });
      expect(redisLines(t)).toEqual(expected);
      expect(await ready(t)).toEqual({ status: 200, body: { status: 'ready', redis: 'ok' } });
      expect((await t.gql(VIEWER, { key: user.key })).status).toBe(200);
    }
  });
});
