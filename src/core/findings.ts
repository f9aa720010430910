/** Which pipeline stage produced a finding. */
export type FindingStage = 'schema' | 'semantic' | 'strength' | 'policy' | 'scan' | 'drift' | 'sops';

export type Severity = 'error' | 'warning' | 'info';

/**
 * A problem a stage found. Findings are data: they are collected, reported in every output format,
 * and turned into an exit code at the end. They never carry plaintext secrets.
 */
export interface Finding {
  stage: FindingStage;
  ruleId: string;
  severity: Severity;
  message: string;
  file?: string;
  line?: number;
  column?: number;
  endLine?: number;
  /** JSON pointer into the document, e.g. `/models/gpt-4o/temperature`. */
  path?: string;
  /** The config layer the value came from (e.g. `_base`, `prod`). */
  layer?: string;
  /** One line telling how to fix it. */
  hint?: string;
  /** Extra structured data for machine outputs (never secrets). */
  properties?: Record<string, unknown>;
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

/** Stable order: file, line, column, rule — so reports and snapshots are deterministic. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      a.ruleId.localeCompare(b.ruleId) ||
      a.message.localeCompare(b.message),
  );
}
