import { connect, createServer, type Server, type Socket } from 'node:net';
import type { StoreConfig } from '../../src/stores/types.js';

/**
 * A TCP proxy on 127.0.0.1 in front of a real test server, for fault injection: the store talks to
 * the real server through it, and a test can drop every connection mid-request, make the server
 * look dead (new connections reset) or make it hang (bytes swallowed, so clients time out).
 */
export type FaultMode = 'pass' | 'refuse' | 'hang';

export interface FaultProxy {
  readonly port: number;
  /** Copies a store config so that it connects through the proxy instead of the server. */
  route(config: StoreConfig): StoreConfig;
  /** pass: forward; refuse: cut open connections and reset new ones; hang: accept, forward nothing. */
  setMode(mode: FaultMode): void;
  /** Destroys every open connection now ("the connection drops mid-apply"). */
  cutAll(): void;
  /**
   * Cuts every connection once `bytes` more bytes went from clients to the server (counted from
   * now): lands the drop in the middle of a write rather than between calls.
   */
  cutAfterClientBytes(bytes: number): void;
  /** Bytes forwarded from clients to the server so far. */
  clientBytes(): number;
  close(): Promise<void>;
}

/** Starts a fault proxy that forwards to 127.0.0.1:`targetPort`. */
export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  let mode: FaultMode = 'pass';
  let forwarded = 0;
  let cutAt: number | undefined;
  const sockets = new Set<Socket>();
  const cutAll = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  const server: Server = createServer((client) => {
    if (mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (mode === 'hang') {
      client.on('data', () => {});
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.on('data', (chunk: Buffer) => {
      if (mode === 'hang') return;
      forwarded += chunk.length;
      if (cutAt !== undefined && forwarded >= cutAt) {
        // Forward up to the cut point, then drop everything: the server sees a truncated request.
        const keep = chunk.length - (forwarded - cutAt);
        cutAt = undefined;
        upstream.write(chunk.subarray(0, keep), () => cutAll());
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (mode !== 'hang') client.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    route(config) {
      const routed: StoreConfig = { ...config };
      for (const [key, value] of Object.entries(config)) {
        if (typeof value === 'string' && value.includes(`127.0.0.1:${targetPort}`))
          routed[key] = value.replace(`127.0.0.1:${targetPort}`, `127.0.0.1:${port}`);
        else if (key === 'port' && value === targetPort) routed[key] = port;
      }
      return routed;
    },
    setMode(next) {
      mode = next;
      // A server that refuses connections has also lost the ones it had (keep-alive sockets included).
      if (next === 'refuse') cutAll();
    },
    cutAll,
    cutAfterClientBytes(bytes) {
      cutAt = forwarded + bytes;
    },
    clientBytes: () => forwarded,
    close() {
      cutAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
