#!/usr/bin/env node
// Benchmark of `llmcm check` (issue 3): a generated config repo of 1,000 environment files of about 50
// keys each (200 environments × 5 document kinds, plus a shared _base layer), sops-encrypted with the
// codec to the public demo key. Measures the full keyless check and `--base` selecting 10 changed files,
// with the built CLI (`npm run -s build` first). Prints one markdown section on stdout.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// The package bin (check runs from its code-cached bundle, docs/cli.md) and the ES-module CLI behind it.
const cli = join(root, 'dist', 'cli', 'launch.cjs');
const esmCli = join(root, 'dist', 'cli', 'main.js');
const { encryptText } = await import(join(root, 'dist', 'sops', 'codec.js'));
const recipient = 'age1nyv4jujwvwjdlk49kngtrkvd6cap79mcqf2j5dcep0lhwc54jd0qujqr94';
const selection = {
  key: 'encrypted_regex',
  value:
    '(?i)^(.*[_-])?(api_?key|token|password|passwd|secret|private_?key|master_?key|salt_?key|signing_?key|access_?key|credentials?|dsn|database_?url)$',
};
const ENVS = 200;
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

const dir = mkdtempSync(join(tmpdir(), 'llmcm-bench-check-'));
const envNames = Array.from({ length: ENVS }, (_, i) => `env-${String(i).padStart(3, '0')}`);
const models = [
  'gpt-4o',
  'gpt-4o-mini',
  'claude-sonnet',
  'claude-haiku',
  'mistral-large',
  'llama-70b',
  'embed-small',
];

function docs(env, i) {
  const rnd = (n) => ((i * 7919 + n * 104729) % 997) + 1;
  const providers = ['openai', 'anthropic', 'mistral', 'groq', 'azure', 'local']
    .map(
      (p, j) =>
        `${p}:\n  type: ${['openai', 'anthropic', 'mistral', 'groq', 'azure-openai', 'ollama'][j]}\n  base_url: https://${p}.example.test/v1\n  api_key: demo-${env}-${p}-${'x'.repeat(20)}${rnd(j)}\n  organization: org-${env}\n  project: proj-${p}\n  timeout_ms: ${10000 + rnd(j)}\n  max_retries: ${j % 4}\n  description: ${p} for ${env}\n`,
    )
    .join('');
  const modelsDoc = models
    .map(
      (m, j) =>
        `${m}:\n  provider: ${['openai', 'openai', 'anthropic', 'anthropic', 'mistral', 'groq', 'openai'][j]}\n  model: ${m}-2024-${String(j + 1).padStart(2, '0')}\n  params:\n    temperature: ${(rnd(j) % 10) / 10}\n    max_tokens: ${256 * (j + 1)}\n  context_window: ${8192 * (j + 1)}\n  limits:\n    rpm: ${100 + rnd(j)}\n    tpm: ${100000 + rnd(j)}\n`,
    )
    .join('');
  const routes = Array.from({ length: 8 }, (_, r) => {
    const a = models[r % 6];
    const b = models[(r + 1) % 6];
    return `  route-${r}:\n    strategy: loadbalance\n    targets:\n      - model: ${a}\n        weight: ${1 + (r % 3)}\n      - model: ${b}\n        weight: 1\n`;
  }).join('');
  const routing = `defaults:\n  retries:\n    attempts: 2\n    on_status_codes: [429, 500, 503]\n  timeout_ms: 30000\nroutes:\n${routes}fallbacks:\n  general:\n    gpt-4o: [claude-sonnet]\n    gpt-4o-mini: [gpt-4o]\n`;
  const teams = Array.from(
    { length: 14 },
    (_, t) =>
      `  team-${t}:\n    limit_usd: ${100 + t}\n    alert_at: 0.8\n    owner: team-${t}@example.test\n`,
  ).join('');
  const budgets = `period: monthly\nenvironment:\n  limit_usd: 100000\n  alert_at: 0.9\nteams:\n${teams}providers:\n  openai:\n    limit_usd: 5000\n  anthropic:\n    limit_usd: 4000\n`;
  const flags = Array.from(
    { length: 16 },
    (_, f) =>
      `flag_${f}:\n  enabled: ${f % 2 === 0}\n  description: flag ${f} of ${env}\n  rollout_percent: ${(f * 7) % 100}\n`,
  ).join('');
  return { providers, models: modelsDoc, routing, budgets, flags };
}

async function writeEncrypted(rel, text) {
  const path = join(dir, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, await encryptText(text, { file: rel, keyGroups: [[recipient]], selection }));
}

const t0 = Date.now();
writeFileSync(
  join(dir, 'llmcm.yaml'),
  `version: 1\nbase: _base\nencryption: required\nenvironments:\n${envNames.map((e) => `  ${e}: {}`).join('\n')}\ndocuments:\n  providers: llmcm:providers\n  models: llmcm:models\n  routing: llmcm:routing\n  budgets: llmcm:budgets\n  flags: llmcm:flags\n  gateway: llmcm:gateway\n`,
);
await writeEncrypted(
  'environments/_base/gateway.yaml',
  'master_key: Zq5Xw8Rn2Vb7Mc4Lk1Tj6Hg9Fd3Sa0PeQ2hh\ncache:\n  mode: simple\n  ttl_seconds: 600\n',
);
let files = 1;
let keys = 0;
for (const [i, env] of envNames.entries()) {
  for (const [kind, text] of Object.entries(docs(env, i))) {
    keys += text.split('\n').filter((l) => /:\s*\S/.test(l) || /^\s*- /.test(l)).length;
    await writeEncrypted(`environments/${env}/${kind}.yaml`, text);
    files++;
  }
}
const git = (...args) =>
  execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.test', ...args], {
    cwd: dir,
    stdio: 'pipe',
  });
git('init', '-q');
git('add', '-A');
git('commit', '-qm', 'generated');
const setupSeconds = (Date.now() - t0) / 1000;

// Without NODE_EXTRA_CA_CERTS: when set (this machine's shell sets it), every Node start parses that CA
// bundle (~30 ms here) before running anything. check opens no TLS connection, and a developer's or a
// CI runner's machine does not normally set it; the node -e 0 floor is measured with the same env.
const { NODE_EXTRA_CA_CERTS: _caBundle, ...baseEnv } = process.env;
const env = {
  ...baseEnv,
  NO_COLOR: '1',
  SOPS_AGE_KEY_FILE: '',
  SOPS_AGE_KEY: '',
  XDG_CONFIG_HOME: '/nonexistent',
  HOME: dir,
};
// Wall time of each run, plus the child's user+system CPU (GNU time) when available: on a shared,
// loaded machine CPU time says more about llmcm than wall time does.
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
function time(cmd, args, expectCodes = [0, 1]) {
  const samples = [];
  const cpu = [];
  let last;
  for (let r = 0; r < RUNS; r++) {
    const start = process.hrtime.bigint();
    last = gnuTime
      ? spawnSync(gnuTime, ['-f', '@cpu %U %S', cmd, ...args], {
          cwd: dir,
          env,
          encoding: 'utf8',
          maxBuffer: 256 * 1024 * 1024,
        })
      : spawnSync(cmd, args, { cwd: dir, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    const m = /@cpu ([\d.]+) ([\d.]+)\s*$/.exec(last.stderr ?? '');
    if (m) cpu.push((Number(m[1]) + Number(m[2])) * 1000);
    if (!expectCodes.includes(last.status))
      throw new Error(`${cmd} ${args.join(' ')} exited ${last.status}: ${last.stderr}`);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return {
    median: median(samples),
    min: Math.min(...samples),
    cpu: cpu.length ? median(cpu) : undefined,
    last,
  };
}

const nodeFloor = time(process.execPath, ['-e', '0']);
const full = time(process.execPath, [cli, 'check', '--format', 'json']);
const fullEsm = time(process.execPath, [esmCli, 'check', '--format', 'json']);
const fullReport = JSON.parse(full.last.stdout);
if (fullReport.summary.errors !== 0)
  throw new Error(`generated repo should be clean, got ${fullReport.summary.errors} errors`);

// Change one clear value in 10 environments (keyless check does not verify the MAC).
for (let k = 0; k < 10; k++) {
  const rel = join(dir, 'environments', envNames[k * 17], 'models.yaml');
  writeFileSync(rel, readFileSync(rel, 'utf8').replace('max_tokens: 256', 'max_tokens: 300'));
}
const gitDiff = time('git', ['diff', '--name-only', 'HEAD']);
const based = time(process.execPath, [cli, 'check', '--base', 'HEAD', '--format', 'json']);
const basedEsm = time(process.execPath, [esmCli, 'check', '--base', 'HEAD', '--format', 'json']);
const basedReport = JSON.parse(based.last.stdout);
if (basedReport.environments.length !== 10)
  throw new Error(`--base should select 10 environments, got ${basedReport.environments.length}`);
// The same --base check with this repo's Rego policies in place (the policy stage: wasm load, input
// schema, one evaluation per environment, decision records).
cpSync(join(root, 'policies'), join(dir, 'policies'), { recursive: true });
const withPolicy = time(process.execPath, [cli, 'check', '--base', 'HEAD', '--format', 'json']);
const withPolicyEsm = time(process.execPath, [esmCli, 'check', '--base', 'HEAD', '--format', 'json']);
if (!JSON.parse(withPolicy.last.stdout).passes)
  throw new Error('the policy stage did not run in the policies case');
if (process.env.BENCH_KEEP) process.stderr.write(`kept ${dir}\n`);
else rmSync(dir, { recursive: true, force: true });

const ms = (x) => `${Math.round(x)} ms`;
const out = [];
out.push('### llmcm check (keyless) over 1,000 environment files');
out.push('');
out.push(
  `Generated repo: ${files} sops-encrypted YAML files (${ENVS} environments × 5 kinds + a _base file), ~${Math.round(keys / (files - 1))} keys per file, ${keys} keys in all; setup ${setupSeconds.toFixed(1)} s (not timed). Wall time of the package bin (\`node dist/cli/launch.cjs check\`, the code-cached check bundle), median of ${RUNS} runs; "main.js" is the ES-module CLI without the code cache, measured right after it.`,
);
out.push('');
const cpuOf = (t) => (t.cpu === undefined ? 'n/a' : ms(t.cpu));
out.push(
  '| case | llmcm wall median | min | CPU median | main.js wall median | target (wall) | reference (same run) | ratio |',
);
out.push('| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |');
out.push(
  `| full keyless check, ${fullReport.environments.length} envs, ${fullReport.summary.files} files | ${ms(full.median)} | ${ms(full.min)} | ${cpuOf(full)} | ${ms(fullEsm.median)} | ≤ 2000 ms | \`node -e 0\` start-up floor ${ms(nodeFloor.median)} | ${(full.median / nodeFloor.median).toFixed(1)}× |`,
);
out.push(
  `| \`--base HEAD\`, 10 changed files → ${basedReport.environments.length} envs + semantic diff | ${ms(based.median)} | ${ms(based.min)} | ${cpuOf(based)} | ${ms(basedEsm.median)} | ≤ 300 ms | \`git diff --name-only HEAD\` ${ms(gitDiff.median)} | ${(based.median / gitDiff.median).toFixed(1)}× |`,
);
out.push(
  `| same \`--base HEAD\` with this repo's Rego policies (wasm, 10 envs evaluated) | ${ms(withPolicy.median)} | ${ms(withPolicy.min)} | ${cpuOf(withPolicy)} | ${ms(withPolicyEsm.median)} | (not in the issue) | the row above ${ms(based.median)} | ${(withPolicy.median / based.median).toFixed(2)}× |`,
);
out.push('');
out.push(
  `Load average while measuring: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(', ')} on ${cpus().length} cores (other work on the machine inflates wall times).`,
);
out.push('');
out.push(
  'Reproduce: `npm run -s build && node scripts/bench/check.bench.mjs` (BENCH_RUNS=N to change the run count).',
);
process.stdout.write(`${out.join('\n')}\n`);
