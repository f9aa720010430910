import type { Finding } from '../core/findings.js';

/** Output formats every stage shares. */
export type ReportFormat = 'text' | 'json' | 'sarif' | 'junit' | 'github';

/**
 * A rule that ran over a file and found nothing there (for one environment). Value-free by design:
 * only the rule id, the file and the environment, never a config value.
 */
export interface ReportPass {
  /** The stage whose rule passed, e.g. `policy`. */
  stage: string;
  ruleId: string;
  /** The file the rule examined, relative to the repo root. */
  file: string;
  environment?: string;
}

/** Everything a report needs; stage-specific extras go in `sections` (text) and `data` (json). */
export interface ReportInput {
  /** The command that produced the findings, e.g. `llmcm check`. */
  title: string;
  findings: readonly Finding[];
  /** Rules that passed, per rule and file (json, junit, sarif list them; text summarizes; github omits). */
  passes?: readonly ReportPass[];
  /** Files that were examined (JUnit emits a passing test case for each clean one). */
  checkedFiles?: readonly string[];
  /** Extra blocks for the text format (e.g. the semantic diff). */
  sections?: ReadonlyArray<{ title: string; lines: readonly string[] }>;
  /** Extra top-level fields for the json format. */
  data?: Record<string, unknown>;
  /** ANSI colors (text format, on a TTY). */
  color?: boolean;
  /** Treat warnings as failures (JUnit failures). */
  failOnWarn?: boolean;
  toolVersion?: string;
}

/** Counts per severity. */
export function countBySeverity(findings: readonly Finding[]): {
  errors: number;
  warnings: number;
  notes: number;
} {
  let errors = 0;
  let warnings = 0;
  let notes = 0;
  for (const f of findings) {
    if (f.severity === 'error') errors++;
    else if (f.severity === 'warning') warnings++;
    else notes++;
  }
  return { errors, warnings, notes };
}

/** Passes merged per (stage, rule, file), with the environments each passed in; sorted by file then rule. */
export function groupPasses(
  passes: readonly ReportPass[],
): Array<{ stage: string; ruleId: string; file: string; environments: string[] }> {
  const groups = new Map<string, { stage: string; ruleId: string; file: string; environments: string[] }>();
  for (const p of passes) {
    const key = [p.stage, p.ruleId, p.file].join('\0');
    let group = groups.get(key);
    if (!group) {
      group = { stage: p.stage, ruleId: p.ruleId, file: p.file, environments: [] };
      groups.set(key, group);
    }
    if (p.environment !== undefined && !group.environments.includes(p.environment))
      group.environments.push(p.environment);
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...groups.values()]
    .map((g) => ({ ...g, environments: [...g.environments].sort(cmp) }))
    .sort((a, b) => cmp(a.file, b.file) || cmp(a.ruleId, b.ruleId) || cmp(a.stage, b.stage));
}
