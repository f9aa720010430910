import { resolve } from 'node:path';
import { writeDriftMetrics } from '../../metrics/drift-metrics.js';
import { metricsFileOption } from '../../metrics/exposition.js';
import { detectDrift } from '../../promote/drift.js';
import { loadProjectContext } from '../../promote/project-deps.js';
import { type CommandSpec, stringOption } from '../command.js';
import { textOrJsonFormat, textOrJsonFormatOption } from '../shared-options.js';

/** `llmcm drift <env>`: compares each store with the last promotion; exit 1 on difference. */
export const driftCommand: CommandSpec = {
  name: 'drift',
  summary: 'compare what the stores hold with the last promotion (exit 1 when they differ)',
  usage: 'drift ENV [--format text|json]',
  options: {
    format: textOrJsonFormatOption,
    'metrics-file': metricsFileOption,
  },
  minArgs: 1,
  maxArgs: 1,
  async run(context) {
    const environment = context.positionals[0]!;
    const format = textOrJsonFormat(context);
    const { deps } = await loadProjectContext({ cwd: context.cwd, env: context.env });
    const report = await detectDrift(deps, environment);
    if (format === 'json') {
      context.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      const p = report.promotion;
      context.stdout.write(
        `drift for ${environment} against ${p ? `promotion ${p.promotionId} (${p.source.slice(0, 12)})` : 'no promotion yet'}\n`,
      );
      for (const s of report.stores) {
        context.stdout.write(`  ${s.store}: ${s.status}\n`);
        for (const r of s.reasons) context.stdout.write(`    ${r}\n`);
        for (const c of s.changes)
          context.stdout.write(
            `    ${c.action === 'add' ? 'missing' : c.action === 'delete' ? 'extra' : 'differs'} ${c.key}\n`,
          );
      }
    }
    // Written after the report, drift or not (drift is what the alert is for); a failed write only warns.
    const metricsFile = stringOption(context, 'metrics-file');
    if (metricsFile)
      await writeDriftMetrics(resolve(context.cwd, metricsFile), report, new Date(), context.stderr);
    return report.drifted ? 1 : 0;
  },
};
