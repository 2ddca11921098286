/**
 * GraphiQL as static files. @graphql-yoga/render-graphiql inlines its whole bundle (script, styles,
 * three Monaco workers, a favicon: about 9 MB) into one HTML page, rendered again for every view.
 * Here that bundle is split once into files named by their content hash, compressed once (brotli
 * and gzip) and answered as the same bytes ever after; the page left is a kilobyte that refers to
 * them, so browsers cache the megabytes for good and fetch only the page again.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { KEY_PATTERN } from '../auth/api-key.js';

/** One file in every encoding it is served in. */
export interface StaticFile {
  type: string;
  cacheControl: string;
  hash: string;
  identity: Buffer<ArrayBuffer>;
  br: Buffer<ArrayBuffer>;
  gzip: Buffer<ArrayBuffer>;
}

export interface GraphiQLFiles {
  page: StaticFile;
  /** By path: `/graphiql/<hash>.<ext>`. */
  assets: ReadonlyMap<string, StaticFile>;
}

export interface GraphiQLOptions {
  title: string;
  defaultQuery: string;
  /** The Headers tab's initial text. */
  headers: string;
}

export const GRAPHIQL_ASSET_PREFIX = '/graphiql/';

/** Hashed names never change content: a browser may keep them for a year without asking again. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The page names the current hashes, so it is kept briefly: a new release reaches browsers within a minute. */
const PAGE_CACHE = 'public, max-age=60';

/**
 * What the page needs and nothing more: its own scripts, workers and styles; its one API (this
 * origin); images and fonts from the stylesheet's data: URLs. No inline script runs. Monaco and
 * GraphiQL write styles at run time (<style> elements and style attributes, whose text no hash can
 * name ahead: Chromium refuses dozens of them under style-src 'self'), so styles alone may be
 * inline; no script runs from them, and with img-src and font-src closed they reach no other host.
 */
export const GRAPHIQL_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const compressBrotli = promisify(brotliCompress);
const compressGzip = promisify(gzip);

/**
 * Compression runs once per file, off the event loop (zlib's thread pool), while the first viewer
 * waits: brotli at quality 5 with a 16 MB window takes about a second for the whole bundle on two
 * cores and is 5% larger than quality 9, which takes five (quality 11: twenty).
 */
async function staticFile(content: string | Buffer<ArrayBuffer>, type: string, cacheControl: string): Promise<StaticFile> {
  const identity = typeof content === 'string' ? Buffer.from(content) : content;
  const [br, gz] = await Promise.all([
    compressBrotli(identity, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 5,
        [constants.BROTLI_PARAM_LGWIN]: 24,
        [constants.BROTLI_PARAM_SIZE_HINT]: identity.length,
      },
    }),
    compressGzip(identity),
  ]);
  const hash = createHash('sha256').update(identity).digest('base64url').slice(0, 22);
  // zlib answers in plain ArrayBuffers, never shared ones; its types only say "like".
  return { type, cacheControl, hash, identity, br: br as Buffer<ArrayBuffer>, gzip: gz as Buffer<ArrayBuffer> };
}

const pathOf = (file: StaticFile, extension: string) => `${GRAPHIQL_ASSET_PREFIX}${file.hash}.${extension}`;

const JS = 'text/javascript; charset=utf-8';

/** The bundle's files, the same for every app in the process: split and compressed on first use only. */
let bundle: Promise<Record<'css' | 'js' | 'favicon' | 'editorWorker' | 'jsonWorker' | 'graphqlWorker', StaticFile>> | undefined;

function loadBundle(): NonNullable<typeof bundle> {
  if (bundle) return bundle;
  bundle = (async () => {
    // Imported on the first page view: the bundle costs tens of MB that API-only servers never use.
    const parts = await import('@graphql-yoga/render-graphiql/graphiql');
    const favicon = /^data:([^;,]+);base64,(.*)$/s.exec(parts.favicon);
    if (!favicon) throw new Error('GraphiQL favicon is not a base64 data: URL');
    const [css, js, icon, editorWorker, jsonWorker, graphqlWorker] = await Promise.all([
      staticFile(parts.css, 'text/css; charset=utf-8', IMMUTABLE),
      staticFile(parts.js, JS, IMMUTABLE),
      staticFile(Buffer.from(favicon[2]!, 'base64'), favicon[1]!, IMMUTABLE),
      staticFile(parts.editorWorkerService, JS, IMMUTABLE),
      staticFile(parts.jsonWorker, JS, IMMUTABLE),
      staticFile(parts.graphqlWorker, JS, IMMUTABLE),
    ]);
    return { css, js, favicon: icon, editorWorker, jsonWorker, graphqlWorker };
  })();
  // A failed build is retried by the next page view rather than remembered.
  bundle.catch(() => (bundle = undefined));
  return bundle;
}

/**
 * The page and its files for these options, built on first call. The options travel in the page as
 * a JSON data block (never executed, so the CSP needs no hash for it); a start script, itself a
 * hashed file, reads them. `<` before `/` or `!` is escaped so no option can close the block.
 */
export function graphiqlFiles(options: GraphiQLOptions): () => Promise<GraphiQLFiles> {
  let files: Promise<GraphiQLFiles> | undefined;
  const build = async (): Promise<GraphiQLFiles> => {
    const b = await loadBundle();
    const start = await staticFile(
      `'use strict';
(function () {
  var workers = ${JSON.stringify({
    editorWorkerService: pathOf(b.editorWorker, 'js'),
    json: pathOf(b.jsonWorker, 'js'),
    graphql: pathOf(b.graphqlWorker, 'js'),
  })};
  // Read by Monaco as the bundle loads: set before it.
  self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: function (moduleId, label) { return workers[label]; } };

  // An Authorization header goes out only once it holds something shaped like a key: the Headers
  // tab's template, a half-typed key or an empty value never does. So opening the page, which asks
  // for the schema at once, spends nothing of the address's budget for failed authentications.
  var KEY = new RegExp(${JSON.stringify(KEY_PATTERN.source)});
  var NO_KEY = 'No API key yet: put yours in the Headers tab, as { "Authorization": "Simple sim…" }, and the schema loads.';
  var INTROSPECTION = 'IntrospectionQuery';
  /** The Authorization header among these, when it holds a key (Simple, Bearer or bare, as the server reads it). */
  function authorizationIn(headers) {
    for (var name in headers) {
      if (name.toLowerCase() !== 'authorization') continue;
      var value = String(headers[name]).trim();
      var match = /^(?:(?:simple|bearer)\\s+)?(\\S+)$/i.exec(value);
      return match && KEY.test(match[1]) ? value : undefined;
    }
  }
  /** The Authorization the schema was last asked with. */
  var schemaAskedWith;
  function fetcher(params, options) {
    var given = (options && options.headers) || {};
    var authorization = authorizationIn(given);
    var introspection = params.operationName === INTROSPECTION;
    if (introspection) schemaAskedWith = authorization;
    // GraphiQL asks a second time, in an older form, after an introspection answered without data.
    var answer = function (body) { return introspection && !('data' in body) ? Object.assign({ data: null }, body) : body; };
    if (!authorization) return Promise.resolve(answer({ errors: [{ message: NO_KEY }] }));
    var headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
    for (var name in given) if (name.toLowerCase() !== 'authorization') headers[name] = String(given[name]);
    headers.authorization = authorization;
    return fetch(location.pathname, { method: 'POST', headers: headers, body: JSON.stringify(params) }).then(function (response) {
      return response.text().then(function (text) {
        try {
          return answer(JSON.parse(text));
        } catch (notJson) {
          return answer({ errors: [{ message: 'HTTP ' + response.status + (text ? ': ' + text.slice(0, 300) : '') }] });
        }
      });
    });
  }

  // GraphiQL asks for the schema when the page opens and then only when told: a key given later
  // (pasted into the Headers tab) asks again, as the re-fetch button would.
  var asking;
  function askForSchema(tries) {
    var button = document.querySelector('button[aria-label^="Re-fetch GraphQL schema"]');
    // The button is disabled while an introspection (with the previous key) runs: ask once it ends.
    if (button && !button.disabled) button.click();
    else if (tries > 0) asking = setTimeout(askForSchema, 250, tries - 1);
  }
  function onEditHeaders(text) {
    var headers;
    try {
      headers = JSON.parse(text);
    } catch (unfinished) {
      return;
    }
    var authorization = headers && authorizationIn(headers);
    if (!authorization || authorization === schemaAskedWith) return;
    clearTimeout(asking);
    asking = setTimeout(askForSchema, 300, 40);
  }

  document.addEventListener('DOMContentLoaded', function () {
    var options = JSON.parse(document.getElementById('graphiql-options').textContent);
    YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), Object.assign(options, { fetcher: fetcher, onEditHeaders: onEditHeaders }));
  });
})();
`,
      JS,
      IMMUTABLE,
    );
    const json = JSON.stringify({ ...options, shouldPersistHeaders: false }).replace(/<(?=[/!])/g, '\\u003c');
    const page = await staticFile(
      `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title)}</title>
    <link rel="icon" href="${pathOf(b.favicon, 'ico')}" />
    <link rel="stylesheet" href="${pathOf(b.css, 'css')}" />
    <script type="application/json" id="graphiql-options">${json}</script>
    <script src="${pathOf(start, 'js')}"></script>
    <script src="${pathOf(b.js, 'js')}"></script>
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
  </body>
</html>
`,
      'text/html; charset=utf-8',
      PAGE_CACHE,
    );
    const assets = new Map<string, StaticFile>([
      [pathOf(b.css, 'css'), b.css],
      [pathOf(b.js, 'js'), b.js],
      [pathOf(b.favicon, 'ico'), b.favicon],
      [pathOf(b.editorWorker, 'js'), b.editorWorker],
      [pathOf(b.jsonWorker, 'js'), b.jsonWorker],
      [pathOf(b.graphqlWorker, 'js'), b.graphqlWorker],
      [pathOf(start, 'js'), start],
    ]);
    return { page, assets };
  };
  return () => {
    if (files) return files;
    files = build();
    // As for the bundle: a failure is not remembered.
    files.catch(() => (files = undefined));
    return files;
  };
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
