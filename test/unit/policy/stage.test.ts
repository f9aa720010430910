import { describe, expect, it } from 'vitest';
import { createCheckInput, formatPolicyTime, runPolicyStage } from '../../../src/policy/index.js';
import { projectRoot } from '../../support/tools.js';
import { goodProdConfig, loadRepoEngine, scratchDir } from './policy-fixtures.js';

const canary = 'sk-live-CANARY-9c1e44aa0b';

interface ProdTree {
  providers: { openai: Record<string, unknown> };
  models: Record<string, { params: Record<string, unknown>; cost: Record<string, unknown> }>;
  gateway: Record<string, unknown>;
}

function prodEnvironment(mutate: (config: ProdTree) => void = () => {}) {
  const tree = goodProdConfig() as unknown as ProdTree;
  tree.providers.openai.api_key = 'ENC[AES256_GCM,data:abc,iv:x,tag:y,type:str]';
  mutate(tree);
  return {
    name: 'prod',
    tree: tree as unknown as Record<string, unknown>,
    secrets: new Map([['/providers/openai/api_key', 'str']]),
    files: [
      { file: 'environments/_base/models.yaml', layer: '_base', kind: 'models' },
      { file: 'environments/prod/models.yaml', layer: 'prod', kind: 'models' },
    ],
    provenance: new Map([
      [
        '/models/gpt-4o/params/temperature',
        { file: 'environments/prod/models.yaml', line: 4, column: 20, layer: 'prod' },
      ],
      ['/gateway', { file: 'environments/prod/gateway.yaml', line: 1, column: 1, layer: 'prod' }],
    ]),
  };
}

describe('runPolicyStage (what llmcm check calls)', () => {
  it('turns denials into findings located by provenance', async () => {
    const env = prodEnvironment((t) => {
      t.models['gpt-4o']!.params.temperature = 1.9;
    });
    const result = await runPolicyStage({
      root: projectRoot,
      environments: [env],
      now: '2026-11-27T10:00:00Z',
      decisionLog: false,
      env: { PATH: '' },
    });
    expect(result.findings.filter((f) => f.severity === 'error')).toEqual([
      expect.objectContaining({
        stage: 'policy',
        ruleId: 'param-range',
        severity: 'error',
        file: 'environments/prod/models.yaml',
        line: 4,
        column: 20,
        layer: 'prod',
        path: '/models/gpt-4o/params/temperature',
        message:
          "temperature of model 'gpt-4o' is outside the range allowed in prod (value 1.9, allowed 0..1)",
      }),
    ]);
    expect(result.findings[0]!.properties?.decisionId).toBe(result.decisions[0]!.decision_id);
    expect(result.passes.length).toBeGreaterThan(5);
  });

  it('a plaintext secret is a finding that never shows the value (canary)', async () => {
    const env = prodEnvironment((t) => {
      t.gateway.webhook_secret = canary;
    });
    const log = `${scratchDir()}/decisions.jsonl`;
    const result = await runPolicyStage({
      root: projectRoot,
      environments: [env],
      now: '2026-11-27T10:00:00Z',
      decisionLog: log,
      env: { PATH: '' },
    });
    expect(
      result.findings.filter((f) => f.severity === 'error').map((f) => [f.ruleId, f.path, f.file, f.line]),
    ).toEqual([['secret-encrypted', '/gateway/webhook_secret', 'environments/prod/gateway.yaml', 1]]);
    const everything = JSON.stringify(result) + (await import('node:fs')).readFileSync(log, 'utf8');
    expect(everything).not.toContain(canary);
  });

  it('checks access when an actor and a change are given', async () => {
    const engine = await loadRepoEngine();
    const result = await runPolicyStage({
      root: projectRoot,
      engine,
      environments: [prodEnvironment()],
      change: { prod: { changed: ['/models/gpt-4o/params/temperature', '/prompts/answer/version'] } },
      actor: 'carol',
      now: '2026-11-27T10:00:00Z',
    });
    expect(
      result.findings.filter((f) => f.severity === 'error').map((f) => [f.ruleId, f.path, f.file]),
    ).toEqual([
      ['access/change-not-granted', '/models/gpt-4o/params/temperature', 'environments/prod/models.yaml'],
    ]);
    expect(result.decisions.map((d) => d.path)).toEqual(['llmcm/config/result', 'llmcm/access/decision']);
  });

  it('dry-run rules and expired exemptions are warnings with a hint', async () => {
    const engine = await loadRepoEngine();
    const env = prodEnvironment((t) => {
      t.models['gpt-4o']!.cost.output_per_1k = 0.2;
    });
    const result = await runPolicyStage({
      root: projectRoot,
      engine,
      environments: [env],
      now: '2026-11-27T10:00:00Z',
    });
    const warnings = result.findings.filter((f) => f.severity === 'warning').map((f) => [f.ruleId, f.file]);
    expect(warnings).toEqual([
      ['model-cost', 'environments/prod/models.yaml'],
      ['exemption-expired', 'policies/data/exemptions.yaml'],
    ]);
    expect(result.findings.find((f) => f.ruleId === 'model-cost')?.hint).toContain('dry-run');
  });

  it('skips a project without policies', async () => {
    const result = await runPolicyStage({ root: scratchDir(), environments: [] });
    expect(result.skipped).toMatch(/no policies/);
  });

  it('builds the input the schema describes, with seconds-precision UTC time', () => {
    expect(formatPolicyTime(new Date('2026-11-27T10:00:00.123Z'))).toBe('2026-11-27T10:00:00Z');
    const input = createCheckInput({
      environments: [prodEnvironment()],
      now: '2026-11-27T10:00:00Z',
      change: { prod: { added: ['/x'] } },
    });
    expect(input.change).toEqual({ prod: { added: ['/x'], removed: [], changed: [] } });
    expect(input.files).toEqual({ prod: { models: 'environments/prod/models.yaml' } });
    expect(JSON.stringify(input)).not.toContain('ENC[');
  });
});
