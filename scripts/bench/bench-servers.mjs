// Real servers for the store and promote benchmarks (OpenBao, moto, Redis, PostgreSQL on 127.0.0.1),
// each with a "raw" write: the same keys written by the plain client, the reference for the ratio.
// Shared by scripts/bench/stores.bench.mjs and scripts/bench/promote.bench.mjs.
import { spawn, spawnSync } from 'node:child_process';
import {
  chownSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
export const fmt = (ms) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
export const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

export async function waitFor(probe, what) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch {}
    await sleep(100);
  }
  throw new Error(`${what} did not become ready`);
}

/** Starts a server as a child process; returns {port, stop}. */
export async function startChild(command, args, dir, probe, what) {
  const child = spawn(command, args, { cwd: dir, env: { ...process.env, HOME: dir }, stdio: 'ignore' });
  const stop = async () => {
    child.kill('SIGKILL');
    await sleep(100);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(probe, what);
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}

/** The benchmark servers; each start function returns {stop, config, raw(env)}. */
export function benchServers({ root, set }) {
  const bin = (tool) => join(root, '.tools', 'bin', tool);
  return {
    async vault() {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'llmcm-bench-vault-'));
      const stop = await startChild(
        bin('bao'),
        [
          'server',
          '-dev',
          '-dev-root-token-id=root',
          `-dev-listen-address=127.0.0.1:${port}`,
          '-log-level=warn',
        ],
        dir,
        async () => (await fetch(`http://127.0.0.1:${port}/v1/sys/health`)).status === 200,
        'bao',
      );
      const address = `http://127.0.0.1:${port}`;
      return {
        stop,
        config: { name: 'vault', kind: 'vault', address, token: 'root' },
        // Raw: one KV v2 write of the same keys (packed, like the store, since the server refuses ~1,000 JSON strings).
        raw: async (env) => {
          const response = await fetch(`${address}/v1/secret/data/raw/${env}`, {
            method: 'POST',
            headers: { 'X-Vault-Token': 'root', 'Content-Type': 'application/json' },
            body: JSON.stringify({ data: { values: JSON.stringify(set) } }),
          });
          if (!response.ok) throw new Error(`raw vault write: HTTP ${response.status}`);
        },
      };
    },
    async 'aws-secrets-manager'() {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'llmcm-bench-moto-'));
      const stop = await startChild(
        bin('moto_server'),
        ['-H', '127.0.0.1', '-p', String(port)],
        dir,
        async () => (await fetch(`http://127.0.0.1:${port}/moto-api/data.json`)).ok,
        'moto',
      );
      const endpoint = `http://127.0.0.1:${port}`;
      const { SecretsManagerClient, CreateSecretCommand } = await import('@aws-sdk/client-secrets-manager');
      const client = new SecretsManagerClient({
        region: 'us-east-1',
        endpoint,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      });
      return {
        stop: async () => {
          client.destroy();
          await stop();
        },
        config: {
          name: 'aws',
          kind: 'aws-secrets-manager',
          endpoint,
          region: 'us-east-1',
          accessKeyId: 'testing',
          secretAccessKey: 'testing',
        },
        raw: async (env) => {
          await client.send(
            new CreateSecretCommand({ Name: `raw/${env}`, SecretString: JSON.stringify(set) }),
          );
        },
      };
    },
    async redis() {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'llmcm-bench-redis-'));
      const { Redis } = await import('ioredis');
      const stop = await startChild(
        bin('redis-server'),
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
        dir,
        async () => {
          const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null });
          probe.on('error', () => {});
          try {
            await probe.connect();
            return (await probe.ping()) === 'PONG';
          } finally {
            probe.disconnect();
          }
        },
        'redis-server',
      );
      const client = new Redis(port, '127.0.0.1');
      return {
        stop: async () => {
          client.disconnect();
          await stop();
        },
        config: { name: 'redis', kind: 'redis', url: `redis://127.0.0.1:${port}/0` },
        raw: async (env) => {
          await client.hset(`raw:${env}`, set);
        },
      };
    },
    async postgres() {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'llmcm-bench-pg-'));
      const data = join(dir, 'data');
      let runAs = ['env'];
      if (userInfo().uid === 0) {
        const user = spawnSync('id', ['-u', 'postgres']).status === 0 ? 'postgres' : 'nobody';
        const uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
        const gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
        chownSync(dir, uid, gid);
        runAs = ['runuser', '-u', user, '--'];
      }
      const run = (tool, args) => {
        const result = spawnSync(runAs[0], [...runAs.slice(1), realpathSync(bin(tool)), ...args], {
          encoding: 'utf8',
          cwd: dir,
        });
        if (result.status !== 0)
          throw new Error(`${tool} failed: ${(result.stderr || result.stdout).slice(-400)}`);
      };
      run('initdb', ['-D', data, '-U', 'llmcm', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
      run('pg_ctl', [
        '-D',
        data,
        '-o',
        `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off`,
        '-l',
        join(dir, 'server.log'),
        '-w',
        'start',
      ]);
      const pg = (await import('pg')).default;
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'llmcm', database: 'postgres' });
      await client.connect();
      await client.query(
        'CREATE TABLE raw_values (environment text, key text, value text, PRIMARY KEY (environment, key))',
      );
      return {
        stop: async () => {
          await client.end();
          run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
          rmSync(dir, { recursive: true, force: true });
        },
        config: {
          name: 'postgres',
          kind: 'postgres',
          host: '127.0.0.1',
          port,
          user: 'llmcm',
          database: 'postgres',
        },
        raw: async (env) => {
          const keys = Object.keys(set);
          await client.query(
            'INSERT INTO raw_values SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS t(k, v)',
            [env, keys, keys.map((k) => set[k])],
          );
        },
      };
    },
    async file() {
      const dir = mkdtempSync(join(tmpdir(), 'llmcm-bench-file-'));
      mkdirSync(join(dir, 'raw'));
      return {
        stop: async () => rmSync(dir, { recursive: true, force: true }),
        config: { name: 'file', kind: 'file', directory: join(dir, 'store') },
        // Raw: the same values as one JSON file with the same durability (temp file, fsync, rename),
        // but no nesting, .env, manifest, revision directory or lock.
        raw: async (env) => {
          const temp = join(dir, 'raw', `.${env}.tmp`);
          const fd = openSync(temp, 'w', 0o600);
          writeSync(fd, JSON.stringify(set));
          fsyncSync(fd);
          closeSync(fd);
          renameSync(temp, join(dir, 'raw', `${env}.json`));
        },
      };
    },
  };
}
