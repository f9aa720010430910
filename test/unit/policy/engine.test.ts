import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isLlmcmError } from '../../../src/core/errors.js';
import { hashCanonical, type PolicyEngine } from '../../../src/policy/index.js';
import { changeInput, goodProdConfig, loadRepoEngine, promoteInput, scratchDir } from './policy-fixtures.js';

let engine: PolicyEngine;
let logPath: string;

beforeAll(async () => {
  logPath = join(scratchDir(), 'decisions.jsonl');
  engine = await loadRepoEngine(logPath);
});

function thrown(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('policy engine over the committed bundle (Node alone, no opa on PATH)', () => {
  it('uses the committed bundle, which is fresh and needs no host builtins', () => {
    expect(engine.stale).toBe(false);
    expect(engine.requiredHostBuiltins()).toEqual([]);
    expect(engine.entrypoints).toEqual(
      expect.arrayContaining([
        'llmcm/access/decision',
        'llmcm/config/deny',
        'llmcm/config/result',
        'llmcm/config/warn',
      ]),
    );
  });

  it('passes a good production config and reports passes per rule and file', () => {
    const result = engine.evaluateConfigPolicies(
      changeInput('prod', goodProdConfig(), { files: { prod: { models: 'environments/prod/models.yaml' } } }),
    );
    expect(result.deny).toEqual([]);
    expect(result.passes).toContainEqual({
      id: 'approved-model',
      env: 'prod',
      file: 'environments/prod/models.yaml',
    });
    expect(result.passes).toContainEqual({ id: 'secret-encrypted', env: 'prod', file: 'environments/prod' });
  });

  it('denies with conftest-shaped objects', () => {
    const config = goodProdConfig();
    (config.models as Record<string, { params: Record<string, unknown> }>)['gpt-4o']!.params.temperature =
      1.7;
    const result = engine.evaluateConfigPolicies(changeInput('prod', config));
    expect(result.deny).toEqual([
      expect.objectContaining({
        id: 'param-range',
        path: '/models/gpt-4o/params/temperature',
        file: 'environments/prod',
        severity: 'medium',
        details: { param: 'temperature', value: 1.7, min: 0, max: 1 },
      }),
    ]);
    expect(Object.keys(result.deny[0]!).sort()).toEqual([
      'details',
      'env',
      'file',
      'id',
      'msg',
      'path',
      'severity',
    ]);
  });

  it('gates promotions: two approvals incl. a release manager, no self-approval', () => {
    const ok = engine.evaluateAccess(promoteInput('rita', ['ravi', 'carol']));
    expect(ok.allowed).toBe(true);
    expect(ok.reasons).toEqual([
      "actor 'rita' holds release-manager",
      'approved by carol',
      'approved by ravi',
    ]);
    const self = engine.evaluateAccess(promoteInput('rita', ['rita', 'ravi']));
    expect(self.allowed).toBe(false);
    expect(self.deny.map((d) => d.id)).toEqual(['approvals-missing']);
    expect(self.notes).toEqual(['a self-approval was given and does not count']);
    const editors = engine.evaluateAccess(promoteInput('rita', ['carol', 'dana']));
    expect(editors.deny.map((d) => d.id)).toEqual(['approvals-role-missing']);
  });

  it('evaluates freezes against input.now only', () => {
    const frozen = engine.evaluateAccess(promoteInput('rita', ['ravi', 'carol'], '2026-12-24T12:00:00Z'));
    expect(frozen.allowed).toBe(false);
    expect(frozen.deny.map((d) => d.id)).toEqual(['change-window']);
  });

  it('writes OPA-shaped decision records with the input hash, never the input', () => {
    const input = changeInput('prod', goodProdConfig(), { actor: { id: 'carol' } });
    const { decision } = engine.evaluateConfigPolicies(input);
    expect(decision.decision_id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(decision.path).toBe('llmcm/config/result');
    expect(decision.input_sha256).toBe(hashCanonical(input));
    expect(decision.erased).toEqual(['/input']);
    expect(decision.bundles.llmcm.revision).toMatch(/^([0-9a-f]{40}|unknown)$/);
    expect(decision.policy.wasm_sha256).toBe(engine.manifest.policy_wasm_sha256);
    expect(decision.policy.wasm_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(decision.labels).toEqual({ app: 'llmcm', action: 'change', actor: 'carol' });
    expect(Number.isNaN(Date.parse(decision.timestamp))).toBe(false);
    const lines = readFileSync(logPath, 'utf8').trim().split('\n');
    const last = JSON.parse(lines.at(-1)!) as { decision_id: string; input?: unknown };
    expect(last.decision_id).toBe(decision.decision_id);
    expect(last.input).toBeUndefined();
    expect(readFileSync(logPath, 'utf8')).not.toContain('api.openai.com');
  });

  it('refuses an input that does not match the schema, naming the pointer', () => {
    const error = thrown(() =>
      engine.evaluateConfigPolicies({ now: 'yesterday', action: 'change', config: {} }),
    );
    expect(isLlmcmError(error) && error.code).toBe('POLICY_INPUT_INVALID');
    expect((error as Error).message).toContain('/now: must be an RFC 3339 UTC timestamp');
    const promote = thrown(() =>
      engine.evaluateAccess({ now: '2026-11-27T10:00:00Z', action: 'promote', config: {} }),
    );
    expect((promote as Error).message).toContain("must have required property 'actor'");
  });

  it('refuses an input carrying a plain value under a secret key, without printing it', () => {
    const config = goodProdConfig();
    (config.providers as Record<string, Record<string, unknown>>).openai!.api_key = 'sk-canary-0123456789';
    const error = thrown(() => engine.evaluateConfigPolicies(changeInput('prod', config)));
    expect(isLlmcmError(error) && error.code).toBe('POLICY_INPUT_UNREDACTED');
    expect((error as Error).message).toContain('/config/prod/providers/openai/api_key');
    expect(
      JSON.stringify(error) + (error as Error).message + (error as { hint?: string }).hint,
    ).not.toContain('sk-canary');
  });

  it('names the entrypoints when one is missing', () => {
    const error = thrown(() => engine.evaluateRaw('llmcm/nope', {}));
    expect(isLlmcmError(error) && error.code).toBe('POLICY_ENTRYPOINT_MISSING');
    expect((error as { hint: string }).hint).toContain('llmcm/config/result');
  });

  it('keeps wasm memory flat across 100,000 evaluations', () => {
    const input = promoteInput('rita', ['ravi', 'carol']);
    for (let i = 0; i < 1_000; i++) engine.evaluateRaw('llmcm/access/decision', input);
    const before = engine.memoryBytes;
    let allowed = 0;
    for (let i = 0; i < 100_000; i++) {
      if ((engine.evaluateRaw('llmcm/access/decision', input) as { allowed: boolean }).allowed) allowed++;
    }
    expect(allowed).toBe(100_000);
    expect(engine.memoryBytes).toBe(before);
  });

  it('keeps memory flat for the larger config input too', () => {
    const input = changeInput('prod', goodProdConfig());
    for (let i = 0; i < 200; i++) engine.evaluateRaw('llmcm/config/result', input);
    const before = engine.memoryBytes;
    for (let i = 0; i < 5_000; i++) engine.evaluateRaw('llmcm/config/result', input);
    expect(engine.memoryBytes).toBe(before);
  });
});
