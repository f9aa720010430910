import { verifyRecords } from '../../audit/verify.js';
import { openRepository } from '../../repo/repository.js';
import type { CommandSpec } from '../command.js';

/** `llmcm audit verify`: checks the promotion record chains. */
export const auditVerifyCommand: CommandSpec = {
  name: 'audit verify',
  summary: 'check that the promotion record chain is intact (parents, source commits, plan hashes, rewrites)',
  usage: 'audit verify',
  details: 'Exit codes: 0 intact, 1 problems found (each printed with its record), 2 not a git repo.',
  options: {},
  maxArgs: 0,
  async run(context) {
    const repo = await openRepository(context.cwd);
    const report = await verifyRecords(repo);
    for (const e of report.environments) {
      context.stdout.write(`${e.environment}: ${e.records} record(s), head ${e.head.slice(0, 12)}\n`);
    }
    for (const p of report.problems) {
      context.stdout.write(`${p.severity}: ${p.environment} ${p.record.slice(0, 12)}: ${p.message}\n`);
    }
    if (report.environments.length === 0) context.stdout.write('no promotion records\n');
    context.stdout.write(report.ok ? 'record chain intact\n' : 'record chain NOT intact\n');
    return report.ok ? 0 : 1;
  },
};
