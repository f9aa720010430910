import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/policy/canonical-json.js';
import { loadPolicyEngine, type PolicyEngine } from '../../../src/policy/index.js';
import { runOpa } from '../../../src/policy/opa-cli.js';
import { describeWithTools, projectRoot, toolPath } from '../../support/tools.js';

// Parity: the wasm decision must equal `opa eval` (OPA's Go evaluator) on the same Rego and data.
// All inputs go to one `opa eval` run as data, each evaluated `with input as` it, so the suite
// costs one process instead of hundreds.

const entrypoints = { config: 'llmcm/config/result', access: 'llmcm/access/decision' } as const;
/** Keys whose arrays are Rego sets: their order carries no meaning. */
const setKeys = new Set(['deny', 'warn', 'passes', 'exempted', 'exemptions', 'notes', 'roles', 'approvers']);

function normalize(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => normalize(v));
    return key && setKeys.has(key)
      ? items.sort((a, b) => (canonicalJson(a) < canonicalJson(b) ? -1 : 1))
      : items;
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v, k)]));
  }
  return value;
}

const hugeNumbers = [1e300, -1e300, 2 ** 53 + 2, -(2 ** 63), 1e-300, 0.1 + 0.2, 123456789012345680000];
const number = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -5, max: 2_000_000 }),
  fc.constantFrom(0, 1, 0.5, 1.5, 2, ...hugeNumbers),
  fc.constantFrom('0.5', '', null, true, false),
);
const text = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.constantFrom('prød', '😀', 'a/b~c', ''),
);
const env = fc.constantFrom('dev', 'staging', 'prod', 'qa', 'prød', '');
const modelName = fc.oneof(
  fc.constantFrom('gpt-4o', 'gpt-4o-mini', 'claude-sonnet', 'creative-writer'),
  text,
);
const marker = fc.record({ $secret: fc.constantFrom('encrypted', 'reference', 'plaintext', 'weird') });
const timestamp = fc.constantFrom(
  '2026-11-27T10:00:00Z',
  '2026-12-18T00:00:00Z',
  '2026-12-20T10:00:00Z',
  '2027-01-05T00:00:00Z',
  '2027-04-01T00:00:00Z',
  '2026-10-15T00:00:00Z',
);
const member = fc.oneof(fc.constantFrom('rita', 'ravi', 'carol', 'chen', 'dana', 'sam', 'mallory'), text);

const model = fc.record(
  {
    provider: fc.oneof(fc.constantFrom('openai', 'anthropic'), text),
    model: fc.oneof(
      fc.constantFrom(
        'gpt-4o-2024-08-06',
        'gpt-4o-mini-2024-07-18',
        'claude-3-5-sonnet-20241022',
        'llama3.1:8b',
      ),
      text,
    ),
    params: fc.record({ temperature: number, top_p: number, max_tokens: number }, { requiredKeys: [] }),
    limits: fc.record({ rpm: number, tpm: number }, { requiredKeys: [] }),
    cost: fc.record({ input_per_1k: number, output_per_1k: number }, { requiredKeys: [] }),
  },
  { requiredKeys: ['model'] },
);

const config = fc.record(
  {
    providers: fc.dictionary(
      fc.oneof(fc.constantFrom('openai', 'anthropic', 'local'), text),
      fc.record(
        {
          type: fc.oneof(fc.constantFrom('openai', 'anthropic', 'ollama', 'bedrock'), text),
          api_key: marker,
        },
        { requiredKeys: [] },
      ),
      { maxKeys: 3 },
    ),
    models: fc.dictionary(modelName, model, { maxKeys: 4 }),
    routing: fc.record(
      {
        routes: fc.dictionary(
          text,
          fc.record({
            strategy: fc.constantFrom('single', 'fallback', 'loadbalance', 'other'),
            targets: fc.array(fc.record({ model: modelName }), { maxLength: 3 }),
          }),
          { maxKeys: 2 },
        ),
        fallbacks: fc.record({
          general: fc.dictionary(modelName, fc.array(modelName, { maxLength: 2 }), { maxKeys: 3 }),
        }),
      },
      { requiredKeys: [] },
    ),
    budgets: fc.record(
      {
        environment: fc.record({ limit_usd: number }, { requiredKeys: [] }),
        teams: fc.dictionary(text, fc.record({ limit_usd: number }, { requiredKeys: [] }), { maxKeys: 2 }),
      },
      { requiredKeys: [] },
    ),
    prompts: fc.dictionary(
      text,
      fc.record(
        {
          version: fc.oneof(number, fc.constantFrom('1.2.3', 'v1.2.3', '1.2', 'latest', '1..3', '3', 'v')),
          template: text,
        },
        { requiredKeys: [] },
      ),
      { maxKeys: 3 },
    ),
    flags: fc.dictionary(
      fc.oneof(
        fc.constantFrom('debug_logging', 'experimental-tools', 'streaming', 'Debug.Mode', 'x.exp'),
        text,
      ),
      fc.oneof(
        fc.boolean(),
        fc.record({ enabled: fc.boolean(), experimental: fc.boolean() }, { requiredKeys: [] }),
      ),
      { maxKeys: 3 },
    ),
    gateway: fc.record(
      { master_key: marker, nested: fc.array(marker, { maxLength: 2 }) },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

const pointer = fc.oneof(
  fc.constantFrom(
    '/models/gpt-4o/params/temperature',
    '/prompts/answer',
    '/providers/openai/api_key',
    '/',
    '',
    '/models',
  ),
  text,
);
const change = fc.record(
  {
    added: fc.array(pointer, { maxLength: 2 }),
    removed: fc.array(pointer, { maxLength: 2 }),
    changed: fc.array(pointer, { maxLength: 2 }),
  },
  { requiredKeys: [] },
);

const policyInput = fc.record(
  {
    now: fc.oneof(timestamp, fc.constantFrom('garbage', 42)),
    action: fc.constantFrom('change', 'promote', 'delete'),
    actor: fc.record({ id: member }, { requiredKeys: [] }),
    approvals: fc.array(fc.record({ by: member, at: timestamp }, { requiredKeys: [] }), { maxLength: 3 }),
    environment: env,
    source_environment: env,
    config: fc.dictionary(env, config, { maxKeys: 2 }),
    change: fc.dictionary(env, change, { maxKeys: 2 }),
  },
  { requiredKeys: [] },
);

/** Inputs: mostly policy-shaped, some arbitrary JSON, and the adversarial values the SDK mishandles. */
const anyInput = fc.oneof(
  { weight: 8, arbitrary: policyInput },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, false, '', null, [], {}, 'prod', -0) },
);

const fixed: unknown[] = [
  0,
  false,
  '',
  null,
  [],
  {},
  { now: '2026-11-27T10:00:00Z' },
  { config: 'not-an-object', change: 7 },
];

describeWithTools(['opa'], 'parity: wasm in-process vs opa eval', () => {
  let engine: PolicyEngine;
  beforeAll(async () => {
    engine = await loadPolicyEngine({ root: projectRoot, decisionLog: false });
  });

  it('gives the same decision for 300+ generated inputs, adversarial ones included', async () => {
    const seed = Number(process.env.PARITY_SEED ?? Date.now() % 2 ** 31);
    // JSON round trip: both evaluators get exactly the same document (-0 becomes 0, etc.).
    const inputs = [
      ...fixed,
      ...fc.sample(anyInput, { numRuns: Number(process.env.PARITY_RUNS ?? 300), seed }),
    ].map((v) => JSON.parse(JSON.stringify(v)) as unknown);
    const dir = mkdtempSync(join(tmpdir(), 'llmcm-parity-'));
    writeFileSync(join(dir, 'parity.json'), JSON.stringify({ parity_inputs: inputs }));
    const query =
      `config := {i: r | some i, x in data.parity_inputs; r := data.llmcm.config.result with input as x}; ` +
      `access := {i: r | some i, x in data.parity_inputs; r := data.llmcm.access.decision with input as x}`;
    const run = await runOpa(
      toolPath('opa')!,
      [
        'eval',
        '--format',
        'json',
        '--ignore',
        '*_test.rego',
        '-d',
        'policies/rego',
        '-d',
        'policies/data',
        '-d',
        join(dir, 'parity.json'),
        query,
      ],
      { cwd: projectRoot },
    );
    expect(run.stderr).toBe('');
    const bindings = (
      JSON.parse(run.stdout) as { result: Array<{ bindings: Record<string, Record<string, unknown>> }> }
    ).result[0]!.bindings;
    let compared = 0;
    for (const [name, entrypoint] of Object.entries(entrypoints)) {
      const reference = bindings[name]!;
      inputs.forEach((input, i) => {
        const wasm = engine.evaluateRaw(entrypoint, input);
        const go = reference[String(i)];
        const context = `seed ${seed}, ${entrypoint}, input #${i}: ${JSON.stringify(input).slice(0, 400)}`;
        expect(normalize(wasm), context).toEqual(normalize(go));
        compared++;
      });
    }
    expect(compared).toBe(inputs.length * 2);
    // The generated inputs must exercise the rules, not only the empty paths.
    const denials = inputs.filter(
      (input) =>
        ((bindings.config![String(inputs.indexOf(input))] as { deny?: unknown[] })?.deny ?? []).length > 0,
    );
    expect(denials.length).toBeGreaterThan(50);
  });
});
