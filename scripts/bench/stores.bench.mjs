#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchServers, fmt, median } from './bench-servers.mjs';

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

const servers = benchServers({ root, set });

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
