/**
 * Which call a request is, from its method and request target as Algorithmia's clients send them.
 * What they send, read in their sources (github.com/algorithmiaio: algorithmia-python
 * Algorithmia/{algorithm,datafile,datadirectory}.py, algorithmia-nodejs src/AlgorithmExecutable.ts,
 * algorithmia-java src/main/java/com/algorithmia/data/DataObject.java, algorithmia-rust
 * src/{algo,data}/mod.rs, and the API reference, api-docs source/includes/_{algorithms,data}.md):
 *
 *   algorithm calls
 *     POST /v1/algo/{owner}/{name}[/{version}]   algorithmia-python `Algorithm` ('/v1/algo/' + the
 *         reference, `algo://` stripped; options as query parameters); algorithmia-nodejs
 *         `AlgorithmExecutable.pipe` (the same with a trailing slash: `…/{version}/?timeout=…`);
 *         algorithmia-rust `algo/mod.rs` (a git hash as the version: `/v1/algo/anowell/Pinky/abcdef…`)
 *     POST /v1/algo/{algorithmId}[/{version}]   the id form: api-docs `_algorithms.md`, "Invoke an
 *         algorithm by UUID"; versions there and above: latestPrivate, a Git SHA, 1.1.1, 1.2.*, 1.*
 *   data calls
 *     /v1/data/{path}                            algorithmia-python `DataFile`, `DataDirectory`
 *         ('/v1/data/' + the data URI, `data://` stripped, any other scheme kept: `/v1/data/s3://…`);
 *         algorithmia-java `DataObject.getUrl` ('/v1/data/' + the URL-encoded path: slashes as %2F)
 *     /v1/connector/{connector}/{path}           algorithmia-rust `data/mod.rs` (`data://anowell/foo`
 *         is /v1/connector/data/anowell/foo); api-docs `_data.md`: connectors `data`, `s3[+label]`,
 *         `azureblob`, `dropbox`, `gs`; a `data` path begins with its owner's name, or `.my` for
 *         the caller's own; the others reach storage the caller's owner configured
 *
 * Names are matched later, against what exists; here only the shape is read. A target that is not
 * one (no leading slash, control characters, bad percent-encoding, `.` or `..` segments or a
 * backslash in a data path, which a store behind the gateway could resolve elsewhere) is none.
 */
import { dataAccessNeeded } from '../../auth/data-access.js';
import { isUuid } from '../../core/ids.js';
import { parseVersionRef } from '../algorithms/versions.js';
import type { Call } from './model.js';

const ALGO = '/v1/algo/';
const DATA = '/v1/data/';
const CONNECTOR = '/v1/connector/';
/** Algorithmia's alias for the caller's own data. */
const MY = '.my';
const DATA_CONNECTOR = 'data';

const CONTROL = /[\u0000-\u001f\u007f]/;
const CONNECTOR_ID = /^[A-Za-z][A-Za-z0-9]*(?:\+[A-Za-z0-9_-]+)?$/;
/** A data URI kept whole in the path (algorithmia-python's `/v1/data/s3://bucket/…`). */
const DATA_URI = /^([A-Za-z][A-Za-z0-9]*(?:\+[A-Za-z0-9_-]+)?):\/\/(.*)$/s;
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

const UNKNOWN: Call = { kind: 'unknown' };

/** The call `method` on `target` (a path and query) is; null when the target is none. */
export function parseCall(method: string, target: string): Call | null {
  if (!target.startsWith('/') || CONTROL.test(target)) return null;
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  if (path.startsWith(ALGO)) return method === 'POST' ? algorithmCall(path.slice(ALGO.length)) : UNKNOWN;
  if (path.startsWith(DATA)) return dataCall(method, path.slice(DATA.length), 'uri');
  if (path.startsWith(CONNECTOR)) return dataCall(method, path.slice(CONNECTOR.length), 'connector');
  return UNKNOWN;
}

/** `owner/name[/version]` or `id[/version]`, with at most one trailing slash. */
function algorithmCall(rest: string): Call | null {
  // At most one part past the longest form is read: a path of thousands of slashes splits no further.
  const raw = (rest.endsWith('/') ? rest.slice(0, -1) : rest).split('/', 4);
  const parts: string[] = [];
  for (const part of raw) {
    const plain = percentDecoded(part);
    if (plain === null) return null;
    parts.push(plain);
  }
  const [first = '', second, third] = parts;
  if (isUuid(first)) {
    return parts.length <= 2 ? { kind: 'algorithm', target: { by: 'id', id: first }, version: parseVersionRef(second) } : UNKNOWN;
  }
  if (second === undefined || parts.length > 3) return UNKNOWN;
  return { kind: 'algorithm', target: { by: 'name', owner: first, name: second }, version: parseVersionRef(third) };
}

/** A data call: `rest` is a data path (`{owner}/…`, or a whole data URI) or, through a connector, `{connector}/{path}`. */
function dataCall(method: string, rest: string, form: 'uri' | 'connector'): Call | null {
  const needs = dataAccessNeeded(method);
  if (!needs) return UNKNOWN;
  const path = percentDecoded(rest);
  if (path === null) return null;
  const located = form === 'connector' ? splitFirst(path) : (DATA_URI.exec(path)?.slice(1) ?? [DATA_CONNECTOR, path]);
  const [connector = '', within = ''] = located;
  if (!CONNECTOR_ID.test(connector)) return UNKNOWN;
  if (DOT_SEGMENT.test(within) || within.includes('\\')) return null;
  if (connector.toLowerCase() !== DATA_CONNECTOR) return { kind: 'data', method, needs, owner: null };
  const [owner = ''] = splitFirst(within);
  if (owner === '') return UNKNOWN;
  return { kind: 'data', method, needs, owner: owner === MY ? null : owner };
}

const splitFirst = (path: string): [string, string] => {
  const slash = path.indexOf('/');
  return slash === -1 ? [path, ''] : [path.slice(0, slash), path.slice(slash + 1)];
};

/** `text` percent-decoded; null when its encoding is broken. */
function percentDecoded(text: string): string | null {
  if (!text.includes('%')) return text;
  try {
    const plain = decodeURIComponent(text);
    return CONTROL.test(plain) ? null : plain;
  } catch {
    return null;
  }
}
