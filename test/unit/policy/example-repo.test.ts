import { describe, expect, it } from 'vitest';
import { loadEnvironment } from '../../../src/config/environment.js';
import { loadProject } from '../../../src/config/project.js';
import { createPromotionInput, runPolicyStage } from '../../../src/policy/index.js';
import { projectRoot } from '../../support/tools.js';
import { loadRepoEngine } from './policy-fixtures.js';

// The example config repo (environments/) against this repo's policies, keyless: what `llmcm check`
// and the demo's promotions see.
describe('the example config repo under its policies', () => {
  it('has no policy errors, and the one warning is the deliberately expired exemption', async () => {
    const project = await loadProject(projectRoot);
    const environments = [];
    for (const e of project.environments) environments.push(await loadEnvironment(project, e.name));
    const engine = await loadRepoEngine();
    const result = await runPolicyStage({
      root: projectRoot,
      engine,
      environments,
      now: '2026-11-27T10:00:00Z',
    });
    expect(result.findings.map((f) => `${f.severity} ${f.ruleId} ${f.file}`)).toEqual([
      'warning exemption-expired policies/data/exemptions.yaml',
    ]);
    // Every rule reports a pass for each environment it could check.
    const envs = new Set(result.passes.map((p) => p.env));
    expect([...envs].sort()).toEqual(['dev', 'prod', 'staging']);
    expect(result.passes.filter((p) => p.env === 'prod').length).toBe(11);
  });

  it('a prod change during the year-end freeze is denied, with the freeze named', async () => {
    const project = await loadProject(projectRoot);
    const prod = await loadEnvironment(project, 'prod');
    const engine = await loadRepoEngine();
    const result = await runPolicyStage({
      root: projectRoot,
      engine,
      environments: [prod],
      change: { prod: { changed: ['/models/gpt-4o/params/temperature'] } },
      now: '2026-12-24T12:00:00Z',
    });
    const errors = result.findings.filter((f) => f.severity === 'error');
    expect(errors.map((f) => f.ruleId)).toEqual(['change-window']);
    expect(errors[0]!.message).toContain('year-end freeze');
  });

  it('the demo cast may promote through dev, staging and prod', async () => {
    const engine = await loadRepoEngine();
    const gate = (
      actor: string,
      environment: string,
      sourceEnvironment: string | undefined,
      approvers: string[],
    ) =>
      engine.evaluateAccess(
        createPromotionInput({
          actor,
          environment,
          ...(sourceEnvironment ? { sourceEnvironment } : {}),
          approvals: approvers.map((by) => ({ by, at: '2026-11-27T09:00:00Z' })),
          now: '2026-11-27T10:00:00Z',
        }),
      );
    expect(gate('rita', 'dev', undefined, []).allowed).toBe(true);
    expect(gate('rita', 'staging', 'dev', ['carol']).allowed).toBe(true);
    expect(gate('ravi', 'prod', 'staging', ['rita', 'sam']).allowed).toBe(true);
    expect(gate('ravi', 'prod', 'staging', ['sam']).reasons).toEqual([
      'promotion to prod needs 1 approval(s) from a release-manager',
      'promotion to prod needs 2 approval(s) from role holders other than the actor; it has 1',
    ]);
  });
});
