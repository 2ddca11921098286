/**
 * The embedded database's directory, made ready and held by one process at a time.
 *
 * PGlite is a whole Postgres inside this process, with no server between it and its files: two
 * processes on one directory would each run their own on them, and overwrite each other's writes
 * without a word. So a process that opens the directory first takes a lock that dies with it: a
 * Unix socket listening at `<DATA_DIR>/.algoplane.sock`. The kernel stops the listening the moment
 * the process ends, however it ends (`kill -9` included). Another process that finds the socket
 * connects to it; the holder answers with its pid and command, and the newcomer refuses to start,
 * naming both. A socket nobody listens on (ECONNREFUSED) was left by a process that died: it is
 * removed and taken.
 *
 * Why a socket in the directory: a pid file outlives its process, and its pid may be reused by
 * another; Node has no flock(2); and a lock kept in the directory itself is found by every process
 * that reaches the directory, by whatever path (a symbolic link, a container's bind mount).
 *
 * Taking over a dead process's socket (probe, remove, listen) is serialised on Linux by a second,
 * abstract socket named after the directory's device and inode, which has no file to go stale, so
 * two processes starting together after a crash cannot both take it. A socket path longer than the
 * kernel takes (sun_path) is reached through /proc/self/fd/<the directory's descriptor>, so the lock
 * stays in the directory whatever the length of its path.
 */
import { mkdir, open, realpath, stat, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StartupError } from '../core/startup-error.js';

/** DATA_DIR's value for an embedded database kept in memory: no directory, gone with the process. */
export const IN_MEMORY = 'memory://';

const SOCKET_NAME = '.algoplane.sock';
/** The longest socket path the kernel takes: sun_path less its NUL, 108 bytes on Linux, 104 on macOS and the BSDs. */
const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;
/**
 * How long a holder that accepted the probe has to say who it is. Its event loop may be busy (PGlite
 * runs in it); past this, it is named as a process that did not say which, well within the shortest
 * DATABASE_CONNECT_TIMEOUT_MS.
 */
const PROBE_ANSWER_MS = 500;
/** How often a process waiting on another one's takeover looks again. */
const TAKEOVER_RETRY_MS = 20;
/** The most of a holder's answer read: a pid and a command. */
const MAX_ANSWER_CHARS = 500;

export interface DataDirHolder {
  pid: number;
  /** What the holder runs: `algoplane start`, `algoplane migrate`, … */
  command: string;
}

/** DATA_DIR is held by another live process (undefined `holder`: one that did not say who it is). */
export class DataDirInUse extends StartupError {
  constructor(
    readonly dataDir: string,
    readonly holder: DataDirHolder | undefined,
  ) {
    const by = holder ? `${holder.command} (pid ${holder.pid})` : 'another process, which did not say which';
    super(`DATA_DIR ${dataDir} is in use by ${by}, and the embedded database opens in one process at a time`);
  }
}

export interface DataDirLock {
  /** The directory's real path, symbolic links resolved: PGlite cannot open a link. */
  directory: string;
  /** Lets the directory go (after the database is closed). Safe to call again. */
  release(): Promise<void>;
}

/**
 * Creates the directory when missing and takes its lock, or throws a StartupError saying why not.
 * `command` is what this process tells another one that finds the directory held. Gives up once
 * `signal` aborts (the caller's time limit), letting go of anything it took.
 */
export async function openDataDir(dataDir: string, command: string, signal: AbortSignal): Promise<DataDirLock> {
  let address: SocketAddress | undefined;
  try {
    await makeDirectory(dataDir);
    const directory = await realpath(dataDir);
    const held = (address = await socketAddress(dataDir));
    const server = await oneAtATime(dataDir, signal, () => takeSocket(dataDir, held.path, command, signal));
    if (signal.aborted) {
      await closeServer(server);
      signal.throwIfAborted();
    }
    let released: Promise<void> | undefined;
    return { directory, release: () => (released ??= closeServer(server).then(() => held.close())) };
  } catch (error) {
    await address?.close();
    if (error instanceof StartupError || signal.aborted) throw error;
    throw new StartupError(`DATA_DIR ${dataDir} cannot be used: ${(error as Error).message}`);
  }
}

/**
 * `mkdir -p`, one level at a time. Node's own recursive mkdir never returns where a parent exists
 * but cannot hold the child (anywhere under /proc, or below a dangling symbolic link): it takes the
 * child's ENOENT for a missing parent, finds the parent there, and tries the child again, forever.
 */
async function makeDirectory(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let current = dir; ; current = path.dirname(current)) {
    const found = await stat(current).catch((error: unknown) => {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    });
    if (found?.isDirectory()) break;
    if (found) throw new Error(`${current} is not a directory`);
    missing.push(current); // the root always exists, so this ends
  }
  for (const directory of missing.reverse()) {
    await mkdir(directory).catch(async (error: unknown) => {
      // Made meanwhile by another process starting at the same time: as good.
      if (errorCode(error) === 'EEXIST' && (await stat(directory).catch(() => undefined))?.isDirectory()) return;
      throw error;
    });
  }
}

interface SocketAddress {
  path: string;
  close(): Promise<void>;
}

async function socketAddress(dataDir: string): Promise<SocketAddress> {
  const direct = path.join(dataDir, SOCKET_NAME);
  if (Buffer.byteLength(direct) <= MAX_SOCKET_PATH_BYTES) return { path: direct, close: async () => {} };
  if (process.platform !== 'linux') {
    throw new StartupError(`DATA_DIR ${dataDir} is too long a path for its lock socket (at most ${MAX_SOCKET_PATH_BYTES - SOCKET_NAME.length - 1} bytes here): choose a shorter one`);
  }
  // The directory's own descriptor names it in a few bytes. It stays open while the lock is held:
  // closing the socket removes its file through this path.
  const directory = await open(dataDir, 'r');
  let closed: Promise<void> | undefined;
  return { path: `/proc/self/fd/${directory.fd}/${SOCKET_NAME}`, close: () => (closed ??= directory.close()) };
}

/** Listens on the lock socket, taking it over from a process that died; throws DataDirInUse when one lives. */
async function takeSocket(dataDir: string, socketPath: string, command: string, signal: AbortSignal): Promise<Server> {
  const answer = `${JSON.stringify({ pid: process.pid, command })}\n`;
  for (;;) {
    signal.throwIfAborted();
    try {
      return await listen(socketPath, (socket) => socket.end(answer));
    } catch (error) {
      if (errorCode(error) !== 'EADDRINUSE') throw error;
    }
    const holder = await probe(socketPath);
    if (holder !== null) throw new DataDirInUse(dataDir, holder);
    await unlink(socketPath).catch((error: unknown) => {
      if (errorCode(error) !== 'ENOENT') throw error;
    });
  }
}

/**
 * Runs `work` while no other process on this machine runs it for the same directory (Linux: an
 * abstract socket, released by the kernel with its process, and never a file). Elsewhere it runs
 * at once: a takeover there is not serialised.
 */
async function oneAtATime<T>(dataDir: string, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  if (process.platform !== 'linux') return work();
  const { dev, ino } = await stat(dataDir, { bigint: true });
  const name = `\0algoplane-data-dir-${dev}-${ino}`;
  let mutex: Server | undefined;
  while (!mutex) {
    signal.throwIfAborted();
    try {
      mutex = await listen(name, (socket) => socket.destroy());
    } catch (error) {
      if (errorCode(error) !== 'EADDRINUSE') throw error;
      await sleep(TAKEOVER_RETRY_MS);
    }
  }
  try {
    return await work();
  } finally {
    await closeServer(mutex);
  }
}

/**
 * Who listens on the socket: its answer, undefined when it listens but did not say, or null when
 * nobody listens (no socket, or the socket of a process that died).
 */
function probe(socketPath: string): Promise<DataDirHolder | undefined | null> {
  return new Promise((resolve, reject) => {
    let connected = false;
    let answer = '';
    const socket = createConnection(socketPath);
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      socket.destroy();
      outcome();
    };
    const answered = () => settle(() => resolve(parseHolder(answer)));
    const timer = setTimeout(answered, PROBE_ANSWER_MS);
    socket.setEncoding('utf8');
    socket.on('connect', () => (connected = true));
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (answer.length > MAX_ANSWER_CHARS) answered();
    });
    socket.on('end', answered);
    socket.on('error', (error) => {
      if (connected) answered();
      else if (errorCode(error) === 'ECONNREFUSED' || errorCode(error) === 'ENOENT') settle(() => resolve(null));
      else settle(() => reject(error));
    });
  });
}

function parseHolder(answer: string): DataDirHolder | undefined {
  try {
    const { pid, command } = JSON.parse(answer) as Partial<DataDirHolder>;
    if (Number.isSafeInteger(pid) && typeof command === 'string') return { pid: pid!, command: command.slice(0, 100) };
  } catch {
    // Not an answer of ours: a process that holds the socket all the same.
  }
  return undefined;
}

function listen(address: string, onConnection: (socket: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      socket.on('error', () => {}); // a prober that hangs up early is no concern of the holder's
      onConnection(socket);
    });
    server.once('error', reject);
    server.listen(address, () => {
      server.off('error', reject);
      // A failed accept (too many open files) leaves the socket listening, and the lock held.
      server.on('error', () => {});
      // Holding the lock never keeps the process alive.
      server.unref();
      resolve(server);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function errorCode(error: unknown): string | undefined {
  return (error as { code?: string } | undefined)?.code;
}
