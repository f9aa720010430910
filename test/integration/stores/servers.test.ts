import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { findFreePort, type ServerKind, serverTools, startServer } from '../../support/servers.js';
import { describeWithTools } from '../../support/tools.js';

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

describe('test server harness', () => {
  it('finds free loopback ports', async () => {
    const port = await findFreePort();
    expect(port).toBeGreaterThan(0);
    expect(await canConnect(port)).toBe(false);
  });
});

for (const kind of ['vault', 'moto', 'redis', 'postgres'] as ServerKind[]) {
  describeWithTools(serverTools[kind], `${kind} server harness`, () => {
    it('starts on 127.0.0.1, can be killed mid-test and restarted, and stops cleanly', async () => {
      const server = await startServer(kind);
      try {
        expect(server.url).toContain(`127.0.0.1:${server.port}`);
        expect(await canConnect(server.port)).toBe(true);
        await server.kill();
        expect(await canConnect(server.port)).toBe(false);
        await server.restart();
        expect(await canConnect(server.port)).toBe(true);
      } finally {
        await server.stop();
      }
      expect(await canConnect(server.port)).toBe(false);
    });
  });
}
