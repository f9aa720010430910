import type { ScanConfig } from '../config/types.js';
import type { ReportFinding } from './report-finding.js';

/** SARIF 2.1.0 in gitleaks' shape (one run, every configured rule listed, secrets redacted). */
export function renderSarif(findings: readonly ReportFinding[], config: ScanConfig | undefined): string {
  const ruleIds = config ? config.orderedRuleIds : [...new Set(findings.map((f) => f.RuleID))].sort();
  const extra = [...new Set(findings.map((f) => f.RuleID))].filter((id) => !ruleIds.includes(id));
  const rules = [...ruleIds, ...extra].map((id) => ({
    id,
    shortDescription: { text: config?.rules.get(id)?.description ?? id },
  }));
  const results = findings.map((f) => ({
    message: { text: `${f.RuleID} has detected secret for file ${f.File}.` },
    ruleId: f.RuleID,
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: f.File },
          region: {
            startLine: f.StartLine,
            startColumn: f.StartColumn,
            endLine: f.EndLine,
            endColumn: f.EndColumn,
            snippet: { text: f.Match },
          },
        },
      },
    ],
    partialFingerprints: {
      commitSha: f.Commit,
      email: f.Email,
      author: f.Author,
      date: f.Date,
      commitMessage: f.Message,
      secretFingerprint: f.SecretFingerprint,
    },
  }));
  const doc = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'llmcm scan',
            semanticVersion: 'v8-compatible',
            informationUri: 'https://github.com/gitleaks/gitleaks',
            rules,
          },
        },
        results,
      },
    ],
  };
  return `${JSON.stringify(doc, null, 1)}\n`;
}
