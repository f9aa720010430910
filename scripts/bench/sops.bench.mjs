#!/usr/bin/env node
// Benchmark of the SOPS codec: decrypt and encrypt of (a) one 1,000-key YAML file and (b) a tree of
// 200 small files, comparing the `sops` CLI, the `llmcm` CLI (one process per file) and the
// in-process API (one process, batch). Prints one markdown section on stdout.
// Reproduce: npm run -s build && node scripts/bench/run.mjs sops
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sopsBin = join(root, '.tools', 'bin', 'sops');
const cli = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(cli)) throw new Error('build first: npm run -s build');
if (!existsSync(sopsBin))
  throw new Error('sops is not installed in .tools/bin (run scripts/setup-test-env.sh)');
const sops = await import(join(root, 'dist', 'sops', 'index.js'));

const reps = Number(process.env.BENCH_REPS ?? 5);
const treeSize = Number(process.env.BENCH_TREE ?? 200);
const dir = mkdtempSync(join(tmpdir(), 'llmcm-bench-sops-'));
const { identity, recipient } = await sops.generateAgeIdentity();
const keyFile = join(dir, 'keys.txt');
writeFileSync(keyFile, `${identity}\n`, { mode: 0o600 });
writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - age: ${recipient}\n`);
const env = { PATH: process.env.PATH, HOME: dir, SOPS_AGE_KEY_FILE: keyFile };
const ids = sops.ageIdentitiesFrom([identity]);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(0));
const now = () => Number(process.hrtime.bigint()) / 1e6;

function timeProcess(bin, args) {
  const t0 = now();
  const r = spawnSync(bin, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  const t = now() - t0;
  if (r.status !== 0)
    throw new Error(`${bin} ${args.join(' ')} failed: ${r.stderr.toString().split('\n')[0]}`);
  return { t, out: r.stdout.toString() };
}

// (a) one YAML file with 1,000 keys (100 groups × 10 keys, mixed types).
const big = [];
for (let g = 0; g < 100; g++) {
  big.push(`group_${g}:`);
  for (let k = 0; k < 10; k++) {
    const v =
      k % 4 === 0
        ? `secret-value-${g}-${k}-abcdefghijklmnop`
        : k % 4 === 1
          ? String(g * 10 + k)
          : k % 4 === 2
            ? `${g}.${k}5`
            : 'true';
    big.push(`  key_${k}: ${v}`);
  }
}
const bigPlain = join(dir, 'big.yaml');
writeFileSync(bigPlain, `${big.join('\n')}\n`);
const bigEnc = join(dir, 'big.enc.yaml');
writeFileSync(bigEnc, timeProcess(sopsBin, ['encrypt', bigPlain]).out);

// (b) a tree of small files (10 keys each) in 20 directories.
const tree = [];
for (let i = 0; i < treeSize; i++) {
  const sub = join(dir, 'tree', `env${i % 20}`);
  mkdirSync(sub, { recursive: true });
  const lines = [
    'providers:',
    '  openai:',
    `    api_key: sk-${i}-abcdefghijklmnopqrstuvwxyz`,
    '    model: gpt-4o',
    `    max_tokens: ${1000 + i}`,
  ];
  lines.push(
    '  anthropic:',
    `    api_key: sk-ant-${i}`,
    '    temperature: 0.2',
    'budget:',
    `  monthly_usd: ${i * 3}`,
    '  alert: true',
  );
  const plain = join(sub, `svc${i}.yaml`);
  writeFileSync(plain, `${lines.join('\n')}\n`);
  const enc = join(sub, `svc${i}.enc.yaml`);
  writeFileSync(enc, timeProcess(sopsBin, ['encrypt', plain]).out);
  tree.push({ plain, enc });
}

const rows = [];
function row(workload, op, sopsTimes, llmcmTimes, inProcPerFile, inProcTotal, files) {
  const sMed = median(sopsTimes);
  const lMed = median(llmcmTimes);
  const sopsTotal = files === 1 ? sMed : sopsTimes.reduce((a, b) => a + b, 0);
  rows.push(
    `| ${workload} | ${op} | ${ms(sMed)} | ${ms(lMed)} | ${ms(median(inProcPerFile))} | ${(lMed / sMed).toFixed(2)}× | ${ms(sopsTotal)} | ${ms(inProcTotal)} | ${(sopsTotal / inProcTotal).toFixed(1)}× |`,
  );
}

// (a) decrypt / encrypt of the 1,000-key file.
{
  const s = [];
  const l = [];
  const p = [];
  const text = readFileSync(bigEnc, 'utf8');
  for (let r = 0; r < reps; r++) {
    s.push(timeProcess(sopsBin, ['decrypt', bigEnc]).t);
    l.push(timeProcess(process.execPath, [cli, 'decrypt', bigEnc]).t);
    const t0 = now();
    await sops.decryptText(text, { file: bigEnc, identities: ids });
    p.push(now() - t0);
  }
  row('1,000-key YAML', 'decrypt', s, l, p, median(p), 1);
}
{
  const s = [];
  const l = [];
  const p = [];
  const text = readFileSync(bigPlain, 'utf8');
  for (let r = 0; r < reps; r++) {
    s.push(timeProcess(sopsBin, ['encrypt', bigPlain]).t);
    l.push(timeProcess(process.execPath, [cli, 'encrypt', bigPlain]).t);
    const t0 = now();
    await sops.encryptText(text, { file: bigPlain, keyGroups: [[recipient]] });
    p.push(now() - t0);
  }
  row('1,000-key YAML', 'encrypt', s, l, p, median(p), 1);
}

// (b) the tree: one process per file for the CLIs, one batch for the API.
// The in-process batch is repeated (BENCH_BATCH_REPS, default 3) and the median total is reported;
// the first repetition includes the JIT warm-up. One process per file is timed once per file.
const batchReps = Number(process.env.BENCH_BATCH_REPS ?? 3);
async function batch(op) {
  const totals = [];
  const per = [];
  for (let r = 0; r < batchReps; r++) {
    const t0 = now();
    const loaded = await sops.loadAgeIdentities(env);
    for (const f of tree) {
      const t1 = now();
      if (op === 'decrypt') {
        await sops.decryptText(readFileSync(f.enc, 'utf8'), { file: f.enc, identities: loaded });
      } else {
        const settings = sops.settingsFor(f.plain, { env: {} });
        await sops.encryptText(readFileSync(f.plain, 'utf8'), { ...settings, file: f.plain });
      }
      per.push(now() - t1);
    }
    totals.push(now() - t0);
  }
  return { per, total: median(totals) };
}
for (const op of ['decrypt', 'encrypt']) {
  const arg = (f) => (op === 'decrypt' ? f.enc : f.plain);
  const s = tree.map((f) => timeProcess(sopsBin, [op, arg(f)]).t);
  const l = tree.map((f) => timeProcess(process.execPath, [cli, op, arg(f)]).t);
  const b = await batch(op);
  row(`tree of ${treeSize} files`, op, s, l, b.per, b.total, treeSize);
}

let sopsVersion = 'sops';
try {
  sopsVersion = execFileSync(sopsBin, ['--version', '--disable-version-check'], { env })
    .toString()
    .split('\n')[0];
} catch {}
rmSync(dir, { recursive: true, force: true });

console.log(`### sops codec: llmcm vs ${sopsVersion}

Times in milliseconds (wall clock). CLI columns are the median of one process per file (${reps} runs for the
single file); "in-process" is the median per file inside one Node process using the library API, and
"in-process total" the median of ${batchReps} whole-batch runs (the first one includes the JIT warm-up).
"llmcm ÷ sops" compares one CLI process per file (target ≤ 1). "batch speed-up" is the total of one \`sops\`
process per file divided by the in-process batch total (target ≥ 10).

| workload | op | sops CLI | llmcm CLI | in-process | llmcm ÷ sops | sops total | in-process total | batch speed-up |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

Reproduce: \`npm run -s build && node scripts/bench/run.mjs sops\` (env: BENCH_REPS, BENCH_TREE).`);
