import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPolicyStageRunner } from '../../../src/check/policy-seam.js';
import { checkExitCode, runCheck } from '../../../src/check/run-check.js';
import { renderReport } from '../../../src/report/index.js';
import { projectRoot } from '../../support/tools.js';

// A copy of this repo (environments, schemas, policies with their committed wasm bundle) where prod
// turns on a debug flag, which the no-debug-flags policy denies.
const scratch = mkdtempSync(join(tmpdir(), 'llmcm-check-policy-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
for (const part of ['llmcm.yaml', 'environments', 'schemas', 'policies'])
  cpSync(join(projectRoot, part), join(scratch, part), { recursive: true });
writeFileSync(
  join(scratch, 'llmcm.yaml'),
  readFileSync(join(scratch, 'llmcm.yaml'), 'utf8').replace('encryption: required', 'encryption: optional'),
);
// A plaintext secret the check reads (and the policy input redacts): it must appear in no report.
const canary = 'CANARY-sk-live-7f3a9c1e5b2d4f6a8c0e';
writeFileSync(
  join(scratch, 'environments/prod/flags.yaml'),
  `debug_logging:\n  enabled: true\nrollout_token: ${canary}\n`,
);

describe('llmcm check includes the policy stage (src/policy, wasm in-process)', () => {
  it('reports a policy deny as an error finding in the shared report formats', async () => {
    const result = await runCheck({
      root: scratch,
      fingerprintKey: new Uint8Array(32),
      policy: createPolicyStageRunner({ env: process.env, now: '2026-06-01T00:00:00Z' }),
    });
    expect(result.policySkipped).toBeUndefined();
    const denies = result.findings.filter((f) => f.stage === 'policy' && f.severity === 'error');
    expect(denies.map((f) => f.ruleId)).toContain('no-debug-flags');
    expect(checkExitCode(result.findings, false)).toBe(1);
    const sarif = JSON.parse(renderReport('sarif', { title: 'llmcm check', findings: result.findings }));
    expect(sarif.runs[0].results.some((r: { ruleId: string }) => r.ruleId === 'no-debug-flags')).toBe(true);
  });

  it('carries the policy passes per rule and file into json, junit and sarif, value-free', async () => {
    const result = await runCheck({
      root: scratch,
      fingerprintKey: new Uint8Array(32),
      policy: createPolicyStageRunner({ env: process.env, now: '2026-06-01T00:00:00Z' }),
    });
    expect(result.passes.length).toBeGreaterThan(0);
    for (const p of result.passes) {
      expect(Object.keys(p).sort()).toEqual(['environment', 'file', 'ruleId', 'stage']);
      expect(p.stage).toBe('policy');
    }
    // The denied rule passes where it held (staging) and not where it denied (prod).
    const debugPasses = result.passes.filter((p) => p.ruleId === 'no-debug-flags');
    expect(debugPasses.map((p) => p.environment)).toContain('staging');
    expect(debugPasses.map((p) => p.environment)).not.toContain('prod');
    const sample = result.passes.find((p) => p.environment === 'dev') ?? result.passes[0]!;
    const input = { title: 'llmcm check', findings: result.findings, passes: result.passes };

    const json = renderReport('json', input);
    const parsed = JSON.parse(json);
    expect(parsed.passes).toContainEqual(sample);
    expect(parsed.findings.length).toBe(result.findings.length);

    const junit = renderReport('junit', input);
    expect(junit).toContain(`classname="${sample.file}" name="${sample.ruleId} passes [`);
    expect(junit).toMatch(/<failure message="[^"]*" type="no-debug-flags">/);

    const sarif = JSON.parse(renderReport('sarif', input));
    const run = sarif.runs[0];
    const pass = run.results.find(
      (r: {
        kind?: string;
        ruleId: string;
        locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
      }) =>
        r.kind === 'pass' &&
        r.ruleId === sample.ruleId &&
        r.locations[0]?.physicalLocation.artifactLocation.uri === sample.file,
    );
    expect(pass.level).toBe('none');
    expect(run.tool.driver.rules[pass.ruleIndex].id).toBe(sample.ruleId);

    const text = renderReport('text', input);
    expect(text).toMatch(/^policy \(prod\): \d+ rules passed, \d+ warned, [1-9]\d* denied$/m);
    expect(text).toMatch(/^policy \(dev\): \d+ rules passed, \d+ warned, \d+ denied$/m);

    // Canary: the plaintext secret was read (the plaintext-secret check saw the file) but no format shows it.
    expect(result.files).toContain('environments/prod/flags.yaml');
    for (const out of [json, junit, JSON.stringify(sarif), text, renderReport('github', input)])
      expect(out).not.toContain(canary);
  });

  it('is skipped, and says so, for a project without policies', async () => {
    const result = await runCheck({
      root: join(projectRoot, 'test/fixtures/check/planted'),
      fingerprintKey: new Uint8Array(32),
      policy: createPolicyStageRunner({ env: process.env }),
    });
    expect(result.policySkipped).toBe('no policies in this project');
  });
});
