import { formatFloat32, type ReportFinding } from './report-finding.js';

/** gitleaks' JSON report: an array of findings, 1-space indented like gitleaks' encoder. */
export function renderJson(findings: readonly ReportFinding[]): string {
  if (findings.length === 0) return '[]\n';
  const ENTROPY = '__ENTROPY__';
  const body = JSON.stringify(
    findings.map((f) => ({ ...f, Entropy: `${ENTROPY}${formatFloat32(f.Entropy)}` })),
    null,
    1,
  );
  return `${body.replace(new RegExp(`"${ENTROPY}([^"]*)"`, 'g'), '$1')}\n`;
}
