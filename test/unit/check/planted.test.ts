import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../../src/check/run-check.js';
import { projectRoot } from '../../support/tools.js';

const root = join(projectRoot, 'test', 'fixtures', 'check', 'planted');

describe('llmcm check on planted errors: one per category, at the exact file:line:column', async () => {
  const result = await runCheck({ root, fingerprintKey: new Uint8Array(32) });
  const at = (ruleId: string) =>
    result.findings
      .filter((f) => f.ruleId === ruleId)
      .map((f) => `${f.file}:${f.line}:${f.column} ${f.path ?? ''}`);

  it.each([
    ['schema/maximum', 'environments/prod/models.yaml:3:18 /models/gpt-4o/params/temperature'],
    ['schema/additionalProperties', 'environments/prod/models.yaml:4:5 /models/gpt-4o/params/temprature'],
    ['schema/encrypted-type', 'environments/prod/gateway.yaml:2:24 /gateway/max_parallel_requests'],
    ['semantic/unknown-provider', 'environments/_base/models.yaml:6:13 /models/claude/provider'],
    ['semantic/unknown-target', 'environments/prod/routing.yaml:7:16 /routing/routes/chat/targets/1/model'],
    [
      'semantic/weight-not-positive',
      'environments/prod/routing.yaml:6:17 /routing/routes/chat/targets/0/weight',
    ],
    ['semantic/fallback-cycle', 'environments/prod/routing.yaml:15:14 /routing/fallbacks/general/claude/0'],
    [
      'semantic/model-not-allowed',
      'environments/prod/routing.yaml:11:16 /routing/routes/labs/targets/0/model',
    ],
    ['semantic/prompt-undeclared-variable', 'environments/prod/prompts.yaml:3:13 /prompts/answer/template'],
    ['semantic/budget-exceeded', 'environments/prod/budgets.yaml:2:14 /budgets/environment/limit_usd'],
    ['semantic/plaintext-secret', 'environments/prod/providers.yaml:2:12 /providers/openai/api_key'],
  ])('%s at %s', (ruleId, expected) => {
    expect(at(ruleId)).toEqual([expected]);
  });

  it('names the layer, a fix hint, and the cycle', () => {
    const cycle = result.findings.find((f) => f.ruleId === 'semantic/fallback-cycle')!;
    expect(cycle.message).toContain('claude → gpt-4o → claude');
    const typo = result.findings.find((f) => f.ruleId === 'schema/additionalProperties')!;
    expect([typo.layer, typo.hint]).toEqual(['prod', "did you mean 'temperature'?"]);
    expect(result.findings.find((f) => f.ruleId === 'semantic/unknown-provider')!.layer).toBe('_base');
  });

  it('reports a shared base-layer finding once, naming every environment it affects', () => {
    const provider = result.findings.filter((f) => f.ruleId === 'semantic/unknown-provider');
    expect(provider).toHaveLength(1);
    expect(provider[0]!.properties?.environments).toEqual(['dev', 'prod']);
  });

  it('lists plaintext-only constraints on encrypted values as not checked', () => {
    expect(at('schema/not-checked-encrypted')).toContain(
      'environments/prod/gateway.yaml:1:13 /gateway/master_key',
    );
    const note = result.findings.find((f) => f.path === '/gateway/master_key')!;
    expect([note.severity, note.message]).toEqual([
      'info',
      '/gateway/master_key: not checked: encrypted (minLength)',
    ]);
  });

  it('never prints the plaintext secret it found', () => {
    expect(JSON.stringify(result.findings)).not.toContain('PLANTEDplaintext');
  });
});
