import { lastSuccessfulRecord } from '../audit/record.js';
import { LlmcmError } from '../core/errors.js';
import { type Repository, resolveCommit } from '../repo/repository.js';

/** Where a promotion's source commit comes from. */
export interface SourceSelector {
  /** Promote what was last promoted successfully to this environment (dev → staging). */
  from?: string;
  /** Any git ref or commit id. */
  ref?: string;
}

/** The resolved source commit and how it was chosen (for messages and records). */
export interface ResolvedSource {
  commit: string;
  description: string;
  /** Set with `--from`: the environment the source comes from (the gate checks the order). */
  fromEnvironment?: string;
}

/**
 * Resolves `--from ENV` (the source of ENV's last successful promotion), `--ref REF`, or HEAD.
 * With a promotion order, `--from` must be an earlier environment than the target.
 */
export async function resolveSource(
  repo: Repository,
  target: string,
  selector: SourceSelector,
  order: readonly string[],
): Promise<ResolvedSource> {
  if (selector.from && selector.ref) {
    throw new LlmcmError('give either --from or --ref, not both', { code: 'USAGE', kind: 'usage' });
  }
  if (selector.from) {
    const from = selector.from;
    if (order.length > 0) {
      const i = order.indexOf(from);
      const j = order.indexOf(target);
      if (i < 0 || j < 0 || i >= j) {
        throw new LlmcmError(
          `cannot promote from '${from}' to '${target}': the promotion order is ${order.join(' → ')}`,
          {
            code: 'PROMOTION_ORDER',
            kind: 'input',
            hint: `promote from an environment before '${target}' in llmcm.yaml's promotion list`,
          },
        );
      }
    }
    const record = await lastSuccessfulRecord(repo, from);
    if (!record) {
      throw new LlmcmError(`'${from}' has no successful promotion to promote from`, {
        code: 'SOURCE_REF_NOT_FOUND',
        kind: 'input',
        hint: `promote to '${from}' first (llmcm promote ${from} --ref <commit>)`,
      });
    }
    return {
      commit: record.source,
      description: `${from}'s promotion ${record.promotionId}`,
      fromEnvironment: from,
    };
  }
  const ref = selector.ref ?? 'HEAD';
  return { commit: await resolveCommit(repo, ref), description: ref };
}
