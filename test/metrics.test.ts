/**
 * /metrics as Prometheus scrapes it: on its own listener (METRICS_PORT), never on the public port,
 * counting what real requests did, with labels from closed sets only.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, ON_POSTGRES, startTestApp, type TestApp } from './helpers/app.js';
import { unknownKey } from './helpers/auth-matrix.js';
import { rest } from './helpers/rest.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [, name, labelText = '', value] = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line) ?? [];
      if (!name || value === undefined) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries([...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, label, v]) => [label!, v!]));
      return { name, labels, value: Number(value) };
    });
}

/** The value of the sample `name` with exactly `labels`; 0 when there is none yet. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels);
  const found = samples.find(
    (s) => s.name === name && Object.keys(s.labels).length === wanted.length && wanted.every(([label, v]) => s.labels[label] === v),
  );
  return found?.value ?? 0;
}

async function scrape(port: number): Promise<{ text: string; samples: Sample[] }> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, samples: parse(text) };
}

const VIEWER = '{ viewer { key { name } } }';

describe('metrics on their own listener', () => {
  let t: TestApp;
  let publicPort: number;
  let metricsPort: number;
  const scraped = () => scrape(metricsPort);

  beforeAll(async () => {
    t = await startTestApp({ env: { METRICS_PORT: '0' } });
    publicPort = await t.app.listen(0, '127.0.0.1');
    metricsPort = (t.app.metricsServer!.address() as AddressInfo).port;
  });
  afterAll(() => t?.close());

  it('serves the Prometheus text format on METRICS_PORT, and /metrics nowhere on the public port', async () => {
    expect(metricsPort).not.toBe(publicPort);
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    expect(text).toContain('# TYPE algoplane_requests_total counter');
    expect(text).toContain('# TYPE algoplane_request_duration_seconds histogram');
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(parse(text).length).toBeGreaterThan(10);

    expect((await fetch(`http://127.0.0.1:${metricsPort}/graphql`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: 'POST' })).status).toBe(405);
    for (const path of ['/metrics', '/metrics/', '/graphql/metrics']) {
      const onPublic = await fetch(`http://127.0.0.1:${publicPort}${path}`);
      expect(onPublic.status).toBe(404);
      expect(await onPublic.text()).not.toContain('algoplane_');
    }
  });

  it('counts GraphQL requests and their latency by operation type and root field, never by the name a client chose', async () => {
    const user = await createUser(t);
    const before = (await scraped()).samples;
    const viewer = { transport: 'graphql', operation: 'query viewer' };
    for (let i = 0; i < 2; i++) expect((await t.gql(`query ClientChosenName_${i} ${VIEWER}`, { key: user.key })).status).toBe(200);
    expect((await t.gql('{ viewer { key { name } } user(username: "nobody") { username } }', { key: user.key })).status).toBe(200);
    await createUser(t);

    const { text, samples } = await scraped();
    const moved = (name: string, labels: Record<string, string>) => valueOf(samples, name, labels) - valueOf(before, name, labels);
    expect(moved('algoplane_requests_total', { ...viewer, status: '200' })).toBe(2);
    expect(moved('algoplane_request_duration_seconds_count', viewer)).toBe(2);
    expect(moved('algoplane_request_duration_seconds_bucket', { ...viewer, le: '+Inf' })).toBe(2);
    expect(moved('algoplane_request_duration_seconds_bucket', { ...viewer, le: '10' })).toBe(2);
    expect(valueOf(samples, 'algoplane_request_duration_seconds_sum', viewer)).toBeGreaterThan(0);
    expect(moved('algoplane_requests_total', { transport: 'graphql', operation: 'query (multiple)', status: '200' })).toBe(1);
    expect(moved('algoplane_requests_total', { transport: 'graphql', operation: 'mutation createUser', status: '200' })).toBe(1);
    expect(text).not.toContain('ClientChosenName');
  });

  it('counts REST requests by route template, never by the path asked for', async () => {
    const user = await createUser(t);
    const before = (await scraped()).samples;
    expect((await rest(t, 'GET', `/v1/users/${user.username}/algorithms`, { key: user.key })).status).toBe(200);
    expect((await rest(t, 'GET', `/v1/no-such-thing/${user.username}`, { key: user.key })).status).toBe(404);

    const { text, samples } = await scraped();
    const moved = (labels: Record<string, string>) => valueOf(samples, 'algoplane_requests_total', labels) - valueOf(before, 'algoplane_requests_total', labels);
    expect(moved({ transport: 'rest', operation: 'GET /v1/users/{username}/algorithms', status: '200' })).toBe(1);
    expect(moved({ transport: 'rest', operation: '(none)', status: '404' })).toBe(1);
    expect(text).not.toContain(user.username);
  });

  it('counts refusals by cause: a missing or bad key, a spent budget, a body too large, a query too complex, a forbidden route', async () => {
    const user = await createUser(t);
    const keyId = (await t.gql('{ viewer { key { id } } }', { key: user.key })).body.data!.viewer.key.id as string;
    const limited = await t.gql(
      'mutation($id: ID!) { setApiKeyRateLimit(input: { id: $id, requestsPerMinute: 1 }) { userErrors { message } } }',
      { key: t.adminKey, variables: { id: keyId } },
    );
    expect(limited.body.data!.setApiKeyRateLimit.userErrors).toEqual([]);
    const other = await createUser(t);
    const before = (await scraped()).samples;

    expect((await t.gql(VIEWER, { key: unknownKey() })).status).toBe(401);
    expect((await rest(t, 'GET', `/v1/users/${user.username}`)).status).toBe(401);
    expect((await t.gql(VIEWER, { key: user.key })).status).toBe(200);
    expect((await t.gql(VIEWER, { key: user.key })).status).toBe(429);
    const tooLarge = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Simple ${other.key}` },
      body: JSON.stringify({ query: VIEWER, padding: 'x'.repeat(t.config.maxBodyBytes) }),
    });
    expect(tooLarge.status).toBe(413);
    const complex = await t.gql(
      `{ viewer { owner { algorithms(first: 100) { nodes { versions(first: 100) { nodes { releaseNotes sampleInput } } } } } } }`,
      { key: other.key },
    );
    expect(complex.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect((await rest(t, 'GET', `/v1/users/${other.username}`, { key: other.key })).status).toBe(403);

    const { text, samples } = await scraped();
    const refused = (transport: string, cause: string) =>
      valueOf(samples, 'algoplane_refusals_total', { transport, cause }) - valueOf(before, 'algoplane_refusals_total', { transport, cause });
    expect(refused('graphql', 'invalid_key')).toBe(1);
    expect(refused('rest', 'missing_key')).toBe(1);
    expect(refused('graphql', 'key_budget')).toBe(1);
    expect(refused('graphql', 'payload_too_large')).toBe(1);
    expect(refused('graphql', 'query_too_complex')).toBe(1);
    expect(refused('rest', 'forbidden')).toBe(1);
    // Refused before any operation was known: counted under none, with the status they got.
    const unnamed = { transport: 'graphql', operation: '(none)', status: '401' };
    expect(valueOf(samples, 'algoplane_requests_total', unnamed) - valueOf(before, 'algoplane_requests_total', unnamed)).toBe(1);
    expect(valueOf(samples, 'algoplane_requests_total', { transport: 'rest', operation: 'GET /v1/users/{username}', status: '403' })).toBe(1);
    // No key, key id or name is ever a label.
    for (const secret of [user.key, other.key, t.adminKey, keyId, user.id, other.username]) expect(text).not.toContain(secret);
  });

  it('counts key-cache hits and misses, and invalidations made here and announced by NOTIFY', async () => {
    const user = await createUser(t);
    const before = (await scraped()).samples;
    await t.gql(VIEWER, { key: user.key });
    await t.gql(VIEWER, { key: user.key });
    await t.gql(VIEWER, { key: user.key });
    const after = (await scraped()).samples;
    const lookups = (samples: Sample[], result: string) => valueOf(samples, 'algoplane_key_cache_lookups_total', { result });
    expect(lookups(after, 'miss') - lookups(before, 'miss')).toBe(1);
    expect(lookups(after, 'hit') - lookups(before, 'hit')).toBe(2);
    expect(valueOf(after, 'algoplane_key_cache_entries')).toBeGreaterThan(0);

    const invalidations = (samples: Sample[], source: string) => valueOf(samples, 'algoplane_key_cache_invalidations_total', { source });
    const { id } = (await t.gql('{ viewer { key { id } } }', { key: user.key })).body.data!.viewer.key;
    const revoked = await t.gql('mutation($id: ID!) { revokeApiKey(input: { id: $id }) { userErrors { message } } }', { key: user.key, variables: { id } });
    expect(revoked.body.data!.revokeApiKey.userErrors).toEqual([]);
    expect(invalidations((await scraped()).samples, 'local')).toBeGreaterThan(invalidations(after, 'local'));
    // The database announces the change to every instance, this one included.
    await expect.poll(async () => invalidations((await scraped()).samples, 'notify'), { timeout: 5000 }).toBeGreaterThan(invalidations(after, 'notify'));
  });

  it("reports the database's pool and transactions, and where rate limits are counted", async () => {
    const { samples } = await scraped();
    const driver = { driver: ON_POSTGRES ? 'postgres' : 'pglite' };
    expect(valueOf(samples, 'algoplane_db_pool_size', driver)).toBe(ON_POSTGRES ? t.config.databasePoolSize : 1);
    expect(valueOf(samples, 'algoplane_db_transactions_active', driver)).toBe(0);
    expect(valueOf(samples, 'algoplane_db_statements_total', driver)).toBeGreaterThan(0);
    expect(valueOf(samples, 'algoplane_rate_limit_store', { state: 'memory' })).toBe(1);
    expect(valueOf(samples, 'algoplane_rate_limit_store', { state: 'redis' })).toBe(0);
    expect(valueOf(samples, 'algoplane_rate_limit_store', { state: 'fallback' })).toBe(0);
  });
});

describe('the rate limiter store in metrics', () => {
  async function storeOf(env: Record<string, string>, expected: string) {
    const t = await startTestApp({ env: { METRICS_PORT: '0', ...env } });
    try {
      await t.app.listen(0, '127.0.0.1');
      const port = (t.app.metricsServer!.address() as AddressInfo).port;
      await expect
        .poll(async () => valueOf((await scrape(port)).samples, 'algoplane_rate_limit_store', { state: expected }), { timeout: 5000 })
        .toBe(1);
    } finally {
      await t.close();
    }
  }

  // REDIS_URL goes with a shared Postgres only (config.ts).
  it.skipIf(!ON_POSTGRES)('says fallback while REDIS_URL is set but Redis does not answer: each instance counts alone', async () => {
    await storeOf({ REDIS_URL: 'redis://127.0.0.1:1' }, 'fallback');
  });

  it.skipIf(!process.env.REDIS_URL || !ON_POSTGRES)('says redis once Redis is connected', async () => {
    await storeOf({ REDIS_URL: process.env.REDIS_URL! }, 'redis');
  });
});
