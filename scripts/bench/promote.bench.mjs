#!/usr/bin/env node
import * as fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchServers, fmt, median } from './bench-servers.mjs';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const _bin = (tool) => join(root, '.tools', 'bin', tool);
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

const servers = benchServers({ root, set });
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
