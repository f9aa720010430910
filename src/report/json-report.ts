import { countBySeverity, type ReportInput } from './types.js';

/** Machine-readable JSON: a summary, the findings and any stage data (stable field order). */
export function renderJsonReport(input: ReportInput): string {
  const report = {
    tool: 'llmcm',
    title: input.title,
    ...(input.toolVersion ? { version: input.toolVersion } : {}),
    summary: { ...countBySeverity(input.findings), files: input.checkedFiles?.length ?? 0 },
    findings: input.findings,
    ...(input.checkedFiles ? { files: input.checkedFiles } : {}),
    ...input.data,
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}
