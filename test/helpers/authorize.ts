/**
 * The gateway authorizer as gateways ask it, through a real port (node:http, so every header is
 * sent as written, Origin and Referer included):
 *
 *   nginx   GET /v1/authorize with X-Original-Method and X-Original-URI
 *   envoy   the original method, on /v1/authorize + the original path
 */
import { request } from 'node:http';

export type GatewayForm = 'nginx' | 'envoy';

export interface Authorization {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

export interface AuthorizeCall {
  method: string;
  /** The original request target: path and query. */
  uri: string;
  /** The caller's key, sent as `Authorization: Simple <key>`. */
  key?: string;
  /** More headers the gateway passes on (Origin, Referer, X-Algoplane-Refusal-Status, …). */
  headers?: Record<string, string>;
}

export function authorize(port: number, form: GatewayForm, call: AuthorizeCall): Promise<Authorization> {
  const headers: Record<string, string> = { ...(call.key ? { authorization: `Simple ${call.key}` } : {}), ...call.headers };
  const nginx = form === 'nginx';
  if (nginx) Object.assign(headers, { 'x-original-method': call.method, 'x-original-uri': call.uri });
  return send(port, nginx ? 'GET' : call.method, nginx ? '/v1/authorize' : `/v1/authorize${call.uri}`, headers);
}

/** One request to the app's port, exactly as given. */
export function send(port: number, method: string, path: string, headers: Record<string, string>): Promise<Authorization> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, method, path, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers as Record<string, string | undefined>, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}
