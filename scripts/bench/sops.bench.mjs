#!/usr/bin/env node
// Benchmark of the SOPS codec, every contender measured side by side in this one run:
//  (a) decrypt / encrypt of one 1,000-key YAML file: `sops` CLI, `llmcm` CLI, in-process API;
//  (b) decrypt / encrypt of a tree of 200 small files: `sops` one process per file, `llmcm` one
//      process per file, `llmcm` tree mode (one process for the whole tree), in-process batch.
// Prints one markdown section on stdout. Reproduce: npm run -s build && node scripts/bench/run.mjs sops
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sopsBin = join(root, '.tools', 'bin', 'sops');
if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new Error('build first: npm run -s build');
if (!existsSync(sopsBin))
  throw new Error('sops is not installed in .tools/bin (run scripts/setup-test-env.sh)');
// Run a private copy of the build: a rebuild of dist/ during the run (it deletes the CLI chunks)
// must not break or slow the measured processes.
const snapshot = mkdtempSync(join(tmpdir(), 'llmcm-bench-build-'));
cpSync(join(root, 'dist'), join(snapshot, 'dist'), { recursive: true });
cpSync(join(root, 'package.json'), join(snapshot, 'package.json'));
symlinkSync(join(root, 'node_modules'), join(snapshot, 'node_modules'));
const cli = join(snapshot, 'dist', 'cli', 'main.js');
const sops = await import(join(snapshot, 'dist', 'sops', 'index.js'));

const reps = Number(process.env.BENCH_REPS ?? 7);
const treeReps = Number(process.env.BENCH_TREE_REPS ?? 3);
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
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const ms = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(0));
const ratio = (x) => (x < 10 ? `${x.toFixed(2)}×` : `${x.toFixed(0)}×`);
const now = () => Number(process.hrtime.bigint()) / 1e6;

function timeProcess(bin, args) {
  const t0 = now();
  // A timeout, so that a hung process fails the run instead of stalling it.
  const r = spawnSync(bin, args, {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
    timeout: 60_000,
  });
  const t = now() - t0;
  if (r.error) throw new Error(`${bin} ${args.join(' ')}: ${r.error.message}`);
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

// (b) a tree of small files (11 keys each) in 20 directories: plaintext and sops-encrypted twins.
const plainRoot = join(dir, 'tree-plain');
const encRoot = join(dir, 'tree-enc');
const tree = [];
for (let i = 0; i < treeSize; i++) {
  const rel = join(`env${i % 20}`, `svc${i}.yaml`);
  const lines = [
    'providers:',
    '  openai:',
    `    api_key: sk-${i}-abcdefghijklmnopqrstuvwxyz`,
    '    model: gpt-4o',
    `    max_tokens: ${1000 + i}`,
    '  anthropic:',
    `    api_key: sk-ant-${i}`,
    '    temperature: 0.2',
    'budget:',
    `  monthly_usd: ${i * 3}`,
    '  alert: true',
  ];
  const plain = join(plainRoot, rel);
  const enc = join(encRoot, rel);
  mkdirSync(dirname(plain), { recursive: true });
  mkdirSync(dirname(enc), { recursive: true });
  writeFileSync(plain, `${lines.join('\n')}\n`);
  writeFileSync(enc, timeProcess(sopsBin, ['encrypt', plain]).out);
  tree.push({ plain, enc });
}

const singleRows = [];
const treeRows = [];

// (a) decrypt / encrypt of the 1,000-key file, the three contenders interleaved in each repetition.
for (const op of ['decrypt', 'encrypt']) {
  const input = op === 'decrypt' ? bigEnc : bigPlain;
  const text = readFileSync(input, 'utf8');
  const s = [];
  const l = [];
  const p = [];
  for (let r = 0; r < reps; r++) {
    s.push(timeProcess(sopsBin, [op, input]).t);
    l.push(timeProcess(process.execPath, [cli, op, input]).t);
    const t0 = now();
    if (op === 'decrypt') await sops.decryptText(text, { file: input, identities: ids });
    else await sops.encryptText(text, { file: input, keyGroups: [[recipient]] });
    p.push(now() - t0);
  }
  const sm = median(s);
  singleRows.push(
    `| ${op} | ${ms(sm)} | ${ms(median(l))} | ${ms(median(p))} | ${ratio(median(l) / sm)} | ${ratio(sm / median(p))} |`,
  );
}

// (b) the tree.
async function batch(op) {
  // One process, the library API: identities loaded once, then every file read, converted and
  // kept in memory (the output is not written, as the CLI rows write to a pipe).
  const t0 = now();
  const loaded = await sops.loadAgeIdentities(env);
  for (const f of tree) {
    if (op === 'decrypt') {
      await sops.decryptText(readFileSync(f.enc, 'utf8'), { file: f.enc, identities: loaded });
    } else {
      const settings = sops.settingsFor(f.plain, { env: {} });
      await sops.encryptText(readFileSync(f.plain, 'utf8'), { ...settings, file: f.plain });
    }
  }
  return now() - t0;
}
for (const op of ['decrypt', 'encrypt']) {
  const arg = (f) => (op === 'decrypt' ? f.enc : f.plain);
  const s = tree.map((f) => timeProcess(sopsBin, [op, arg(f)]).t);
  const l = tree.map((f) => timeProcess(process.execPath, [cli, op, arg(f)]).t);
  const treeTimes = [];
  for (let r = 0; r < treeReps; r++) {
    const out = join(dir, `tree-out-${r}`);
    if (op === 'decrypt') {
      treeTimes.push(timeProcess(process.execPath, [cli, 'decrypt', '--output-dir', out, encRoot]).t);
    } else {
      cpSync(plainRoot, out, { recursive: true });
      treeTimes.push(timeProcess(process.execPath, [cli, 'encrypt', '-i', out]).t);
    }
    rmSync(out, { recursive: true, force: true });
  }
  const batchTimes = [];
  for (let r = 0; r < treeReps; r++) batchTimes.push(await batch(op));
  const sTotal = sum(s);
  const rowsFor = [
    [`\`sops ${op}\`, one process per file`, sTotal],
    [`\`llmcm ${op}\`, one process per file`, sum(l)],
    [
      `\`llmcm ${op === 'decrypt' ? 'decrypt --output-dir D' : 'encrypt -i'} TREE\`, one process (tree mode)`,
      median(treeTimes),
    ],
    [`in-process batch (library API, one process)`, median(batchTimes)],
  ];
  for (const [what, total] of rowsFor) {
    treeRows.push(`| ${op} | ${what} | ${ms(total)} | ${ms(total / treeSize)} | ${ratio(sTotal / total)} |`);
  }
}

let sopsVersion = 'sops';
try {
  sopsVersion = execFileSync(sopsBin, ['--version', '--disable-version-check'], { env })
    .toString()
    .split('\n')[0];
} catch {}
rmSync(dir, { recursive: true, force: true });
rmSync(snapshot, { recursive: true, force: true });

console.log(`### sops codec: llmcm vs ${sopsVersion}

Wall-clock milliseconds, every contender measured in this run, interleaved. Targets (issue 2): the \`llmcm\`
CLI per file no slower than \`sops\` (ratio ≤ 1 in the "llmcm CLI ÷ sops" column); the in-process batch
at least 10× faster than one \`sops\` process per file ("speed-up" ≥ 10).

**(a) One 1,000-key YAML file** (100 maps × 10 keys; str/int/float/bool). Median of ${reps} runs each.
"sops CLI" and "llmcm CLI" are one process each (\`sops decrypt FILE\` / \`node dist/cli/main.js decrypt FILE\`,
output to a pipe; the CLI time includes Node's own start-up). "in-process" is one \`decryptText\`/\`encryptText\`
call in an already running (warm) Node process.

| op | sops CLI | llmcm CLI | in-process | llmcm CLI ÷ sops | in-process speed-up vs sops |
| --- | ---: | ---: | ---: | ---: | ---: |
${singleRows.join('\n')}

**(b) A tree of ${treeSize} small YAML files** (11 keys each, 20 directories). "total" is the time for the whole
tree; "per file" is total ÷ ${treeSize}. One process per file: each file timed once, summed. Tree mode: the built
CLI once for the whole directory (decrypt writes every plaintext under an output directory, encrypt rewrites
a fresh copy of the plaintext tree in place; both fsync every file), median of ${treeReps} runs. In-process batch: identities
loaded once, then every file read and converted with the library API, results kept in memory; median of
${treeReps} runs (the first includes the JIT warm-up). "speed-up" is the sops total divided by the row's total.

| op | how | total | per file | speed-up vs sops |
| --- | --- | ---: | ---: | ---: |
${treeRows.join('\n')}

Reproduce: \`npm run -s build && node scripts/bench/run.mjs sops\` (env: BENCH_REPS, BENCH_TREE, BENCH_TREE_REPS).`);
