import type { Finding } from '../core/findings.js';

/** Output formats every stage shares. */
export type ReportFormat = 'text' | 'json' | 'sarif' | 'junit' | 'github';

/** Everything a report needs; stage-specific extras go in `sections` (text) and `data` (json). */
export interface ReportInput {
  /** The command that produced the findings, e.g. `llmcm check`. */
  title: string;
  findings: readonly Finding[];
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
