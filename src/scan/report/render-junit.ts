import type { ReportFinding } from './report-finding.js';

function xml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/** JUnit XML in gitleaks' shape: one failing test case per finding (redacted JSON as the body). */
export function renderJunit(findings: readonly ReportFinding[]): string {
  const cases = findings.map((f) => {
    const name = `${f.RuleID} has detected a secret in file ${f.File}, line ${f.StartLine}${f.Commit ? `, at commit ${f.Commit}` : ''}.`;
    return [
      `\t\t<testcase classname="${xml(f.Description)}" file="${xml(f.File)}" name="${xml(name)}">`,
      `\t\t\t<failure message="${xml(name)}" type="${xml(f.Description)}">${xml(JSON.stringify(f, null, 1))}</failure>`,
      '\t\t</testcase>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites>`,
    `\t<testsuite failures="${findings.length}" name="llmcm scan" tests="${findings.length}">`,
    ...cases,
    '\t</testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
