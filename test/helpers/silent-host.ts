/**
 * A database host that never completes the TCP handshake, on loopback. A listener with a backlog
 * of 1 never accepts: its thread is blocked (Atomics.wait) right after listening, so its event loop
 * never runs. Two connections fill its accept queue; after that Linux drops each new SYN, and a
 * connect hangs as it would to a host that is down behind a firewall.
 */
import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';

export interface SilentHost {
  port: number;
  close(): Promise<void>;
}

const NEVER_ACCEPTS = `
const { createServer } = require('node:net');
const { parentPort } = require('node:worker_threads');
const server = createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  parentPort.postMessage(server.address().port);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
});`;

export async function startSilentHost(): Promise<SilentHost> {
  const worker = new Worker(NEVER_ACCEPTS, { eval: true });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const fillers: Socket[] = [];
  for (let i = 0; i < 2; i++) fillers.push(await connected(port));
  if (await connectsWithin(port, 500)) throw new Error('the silent host completed a handshake: the accept queue is not full');
  return {
    port,
    async close() {
      for (const socket of fillers) socket.destroy();
      await worker.terminate();
    },
  };
}

function connected(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

function connectsWithin(port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => finish(false), ms);
    const finish = (result: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
