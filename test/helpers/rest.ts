/** Algorithmia's REST API as its clients call it: a bare key by default, JSON bodies, JSON answers. */
import type { TestApp } from './app.js';

export interface RestAnswer<T = any> {
  status: number;
  headers: Headers;
  /** The body as text, exactly as sent. */
  text: string;
  /** The body parsed as JSON; undefined when empty. */
  body: T;
}

export interface RestOptions {
  key?: string;
  /** Sent as JSON; a string is sent as it is. Omitted: no body and no Content-Type. */
  body?: unknown;
  headers?: Record<string, string>;
}

export async function rest<T = any>(t: TestApp, method: string, path: string, options: RestOptions = {}): Promise<RestAnswer<T>> {
  const headers: Record<string, string> = { ...(options.key ? { authorization: options.key } : {}), ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
    // As every HTTP client frames a body: the gate reads a request without Content-Length or
    // Transfer-Encoding as bodyless, and an in-process Request carries neither on its own.
    headers['content-length'] ??= String(Buffer.byteLength(body));
  }
  const response = await t.fetch(path, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: text === '' ? undefined : JSON.parse(text) };
}
