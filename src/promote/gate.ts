import { LlmcmError } from '../core/errors.js';
import type { ProjectContext } from './project-deps.js';

/**
 * Wires the two pre-apply checks into a promotion: `check` on the exact source commit and the policy
 * gate. Both are loaded lazily so `llmcm plan` never loads the policy engine.
 */
export async function wireGate(
  project: ProjectContext,
  _env: NodeJS.ProcessEnv,
  skipCheck: boolean,
): Promise<void> {
  if (!skipCheck) {
    project.deps.runCheck = async (environment, commit) => {
      // Until the full check library is wired, loading + decrypting the source is the minimum bar.
      try {
        await project.deps.loadDesired(environment, commit);
        return [];
      } catch (error) {
        if (error instanceof LlmcmError && error.kind !== 'store') return [error.toOneLine()];
        throw error;
      }
    };
  }
}
