import type { Finding } from '../core/findings.js';
import type { AccessResult, ConfigPolicyResult, PolicyReport } from './engine.js';

/** Where a JSON pointer of an environment's merged config came from (file, line, layer). */
export type LocateValue = (
  env: string,
  pointer: string,
) => { file: string; line?: number; column?: number; layer?: string } | undefined;

function renderDetails(details: Record<string, unknown> | undefined): string {
  if (!details) return '';
  const parts: string[] = [];
  const value = details.value;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')
    parts.push(`value ${value}`);
  if (typeof details.min === 'number' && typeof details.max === 'number')
    parts.push(`allowed ${details.min}..${details.max}`);
  if (typeof details.cap === 'number') parts.push(`cap ${details.cap}`);
  if (typeof details.ceiling === 'number') parts.push(`ceiling ${details.ceiling}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** The deepest located ancestor of a pointer (a missing key is reported where its parent is). */
function locateNearest(locate: LocateValue | undefined, env: string | undefined, pointer: string) {
  if (!locate || env === undefined) return undefined;
  let current = pointer;
  for (;;) {
    const found = locate(env, current);
    if (found) return found;
    if (current === '' || current === '/') return undefined;
    current = current.slice(0, Math.max(0, current.lastIndexOf('/')));
  }
}

function reportToFinding(
  report: PolicyReport,
  severity: Finding['severity'],
  rules: Record<string, { description?: string }>,
  locate: LocateValue | undefined,
): Finding {
  // Only config rules point into environment files; e.g. exemption-expired points at policy data.
  const where = report.file.startsWith('policies/')
    ? undefined
    : locateNearest(locate, report.env, report.path);
  const hint = report.dry_run
    ? `rule ${report.id} is in dry-run (mode: warn in policies/data/rules.yaml); it will deny once enforced`
    : rules[report.id]?.description;
  const finding: Finding = {
    stage: 'policy',
    ruleId: report.id,
    severity,
    message: `${report.msg}${renderDetails(report.details)}`,
    file: where?.file ?? report.file,
    path: report.path,
    properties: {
      env: report.env,
      policySeverity: report.severity,
      ...(report.dry_run ? { dryRun: true } : {}),
    },
  };
  if (where?.line !== undefined) finding.line = where.line;
  if (where?.column !== undefined) finding.column = where.column;
  if (where?.layer !== undefined) finding.layer = where.layer;
  if (hint) finding.hint = hint;
  return finding;
}

/**
 * Findings (stage `policy`) from a config result, so every report format renders them like schema
 * findings: each deny is an error, each warn a warning. With `access`, its denials are errors too.
 */
export function policyFindings(
  result: Pick<ConfigPolicyResult, 'deny' | 'warn' | 'decision'>,
  options: {
    locate?: LocateValue;
    rules?: Record<string, { description?: string }>;
    access?: Pick<AccessResult, 'deny' | 'allowed' | 'decision'>;
  } = {},
): Finding[] {
  const rules = options.rules ?? {};
  const findings = [
    ...result.deny.map((r) => reportToFinding(r, 'error', rules, options.locate)),
    ...result.warn.map((r) => reportToFinding(r, 'warning', rules, options.locate)),
  ];
  for (const f of findings) f.properties = { ...f.properties, decisionId: result.decision.decision_id };
  if (options.access && !options.access.allowed) {
    for (const denial of options.access.deny) {
      const where = locateNearest(options.locate, denial.env, denial.path);
      const finding: Finding = {
        stage: 'policy',
        ruleId: `access/${denial.id}`,
        severity: 'error',
        message: denial.msg,
        path: denial.path || undefined,
        hint: 'access rules live in policies/data/access.yaml (roles, grants, approvals)',
        properties: { env: denial.env, decisionId: options.access.decision.decision_id },
      };
      const file = where?.file ?? (denial.env ? `environments/${denial.env}` : undefined);
      if (file) finding.file = file;
      if (where?.line !== undefined) finding.line = where.line;
      findings.push(finding);
    }
  }
  return findings;
}
