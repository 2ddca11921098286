/** The HTTP surface around GraphQL: health, readiness, GraphiQL, draining on shutdown. */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, graphqlRequest, startTestApp, type TestApp } from './helpers/app.js';

describe('health, readiness and GraphiQL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('answers /health while the process is up, with a body saying so', async () => {
    const response = await t.fetch('/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers the probes on their exact paths only: an algorithm named health or ready is an algorithm', async () => {
    const user = await createUser(t);
    for (const name of ['health', 'ready']) {
      const response = await t.fetch(`/v1/algorithms/${user.username}/${name}`, { headers: { authorization: `Simple ${user.key}` } });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: expect.anything() });
      expect((await t.fetch(`/graphql/${name}`)).status).toBe(404);
    }
  });

  it('answers /ready while the database answers', async () => {
    const response = await t.fetch('/ready');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready' });
  });

  it('serves GraphiQL to browsers with an example operation and an Authorization template', async () => {
    const response = await t.fetch('/graphql', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<title>algoplane</title>');
    expect(html).toContain('query Viewer');
    expect(html).toContain('Simple <paste your API key here>');
  });

  it('tags every response with a request id, keeping a sane one the caller sent', async () => {
    const minted = await t.fetch('/graphql', graphqlRequest('{ __typename }'));
    expect(minted.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await t.fetch('/graphql', graphqlRequest('{ __typename }', { headers: { 'x-request-id': 'trace-42' } }));
    expect(kept.headers.get('x-request-id')).toBe('trace-42');
    const replaced = await t.fetch('/graphql', graphqlRequest('{ __typename }', { headers: { 'x-request-id': 'x'.repeat(500) } }));
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('logs each request with its key id, never the key', async () => {
    const user = await createUser(t);
    const response = await t.fetch('/graphql', graphqlRequest('{ viewer { key { id } } }', { key: user.key }));
    const requestId = response.headers.get('x-request-id');
    const line = t.logs.find((entry) => entry.requestId === requestId && entry.msg === 'request');
    expect(line).toMatchObject({ method: 'POST', path: '/graphql', status: 200, keyId: expect.any(String) });
    expect(JSON.stringify(t.logs)).not.toContain(user.key);
  });
});

describe('readiness without a database', () => {
  it('reports 503 without internals once the database is gone', async () => {
    const t = await startTestApp();
    try {
      await t.app.database.close();
      const response = await t.fetch('/ready');
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'database unavailable' });
    } finally {
      await t.close().catch(() => {});
    }
  });
});

describe('shutdown', () => {
  it('lets an in-flight request finish, then refuses new connections and closes the database', async () => {
    const t = await startTestApp();
    const port = await t.app.listen(0, '127.0.0.1');
    let closing: Promise<void> | undefined;
    // Begin shutting down the moment the server has the request, before it has answered.
    t.app.server!.once('request', () => {
      closing = t.close();
    });
    const init = graphqlRequest('{ admin { users(first: 100) { totalCount nodes { username } } } }', { key: t.adminKey });
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, { ...init, headers: { ...(init.headers as object), connection: 'close' } });
    expect(response.status).toBe(200);
    expect((await response.json()).data.admin.users.totalCount).toBe(1);
    await closing;
    await expect(
      new Promise((resolve, reject) => request({ port, host: '127.0.0.1', path: '/health' }, resolve).on('error', reject).end()),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(t.app.database.ping()).rejects.toThrow();
  });
});
