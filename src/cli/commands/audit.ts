import { createAuditDecryptor } from '../../audit/decrypt.js';
import { renderAuditCsv, renderAuditText } from '../../audit/export.js';
import { auditKeys } from '../../audit/key-history.js';
import { usageError } from '../../core/errors.js';
import { loadProjectContext } from '../../promote/project-deps.js';
import { assertEnvironment } from '../../promote/promote.js';
import { type CommandSpec, stringOption } from '../command.js';

/** `llmcm audit`: the history of each key from git, with keyed fingerprints only. */
export const auditCommand: CommandSpec = {
  name: 'audit',
  summary:
    'history of each config key from git: who, when, which commit/PR, which promotions (fingerprints only)',
  usage: 'audit [--env ENV] [--key PATH] [--since DATE] [--format text|json|csv]',
  details:
    'With an age identity (SOPS_AGE_KEY_FILE) secret values are decrypted and fingerprinted, so re-encryption\n' +
    'alone is not reported as a change; without one the ciphertext is fingerprinted and marked as such.',
  options: {
    env: { type: 'string', description: 'only this environment (and the base layer)', valueName: 'ENV' },
    key: { type: 'string', description: 'only this dotted key or key prefix', valueName: 'PATH' },
    since: {
      type: 'string',
      description: 'only changes at or after this date (ISO 8601)',
      valueName: 'DATE',
    },
    format: { type: 'string', description: 'text (default), json or csv', valueName: 'FORMAT' },
  },
  maxArgs: 0,
  async run(context) {
    const format = stringOption(context, 'format') ?? 'text';
    if (!['text', 'json', 'csv'].includes(format))
      throw usageError(`unknown format '${format}'`, 'use text, json or csv');
    const sinceText = stringOption(context, 'since');
    const since = sinceText ? new Date(sinceText) : undefined;
    if (since && Number.isNaN(since.getTime()))
      throw usageError(`--since '${sinceText}' is not a date`, 'use e.g. 2026-01-31');
    const { deps, project, repo } = await loadProjectContext({ cwd: context.cwd, env: context.env });
    const environment = stringOption(context, 'env');
    if (environment) assertEnvironment(deps, environment);
    const decrypt = await createAuditDecryptor(context.env);
    const events = await auditKeys(repo, {
      directory: project.directory,
      base: project.base,
      environments: deps.environments,
      fingerprintKey: deps.fingerprintKey,
      ...(environment ? { environment } : {}),
      ...(stringOption(context, 'key') ? { key: stringOption(context, 'key')! } : {}),
      ...(since ? { since } : {}),
      ...(decrypt ? { decrypt } : {}),
    });
    if (format === 'json') context.stdout.write(`${JSON.stringify(events, null, 2)}\n`);
    else if (format === 'csv') context.stdout.write(renderAuditCsv(events));
    else context.stdout.write(renderAuditText(events));
    return 0;
  },
};
