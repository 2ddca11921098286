/**
 * A TCP proxy between the app and Postgres, on loopback, with the faults a network can have:
 *   pass       forward both ways
 *   reset      destroy every connection, and every new one as it arrives
 *   refuse     stop listening (connections are refused)
 *   blackhole  accept connections and drop everything sent
 *   stall      keep every connection open but stop forwarding (a peer gone silent mid-query)
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type FaultMode = 'pass' | 'reset' | 'refuse' | 'blackhole' | 'stall';

export interface FaultProxy {
  port: number;
  setMode(mode: FaultMode): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  let mode: FaultMode = 'pass';
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const handle = (client: Socket) => {
    track(client);
    if (mode === 'reset') return client.resetAndDestroy();
    if (mode === 'blackhole' || mode === 'stall') return client.resume();
    const upstream = connect(target.port, target.host);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
  };
  let server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const dropAll = () => {
    for (const socket of sockets) socket.resetAndDestroy();
  };

  return {
    port,
    async setMode(next) {
      if (mode === 'refuse' && next !== 'refuse') {
        server = createServer(handle);
        await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      }
      if (next === 'refuse' && mode !== 'refuse') {
        await new Promise((resolve) => {
          server.close(resolve);
          dropAll();
        });
      }
      if (next === 'reset' || next === 'blackhole') dropAll();
      // Silence without closing: bytes already in flight are dropped, nothing more is forwarded.
      if (next === 'stall') for (const socket of sockets) socket.unpipe();
      // Stalled connections never recover; close them so the pool opens fresh ones.
      if (mode === 'stall' && next === 'pass') dropAll();
      mode = next;
    },
    async close() {
      dropAll();
      await new Promise((resolve) => (server.listening ? server.close(resolve) : resolve(undefined)));
    },
  };
}
