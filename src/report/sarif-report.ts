import { createHash } from 'node:crypto';
import type { Finding } from '../core/findings.js';
import { groupPasses, type ReportInput } from './types.js';

const levelOf = (f: Finding) =>
  f.severity === 'error' ? 'error' : f.severity === 'warning' ? 'warning' : 'note';

/**
 * SARIF 2.1.0, as GitHub code scanning loads it: one run, a rule per ruleId, results with a physical
 * location relative to the repo root and a partial fingerprint so alerts track across commits.
 * Passes (rule × file) are results with `kind: "pass"` and `level: "none"`, after the findings.
 */
export function renderSarifReport(input: ReportInput): string {
  const rules: Array<Record<string, unknown>> = [];
  const ruleIndex = new Map<string, number>();
  for (const f of input.findings) {
    if (ruleIndex.has(f.ruleId)) continue;
    ruleIndex.set(f.ruleId, rules.length);
    rules.push({
      id: f.ruleId,
      name: ruleName(f.ruleId),
      shortDescription: { text: `${f.stage}: ${f.ruleId}` },
      defaultConfiguration: { level: levelOf(f) },
      properties: { tags: ['llmcm', f.stage] },
    });
  }
  const passes = groupPasses(input.passes ?? []);
  for (const p of passes) {
    if (ruleIndex.has(p.ruleId)) continue;
    ruleIndex.set(p.ruleId, rules.length);
    // Only passes seen: the rule's failure level is unknown here, so no defaultConfiguration.
    rules.push({
      id: p.ruleId,
      name: ruleName(p.ruleId),
      shortDescription: { text: `${p.stage}: ${p.ruleId}` },
      properties: { tags: ['llmcm', p.stage] },
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
  for (const p of passes) {
    const envs = p.environments.length ? ` (${p.environments.join(', ')})` : '';
    results.push({
      ruleId: p.ruleId,
      ruleIndex: ruleIndex.get(p.ruleId),
      kind: 'pass',
      level: 'none',
      message: { text: `${p.ruleId} passed in ${p.file}${envs}` },
      partialFingerprints: {
        'llmcmPass/v1': createHash('sha256').update([p.ruleId, p.file].join('\0')).digest('hex').slice(0, 32),
      },
      properties: { stage: p.stage, ...(p.environments.length ? { environments: p.environments } : {}) },
      locations: [{ physicalLocation: { artifactLocation: { uri: p.file, uriBaseId: '%SRCROOT%' } } }],
    });
  }
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

/** `policy/no-debug-flags` -> `policyNoDebugFlags` (SARIF's readable rule name). */
function ruleName(ruleId: string): string {
  return ruleId.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''));
}
