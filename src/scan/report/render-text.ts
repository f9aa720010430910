import type { ReportFinding } from './report-finding.js';

/** What the last line of the text report summarises. */
export interface TextSummary {
  bytes: number;
  files: number;
  commits: number;
  mode: string;
}

/** Human output: one block per finding (never the secret: its keyed fingerprint), then a summary. */
export function renderText(findings: readonly ReportFinding[], summary: TextSummary, color: boolean): string {
  const red = (s: string): string => (color ? `\x1b[31m${s}\x1b[0m` : s);
  const dim = (s: string): string => (color ? `\x1b[2m${s}\x1b[0m` : s);
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${f.File || '<stdin>'}:${f.StartLine}:${f.StartColumn}  ${red(f.RuleID)}  ${f.Description}`);
    if (f.Commit)
      lines.push(dim(`    commit ${f.Commit.slice(0, 12)} by ${f.Author} <${f.Email}> on ${f.Date}`));
    lines.push(dim(`    secret ${f.SecretFingerprint || '(path rule)'}  ignore with: ${f.Fingerprint}`));
  }
  const where =
    summary.mode === 'history' || summary.mode === 'range'
      ? `${summary.commits} commits`
      : `${summary.files} file${summary.files === 1 ? '' : 's'}`;
  const size = `${(summary.bytes / 1e6).toFixed(2)} MB`;
  lines.push(
    findings.length === 0
      ? `no leaks found (${where}, ${size} scanned)`
      : `${findings.length} leak${findings.length === 1 ? '' : 's'} found (${where}, ${size} scanned)`,
  );
  return `${lines.join('\n')}\n`;
}
