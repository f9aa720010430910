import { createHash } from 'node:crypto';
import type { Finding } from '../core/findings.js';
import type { ReportInput } from './types.js';

const levelOf = (f: Finding) =>
  f.severity === 'error' ? 'error' : f.severity === 'warning' ? 'warning' : 'note';

/**
 * SARIF 2.1.0, as GitHub code scanning loads it: one run, a rule per ruleId, results with a physical
 * location relative to the repo root and a partial fingerprint so alerts track across commits.
 */
export function renderSarifReport(input: ReportInput): string {
  const rules: Array<Record<string, unknown>> = [];
  const ruleIndex = new Map<string, number>();
  for (const f of input.findings) {
    if (ruleIndex.has(f.ruleId)) continue;
    ruleIndex.set(f.ruleId, rules.length);
    rules.push({
      id: f.ruleId,
      name: f.ruleId.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : '')),
      shortDescription: { text: `${f.stage}: ${f.ruleId}` },
      defaultConfiguration: { level: levelOf(f) },
      properties: { tags: ['llmcm', f.stage] },
    });
  }
  const results = input.findings.map((f) => {
    const region: Record<string, number> = {};
    if (f.line !== undefined) region.startLine = f.line;
    if (f.line !== undefined && f.column !== undefined) region.startColumn = f.column;
    if (f.endLine !== undefined) region.endLine = f.endLine;
    const text = f.hint ? `${f.message}. Fix: ${f.hint}` : f.message;
    const result: Record<string, unknown> = {
      ruleId: f.ruleId,
      ruleIndex: ruleIndex.get(f.ruleId),
      level: levelOf(f),
      message: { text },
      partialFingerprints: {
        'llmcmFinding/v1': createHash('sha256')
          .update([f.ruleId, f.file ?? '', f.path ?? '', f.message].join('\0'))
          .digest('hex')
          .slice(0, 32),
      },
      properties: {
        stage: f.stage,
        ...(f.path ? { pointer: f.path } : {}),
        ...(f.layer ? { layer: f.layer } : {}),
        ...(f.properties ?? {}),
      },
    };
    if (f.file) {
      result.locations = [
        {
          physicalLocation: {
            artifactLocation: { uri: f.file, uriBaseId: '%SRCROOT%' },
            ...(Object.keys(region).length ? { region } : {}),
          },
        },
      ];
    }
    return result;
  });
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'llmcm',
            ...(input.toolVersion ? { version: input.toolVersion, semanticVersion: input.toolVersion } : {}),
            informationUri: 'https://github.com/llm-config-manager/llmcm',
            rules,
          },
        },
        automationDetails: { id: `${input.title.replace(/\s+/g, '-')}/` },
        columnKind: 'unicodeCodePoints',
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
