import { listRecords } from '../../audit/record.js';
import { readLock } from '../../promote/lock.js';
import { loadProjectContext } from '../../promote/project-deps.js';
import { assertEnvironment } from '../../promote/promote.js';
import type { CommandSpec } from '../command.js';
import { textOrJsonFormat, textOrJsonFormatOption } from '../shared-options.js';

/** `llmcm history <env>`: the promotion records of an environment, newest first. */
export const historyCommand: CommandSpec = {
  name: 'history',
  summary: 'list the promotions (and failed attempts) of an environment from its git record',
  usage: 'history ENV [--format text|json]',
  options: { format: textOrJsonFormatOption },
  minArgs: 1,
  maxArgs: 1,
  async run(context) {
    const environment = context.positionals[0]!;
    const format = textOrJsonFormat(context);
    const { deps, repo } = await loadProjectContext({ cwd: context.cwd, env: context.env });
    assertEnvironment(deps, environment);
    const records = await listRecords(repo, environment);
    const lock = await readLock(repo, environment);
    if (format === 'json') {
      const rows = records.map(({ trailers: _t, ...r }) => r);
      context.stdout.write(`${JSON.stringify({ environment, lock, promotions: rows }, null, 2)}\n`);
      return 0;
    }
    if (lock) {
      context.stdout.write(
        `LOCKED by ${lock.holder.actor} (promotion ${lock.holder.promotionId}, pid ${lock.holder.pid} on ${lock.holder.host})${lock.staleReason ? ` — stale: ${lock.staleReason}` : ''}\n`,
      );
    }
    if (records.length === 0) context.stdout.write(`no promotions recorded for ${environment}\n`);
    for (const r of records) {
      const writes = r.stores.reduce((n, s) => n + s.writes, 0);
      context.stdout.write(
        `${r.startedAt}  ${r.result.padEnd(11)} ${r.operation.padEnd(8)} ${r.source.slice(0, 12)}  by ${r.actor}  ${r.promotionId}  ` +
          `stores ${r.stores.map((s) => `${s.store}:${s.outcome}`).join(',')}  writes ${writes}  ${r.durationMs} ms  record ${r.oid.slice(0, 12)}${r.error ? `  — ${r.error}` : ''}\n`,
      );
    }
    return 0;
  },
};
