import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createPolicyStageRunner } from '../../check/policy-seam.js';
import { checkExitCode, runCheck } from '../../check/run-check.js';
import type { EnvironmentDiff } from '../../check/semantic-diff.js';
import { monotonicMs } from '../../core/clock.js';
import { usageError } from '../../core/errors.js';
import { resolveFingerprintKey } from '../../core/fingerprint.js';
import { writeCheckMetrics } from '../../metrics/check-metrics.js';
import { metricsFileOption } from '../../metrics/exposition.js';
import { isReportFormat, renderReport, reportFormats } from '../../report/index.js';
import { loadAgeIdentities } from '../../sops/age-keys.js';
import { booleanOption, type CommandSpec, stringOption } from '../command.js';

/** `llmcm check`: validate the config repo (keyless when no key is present) and report findings. */
export const checkCommand: CommandSpec = {
  name: 'check',
  summary: 'validate environments: schemas, LLM semantics, secret strength and policies (works without keys)',
  usage:
    'check [--env E] [--base REF] [--format text|json|sarif|junit|github] [--fail-on-warn] [--no-passes]',
  details: [
    'Loads every environment (base layer merged), decrypts it when an age key is present',
    '(SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD or ~/.config/sops/age/keys.txt), then validates.',
    "Without keys, structure and each encrypted value's declared type are checked; constraints that",
    'need plaintext are listed as "not checked: encrypted".',
    'With --base REF only environments touched since REF are checked, and a semantic diff is shown',
    '(a changed secret shows as "changed" with a keyed fingerprint, never its value).',
    'Exit codes: 0 clean, 1 findings, 2 usage/config/bad input, 3 decryption/key error.',
  ].join('\n'),
  options: {
    env: { type: 'string', short: 'e', description: 'check only this environment', valueName: 'E' },
    base: {
      type: 'string',
      description: 'check only environments changed since this git ref',
      valueName: 'REF',
    },
    format: {
      type: 'string',
      short: 'f',
      description: `output format: ${reportFormats.join('|')}`,
      default: 'text',
      valueName: 'F',
    },
    'fail-on-warn': { type: 'boolean', description: 'exit 1 on warnings too' },
    'no-policy': { type: 'boolean', description: 'skip the policy stage' },
    // GitHub code scanning shows SARIF results of kind "pass" as alerts, so an upload may want them out.
    'no-passes': {
      type: 'boolean',
      description: 'leave policy passes out of the report (e.g. SARIF for GitHub)',
    },
    dir: { type: 'string', description: 'config repo root (default: current directory)', valueName: 'DIR' },
    'metrics-file': metricsFileOption,
  },
  maxArgs: 0,
  async run(context) {
    const started = monotonicMs();
    const format = stringOption(context, 'format') ?? 'text';
    if (!isReportFormat(format))
      throw usageError(`unknown format '${format}'`, `use one of ${reportFormats.join(', ')}`);
    const root = resolve(context.cwd, stringOption(context, 'dir') ?? '.');
    const failOnWarn = booleanOption(context, 'fail-on-warn');
    const base = stringOption(context, 'base');
    const environment = stringOption(context, 'env');
    const keys = await loadAgeIdentities(context.env);
    const fingerprintKey = base
      ? resolveFingerprintKey(
          context.env,
          join(root, existsSync(join(root, '.git')) ? '.git' : '.llmcm', 'llmcm', 'fingerprint.key'),
        )
      : new Uint8Array(32);
    const result = await runCheck({
      root,
      ...(environment ? { environment } : {}),
      ...(base ? { base } : {}),
      ...(keys.identities.length ? { identities: keys.identities } : {}),
      fingerprintKey,
      ...(booleanOption(context, 'no-policy')
        ? {}
        : { policy: createPolicyStageRunner({ env: context.env }) }),
    });

    const notChecked = result.findings.filter((f) => f.ruleId === 'schema/not-checked-encrypted').length;
    const sections: { title: string; lines: string[] }[] = [];
    const mode = result.decrypted
      ? 'keys present: decrypted and checked in full'
      : `keys absent: checked structure and encrypted value types; ${notChecked} value${notChecked === 1 ? '' : 's'} with constraints not checked: encrypted`;
    const scope = [`environments: ${result.environments.join(', ') || '(none)'}`, mode];
    // A key source that was set but could not be used is worth saying: the run silently went keyless.
    for (const problem of keys.problems) scope.push(`key source not used: ${problem}`);
    if (result.base) {
      scope.push(
        `base: ${result.base.ref} (${result.base.commit.slice(0, 12)})${result.base.allBecause ? `; all environments: ${result.base.allBecause}` : ''}`,
      );
      if (result.untouched.length) scope.push(`untouched since base: ${result.untouched.join(', ')}`);
    }
    if (result.policySkipped) scope.push(`policy: skipped (${result.policySkipped})`);
    sections.push({ title: 'Scope', lines: scope });
    if (result.base) sections.push({ title: 'Changes since base', lines: describeDiffs(result.diffs) });

    const policyRan = !booleanOption(context, 'no-policy') && !result.policySkipped;
    const showPasses = policyRan && !booleanOption(context, 'no-passes');
    const output = renderReport(format, {
      title: 'llmcm check',
      findings: result.findings,
      // Absent when the policy stage did not run, so reports without policies keep their exact shape.
      ...(showPasses ? { passes: result.passes } : {}),
      checkedFiles: result.files,
      sections,
      color: context.color,
      failOnWarn,
      data: {
        environments: result.environments,
        untouched: result.untouched,
        decrypted: result.decrypted,
        ...(result.base ? { base: result.base, diff: result.diffs } : {}),
        ...(result.policySkipped ? { policySkipped: result.policySkipped } : {}),
      },
    });
    context.stdout.write(output);
    // Written after the report, findings or not (findings are what the alert is for); a failed write only warns.
    const metricsFile = stringOption(context, 'metrics-file');
    if (metricsFile) {
      await writeCheckMetrics(
        resolve(context.cwd, metricsFile),
        result.findings,
        ['schema', 'semantic', 'strength', ...(policyRan ? ['policy'] : [])],
        (monotonicMs() - started) / 1000,
        context.stderr,
      );
    }
    return checkExitCode(result.findings, failOnWarn);
  },
};

function describeDiffs(diffs: EnvironmentDiff[]): string[] {
  const lines: string[] = [];
  for (const diff of diffs) {
    if (diff.changes.length === 0) {
      lines.push(`${diff.environment}: no key changes`);
      continue;
    }
    lines.push(`${diff.environment}:`);
    for (const c of diff.changes) {
      const sign = c.change === 'added' ? '+' : c.change === 'removed' ? '-' : '~';
      let detail = '';
      if (c.secret) {
        detail =
          c.change === 'removed'
            ? ' (secret)'
            : ` (secret, ${c.change} ${c.fingerprint}${c.ciphertextOnly ? ', ciphertext only: no key to compare plaintext' : ''})`;
      } else if (c.change === 'changed') detail = `: ${c.before} → ${c.after}`;
      else if (c.change === 'added') detail = `: ${c.after}`;
      lines.push(`  ${sign} ${c.key}${detail}`);
    }
  }
  return lines;
}
