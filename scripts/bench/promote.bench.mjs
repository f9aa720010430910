#!/usr/bin/env node
// Promotion benchmark (issue 6, item 8): for each store the machine can start (file, vault, aws via
// moto, redis, postgres; real servers on 127.0.0.1), plan and promote 1,000 keys into a fresh
// environment through the whole pipeline (plan, lock, re-plan under the lock, apply, record in git),
// then re-plan and re-promote with no change (must write 0). The reference is the store's own
// atomic apply of the same 1,000 keys (Store.apply, no plan/lock/record), measured in the same run:
// the ratio is llmcm's promotion overhead on top of the backend write.
// Prints one markdown section on stdout; `node scripts/bench/run.mjs promote` appends it to BENCHMARKS.md.
// Imports the BUILT code: run `npm run -s build` first. Server start-up code mirrors stores.bench.mjs.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
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
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = (tool) => join(root, '.tools', 'bin', tool);
const dist = (p) => join(root, 'dist', p);
const { openStore } = await import(dist('stores/registry.js'));
const { computeContentHash } = await import(dist('stores/content-hash.js'));
const { preparePlan, promote } = await import(dist('promote/promote.js'));
const { openRepository } = await import(dist('repo/repository.js'));
const git = (await import('isomorphic-git')).default;

const KEYS = 1000;
const RUNS = 3;
const storeEnv = { LLMCM_LOOPBACK_ONLY: '1', AWS_EC2_METADATA_DISABLED: 'true' };
const set = {};
for (let i = 0; i < KEYS; i++)
  set[`group${i % 20}.key${String(i).padStart(4, '0')}`] = `value-${i}-${'x'.repeat(16)}`;
const secretKeys = new Set(Object.keys(set).filter((_, i) => i % 10 === 0));

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
/** A scratch git repo with one commit: the promotion source. */
async function scratchRepo() {
  const dir = mkdtempSync(join(tmpdir(), 'llmcm-bench-promote-'));
  await git.init({ fs, dir, defaultBranch: 'main' });
  fs.writeFileSync(join(dir, 'README'), 'bench\n');
  await git.add({ fs, dir, filepath: 'README' });
  const source = await git.commit({ fs, dir, message: 'source', author: { name: 'bench', email: 'b@x' } });
  return { dir, source, repo: await openRepository(dir) };
}

async function benchStore(kind) {
  const server = await servers[kind]();
  const scratch = await scratchRepo();
  const environments = [];
  for (let i = 0; i < RUNS * 2; i++) environments.push(`bench${i}`);
  const opened = [];
  const deps = {
    repo: scratch.repo,
    environments,
    storeConfigs: () => [server.config],
    openStore: async (config) => {
      const s = await openStore(config, { root: scratch.dir, env: storeEnv });
      opened.push(s);
      return s;
    },
    loadDesired: async () => ({ values: set, secretKeys }),
    fingerprintKey: Buffer.from('bench-key'),
    identity: { name: 'bench', email: 'bench@example.test' },
  };
  const request = (environment) => ({
    environment,
    source: scratch.source,
    actor: 'bench',
    approvalIds: [],
    force: false,
    operation: 'promote',
  });
  const t = { plan: [], promote: [], replan: [], rerun: [], reference: [] };
  let writes = 0;
  let rerunWrites = 0;
  try {
    for (let run = 0; run < RUNS; run++) {
      const env = `bench${run}`;
      let t0 = performance.now();
      const prepared = await preparePlan(deps, env, scratch.source);
      t.plan.push(performance.now() - t0);
      await prepared.close();
      t0 = performance.now();
      const done = await promote(deps, request(env));
      t.promote.push(performance.now() - t0);
      writes = done.stores.reduce((n, s) => n + s.writes, 0);
      t0 = performance.now();
      const again = await preparePlan(deps, env, scratch.source);
      t.replan.push(performance.now() - t0);
      await again.close();
      if (!again.plan.empty) throw new Error(`${kind}: re-plan after promote is not empty`);
      t0 = performance.now();
      const noop = await promote(deps, request(env));
      t.rerun.push(performance.now() - t0);
      rerunWrites = noop.stores.reduce((n, s) => n + s.writes, 0);
      if (noop.status !== 'up-to-date') throw new Error(`${kind}: re-run was not up to date`);
      // Reference: the store's own atomic write of the same keys into a fresh environment.
      const store = await openStore(server.config, { root: scratch.dir, env: storeEnv });
      t0 = performance.now();
      await store.apply(
        `bench${RUNS + run}`,
        { set, delete: [] },
        { expectedRevision: null, stamp: { promotionId: 'ref', contentHash: computeContentHash(set) } },
      );
      t.reference.push(performance.now() - t0);
      await store.close();
    }
  } finally {
    await Promise.allSettled(opened.map((s) => s.close()));
    await server.stop();
    rmSync(scratch.dir, { recursive: true, force: true });
  }
  return {
    kind,
    writes,
    rerunWrites,
    ...Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)])),
  };
}

const rows = [];
const skipped = [];
for (const kind of ['file', 'vault', 'aws-secrets-manager', 'redis', 'postgres']) {
  try {
    process.stderr.write(`[bench promote] ${kind}...\n`);
    rows.push(await benchStore(kind));
  } catch (error) {
    skipped.push(`${kind}: ${String(error.message).split('\n')[0]}`);
  }
}
const out = [];
out.push('### promote: plan and promote 1,000 keys per store');
out.push('');
out.push(
  `Medians of ${RUNS} runs, ${KEYS} keys (${secretKeys.size} secret) into a fresh environment, real servers on 127.0.0.1. ` +
    '"promote" is the whole pipeline (plan, lock ref, re-plan under the lock, apply, record commit, unlock); ' +
    '"re-promote" runs it again with nothing to do. The reference is the store\'s own atomic write of the same keys (Store.apply).',
);
out.push('');
out.push(
  '| store | plan (ms) | promote (ms) | writes | re-plan, no change (ms) | re-promote (ms) | writes | reference Store.apply (ms) | promote / reference |',
);
out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  out.push(
    `| ${r.kind} | ${fmt(r.plan)} | ${fmt(r.promote)} | ${r.writes} | ${fmt(r.replan)} | ${fmt(r.rerun)} | ${r.rerunWrites} | ${fmt(r.reference)} | ${(r.promote / r.reference).toFixed(2)}× |`,
  );
}
if (skipped.length) {
  out.push('');
  for (const s of skipped) out.push(`Not measured: ${s}`);
}
out.push('');
out.push('Reproduce: `npm run -s build && node scripts/bench/run.mjs promote`');
process.stdout.write(`${out.join('\n')}\n`);
