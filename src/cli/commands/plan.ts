import { loadProjectContext } from '../../promote/project-deps.js';
import { preparePlan } from '../../promote/promote.js';
import { renderPlanText } from '../../promote/render.js';
import { resolveSource } from '../../promote/source.js';
import { type CommandSpec, stringOption } from '../command.js';
import { sourceOptions, textOrJsonFormat, textOrJsonFormatOption } from '../shared-options.js';

/** `llmcm plan <env>`: desired vs actual per store, redacted, with a plan hash. */
export const planCommand: CommandSpec = {
  name: 'plan',
  summary: 'show what a promotion would change in each store (secrets as keyed fingerprints)',
  usage: 'plan ENV [--from ENV | --ref REF] [--format text|json]',
  details:
    'Compares the desired state rendered from the source commit with what each store holds now.\n' +
    'The plan hash can be passed to `llmcm promote --plan-hash` so that only the reviewed plan is applied.\n' +
    'Exit codes: 0 planned (with or without changes), 1 drift (a store holds values llmcm did not write), 2 bad input, 3 key error, 4 store error.',
  options: {
    ...sourceOptions,
    format: textOrJsonFormatOption,
  },
  minArgs: 1,
  maxArgs: 1,
  async run(context) {
    const format = textOrJsonFormat(context);
    const environment = context.positionals[0]!;
    const { deps, project, repo } = await loadProjectContext({ cwd: context.cwd, env: context.env });
    const { assertEnvironment } = await import('../../promote/promote.js');
    assertEnvironment(deps, environment);
    const source = await resolveSource(
      repo,
      environment,
      { from: stringOption(context, 'from'), ref: stringOption(context, 'ref') },
      project.promotion,
    );
    const prepared = await preparePlan(deps, environment, source.commit);
    await prepared.close();
    const { plan } = prepared;
    if (prepared.lock) {
      const h = prepared.lock.holder;
      context.stderr.write(
        `llmcm: note: ${environment} is locked by ${h.actor} (promotion ${h.promotionId})${prepared.lock.staleReason ? `, stale: ${prepared.lock.staleReason}` : ''}\n`,
      );
    }
    if (format === 'json')
      context.stdout.write(
        `${JSON.stringify({ ...plan, sourceDescription: source.description }, null, 2)}\n`,
      );
    else context.stdout.write(renderPlanText(plan, source.description));
    return plan.drift ? 1 : 0;
  },
};
