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
// The package bin (the code-cached sops bundle, see docs/cli.md), and the ES-module CLI behind it.
const cli = join(snapshot, 'dist', 'cli', 'launch.cjs');
const esmCli = join(snapshot, 'dist', 'cli', 'main.js');
const sops = await import(join(snapshot, 'dist', 'sops', 'index.js'));

const reps = Number(process.env.BENCH_REPS ?? 15);
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

// (a) YAML files of 1,000 and 5,000 keys (groups of 10 keys, mixed types): llmcm pays a larger
// fixed cost per process (Node's start-up) and a smaller cost per value, so the ratio moves with size.
function keysFile(groups) {
  const lines = [];
  for (let g = 0; g < groups; g++) {
    lines.push(`group_${g}:`);
    for (let k = 0; k < 10; k++) {
      const v =
        k % 4 === 0
          ? `secret-value-${g}-${k}-abcdefghijklmnop`
          : k % 4 === 1
            ? String(g * 10 + k)
            : k % 4 === 2
              ? `${g}.${k}5`
              : 'true';
      lines.push(`  key_${k}: ${v}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
const hugePlain = join(dir, 'huge.yaml');
writeFileSync(hugePlain, keysFile(500));
const hugeEnc = join(dir, 'huge.enc.yaml');
writeFileSync(hugeEnc, timeProcess(sopsBin, ['encrypt', hugePlain]).out);
const bigPlain = join(dir, 'big.yaml');
writeFileSync(bigPlain, keysFile(100));
const bigEnc = join(dir, 'big.enc.yaml');
writeFileSync(bigEnc, timeProcess(sopsBin, ['encrypt', bigPlain]).out);

// (a2) the shape of a real LLM config: a comment above each provider block and a fallback list,
// 100 blocks × (8 keys + a 2-item list) = 1,000 values and 101 comments. sops encrypts the comments
// (#ENC[...] lines) and writes the lists as block sequences.
const llm = ['# LLM providers: one block per deployment'];
for (let g = 0; g < 100; g++) {
  llm.push(`# deployment ${g}: owner team-${g % 7}`, `deployment_${g}:`);
  llm.push(
    `  api_key: sk-proj-${g}-abcdefghijklmnopqrstuvwxyz0123`,
    `  model: gpt-4o-2024-08-${10 + (g % 20)}`,
  );
  llm.push(`  temperature: 0.${g % 10}`, `  max_tokens: ${1024 + g}`, `  timeout_s: ${30 + (g % 5)}`);
  llm.push(`  stream: ${g % 2 === 0}`, `  region: eu-west-${1 + (g % 3)}`, `  rpm_limit: ${600 + g}`);
  llm.push('  fallbacks:', `    - claude-3-5-sonnet-${g}`, `    - gemini-1.5-pro-${g}`);
}
const llmPlain = join(dir, 'llm.yaml');
writeFileSync(llmPlain, `${llm.join('\n')}\n`);
const llmEnc = join(dir, 'llm.enc.yaml');
writeFileSync(llmEnc, timeProcess(sopsBin, ['encrypt', llmPlain]).out);

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

// (a) decrypt / encrypt of each single file, every contender interleaved in each repetition.
const singleFiles = [
  { name: '1,000 keys, no comments or lists', plain: bigPlain, enc: bigEnc },
  { name: 'LLM config: 1,000 values, 101 comments, 100 lists', plain: llmPlain, enc: llmEnc },
  { name: '5,000 keys, no comments or lists', plain: hugePlain, enc: hugeEnc },
];
for (const f of singleFiles) {
  for (const op of ['decrypt', 'encrypt']) {
    const input = op === 'decrypt' ? f.enc : f.plain;
    const text = readFileSync(input, 'utf8');
    const t = { sops: [], bin: [], esm: [], floor: [], lib: [] };
    for (let r = 0; r < reps; r++) {
      t.sops.push(timeProcess(sopsBin, [op, input]).t);
      t.bin.push(timeProcess(process.execPath, [cli, op, input]).t);
      t.esm.push(timeProcess(process.execPath, [esmCli, op, input]).t);
      t.floor.push(timeProcess(process.execPath, ['-e', '0']).t);
      const t0 = now();
      if (op === 'decrypt') await sops.decryptText(text, { file: input, identities: ids });
      else await sops.encryptText(text, { file: input, keyGroups: [[recipient]] });
      t.lib.push(now() - t0);
    }
    const m = Object.fromEntries(Object.entries(t).map(([k, xs]) => [k, median(xs)]));
    singleRows.push(
      `| ${f.name} | ${op} | ${ms(m.sops)} | ${ms(m.bin)} | ${ms(m.esm)} | ${ms(m.floor)} | ${ms(m.lib)} | **${ratio(m.bin / m.sops)}** | ${ratio(m.sops / m.lib)} |`,
    );
  }
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
  // What any Node CLI pays per process before running a line of its own code.
  const floor = tree.map(() => timeProcess(process.execPath, ['-e', '0']).t);
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
    ['`node -e 0`, one process per file (the floor for any Node CLI)', sum(floor)],
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

**(a) One file per process.** Two files of 1,000 values each: 100 maps × 10 plain keys (str/int/float/bool), and
an LLM-config shape with a comment above each of 100 provider blocks and a 2-item fallback list in each (sops
encrypts the comments and writes block sequences); and 500 maps × 10 plain keys. Median of ${reps} runs each, all contenders interleaved; every
process writes to a pipe. "sops" is \`sops decrypt|encrypt FILE\`; "llmcm" is the package bin (\`node dist/cli/launch.cjs\`:
the code-cached sops bundle, see docs/cli.md); "main.js" is the ES-module CLI without the code cache;
"node -e 0" is Node's own start-up, the floor for any Node CLI. "in-process" is one \`decryptText\`/\`encryptText\`
call in an already running (warm) Node process.

| file | op | sops | llmcm | main.js | node -e 0 | in-process | llmcm ÷ sops | in-process speed-up vs sops |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
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
