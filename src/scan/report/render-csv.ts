import type { ReportFinding } from './report-finding.js';

const columns = [
  'RuleID',
  'Commit',
  'File',
  'SymlinkFile',
  'Secret',
  'Match',
  'StartLine',
  'EndLine',
  'StartColumn',
  'EndColumn',
  'Author',
  'Message',
  'Date',
  'Email',
  'Fingerprint',
  'Tags',
  'SecretFingerprint',
] as const;

/** Go encoding/csv quoting: quote when the field has a quote, comma, CR/LF or a leading space. */
function csvField(value: string): string {
  if (value === '' || !/[",\r\n]|^[ \t]/.test(value)) return value;
  return `"${value.replaceAll('"', '""')}"`;
}

/** gitleaks' CSV columns (secrets redacted) plus SecretFingerprint. Empty output for no findings, like gitleaks. */
export function renderCsv(findings: readonly ReportFinding[]): string {
  if (findings.length === 0) return '';
  const rows = [columns.join(',')];
  for (const f of findings) {
    rows.push(
      columns
        .map((c) => {
          const v = f[c];
          return csvField(Array.isArray(v) ? v.join(' ') : String(v));
        })
        .join(','),
    );
  }
  return `${rows.join('\n')}\n`;
}
