/**
 * A real nginx (Debian's package) as the gateway of docs/nginx.conf: auth_request to algoplane in
 * front of a stub algorithm runner and a stub data store. The file is used as it is, with only its
 * four sample addresses replaced, inside a main configuration that keeps everything nginx writes
 * (pid, logs, temporary files) in a directory of its own, so no system nginx is involved.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startForeground, type Foreground } from './foreground.js';

/** The nginx binary (Debian's is in /usr/sbin, not always on PATH), or undefined when not installed. */
export const NGINX: string | undefined = ['nginx', '/usr/sbin/nginx'].find((binary) => spawnSync(binary, ['-v']).status === 0);

export const GATEWAY_CONFIG_FILE = fileURLToPath(new URL('../../docs/nginx.conf', import.meta.url));

export interface GatewayPorts {
  /** Where nginx listens. */
  gateway: number;
  algoplane: number;
  runner: number;
  dataStore: number;
}

/** docs/nginx.conf with its sample addresses replaced; each must be there exactly once. */
export async function gatewayConfig(ports: GatewayPorts): Promise<string> {
  let text = await readFile(GATEWAY_CONFIG_FILE, 'utf8');
  const replace = (sample: string, actual: string) => {
    const found = text.split(sample).length - 1;
    if (found !== 1) throw new Error(`docs/nginx.conf: expected "${sample}" once, found it ${found} times`);
    text = text.replace(sample, actual);
  };
  replace('listen 8080;', `listen 127.0.0.1:${ports.gateway};`);
  replace('server 127.0.0.1:4000;', `server 127.0.0.1:${ports.algoplane};`);
  replace('server 127.0.0.1:8081;', `server 127.0.0.1:${ports.runner};`);
  replace('server 127.0.0.1:8082;', `server 127.0.0.1:${ports.dataStore};`);
  return text;
}

/** Debian's table of content types by file extension, which its nginx.conf includes. */
const MIME_TYPES = '/etc/nginx/mime.types';

/** The main configuration around it, as Debian's /etc/nginx/nginx.conf would be, all in `dir`. */
function mainConfig(dir: string): string {
  const at = (name: string) => path.join(dir, name);
  return `${process.getuid?.() === 0 ? 'user nobody nogroup;\n' : ''}pid ${at('nginx.pid')};
error_log ${at('error.log')} warn;
worker_processes 1;
events { worker_connections 256; }
http {
  ${existsSync(MIME_TYPES) ? `include ${MIME_TYPES};` : ''}
  default_type application/octet-stream;
  access_log off;
  client_body_temp_path ${at('client_body')};
  proxy_temp_path ${at('proxy')};
  fastcgi_temp_path ${at('fastcgi')};
  uwsgi_temp_path ${at('uwsgi')};
  scgi_temp_path ${at('scgi')};
  include ${at('algoplane.conf')};
}
`;
}

/** What a stub upstream saw of a request nginx passed on. */
export interface Echo {
  server: string;
  method: string;
  path: string;
  /** Every X-Algoplane-*, X-Original-* and Authorization header that reached the upstream. */
  headers: Record<string, string>;
  bodyBytes: number;
}

const PASSED_ON = /^(x-algoplane-|x-original-|authorization$)/;

/** A stub upstream: answers every request with 200 and an Echo of it. */
export async function startEchoServer(name: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer(async (request, response) => {
    let bodyBytes = 0;
    for await (const chunk of request) bodyBytes += (chunk as Buffer).length;
    const headers = Object.fromEntries(Object.entries(request.headers).filter(([header]) => PASSED_ON.test(header))) as Record<string, string>;
    const echo: Echo = { server: name, method: request.method!, path: request.url!, headers, bodyBytes };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(echo));
  });
  return { port: await listen(server), close: () => close(server) };
}

export type RunningGateway = Foreground;

/**
 * Checks the configuration with `nginx -t`, then starts nginx in the foreground on it; resolves
 * once nginx answers.
 */
export async function startGateway(upstreams: Omit<GatewayPorts, 'gateway'>): Promise<RunningGateway> {
  if (!NGINX) throw new Error('nginx is not installed');
  const dir = await mkdtemp(path.join(tmpdir(), 'algoplane-nginx-'));
  // Workers run as nobody when the tests run as root: they must reach their temporary directories.
  await chmod(dir, 0o755);
  const ports = { ...upstreams, gateway: await freePort() };
  await writeFile(path.join(dir, 'algoplane.conf'), await gatewayConfig(ports));
  const conf = path.join(dir, 'nginx.conf');
  await writeFile(conf, mainConfig(dir));
  const args = ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', conf];
  const check = spawnSync(NGINX, [...args, '-t'], { encoding: 'utf8' });
  if (check.status !== 0 || !check.stderr.includes('test is successful')) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`nginx -t refused the configuration:\n${check.stderr}`);
  }
  return startForeground({
    name: 'nginx',
    command: NGINX,
    args: [...args, '-g', 'daemon off;'],
    dir,
    url: `http://127.0.0.1:${ports.gateway}`,
    // `location /` answers 404 without asking algoplane.
    ready: (url) => fetch(`${url}/`).then((r) => r.status === 404, () => false),
    log: () => readFile(path.join(dir, 'error.log'), 'utf8').catch(() => ''),
  });
}

/** Listens on a free loopback port; resolves with it. */
export function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

export function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
