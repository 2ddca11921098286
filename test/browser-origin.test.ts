/**
 * Caller origin in a real browser: Debian's Chromium, headless, loads one page from an allowed
 * origin and one from a refused origin (both on loopback, named through Chromium's host resolver
 * rules) and each calls the API with a key restricted to app.example.com, reading what a page can
 * read of each answer: its status, body and headers.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, startTestApp, type TestApp } from './helpers/app.js';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);

describe.skipIf(!HAS_CHROMIUM)(`a browser key in Chromium (skipped when ${CHROMIUM} is not installed; .ci/run installs it)`, () => {
  let t: TestApp;
  let pages: Server;
  let browser: Browser;
  let apiUrl: string;
  let pagePort: number;
  let siteKey: string;
  /** Like siteKey, with a budget of one request a minute. */
  let pacedKey: string;

  beforeAll(async () => {
    t = await startTestApp();
    apiUrl = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}/graphql`;
    const user = await createUser(t);
    const createSiteKey = async (name: string) => {
      const created = await t.gql(
        `mutation($name: String!) { createApiKey(input: {
          name: $name,
          callerOrigin: { allowNativeClients: false, allowBrowser: true, referrerHosts: ["app.example.com"] }
        }) { apiKey { id } secret userErrors { message } } }`,
        { key: user.key, variables: { name } },
      );
      expect(created.body.data!.createApiKey.userErrors).toEqual([]);
      return created.body.data!.createApiKey as { apiKey: { id: string }; secret: string };
    };
    siteKey = (await createSiteKey('site')).secret;
    const paced = await createSiteKey('paced');
    pacedKey = paced.secret;
    const limited = await t.gql(`mutation($id: ID!) { setApiKeyRateLimit(input: { id: $id, requestsPerMinute: 1 }) { userErrors { message } } }`, {
      key: t.adminKey,
      variables: { id: paced.apiKey.id },
    });
    expect(limited.body.data!.setApiKeyRateLimit.userErrors).toEqual([]);

    // One page server for both sites: the browser tells them apart by the host it asked for. The
    // page calls the API with the key in its URL's fragment, `calls` times one after the other.
    pages = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(`<!doctype html><title>site</title><script>
        const { key, calls } = JSON.parse(decodeURIComponent(location.hash.slice(1)));
        window.result = (async () => {
          const answers = [];
          for (let i = 0; i < calls; i++) {
            answers.push(await fetch(${JSON.stringify(apiUrl)}, {
              method: 'POST',
              headers: { authorization: 'Simple ' + key, 'content-type': 'application/json' },
              body: JSON.stringify({ query: '{ viewer { key { name } } }' }),
            }).then((r) => r.json().then((body) => ({ ok: true, status: r.status, body, headers: Object.fromEntries(r.headers) })),
                    (e) => ({ ok: false, error: String(e) })));
          }
          return answers;
        })();
      </script>`);
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    pagePort = (pages.address() as AddressInfo).port;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--host-resolver-rules=MAP app.example.com 127.0.0.1, MAP evil.example.net 127.0.0.1',
      ],
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => pages?.close(resolve));
    await t?.close();
  });

  interface Answer {
    ok: boolean;
    status?: number;
    body?: any;
    /** The headers the page can read. */
    headers?: Record<string, string>;
    error?: string;
  }

  async function callFrom(host: string, key = siteKey, calls = 1): Promise<Answer[]> {
    const page = await browser.newPage();
    try {
      await page.goto(`http://${host}:${pagePort}/#${encodeURIComponent(JSON.stringify({ key, calls }))}`);
      return await page.evaluate(() => (window as unknown as { result: Promise<never> }).result);
    } finally {
      await page.close();
    }
  }

  it('lets the page at app.example.com read viewer, its request id and its budget', async () => {
    const [result] = await callFrom('app.example.com');
    expect(result).toMatchObject({ ok: true, status: 200, body: { data: { viewer: { key: { name: 'site' } } } } });
    expect(result!.headers).toMatchObject({
      'x-request-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
      'ratelimit-limit': expect.stringMatching(/^\d+$/),
      'ratelimit-remaining': expect.stringMatching(/^\d+$/),
      'ratelimit-reset': expect.stringMatching(/^\d+$/),
    });
  });

  it('lets the page read when to come back once its budget is spent', async () => {
    const [first, second] = await callFrom('app.example.com', pacedKey, 2);
    expect(first).toMatchObject({ ok: true, status: 200 });
    expect(second).toMatchObject({ ok: true, status: 429, body: { errors: [{ extensions: { code: 'RATE_LIMITED' } }] } });
    expect(Number(second!.headers!['retry-after'])).toBeGreaterThan(0);
    expect(second!.headers!['ratelimit-remaining']).toBe('0');
  });

  it('makes the fetch of the page at evil.example.net fail: the browser gets no CORS grant', async () => {
    const [result] = await callFrom('evil.example.net');
    expect(result!.ok).toBe(false);
    expect(result!.error).toContain('Failed to fetch');
  });
});
