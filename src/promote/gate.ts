import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadEnvironment } from '../config/environment.js';
import { loadProject } from '../config/project.js';
import { adaptTreeReader } from '../config/reader.js';
import { LlmcmError } from '../core/errors.js';
import { createTreeReader, listFilesRecursive, readBlobBytes } from '../repo/tree.js';
import type { ProjectContext } from './project-deps.js';
import type { GateDecision, GateRequest } from './promote.js';

/** Copies the tree of a commit into a temp directory, so `check` runs on exactly that commit. */
async function materializeCommit(project: ProjectContext, commit: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'llmcm-source-'));
  for (const [path, blob] of await listFilesRecursive(project.repo, commit, '')) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, await readBlobBytes(project.repo, blob), { mode: 0o600 });
  }
  return dir;
}

function pointerOf(key: string): string {
  return `/${key
    .split('.')
    .map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1'))
    .join('/')}`;
}

function utcSecond(date: Date | string): string {
  return new Date(date).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Wires the two pre-apply checks into a promotion, both loaded lazily (plan never loads them):
 * - `check` (src/check) on the exact source commit, materialised into a temp directory;
 * - the policy gate (src/policy evaluateAccess) with the current policy bundle of the working tree,
 *   so a source commit cannot loosen the policy that judges it.
 */
export async function wireGate(
  project: ProjectContext,
  env: NodeJS.ProcessEnv,
  options: { identities: string[] },
): Promise<void> {
  const { deps, repo } = project;
  deps.runCheck = async (environment, commit) => {
    const { runCheck } = await import('../check/run-check.js');
    const { createPolicyStageRunner } = await import('../check/policy-seam.js');
    const root = await materializeCommit(project, commit);
    try {
      const result = await runCheck({
        root,
        environment,
        fingerprintKey: deps.fingerprintKey,
        ...(options.identities.length ? { identities: options.identities } : {}),
        policy: createPolicyStageRunner({ env }),
      });
      return result.findings
        .filter((f) => f.severity === 'error')
        .map((f) => `${f.file ?? ''}${f.line ? `:${f.line}` : ''} ${f.ruleId}: ${f.message}`.trim());
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  const { hasPolicies } = await import('../policy/policy-sources.js');
  if (!hasPolicies(repo.dir)) {
    deps.log?.('this project has no policies/: the promotion is not policy-gated');
    return;
  }
  deps.evaluateGate = async (request: GateRequest): Promise<GateDecision> => {
    const { loadPolicyEngine } = await import('../policy/engine.js');
    const { redactConfig } = await import('../policy/redact.js');
    const engine = await loadPolicyEngine({ root: repo.dir, env });
    const reader = adaptTreeReader(createTreeReader(repo, request.source));
    const atSource = await loadProject(repo.dir, { reader });
    // Keyless load: the policy sees encrypted values as markers only, never plaintext.
    const loaded = await loadEnvironment(atSource, request.environment, { reader });
    const change = { added: [] as string[], removed: [] as string[], changed: [] as string[] };
    const seen = new Set<string>();
    for (const store of request.plan.stores) {
      for (const c of store.changes) {
        if (seen.has(c.key)) continue;
        seen.add(c.key);
        change[c.action === 'add' ? 'added' : c.action === 'delete' ? 'removed' : 'changed'].push(
          pointerOf(c.key),
        );
      }
    }
    const input = {
      now: utcSecond(request.now),
      action: 'promote',
      actor: { id: request.actor },
      approvals: request.approvals.map((a) => ({
        by: a.approver,
        at: utcSecond(a.at),
        commit: a.source,
        ref: a.id,
      })),
      environment: request.environment,
      ...(request.sourceEnvironment ? { source_environment: request.sourceEnvironment } : {}),
      source_commit: request.source,
      config: { [request.environment]: redactConfig(loaded.tree, loaded.secrets) },
      change: { [request.environment]: change },
    };
    let result: ReturnType<typeof engine.evaluateAccess>;
    try {
      result = engine.evaluateAccess(input);
    } catch (error) {
      if (error instanceof LlmcmError) throw error;
      throw new LlmcmError(`the policy gate could not evaluate: ${(error as Error).message.split('\n')[0]}`, {
        code: 'GATE_ERROR',
        kind: 'config',
        cause: error,
      });
    }
    return {
      allowed: result.allowed,
      reasons: result.reasons,
      decisionId: result.decision.decision_id,
      bundleSha256: result.decision.policy.bundle_sha256,
    };
  };
}
