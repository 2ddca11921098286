/**
 * algoplane as the authorizer behind a real nginx (Debian's), configured by docs/nginx.conf: nginx
 * asks algoplane (auth_request) before each call and passes it on to a stub algorithm runner or a
 * stub data store, which echo what they received. The contract is docs/AUTHORIZER.md.
 *
 * The first part puts nginx in front of a stub authorizer that answers as the contract says, to
 * check the gateway's half of it on its own: which headers reach the authorizer and the upstreams,
 * and how a refusal reaches the caller. The second puts it in front of algoplane itself and sends
 * the calls of the key dialog through it.
 */
import { readFile } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, ON_POSTGRES, startTestApp, type TestApp } from './helpers/app.js';
import { close, GATEWAY_CONFIG_FILE, listen, NGINX, startEchoServer, startGateway, type Echo, type RunningGateway } from './helpers/nginx.js';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** What the upstream saw, when the call got through. */
  echo?: Echo;
}

async function call(url: string, method: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  const echo = response.status === 200 ? (JSON.parse(text) as Echo) : undefined;
  return { status: response.status, headers: response.headers, text, echo };
}

/** The status of a request sent with its path exactly as given (fetch would resolve dot segments first). */
function rawStatus(url: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { path, headers: { authorization: 'Simple simKEY' } }, (response) => {
      response.resume();
      resolve(response.statusCode!);
    });
    sent.on('error', reject);
    sent.end();
  });
}

/** The caller-visible shape of a refusal: status, reason, and an error body that is JSON. */
function refusal(answer: Answer) {
  let error: unknown;
  try {
    error = JSON.parse(answer.text).error;
  } catch {
    error = `not JSON: ${answer.text.slice(0, 200)}`;
  }
  return {
    status: answer.status,
    reason: answer.headers.get('x-algoplane-reason'),
    contentType: answer.headers.get('content-type'),
    hasError: typeof error === 'object' && error !== null,
  };
}

const refused = (status: number, reason: string) => ({ status, reason, contentType: 'application/json', hasError: true });

describe('docs/nginx.conf', () => {
  it('is the configuration the README shows, character for character', async () => {
    const [conf, readme] = await Promise.all([readFile(GATEWAY_CONFIG_FILE, 'utf8'), readFile(new URL('../README.md', import.meta.url), 'utf8')]);
    expect(readme).toContain(`\`\`\`nginx\n${conf}\`\`\``);
  });
});

describe.skipIf(!NGINX)(`nginx's half of the contract, against a stub authorizer${NGINX ? '' : ' (skipped: needs nginx: apt-get install nginx; .ci/run installs it)'}`, () => {
  const ERROR = (code: string) => JSON.stringify({ error: { id: 'req-1', code, message: `refused: ${code}` } });
  /** The stub's decisions, by the original path: status, and the headers of its answer. */
  const decisions: Record<string, { status: number; headers: Record<string, string> }> = {
    '/v1/algo/stub/allowed/1.0.0': {
      status: 200,
      headers: {
        'x-algoplane-key-id': 'QXBpS2V5OjE=',
        'x-algoplane-owner': 'ada',
        'x-algoplane-data-access': 'READ',
        'x-algoplane-algorithm': 'stub/allowed',
        'x-algoplane-version': '1.0.0',
      },
    },
    '/v1/data/.my/notes.txt': { status: 200, headers: { 'x-algoplane-key-id': 'QXBpS2V5OjE=', 'x-algoplane-owner': 'ada', 'x-algoplane-data-access': 'READ' } },
  };
  const refusals: [path: string, status: number, reason: string, extra: Record<string, string>][] = [
    ['/v1/algo/stub/unknown-key', 401, 'UNAUTHENTICATED', { 'www-authenticate': 'Simple realm="algoplane"' }],
    ['/v1/algo/stub/not-whitelisted', 403, 'NOT_IN_ACL', {}],
    ['/v1/data/.my/secret.txt', 403, 'DATA_ACCESS_DENIED', {}],
    ['/v1/algo/stub/spent', 429, 'RATE_LIMITED', { 'retry-after': '17' }],
    ['/v1/algo/stub/malformed', 400, 'BAD_REQUEST', {}],
  ];
  for (const [path, status, reason, extra] of refusals) {
    decisions[path] = { status, headers: { 'x-algoplane-status': String(status), 'x-algoplane-reason': reason, 'x-algoplane-error': ERROR(reason), ...extra } };
  }
  const seen: { url: string; headers: IncomingHttpHeaders; bodyBytes: number }[] = [];
  let authorizer: Server;
  let gateway: RunningGateway;
  const upstreams: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    authorizer = createServer(async (request, response) => {
      let bodyBytes = 0;
      for await (const chunk of request) bodyBytes += (chunk as Buffer).length;
      seen.push({ url: request.url!, headers: request.headers, bodyBytes });
      // The path exactly as sent, as algoplane reads it (no dot segments resolved).
      const original = String(request.headers['x-original-uri']).split('?')[0]!;
      const decision = decisions[original] ?? { status: 500, headers: {} };
      // As the contract says: every refusal but 401 as 403 when the gateway asks for it.
      const asked = request.headers['x-algoplane-refusal-status'] === '403' && decision.status >= 400 && decision.status !== 401;
      response.writeHead(asked ? 403 : decision.status, decision.headers).end();
    });
    const runner = await startEchoServer('runner');
    const dataStore = await startEchoServer('data store');
    upstreams.push(runner, dataStore);
    gateway = await startGateway({ algoplane: await listen(authorizer), runner: runner.port, dataStore: dataStore.port });
  });

  afterAll(async () => {
    await gateway?.stop();
    await Promise.all(upstreams.map((upstream) => upstream.close()));
    if (authorizer) await close(authorizer);
  });

  it('asks the authorizer with the caller\'s credentials and the real call, whatever the caller claims', async () => {
    seen.length = 0;
    const answer = await call(`${gateway.url}/v1/algo/stub/allowed/1.0.0?timeout=10`, 'POST', {
      authorization: 'Simple simKEY',
      origin: 'https://app.example.com',
      referer: 'https://app.example.com/page',
      'x-forwarded-for': '203.0.113.9',
      'x-original-uri': '/v1/algo/stub/other',
      'x-original-method': 'GET',
      'x-algoplane-refusal-status': '200',
      'x-algoplane-owner': 'mallory',
      'x-something-else': 'yes',
      'content-type': 'application/json',
    }, '"some input"');
    expect(answer.status).toBe(200);
    expect(seen).toHaveLength(1);
    const [asked] = seen;
    expect(asked!.url).toBe('/v1/authorize');
    expect(asked!.bodyBytes).toBe(0);
    const { host: _host, connection: _connection, ...headers } = asked!.headers;
    expect(headers).toEqual({
      authorization: 'Simple simKEY',
      origin: 'https://app.example.com',
      referer: 'https://app.example.com/page',
      'x-original-uri': '/v1/algo/stub/allowed/1.0.0?timeout=10',
      'x-original-method': 'POST',
      'x-algoplane-refusal-status': '403',
      // The caller's claim first, then the address nginx saw: TRUST_PROXY=1 believes only the last.
      'x-forwarded-for': '203.0.113.9, 127.0.0.1',
      'x-request-id': expect.stringMatching(/^[0-9a-f]{32}$/),
    });
  });

  it('passes an allowed call on with the decision\'s headers only: none a caller set, and not the key', async () => {
    const algorithm = await call(`${gateway.url}/v1/algo/stub/allowed/1.0.0?timeout=10`, 'POST', {
      authorization: 'Simple simKEY',
      'x-original-uri': '/v1/algo/stub/other',
      'x-original-method': 'GET',
      'x-algoplane-owner': 'mallory',
      'x-algoplane-status': '200',
      'x-algoplane-reason': 'ALLOWED',
      'x-algoplane-error': '{}',
      'x-algoplane-refusal-status': '200',
    }, '"some input"');
    expect(algorithm.echo).toEqual({
      server: 'runner',
      method: 'POST',
      path: '/v1/algo/stub/allowed/1.0.0?timeout=10',
      headers: decisions['/v1/algo/stub/allowed/1.0.0']!.headers,
      bodyBytes: '"some input"'.length,
    });

    // A data call has no algorithm or version: the caller's must not stand in for them.
    const data = await call(`${gateway.url}/v1/data/.my/notes.txt`, 'GET', {
      authorization: 'Simple simKEY',
      'x-algoplane-algorithm': 'ada/anything',
      'x-algoplane-version': '9.9.9',
      'x-algoplane-data-access': 'READ_WRITE',
    });
    expect(data.echo).toEqual({ server: 'data store', method: 'GET', path: '/v1/data/.my/notes.txt', headers: decisions['/v1/data/.my/notes.txt']!.headers, bodyBytes: 0 });
  });

  it('refuses a path nginx and algoplane could read differently, before asking anyone', async () => {
    seen.length = 0;
    const allowed = '/v1/algo/stub/allowed/1.0.0';
    const statuses: Record<string, number> = {};
    for (const path of [
      `/v1/data/.my/../..${allowed.slice('/v1'.length)}`,
      `/v1/data/.my/%2e%2E/%2E%2e${allowed.slice('/v1'.length)}`,
      `/v1/data/.my/..%2F..%2f${allowed.slice('/v1/'.length)}`,
      `/v1/data/.my/./notes.txt`,
      `/${allowed}`,
      `/v1/algo//stub/allowed/1.0.0`,
    ]) {
      statuses[path] = await rawStatus(gateway.url, path);
    }
    expect(statuses).toEqual(Object.fromEntries(Object.keys(statuses).map((path) => [path, 400])));
    expect(seen).toEqual([]);
    // Dots and slashes in a query string route nothing, and stay allowed.
    expect(await rawStatus(gateway.url, `${allowed}?next=//elsewhere/../x`)).toBe(200);
  });

  it.each(refusals)('answers a refusal of %s as the authorizer decided: %i %s', async (path, status, reason, extra) => {
    const answer = await call(`${gateway.url}${path}`, 'GET', { authorization: 'Simple simKEY' });
    expect(refusal(answer)).toEqual(refused(status, reason));
    expect(answer.text).toBe(ERROR(reason));
    expect(answer.headers.get('retry-after')).toBe(extra['retry-after'] ?? null);
    expect(answer.headers.get('www-authenticate')).toBe(extra['www-authenticate'] ?? null);
  });
});

const skipped = !NGINX
  ? 'needs nginx (apt-get install nginx; .ci/run installs it)'
  : !ON_POSTGRES
    ? "needs DATABASE_URL: it runs in CI's Postgres pass, once, as nothing in it depends on the database"
    : undefined;

describe.skipIf(skipped)(`calls through nginx, authorized by algoplane${skipped ? ` (skipped: ${skipped})` : ''}`, () => {
  let t: TestApp;
  let gateway: RunningGateway;
  const upstreams: { close(): Promise<void> }[] = [];
  let ada: { username: string; key: string };
  let bob: { username: string; key: string };
  let keys = 0;

  const gql = async (key: string, query: string, variables: Record<string, unknown>) => {
    const response = await t.gql(query, { key, variables });
    const payload = Object.values(response.body.data ?? {})[0] as Record<string, any> | undefined;
    if (!payload || payload.userErrors?.length) throw new Error(`GraphQL call failed: ${JSON.stringify(response.body)}`);
    return payload;
  };
  const createKey = async (input: Record<string, unknown>) => {
    const payload = await gql(ada.key, 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } secret userErrors { message } } }', {
      input: { name: `gateway-${++keys}`, ...input },
    });
    return { id: payload.apiKey.id as string, secret: payload.secret as string };
  };
  const createAlgorithm = async (name: string, versions: [versionType: string, callability?: string][]) => {
    const created = await gql(ada.key, `mutation($name: String!) { createAlgorithm(input: {
      name: $name, details: { label: $name }, settings: { language: PYTHON3, environment: CPU } }) { algorithm { id } userErrors { message } } }`, { name });
    for (const [versionType, callability] of versions) {
      await gql(ada.key, 'mutation($input: PublishAlgorithmInput!) { publishAlgorithm(input: $input) { version { semanticVersion } userErrors { message } } }', {
        input: { id: created.algorithm.id, versionType, ...(callability ? { callability } : {}) },
      });
    }
  };
  const algo = (path: string, key?: string, headers: Record<string, string> = {}) =>
    call(`${gateway.url}/v1/algo/${path}`, 'POST', { ...(key ? { authorization: `Simple ${key}` } : {}), 'content-type': 'application/json', ...headers }, '"input"');

  beforeAll(async () => {
    t = await startTestApp({ env: { TRUST_PROXY: '1' } });
    const port = await t.app.listen(0, '127.0.0.1');
    const runner = await startEchoServer('runner');
    const dataStore = await startEchoServer('data store');
    upstreams.push(runner, dataStore);
    gateway = await startGateway({ algoplane: port, runner: runner.port, dataStore: dataStore.port });
    ada = await createUser(t);
    bob = await createUser(t);
    // Public: 1.0.0, 1.1.0, 1.2.0, 1.2.1, 1.3.0, 2.0.0; private: 3.0.0.
    await createAlgorithm('versioned', [['MAJOR', 'PUBLIC'], ['MINOR'], ['MINOR'], ['REVISION'], ['MINOR'], ['MAJOR'], ['MAJOR', 'PRIVATE']]);
    await createAlgorithm('other', [['MAJOR', 'PUBLIC']]);
    await createAlgorithm('secret', [['MAJOR', 'PRIVATE']]);
  });

  afterAll(async () => {
    await gateway?.stop();
    await Promise.all(upstreams.map((upstream) => upstream.close()));
    await t?.close();
  });

  it('lets a key call the algorithms on its whitelist, and no other', async () => {
    const key = await createKey({ algorithmAccess: [`algo://${ada.username}/versioned`] });
    const allowed = await algo(`${ada.username}/versioned`, key.secret);
    expect(allowed.status).toBe(200);
    expect(allowed.echo).toMatchObject({
      server: 'runner',
      path: `/v1/algo/${ada.username}/versioned`,
      headers: {
        'x-algoplane-key-id': key.id,
        'x-algoplane-owner': ada.username,
        'x-algoplane-data-access': 'NONE',
        'x-algoplane-algorithm': `${ada.username}/versioned`,
        'x-algoplane-version': '2.0.0',
      },
    });
    expect(refusal(await algo(`${ada.username}/other`, key.secret))).toEqual(refused(403, 'NOT_IN_ACL'));
    expect(refusal(await algo(`${ada.username}/versioned`))).toEqual(refused(401, 'UNAUTHENTICATED'));
    expect(refusal(await algo(`${ada.username}/versioned`, 'simNotAKeyAtAll'))).toEqual(refused(401, 'UNAUTHENTICATED'));
  });

  it('resolves each version reference as the rest of the API does', async () => {
    const cases: [who: 'ada' | 'bob', path: string, version: string | [number, string]][] = [
      ['ada', 'versioned', '2.0.0'],
      ['ada', 'versioned/latest', '2.0.0'],
      ['ada', 'versioned/latestPrivate', '3.0.0'],
      ['ada', 'versioned/1.2.*', '1.2.1'],
      ['ada', 'versioned/1.*', '1.3.0'],
      ['ada', 'versioned/1.1.0', '1.1.0'],
      ['ada', 'versioned/3.0.0', '3.0.0'],
      ['ada', 'versioned/9.9.9', [403, 'VERSION_NOT_FOUND']],
      ['ada', 'secret', [403, 'NO_PUBLIC_VERSION']],
      ['ada', 'secret/latestPrivate', '1.0.0'],
      ['bob', 'versioned', '2.0.0'],
      ['bob', 'versioned/1.2.*', '1.2.1'],
      ['bob', 'versioned/1.*', '1.3.0'],
      ['bob', 'versioned/latestPrivate', [403, 'LATEST_PRIVATE_NOT_ALLOWED']],
      ['bob', 'versioned/3.0.0', [403, 'VERSION_NOT_FOUND']],
      ['bob', 'secret', [403, 'NOT_FOUND']],
    ];
    const answers = [];
    for (const [who, path] of cases) {
      const answer = await algo(`${ada.username}/${path}`, who === 'ada' ? ada.key : bob.key);
      answers.push([who, path, answer.echo ? answer.echo.headers['x-algoplane-version'] : [refusal(answer).status, refusal(answer).reason]]);
    }
    expect(answers).toEqual(cases);
  });

  it('lets a browser key be called from its hosts only, and not natively', async () => {
    const key = await createKey({
      algorithmAccess: ['algo://*'],
      callerOrigin: { allowNativeClients: false, allowBrowser: true, referrerHosts: ['app.example.com'] },
    });
    const path = `${ada.username}/other`;
    expect((await algo(path, key.secret, { origin: 'https://app.example.com' })).status).toBe(200);
    expect((await algo(path, key.secret, { referer: 'https://app.example.com/demo' })).status).toBe(200);
    expect(refusal(await algo(path, key.secret, { origin: 'https://evil.example.net' }))).toEqual(refused(403, 'ORIGIN_NOT_ALLOWED'));
    expect(refusal(await algo(path, key.secret))).toEqual(refused(403, 'ORIGIN_NOT_ALLOWED'));
  });

  it('lets each dataAccess read and write the key owner\'s own data as it says', async () => {
    const outcome = async (key: string, method: string, path: string) => {
      const answer = await call(`${gateway.url}${path}`, method, { authorization: `Simple ${key}` }, method === 'PUT' ? 'contents' : undefined);
      return answer.echo ? `${answer.echo.server} ${answer.echo.headers['x-algoplane-owner']} ${answer.echo.headers['x-algoplane-data-access']}` : refusal(answer).reason;
    };
    const table: Record<string, Record<string, string | null>> = {};
    for (const dataAccess of ['NONE', 'READ', 'READ_WRITE']) {
      const key = await createKey({ dataAccess });
      const owner = ada.username;
      table[dataAccess] = {
        'GET .my': await outcome(key.secret, 'GET', '/v1/data/.my/notes/a.txt'),
        'PUT .my': await outcome(key.secret, 'PUT', '/v1/data/.my/notes/a.txt'),
        'GET own': await outcome(key.secret, 'GET', `/v1/data/${owner}/notes/a.txt`),
        'PUT own': await outcome(key.secret, 'PUT', `/v1/data/${owner}/notes/a.txt`),
        "GET another's": await outcome(key.secret, 'GET', `/v1/data/${bob.username}/notes/a.txt`),
      };
    }
    const allowed = (dataAccess: string) => `data store ${ada.username} ${dataAccess}`;
    expect(table).toEqual({
      // Refused either way; which of the two reasons comes first is not the contract's.
      NONE: { 'GET .my': 'DATA_ACCESS_DENIED', 'PUT .my': 'DATA_ACCESS_DENIED', 'GET own': 'DATA_ACCESS_DENIED', 'PUT own': 'DATA_ACCESS_DENIED', "GET another's": expect.stringMatching(/^(DATA_ACCESS_DENIED|NOT_OWN_DATA)$/) },
      READ: { 'GET .my': allowed('READ'), 'PUT .my': 'DATA_ACCESS_DENIED', 'GET own': allowed('READ'), 'PUT own': 'DATA_ACCESS_DENIED', "GET another's": 'NOT_OWN_DATA' },
      READ_WRITE: { 'GET .my': allowed('READ_WRITE'), 'PUT .my': allowed('READ_WRITE'), 'GET own': allowed('READ_WRITE'), 'PUT own': allowed('READ_WRITE'), "GET another's": 'NOT_OWN_DATA' },
    });
  });

  it('refuses a key revoked through GraphQL at the gateway within a second', async () => {
    const key = await createKey({ algorithmAccess: ['algo://*'] });
    // Verified once, so algoplane holds it in its cache.
    expect((await algo(`${ada.username}/other`, key.secret)).status).toBe(200);
    await gql(ada.key, 'mutation($id: ID!) { revokeApiKey(input: { id: $id }) { userErrors { message } } }', { id: key.id });
    const revokedAt = Date.now();
    let last: Answer;
    do {
      last = await algo(`${ada.username}/other`, key.secret);
      if (last.status === 401) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    } while (Date.now() - revokedAt < 5000);
    expect(refusal(last)).toEqual(refused(401, 'UNAUTHENTICATED'));
    expect(Date.now() - revokedAt).toBeLessThan(1000);
  });

  it('refuses a key over its budget with 429 and Retry-After', async () => {
    const key = await createKey({ algorithmAccess: ['algo://*'] });
    // Before the key's first use, so no cache holds it with the server default.
    await gql(t.adminKey, 'mutation($id: ID!) { setApiKeyRateLimit(input: { id: $id, requestsPerMinute: 3 }) { userErrors { message } } }', { id: key.id });
    const statuses = [];
    let last: Answer | undefined;
    for (let i = 0; i < 5; i++) {
      last = await algo(`${ada.username}/other`, key.secret);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(refusal(last!)).toEqual(refused(429, 'RATE_LIMITED'));
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('decides on the call nginx saw, not on the X-Original-URI a caller sends', async () => {
    const key = await createKey({ algorithmAccess: [`algo://${ada.username}/versioned`] });
    const pretending = (path: string) => ({ 'x-original-uri': `/v1/algo/${ada.username}/${path}`, 'x-original-method': 'POST' });
    expect(refusal(await algo(`${ada.username}/other`, key.secret, pretending('versioned')))).toEqual(refused(403, 'NOT_IN_ACL'));
    const allowed = await algo(`${ada.username}/versioned`, key.secret, pretending('other'));
    expect(allowed.echo?.headers['x-algoplane-algorithm']).toBe(`${ada.username}/versioned`);
    // Nor can a caller turn a read into a write by naming another method.
    const reader = await createKey({ dataAccess: 'READ' });
    const write = await call(`${gateway.url}/v1/data/.my/a.txt`, 'PUT', { authorization: `Simple ${reader.secret}`, 'x-original-method': 'GET', 'x-original-uri': '/v1/data/.my/a.txt' }, 'x');
    expect(refusal(write)).toEqual(refused(403, 'DATA_ACCESS_DENIED'));
  });
});
