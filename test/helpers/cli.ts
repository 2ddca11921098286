/** Runs `algoplane <command>` as a real child process, the way a user or CI does. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliRun {
  /** null when the command was killed at its time limit. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** How long it ran, from spawn to exit. */
  ms: number;
}

/**
 * What runs: the TypeScript through tsx, or the JavaScript `npm run build` made (as `npm start`
 * runs it; see buildProgram). Either on this test run's Node, the pinned one.
 */
export type Program = 'source' | 'built';
const PROGRAMS: Record<Program, string[]> = { source: ['--import', 'tsx', 'src/main.ts'], built: ['dist/main.js'] };

/** `npm run build`: compiles src/ into dist/ for the 'built' program. */
export async function buildProgram(): Promise<void> {
  const run = await finished(spawn('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  if (run.code !== 0) throw new Error(`npm run build failed\n${run.stdout}\n${run.stderr}`);
}

function spawnCli(args: string[], env: Record<string, string>, program: Program = 'source'): ChildProcess {
  // The databases and Redis a command uses are the test's choice, never the suite's environment.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST') && name !== 'DATABASE_URL' && name !== 'REDIS_URL'),
  );
  return spawn(process.execPath, [...PROGRAMS[program], ...args], {
    cwd: ROOT,
    env: { ...inherited, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs a command to completion, or kills it after `limitMs` (its code is then null). */
export function runCli(args: string[], env: Record<string, string>, limitMs?: number): Promise<CliRun> {
  return finished(spawnCli(args, env), limitMs);
}

/** What a process wrote, how it ended and how long it ran; killed after `limitMs`. */
function finished(child: ChildProcess, limitMs = 120_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const limit = setTimeout(() => child.kill('SIGKILL'), limitMs);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(limit);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

export interface RunningServer {
  url: string;
  /** The server's process id. */
  pid: number;
  /** stdout up to and including the "GraphiQL: <url>" line. */
  banner: string;
  /** Everything written to stdout and to stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Sends SIGKILL, as a crash or the OOM killer would, and resolves once the process is gone. */
  kill(): Promise<number | null>;
}

/** `algoplane start` on a free port; resolves once it prints where GraphiQL is. */
export function startCli(env: Record<string, string>, program: Program = 'source'): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(['start'], { PORT: '0', HOST: '127.0.0.1', ...env }, program);
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((done) => child.on('close', done));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in time\n${stdout}\n${stderr}`));
    }, 60_000);
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const match = /GraphiQL: (http:\/\/\S+)\n/.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        url: match[1]!.replace(/\/graphql$/, ''),
        pid: child.pid!,
        banner: stdout,
        stdout: () => stdout,
        stderr: () => stderr,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
        kill: () => {
          child.kill('SIGKILL');
          return exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before it was ready\n${stdout}\n${stderr}`));
    });
  });
}
