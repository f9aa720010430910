import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../core/findings.js';
import type { CheckPass, PolicyStageRunner } from './run-check.js';

/**
 * The policy stage of `llmcm check`, over src/policy's `runPolicyStage`: the loaded environments and
 * the semantic diff (as JSON pointers, never values) go in, deny/warn findings and the passes (rule,
 * file, environment) come out. Loaded lazily
 * so a check without policies never loads the wasm runtime.
 */
export function createPolicyStageRunner(options: {
  env: NodeJS.ProcessEnv;
  now?: Date | string;
  actor?: string;
}): PolicyStageRunner {
  return async ({ root, environments, diffs }) => {
    // The engine (wasm runtime) is only loaded for a project that has policies.
    if (!existsSync(join(root, 'policies'))) return { findings: [], skipped: 'no policies in this project' };
    const { hasPolicies } = await import('../policy/policy-sources.js');
    if (!hasPolicies(root)) return { findings: [], skipped: 'no policies in this project' };
    const { runPolicyStage } = await import('../policy/stage.js');
    const change: Record<string, { added: string[]; removed: string[]; changed: string[] }> = {};
    for (const diff of diffs) {
      const c = { added: [] as string[], removed: [] as string[], changed: [] as string[] };
      for (const k of diff.changes) c[k.change].push(k.pointer);
      change[diff.environment] = c;
    }
    const result = await runPolicyStage({
      root,
      environments,
      ...(diffs.length ? { change } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.actor ? { actor: options.actor } : {}),
      env: options.env,
    });
    const findings: Finding[] = result.findings;
    // Only the identifying strings are copied: whatever else the engine returns never reaches a report.
    const passes: CheckPass[] = result.passes.map((p) => ({
      stage: 'policy',
      ruleId: String(p.id),
      file: String(p.file),
      environment: String(p.env),
    }));
    return { findings, passes, ...(result.skipped ? { skipped: result.skipped } : {}) };
  };
}
