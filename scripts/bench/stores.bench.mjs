#!/usr/bin/env node
// Store benchmark (issue 6, item 8, store part): for each store, against a real server on 127.0.0.1,
// apply 1,000 keys into a fresh environment, re-apply the same change set (must write 0), and read
// the environment back. The reference is the store's own client writing the same 1,000 keys once,
// with no CAS, stamp or bookkeeping ("raw write"), measured in the same run.
// Prints one markdown section on stdout; `node scripts/bench/run.mjs stores` appends it to BENCHMARKS.md.
// Imports the BUILT code: run `npm run -s build` first.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  existsSync,
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
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = (tool) => join(root, '.tools', 'bin', tool);
const { openStore } = await import(join(root, 'dist', 'stores', 'registry.js'));
const { computeContentHash } = await import(join(root, 'dist', 'stores', 'content-hash.js'));

const KEYS = 1000;
const RUNS = 5;
const storeEnv = { LLMCM_LOOPBACK_ONLY: '1', AWS_EC2_METADATA_DISABLED: 'true' };
const set = {};
for (let i = 0; i < KEYS; i++)
  set[`group${i % 20}.key${String(i).padStart(4, '0')}`] = `value-${i}-${'x'.repeat(16)}`;
const stamp = { promotionId: 'bench', contentHash: computeContentHash(set) };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (ms) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

async function waitFor(probe, what) {
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
async function startChild(command, args, dir, probe, what) {
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

const servers = {
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
        await client.send(new CreateSecretCommand({ Name: `raw/${env}`, SecretString: JSON.stringify(set) }));
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

const tools = {
  file: [],
  vault: ['bao'],
  'aws-secrets-manager': ['moto_server'],
  redis: ['redis-server'],
  postgres: ['initdb', 'pg_ctl', 'postgres'],
};

async function timed(fn) {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

const rows = [];
for (const kind of ['file', 'vault', 'aws-secrets-manager', 'redis', 'postgres']) {
  const missing = tools[kind].filter((tool) => !existsSync(bin(tool)));
  if (missing.length > 0) {
    rows.push(
      `| ${kind} | skipped: ${missing.join(', ')} not installed (scripts/setup-test-env.sh) | | | | | | |`,
    );
    continue;
  }
  process.stderr.write(`[bench:stores] ${kind}\n`);
  let server;
  try {
    server = await servers[kind]();
  } catch (error) {
    // One server that cannot start must not hide the other stores' numbers.
    rows.push(
      `| ${kind} | failed to start: ${String(error.message).split('\n')[0].slice(0, 120)} | | | | | | | | |`,
    );
    continue;
  }
  const store = await openStore(server.config, { root, env: storeEnv });
  try {
    const apply = [];
    const reapply = [];
    const read = [];
    const raw = [];
    const small = [];
    let smallWrites = 0;
    let applyWrites = 0;
    let reapplyWrites = 0;
    // One warm-up round (connections, schema creation), not counted.
    for (let run = -1; run < RUNS; run++) {
      const env = `b${run + 1}-${randomBytes(3).toString('hex')}`;
      const first = await timed(() =>
        store.apply(env, { set, delete: [] }, { expectedRevision: null, stamp }),
      );
      const state = await store.read(env);
      const again = await timed(() =>
        store.apply(env, { set, delete: [] }, { expectedRevision: state.revision, stamp }),
      );
      const back = await timed(() => store.read(env));
      if (Object.keys(back.result.values).length !== KEYS)
        throw new Error(`${kind}: read back ${Object.keys(back.result.values).length} keys`);
      // Ten changed values on top of the 1,000: what a typical promotion writes.
      const tenChanges = {};
      for (const key of Object.keys(set).slice(0, 10)) tenChanges[key] = `${set[key]}-changed`;
      const changed = timed(() =>
        store.apply(
          env,
          { set: tenChanges, delete: [] },
          {
            expectedRevision: back.result.revision,
            stamp: { promotionId: 'bench-2', contentHash: computeContentHash({ ...set, ...tenChanges }) },
          },
        ),
      );
      const ten = await changed;
      const rawWrite = await timed(() => server.raw(env));
      if (run < 0) continue;
      small.push(ten.ms);
      smallWrites = ten.result.writes;
      apply.push(first.ms);
      reapply.push(again.ms);
      read.push(back.ms);
      raw.push(rawWrite.ms);
      applyWrites = first.result.writes;
      reapplyWrites = again.result.writes;
    }
    const note = kind === 'vault' ? ' (packed layout)' : '';
    rows.push(
      `| ${kind}${note} | ${fmt(median(apply))} | ${applyWrites} | ${fmt(median(reapply))} | ${reapplyWrites} | ${fmt(median(small))} | ${smallWrites} | ${fmt(median(read))} | ${fmt(median(raw))} | ${(median(apply) / median(raw)).toFixed(1)}× |`,
    );
  } finally {
    await store.close();
    await server.stop();
  }
}

const lines = [
  `### Stores: apply, re-apply and read ${KEYS.toLocaleString('en')} keys (median of ${RUNS} runs)`,
  '',
  'Each store runs against its real server on 127.0.0.1 (OpenBao dev, moto, redis-server, PostgreSQL 15).',
  '"apply" writes 1,000 new keys into a fresh environment with compare-and-set and a stamp; "re-apply" sends',
  'the same change set again (the store must write nothing); "change 10" updates 10 of the 1,000 values',
  '(Vault and AWS rewrite the whole secret, Redis and PostgreSQL only the changed keys); "raw write" is the same 1,000 keys written once',
  'with the plain client (no CAS, stamp or history), the reference for the overhead ratio.',
  '',
  '| store | apply (ms) | writes | re-apply, no change (ms) | writes | change 10 of 1,000 (ms) | writes | read (ms) | raw write (ms) | apply ÷ raw |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows,
  '',
  'Reproduce: `npm run -s build && node scripts/bench/run.mjs stores`',
];
process.stdout.write(`${lines.join('\n')}\n`);
