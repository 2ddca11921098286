/**
 * GraphiQL for browsers: the page at the GraphQL endpoint (GET, asking for HTML, as yoga decides),
 * its files under /graphiql/, answered from bytes compressed once, in the encoding the client
 * accepts, with the address's GraphiQL budget spent on each request. Public: no key is asked.
 */
import type { Plugin } from 'graphql-yoga';
import type { RateLimits } from '../../auth/rate-limit.js';
import { rateLimited } from '../../gate/refusal.js';
import { GRAPHIQL_ASSET_PREFIX, GRAPHIQL_PAGE_CSP, graphiqlFiles, type GraphiQLOptions, type StaticFile } from '../graphiql.js';
import { refusalResponse } from './refusal.js';
import type { GateServerContext } from './server-context.js';

export function useGraphiQLFiles(endpoint: string, options: GraphiQLOptions, rateLimits: RateLimits): Plugin<object, GateServerContext> {
  const files = graphiqlFiles(options);
  const pageOperation = `GET ${endpoint}`;
  const assetOperation = `GET ${GRAPHIQL_ASSET_PREFIX}{file}`;
  return {
    onRequest({ request, url, serverContext, endResponse }) {
      if (request.method !== 'GET') return;
      const isPage = url.pathname === endpoint && Boolean(request.headers.get('accept')?.includes('text/html'));
      if (!isPage && !url.pathname.startsWith(GRAPHIQL_ASSET_PREFIX)) return;
      return (async () => {
        const gate = serverContext.gate!;
        gate.transport = 'graphiql';
        gate.operation = isPage ? pageOperation : assetOperation;
        const budget = await rateLimits.takeGraphiQLRequest(gate.address);
        if (!budget.allowed) return endResponse(refusalResponse(rateLimited(budget, 'GraphiQL requests from this address', 'graphiql_budget'), gate));
        const { page, assets } = await files();
        const file = isPage ? page : assets.get(url.pathname);
        if (!file) return endResponse(new Response('Not found.', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } }));
        endResponse(answer(request, file, isPage));
      })();
    },
  };
}

function answer(request: Request, file: StaticFile, isPage: boolean): Response {
  const encoding = accepts(request.headers.get('accept-encoding'), 'br') ? 'br' : accepts(request.headers.get('accept-encoding'), 'gzip') ? 'gzip' : undefined;
  // One tag per encoding: each is its own representation of the file.
  const etag = `"${file.hash}${encoding ? `-${encoding}` : ''}"`;
  const headers = new Headers({
    'content-type': file.type,
    'cache-control': file.cacheControl,
    etag,
    // The page shares its URL with GraphQL GETs, told apart by Accept: caches must not mix them.
    vary: isPage ? 'Accept, Accept-Encoding' : 'Accept-Encoding',
  });
  if (isPage) headers.set('content-security-policy', GRAPHIQL_PAGE_CSP);
  if (request.headers.get('if-none-match')?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
    return new Response(null, { status: 304, headers });
  }
  if (encoding) headers.set('content-encoding', encoding);
  return new Response(encoding ? file[encoding] : file.identity, { status: 200, headers });
}

/** Whether Accept-Encoding accepts `coding`, by name or by `*`, with a q-value above 0. */
function accepts(header: string | null, coding: string): boolean {
  const entries = (header ?? '').split(',').map((entry) => {
    const [name = '', ...params] = entry.split(';').map((part) => part.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    return { name, q: q === undefined ? 1 : Number(q.slice(2)) };
  });
  const entry = entries.find((e) => e.name === coding) ?? entries.find((e) => e.name === '*');
  return entry !== undefined && entry.q > 0;
}
