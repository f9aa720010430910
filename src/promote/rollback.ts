import { listRecords, type StoredRecord } from '../audit/record.js';
import { LlmcmError } from '../core/errors.js';
import type { Repository } from '../repo/repository.js';

/**
 * The promotion a rollback returns to: `--to` (a promotion id or record id prefix), or else the
 * newest successful promotion whose source differs from the current one.
 */
export async function findRollbackTarget(
  repo: Repository,
  environment: string,
  to: string | undefined,
): Promise<StoredRecord> {
  const succeeded = (await listRecords(repo, environment)).filter((r) => r.result === 'succeeded');
  if (to) {
    const match = succeeded.find((r) => r.promotionId === to || r.oid.startsWith(to.toLowerCase()));
    if (!match) {
      throw new LlmcmError(`no successful promotion '${to}' in the history of '${environment}'`, {
        code: 'PROMOTION_NOT_FOUND',
        kind: 'input',
        hint: `list them with 'llmcm history ${environment}'`,
      });
    }
    return match;
  }
  const current = succeeded[0];
  const previous = succeeded.find((r) => current && r.source !== current.source);
  if (!previous) {
    throw new LlmcmError(`'${environment}' has no earlier promotion to roll back to`, {
      code: 'PROMOTION_NOT_FOUND',
      kind: 'input',
      hint: `list promotions with 'llmcm history ${environment}'`,
    });
  }
  return previous;
}
