import type { Finding } from '../core/findings.js';
import { countBySeverity, type ReportInput, type ReportPass } from './types.js';

const ansi = {
  red: '\x1b[31m',
  yellow: '\x1b[33m',
  cyan: '\x1b[36m',
  dim: '\x1b[2m',
  bold: '\x1b[1m',
  green: '\x1b[32m',
  reset: '\x1b[0m',
};

const maxNotesPerRule = 3;

/** Human text: grouped by file, one line per finding with its hint, colors only on a TTY. */
export function renderTextReport(input: ReportInput): string {
  const paint = (code: keyof typeof ansi, text: string) =>
    input.color ? `${ansi[code]}${text}${ansi.reset}` : text;
  const groups = new Map<string, Finding[]>();
  for (const f of input.findings) {
    const key = f.file ?? '';
    const list = groups.get(key) ?? [];
    list.push(f);
    groups.set(key, list);
  }
  const out: string[] = [];
  for (const [file, findings] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    out.push(paint('bold', file || '(project)'));
    // Concise: notes of one rule beyond the first few in a file are counted, not listed (json/sarif keep all).
    const notesShown = new Map<string, number>();
    const notesHidden = new Map<string, number>();
    for (const f of findings) {
      if (f.severity === 'info') {
        const shown = notesShown.get(f.ruleId) ?? 0;
        if (shown >= maxNotesPerRule) {
          notesHidden.set(f.ruleId, (notesHidden.get(f.ruleId) ?? 0) + 1);
          continue;
        }
        notesShown.set(f.ruleId, shown + 1);
      }
      const where = f.line !== undefined ? `${f.line}:${f.column ?? 1}` : '-';
      const label =
        f.severity === 'error'
          ? paint('red', 'error  ')
          : f.severity === 'warning'
            ? paint('yellow', 'warning')
            : paint('cyan', 'note   ');
      const envs = Array.isArray(f.properties?.environments)
        ? ` [${(f.properties.environments as string[]).join(', ')}]`
        : '';
      out.push(`  ${where.padEnd(7)} ${label} ${f.message}  ${paint('dim', `${f.ruleId}${envs}`)}`);
      if (f.hint && f.severity !== 'info') out.push(`  ${' '.repeat(7)} ${paint('dim', `hint: ${f.hint}`)}`);
    }
    for (const [ruleId, count] of notesHidden) {
      out.push(`  ${' '.repeat(7)} ${paint('cyan', 'note   ')} … and ${count} more  ${paint('dim', ruleId)}`);
    }
    out.push('');
  }
  for (const section of input.sections ?? []) {
    out.push(paint('bold', section.title));
    for (const line of section.lines) out.push(`  ${line}`);
    out.push('');
  }
  // Passes are summarized, never listed: one line per stage and environment.
  const passLines = summarizePasses(input.passes ?? [], input.findings);
  if (passLines.length) out.push(...passLines, '');
  const { errors, warnings, notes } = countBySeverity(input.findings);
  const files = input.checkedFiles
    ? ` in ${input.checkedFiles.length} file${input.checkedFiles.length === 1 ? '' : 's'}`
    : '';
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const summary = `${plural(errors, 'error')}, ${plural(warnings, 'warning')}, ${plural(notes, 'note')}${files}`;
  out.push(
    errors > 0
      ? paint('red', `✖ ${input.title}: ${summary}`)
      : paint('green', `✔ ${input.title}: ${summary}`),
  );
  return `${out.join('\n')}\n`;
}

/** Environments a finding applies to (`env` from the policy stage, `environments` from the others). */
function environmentsOf(f: Finding): string[] {
  const envs = Array.isArray(f.properties?.environments) ? [...(f.properties.environments as string[])] : [];
  if (typeof f.properties?.env === 'string') envs.push(f.properties.env);
  return envs;
}

/**
 * `policy (prod): 14 rules passed, 1 warned, 0 denied` per stage with passes and environment. A rule
 * counts once per environment: denied if it denied anywhere there, else warned, else passed.
 */
function summarizePasses(passes: readonly ReportPass[], findings: readonly Finding[]): string[] {
  if (passes.length === 0) return [];
  const byKey = new Map<string, { passed: Set<string>; warned: Set<string>; denied: Set<string> }>();
  const bucket = (stage: string, env: string) => {
    const key = `${stage}\0${env}`;
    let b = byKey.get(key);
    if (!b) {
      b = { passed: new Set(), warned: new Set(), denied: new Set() };
      byKey.set(key, b);
    }
    return b;
  };
  const stages = new Set(passes.map((p) => p.stage));
  for (const p of passes) bucket(p.stage, p.environment ?? '').passed.add(p.ruleId);
  for (const f of findings) {
    if (!stages.has(f.stage) || f.severity === 'info') continue;
    for (const env of environmentsOf(f)) {
      const b = bucket(f.stage, env);
      (f.severity === 'error' ? b.denied : b.warned).add(f.ruleId);
    }
  }
  const lines: string[] = [];
  for (const [key, b] of [...byKey].sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0))) {
    const [stage, env] = key.split('\0');
    for (const id of b.denied) b.warned.delete(id);
    const passed = [...b.passed].filter((id) => !b.denied.has(id) && !b.warned.has(id)).length;
    lines.push(
      `${stage}${env ? ` (${env})` : ''}: ${passed} rule${passed === 1 ? '' : 's'} passed, ${b.warned.size} warned, ${b.denied.size} denied`,
    );
  }
  return lines;
}
