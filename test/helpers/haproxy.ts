/**
 * A real HAProxy (Debian's package) in front of algoplane instances, with the directives of
 * docs/haproxy.cfg: round robin, each server health-checked on /ready. Its checks are faster than
 * the sample's, so the tests wait less (SHUTDOWN_READY_DELAY_MS must cover `fall` checks, as
 * there), and it never retries a request on another server, so the tests see every failure.
 * Every answer names the server that gave it in `X-Served-By`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startForeground, type Foreground } from './foreground.js';

/** The haproxy binary (Debian puts it in /usr/sbin, not always on PATH), or undefined when not installed. */
export const HAPROXY: string | undefined = ['haproxy', '/usr/sbin/haproxy'].find((binary) => spawnSync(binary, ['-v']).status === 0);

/** How often HAProxy checks each server, and how many failed checks mark it down. */
export const CHECK_INTERVAL_MS = 200;
export const CHECKS_TO_FALL = 2;

export interface Backend {
  name: string;
  port: number;
}

export type RunningHaproxy = Foreground;

function config(frontPort: number, backends: Backend[]): string {
  return `global
  maxconn 2000

defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout check 2s
  # No second try on another server (docs/haproxy.cfg has one): draining alone must fail nothing.
  retries 0

frontend api
  bind 127.0.0.1:${frontPort}
  default_backend algoplane

backend algoplane
  balance roundrobin
  option httpchk GET /ready
  http-check expect status 200
  http-response set-header X-Served-By %s
  default-server inter ${CHECK_INTERVAL_MS}ms fall ${CHECKS_TO_FALL} rise 2
${backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check`).join('\n')}
`;
}

/** Starts HAProxy in the foreground on a free port; resolves once it accepts connections. */
export async function startHaproxy(backends: Backend[]): Promise<RunningHaproxy> {
  if (!HAPROXY) throw new Error('haproxy is not installed');
  const dir = await mkdtemp(path.join(tmpdir(), 'algoplane-haproxy-'));
  const file = path.join(dir, 'haproxy.cfg');
  const port = await freePort();
  await writeFile(file, config(port, backends));
  return startForeground({
    name: 'haproxy',
    command: HAPROXY,
    args: ['-db', '-f', file],
    dir,
    url: `http://127.0.0.1:${port}`,
    ready: (url) => fetch(`${url}/health`).then((r) => r.ok, () => false),
  });
}
