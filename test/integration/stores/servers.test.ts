import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  findFreePort,
  reapLeftovers,
  type ServerKind,
  serverTools,
  startServer,
} from '../../support/servers.js';
import { describeWithTools, projectRoot, toolPath } from '../../support/tools.js';

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

describeWithTools(serverTools.redis, 'leftover servers', () => {
  it('reaps a server recorded by a test process that died, and only that one', async () => {
    const port = await findFreePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'llmcm-redis-'));
    const orphan = spawn(
      toolPath('redis-server') as string,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', ''],
      {
        stdio: 'ignore',
      },
    );
    // A pid that is certainly dead: a process that already exited.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const stateDir = join(projectRoot, '.cache', 'servers');
    mkdirSync(stateDir, { recursive: true });
    const record = join(stateDir, `redis-${port}.json`);
    writeFileSync(
      record,
      JSON.stringify({ owner: Number(gone.stdout), pid: orphan.pid, kind: 'redis', dataDir }),
    );
    // A record whose owner is alive (this process) is left alone.
    const live = join(stateDir, 'redis-live-test.json');
    writeFileSync(live, JSON.stringify({ owner: process.pid, pid: process.pid, kind: 'redis' }));
    try {
      const deadline = Date.now() + 10_000;
      while (!(await canConnect(port)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      reapLeftovers();
      const exited = await new Promise<boolean>((resolve) => {
        if (orphan.exitCode !== null || orphan.signalCode !== null) resolve(true);
        orphan.on('exit', () => resolve(true));
        setTimeout(() => resolve(false), 5000);
      });
      expect(exited).toBe(true);
      expect(existsSync(record)).toBe(false);
      expect(existsSync(dataDir)).toBe(false);
      expect(existsSync(live)).toBe(true);
    } finally {
      rmSync(live, { force: true });
      orphan.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
