import { findRollbackTarget } from '../../promote/rollback.js';
import { type CommandSpec, stringOption } from '../command.js';
import { promotionOptions, runPromotion } from './promote.js';

/** `llmcm rollback <env>`: a promotion of an earlier source, through the same gate. */
export const rollbackCommand: CommandSpec = {
  name: 'rollback',
  summary: 'promote the source of an earlier promotion again (same check, gate, lock and record)',
  usage: 'rollback ENV [--to PROMOTION] --actor NAME [--approval ID]...',
  details:
    'Without --to, returns to the newest successful promotion whose source differs from the current one.',
  options: {
    to: { type: 'string', description: 'promotion id or record id to return to', valueName: 'PROMOTION' },
    ...promotionOptions,
  },
  minArgs: 1,
  maxArgs: 1,
  async run(context) {
    const environment = context.positionals[0]!;
    return runPromotion(context, environment, 'rollback', async ({ repo }) => {
      const target = await findRollbackTarget(repo, environment, stringOption(context, 'to'));
      return { commit: target.source, description: `promotion ${target.promotionId}` };
    });
  },
};
