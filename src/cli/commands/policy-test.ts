import { usageError } from '../../core/errors.js';
import type { CommandSpec } from '../command.js';
import { stringOption } from '../command.js';

/** `llmcm policy test`: Rego unit tests with a coverage threshold (`opa test --coverage --threshold`). */
export const policyTestCommand: CommandSpec = {
  name: 'policy test',
  summary: 'run the Rego unit tests with the pinned opa and enforce a coverage threshold',
  usage: 'policy test [--threshold N]',
  options: {
    threshold: { type: 'string', description: 'minimum coverage in percent (default 90)', valueName: 'N' },
  },
  maxArgs: 0,
  async run(context) {
    const raw = stringOption(context, 'threshold');
    const threshold = raw === undefined ? 90 : Number(raw);
    if (!Number.isFinite(threshold) || threshold < 0 || threshold > 100)
      throw usageError('--threshold must be a number from 0 to 100');
    const { runPolicyTests } = await import('../../policy/policy-test.js');
    const result = await runPolicyTests({ root: context.cwd, threshold, env: context.env });
    for (const failure of result.failed) {
      context.stdout.write(
        `FAIL ${failure.package}.${failure.name}${failure.location ? ` (${failure.location})` : ''}\n`,
      );
    }
    context.stdout.write(
      `${result.passed} passed, ${result.failed.length} failed; coverage ${result.coverage.toFixed(1)}% (threshold ${threshold}%)\n`,
    );
    if (result.coverage < threshold)
      context.stdout.write(`coverage is below the threshold of ${threshold}%\n`);
    return result.ok ? 0 : 1;
  },
};
