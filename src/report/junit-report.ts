import type { Finding } from '../core/findings.js';
import { groupPasses, type ReportInput } from './types.js';

/** Escapes text for XML attributes and content. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/[\x00-\x08\x0B\x0C\x0E-\x1F]/g, '');
}

/**
 * JUnit XML: one test suite per file, a failing test case per error (and per warning with
 * --fail-on-warn), a passing case for each clean file, and a passing case per rule that passed in
 * the file (e.g. each policy rule), next to the failing ones. Notes are left out.
 */
export function renderJunitReport(input: ReportInput): string {
  const failing = (f: Finding) =>
    f.severity === 'error' || (input.failOnWarn === true && f.severity === 'warning');
  const byFile = new Map<string, Finding[]>();
  for (const file of input.checkedFiles ?? []) byFile.set(file, []);
  for (const f of input.findings) {
    if (f.severity === 'info') continue;
    const key = f.file ?? '(project)';
    const list = byFile.get(key) ?? [];
    list.push(f);
    byFile.set(key, list);
  }
  const passesByFile = new Map<string, ReturnType<typeof groupPasses>>();
  for (const p of groupPasses(input.passes ?? [])) {
    if (!byFile.has(p.file)) byFile.set(p.file, []);
    const list = passesByFile.get(p.file) ?? [];
    list.push(p);
    passesByFile.set(p.file, list);
  }
  let tests = 0;
  let failures = 0;
  const suites: string[] = [];
  for (const [file, findings] of [...byFile].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const cases: string[] = [];
    let suiteFailures = 0;
    for (const f of findings) {
      const where = f.line !== undefined ? `${file}:${f.line}:${f.column ?? 1}` : file;
      const name = escapeXml(`${f.ruleId} ${f.path ?? ''} (${where})`.replace(/\s+\(/, ' ('));
      const body = escapeXml(`${where}: ${f.message}${f.hint ? `\nhint: ${f.hint}` : ''}`);
      if (failing(f)) {
        suiteFailures++;
        cases.push(
          `    <testcase classname="${escapeXml(file)}" name="${name}">\n      <failure message="${escapeXml(f.message)}" type="${escapeXml(f.ruleId)}">${body}</failure>\n    </testcase>`,
        );
      } else {
        cases.push(
          `    <testcase classname="${escapeXml(file)}" name="${name}">\n      <system-out>${body}</system-out>\n    </testcase>`,
        );
      }
    }
    for (const p of passesByFile.get(file) ?? []) {
      const envs = p.environments.length ? ` [${p.environments.join(', ')}]` : '';
      cases.push(
        `    <testcase classname="${escapeXml(file)}" name="${escapeXml(`${p.ruleId} passes${envs}`)}"/>`,
      );
    }
    if (!findings.some(failing))
      cases.push(
        `    <testcase classname="${escapeXml(file)}" name="${escapeXml(`${input.title} passes`)}"/>`,
      );
    tests += cases.length;
    failures += suiteFailures;
    suites.push(
      `  <testsuite name="${escapeXml(file)}" tests="${cases.length}" failures="${suiteFailures}" errors="0" skipped="0">\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${escapeXml(input.title)}" tests="${tests}" failures="${failures}" errors="0">\n${suites.join('\n')}${suites.length ? '\n' : ''}</testsuites>\n`;
}
