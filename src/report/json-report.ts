import { countBySeverity, type ReportInput, type ReportPass } from './types.js';

/** Machine-readable JSON: a summary, the findings and any stage data (stable field order). */
export function renderJsonReport(input: ReportInput): string {
  const report = {
    tool: 'llmcm',
    title: input.title,
    ...(input.toolVersion ? { version: input.toolVersion } : {}),
    summary: { ...countBySeverity(input.findings), files: input.checkedFiles?.length ?? 0 },
    findings: input.findings,
    // Additive: present only when a stage reported passes (value-free: stage, rule, file, environment).
    ...(input.passes ? { passes: input.passes.map(copyPass) } : {}),
    ...(input.checkedFiles ? { files: input.checkedFiles } : {}),
    ...input.data,
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}

// Copies only the known fields, so nothing else a caller attached to a pass can reach the report.
function copyPass(p: ReportPass): ReportPass {
  return {
    stage: p.stage,
    ruleId: p.ruleId,
    file: p.file,
    ...(p.environment !== undefined ? { environment: p.environment } : {}),
  };
}
