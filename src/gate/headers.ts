/**
 * What the gate reads of a request's headers, whatever carries them: Fetch's `Headers` is one
 * already (GraphQL, REST); the authorizer, on plain node:http, reads node's through `nodeHeaders`.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface HeaderReader {
  /** The header's value, or null when absent. Names are lower case. */
  get(name: string): string | null;
}

class NodeHeaders implements HeaderReader {
  constructor(private readonly headers: IncomingHttpHeaders) {}

  get(name: string): string | null {
    const value = this.headers[name];
    // Node joins repeated headers itself, but for a few (set-cookie) that a request never needs.
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  }
}

/** Node's parsed headers as a HeaderReader: one small object per request, no copy. */
export const nodeHeaders = (headers: IncomingHttpHeaders): HeaderReader => new NodeHeaders(headers);
