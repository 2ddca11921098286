/**
 * Caller origin in a real browser: Debian's Chromium, headless, loads one page from an allowed
 * origin and one from a refused origin (both on loopback, named through Chromium's host resolver
 * rules) and each calls the API with a key restricted to app.example.com.
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

  beforeAll(async () => {
    t = await startTestApp();
    apiUrl = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}/graphql`;
    const user = await createUser(t);
    const created = await t.gql(
      `mutation { createApiKey(input: {
        name: "site",
        callerOrigin: { allowNativeClients: false, allowBrowser: true, referrerHosts: ["app.example.com"] }
      }) { secret userErrors { message } } }`,
      { key: user.key },
    );
    expect(created.body.data!.createApiKey.userErrors).toEqual([]);
    siteKey = created.body.data!.createApiKey.secret;

    // One page server for both sites: the browser tells them apart by the host it asked for.
    pages = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(`<!doctype html><title>site</title><script>
        window.result = fetch(${JSON.stringify(apiUrl)}, {
          method: 'POST',
          headers: { authorization: 'Simple ${siteKey}', 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ viewer { key { name } } }' }),
        }).then((r) => r.json().then((body) => ({ ok: true, status: r.status, body })),
                (e) => ({ ok: false, error: String(e) }));
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

  async function callFrom(host: string): Promise<{ ok: boolean; status?: number; body?: any; error?: string }> {
    const page = await browser.newPage();
    try {
      await page.goto(`http://${host}:${pagePort}/`);
      return await page.evaluate(() => (window as unknown as { result: Promise<never> }).result);
    } finally {
      await page.close();
    }
  }

  it('lets the page at app.example.com read viewer', async () => {
    const result = await callFrom('app.example.com');
    expect(result).toEqual({ ok: true, status: 200, body: { data: { viewer: { key: { name: 'site' } } } } });
  });

  it('makes the fetch of the page at evil.example.net fail: the browser gets no CORS grant', async () => {
    const result = await callFrom('evil.example.net');
    expect(result.ok).toBe(false);
    expect(result.error).toContain('Failed to fetch');
  });
});
