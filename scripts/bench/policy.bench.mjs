#!/usr/bin/env node
// Policy evaluation benchmark: in-process wasm (@open-policy-agent/opa-wasm over the committed
// bundle) vs one `opa eval` process per input, on a typical input: one production environment's
// redacted config (4 providers/models, routes, budgets, prompts, flags) with a change and an actor.
// Prints one markdown section; `node scripts/bench/run.mjs policy` appends it to BENCHMARKS.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { createCheckInput, createPromotionInput, loadPolicyEngine } = await import(
  join(root, 'dist/policy/index.js')
);

const prod = {
  providers: {
    openai: {
      type: 'openai',
      base_url: 'https://api.openai.com/v1',
      organization: 'org-demo',
      api_key: 'ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]',
      timeout_ms: 20000,
    },
    anthropic: {
      type: 'anthropic',
      base_url: 'https://api.anthropic.com',
      api_key: 'ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]',
    },
  },
  models: Object.fromEntries(
    [
      ['gpt-4o', 'openai', 'gpt-4o-2024-08-06'],
      ['gpt-4o-mini', 'openai', 'gpt-4o-mini-2024-07-18'],
      ['claude-sonnet', 'anthropic', 'claude-3-5-sonnet-20241022'],
      ['gpt-4o-batch', 'openai', 'gpt-4o-2024-08-06'],
    ].map(([name, provider, model]) => [
      name,
      {
        provider,
        model,
        mode: 'chat',
        params: { temperature: 0.2, top_p: 1, max_tokens: 2048 },
        context_window: 128000,
        limits: { rpm: 1000, tpm: 800000 },
        cost: { input_per_1k: 0.0025, output_per_1k: 0.01 },
        environments: ['dev', 'staging', 'prod'],
      },
    ]),
  ),
  routing: {
    defaults: { retries: { attempts: 2, on_status_codes: [429, 500, 502, 503] }, timeout_ms: 30000 },
    routes: {
      chat: { strategy: 'fallback', targets: [{ model: 'gpt-4o' }, { model: 'claude-sonnet' }] },
      summarize: {
        strategy: 'loadbalance',
        targets: [
          { model: 'gpt-4o-mini', weight: 3 },
          { model: 'claude-sonnet', weight: 1 },
        ],
      },
      batch: { strategy: 'single', targets: [{ model: 'gpt-4o-batch' }] },
    },
    fallbacks: { general: { 'gpt-4o': ['claude-sonnet'], 'gpt-4o-batch': ['gpt-4o'] } },
  },
  budgets: {
    period: 'monthly',
    environment: { limit_usd: 20000 },
    teams: { support: { limit_usd: 12000 }, search: { limit_usd: 6000 } },
    providers: { openai: { limit_usd: 14000 }, anthropic: { limit_usd: 8000 } },
  },
  prompts: {
    'support-answer': {
      version: 3,
      template: 'Customer: {{customer_name}}\nQuestion: {{question}}',
      variables: ['customer_name', 'question'],
    },
    'ticket-summary': {
      version: '1.4.0',
      template: 'Summarize: {{ticket_text}}',
      variables: ['ticket_text'],
    },
  },
  flags: {
    streaming: { enabled: true },
    semantic_cache: { enabled: false },
    debug_logging: { enabled: false },
  },
  gateway: {
    master_key: 'ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]',
    log_level: 'info',
    max_parallel_requests: 200,
  },
};

const now = '2026-11-27T10:00:00Z';
const configInput = createCheckInput({
  environments: [{ name: 'prod', tree: prod }],
  change: { prod: { changed: ['/models/gpt-4o/params/temperature', '/prompts/support-answer/version'] } },
  actor: 'rita',
  now,
});
const accessInput = createPromotionInput({
  actor: 'rita',
  environment: 'prod',
  sourceEnvironment: 'staging',
  approvals: [
    { by: 'ravi', at: '2026-11-26T09:00:00Z' },
    { by: 'carol', at: '2026-11-26T10:00:00Z' },
  ],
  now,
});

const engine = await loadPolicyEngine({ root, decisionLog: false });
if (engine.stale) throw new Error('the committed bundle is stale; run llmcm policy build first');

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Rounds of `n` timed evaluations: median evals/s over rounds, and p50/p99 of all single timings. */
function measure(fn, { rounds = 5, n = 4000 } = {}) {
  for (let i = 0; i < 500; i++) fn();
  const rates = [];
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const t = process.hrtime.bigint();
      fn();
      samples.push(Number(process.hrtime.bigint() - t) / 1e3);
    }
    rates.push(n / (Number(process.hrtime.bigint() - started) / 1e9));
  }
  samples.sort((a, b) => a - b);
  return {
    rate: median(rates),
    p50: samples[Math.floor(samples.length * 0.5)],
    p99: samples[Math.floor(samples.length * 0.99)],
  };
}

// Warm every workload once so the first growth of wasm memory is not mistaken for a leak.
for (let i = 0; i < 100; i++) {
  engine.evaluateConfigPolicies(configInput);
  engine.evaluateAccess(accessInput);
}
const memBefore = engine.memoryBytes;
const rows = [
  [
    'config rules, raw wasm evaluate (`evaluateRaw`)',
    measure(() => engine.evaluateRaw('llmcm/config/result', configInput)),
  ],
  [
    'config rules, full API (schema check + decision record, no log file)',
    measure(() => engine.evaluateConfigPolicies(configInput), { n: 2000 }),
  ],
  [
    'promotion gate, raw wasm evaluate',
    measure(() => engine.evaluateRaw('llmcm/access/decision', accessInput)),
  ],
  [
    'promotion gate, full API (`evaluateAccess`)',
    measure(() => engine.evaluateAccess(accessInput), { n: 2000 }),
  ],
];
const memAfter = engine.memoryBytes;

// Reference: one `opa eval` process per input (what a CI script calling opa would do).
const opa = [join(root, '.tools/bin/opa'), 'opa'].find((p) => p === 'opa' || existsSync(p));
const dir = mkdtempSync(join(tmpdir(), 'llmcm-bench-policy-'));
writeFileSync(join(dir, 'input.json'), JSON.stringify(configInput));
const opaTimes = [];
for (let i = 0; i < 15; i++) {
  const t = process.hrtime.bigint();
  execFileSync(
    opa,
    [
      'eval',
      '--ignore',
      '*_test.rego',
      '-d',
      'policies/rego',
      '-d',
      'policies/data',
      '-i',
      join(dir, 'input.json'),
      'data.llmcm.config.result',
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  opaTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
}
const opaMs = median(opaTimes);
const opaRate = 1000 / opaMs;
const inputBytes = JSON.stringify(configInput).length;

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const lines = [
  '### Policy evaluation (wasm in-process vs `opa eval` per input)',
  '',
  `Typical input: one production environment's redacted config (${inputBytes} bytes of JSON, 4 models, 3 routes, budgets, prompts, flags) with a change and an actor; promotion gate: actor + 2 approvals. Target ≥ 5,000 evaluations/s.`,
  '',
  '| workload | evaluations/s (median of 5 rounds) | p50 µs | p99 µs | vs `opa eval` per input |',
  '|---|---:|---:|---:|---:|',
  ...rows.map(
    ([name, m]) =>
      `| ${name} | ${fmt(m.rate)} | ${m.p50.toFixed(1)} | ${m.p99.toFixed(1)} | ${fmt(m.rate / opaRate)}× |`,
  ),
  `| reference: \`opa eval\` process per input (config rules, median of 15) | ${opaRate.toFixed(1)} | ${fmt(opaMs * 1000)} | – | 1× |`,
  '',
  `wasm linear memory: ${memBefore} bytes after warm-up and ${memAfter} bytes after all ${fmt(5 * (4000 + 4000 + 2000 + 2000))} timed evaluations (it never shrinks, so equal means flat). OPA ${engine.manifest.opa_version}, policy.wasm sha256 ${engine.manifest.policy_wasm_sha256.slice(0, 12)}….`,
  '',
  'Reproduce: `npm run -s build && node scripts/bench/run.mjs policy` (or `node scripts/bench/policy.bench.mjs`).',
];
process.stdout.write(`${lines.join('\n')}\n`);
