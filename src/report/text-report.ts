import type { Finding } from '../core/findings.js';
import { countBySeverity, type ReportInput } from './types.js';

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
