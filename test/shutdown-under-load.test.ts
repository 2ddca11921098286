/**
 * Graceful shutdown under load (Postgres only: holding requests open needs a lock from a second
 * connection). Requests in flight when shutdown begins all complete; new connections are refused;
 * shutdown finishes within the grace period. The SIGTERM handler of `algoplane start` runs exactly
 * this close(); cli.test.ts shows the signal reaches it.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, graphqlRequest, ON_POSTGRES, startTestApp } from './helpers/app.js';
import { holdTableLock } from './helpers/lock.js';

describe.skipIf(!ON_POSTGRES)('shutdown under load (Postgres only)', () => {
  it('finishes every in-flight request, refuses new ones, and stops within the grace period', async () => {
    const database = await createTestDatabase();
    const t = await startTestApp({ database, env: { SHUTDOWN_GRACE_MS: '10000' } });
    const port = await t.app.listen(0, '127.0.0.1');
    const lock = await holdTableLock(database.url!, 'users', 'access exclusive');
    try {

      let count = 0;
      const allArrived = new Promise<void>((resolve) =>
        t.app.server!.on('request', () => {
          if (++count === 12) resolve();
        }),
      );
      const init = graphqlRequest('{ admin { users(first: 5) { totalCount } } }', { key: t.adminKey });
      const inFlight = Array.from({ length: 12 }, () =>
        fetch(`http://127.0.0.1:${port}/graphql`, init).then(async (r) => ({ status: r.status, body: await r.json() })),
      );
      await allArrived;

      const started = Date.now();
      const closing = t.app.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expect(
        new Promise((resolve, reject) => request({ port, host: '127.0.0.1', path: '/health' }, resolve).on('error', reject).end()),
      ).rejects.toMatchObject({ code: 'ECONNREFUSED' });

      await lock.release();
      const answers = await Promise.all(inFlight);
      expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
      expect(answers.every((a) => a.body.data.admin.users.totalCount === 1)).toBe(true);
      await closing;
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await lock.release();
      await database.drop();
    }
  });
});
