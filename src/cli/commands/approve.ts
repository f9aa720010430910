import { usageError } from '../../core/errors.js';
import { recordApproval } from '../../promote/approvals.js';
import { loadProjectContext } from '../../promote/project-deps.js';
import { assertEnvironment } from '../../promote/promote.js';
import { resolveCommit } from '../../repo/repository.js';
import { createConfiguredSigner } from '../../repo/signing.js';
import { booleanOption, type CommandSpec, stringOption } from '../command.js';

/** `llmcm approve <env> <source-commit>`: records an approval as a signed-off commit in git. */
export const approveCommand: CommandSpec = {
  name: 'approve',
  summary: 'record your approval of a source commit for an environment (a signed-off commit in git)',
  usage: 'approve ENV SOURCE-COMMIT [--actor NAME]',
  details:
    'Writes a commit on refs/llmcm/approvals/ENV with Llmcm-Approval-Of, Llmcm-Approver and Signed-off-by\n' +
    'trailers. Push refs/llmcm/* to share it. The printed id is what `promote --approval` takes.',
  options: {
    actor: { type: 'string', description: 'who approves (default $LLMCM_ACTOR)', valueName: 'NAME' },
    sign: {
      type: 'boolean',
      description: "sign the approval commit with git's user.signingkey (gpg or ssh)",
    },
  },
  minArgs: 2,
  maxArgs: 2,
  async run(context) {
    const [environment, ref] = context.positionals as [string, string];
    const approver = stringOption(context, 'actor') ?? context.env.LLMCM_ACTOR;
    if (!approver) throw usageError('--actor is required (or set LLMCM_ACTOR)');
    const { deps, repo } = await loadProjectContext({ cwd: context.cwd, env: context.env });
    assertEnvironment(deps, environment);
    const source = await resolveCommit(repo, ref);
    const signer = booleanOption(context, 'sign') ? await createConfiguredSigner(repo) : undefined;
    const approval = await recordApproval(repo, {
      environment,
      source,
      approver,
      identity: deps.identity,
      ...(signer ? { signer } : {}),
    });
    context.stdout.write(
      `approved ${source.slice(0, 12)} for ${environment} as ${approver}: approval ${approval.id}\n`,
    );
    return 0;
  },
};
