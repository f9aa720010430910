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
writeFileSync(join(scratch, 'environments/prod/flags.yaml'), 'debug_logging:\n  enabled: true\n');

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

  it('is skipped, and says so, for a project without policies', async () => {
    const result = await runCheck({
      root: join(projectRoot, 'test/fixtures/check/planted'),
      fingerprintKey: new Uint8Array(32),
      policy: createPolicyStageRunner({ env: process.env }),
    });
    expect(result.policySkipped).toBe('no policies in this project');
  });
});
