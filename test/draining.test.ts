/**
 * Shutting down behind a load balancer: /ready answers 503 the moment draining starts, while the
 * server keeps serving for SHUTDOWN_READY_DELAY_MS (the load balancer's health checks need that
 * long to notice), ending each connection it answers; then it stops accepting. A server whose
 * /ready nobody asked stops at once.
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startTestApp } from './helpers/app.js';

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

function get(port: number, path: string, options: { agent?: Agent; key?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: options.agent, headers: options.key ? { authorization: `Simple ${options.key}` } : {} }, (response: IncomingMessage) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, connection: response.headers.connection, body }));
    })
      .on('error', reject)
      .end();
  });
}

const refused = (port: number) => expect(get(port, '/health')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

describe('draining on shutdown', () => {
  it('answers /ready 503 at once, serves (closing connections) for the ready delay, then stops accepting', async () => {
    const t = await startTestApp({ env: { SHUTDOWN_READY_DELAY_MS: '1500' } });
    const port = await t.app.listen(0, '127.0.0.1');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await get(port, '/ready')).toMatchObject({ status: 200, body: '{"status":"ready"}' });
      // A keep-alive connection left idle, as a load balancer's pool keeps them.
      const idle = await get(port, '/health', { agent });
      expect(idle.connection).toBe('keep-alive');
      const idleSocket = Object.values(agent.freeSockets).flat()[0] as Socket;
      const idleClosed = new Promise<number>((resolve) => idleSocket.once('close', () => resolve(Date.now())));

      const started = Date.now();
      const closing = t.close();

      const ready = await get(port, '/ready');
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.body)).toEqual({ status: 'draining' });
      // Still served, and told to reconnect elsewhere for the next one.
      const served = await get(port, '/graphql?query=%7B__typename%7D', { key: t.adminKey });
      expect(served).toMatchObject({ status: 200, connection: 'close' });
      expect(JSON.parse(served.body).data).toEqual({ __typename: 'Query' });
      expect(Date.now() - started).toBeLessThan(1500);

      await closing;
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
      expect(await idleClosed).toBeGreaterThanOrEqual(started + 1400);
      await refused(port);
    } finally {
      agent.destroy();
      await t.close().catch(() => {});
    }
  });

  it('stops at once when nothing ever asked /ready', async () => {
    const t = await startTestApp({ env: { SHUTDOWN_READY_DELAY_MS: '5000' } });
    const port = await t.app.listen(0, '127.0.0.1');
    expect((await get(port, '/health')).status).toBe(200);
    const started = Date.now();
    await t.close();
    expect(Date.now() - started).toBeLessThan(3000);
    await refused(port);
  });
});
