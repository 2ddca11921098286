/**
 * A server program (Debian's HAProxy, nginx) run in the foreground for a test, with its files in a
 * directory of its own: started, awaited until it answers, stopped, and its directory removed.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';

/** A port free at the time of asking, on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Foreground {
  url: string;
  stop(): Promise<void>;
}

export interface ForegroundOptions {
  /** For messages: `haproxy`, `nginx`. */
  name: string;
  command: string;
  args: string[];
  /** The program's own directory, removed when it stops. */
  dir: string;
  url: string;
  /** Whether the program answers as it should once started. */
  ready(url: string): Promise<boolean>;
  /** What the program wrote elsewhere than stdout and stderr, for a failure's message. */
  log?(): Promise<string>;
}

/** Starts the program; resolves once `ready` says so, or fails with what it said. */
export async function startForeground(options: ForegroundOptions): Promise<Foreground> {
  const { name, url, dir } = options;
  const child = spawn(options.command, options.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const said = async () => `${output}${(await options.log?.()) ?? ''}`;
  const deadline = Date.now() + 15_000;
  while (!(await options.ready(url))) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${await said()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not answer in time: ${await said()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
