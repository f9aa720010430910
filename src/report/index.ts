/** Report formats shared by every stage (schema, semantics, policy, scan): text, json, sarif, junit, github. */
import { renderGithubReport } from './github-report.js';
import { renderJsonReport } from './json-report.js';
import { renderJunitReport } from './junit-report.js';
import { renderSarifReport } from './sarif-report.js';
import { renderTextReport } from './text-report.js';
import type { ReportFormat, ReportInput } from './types.js';

export { escapeXml, renderJunitReport } from './junit-report.js';
export {
  countBySeverity,
  groupPasses,
  type ReportFormat,
  type ReportInput,
  type ReportPass,
} from './types.js';
export { renderGithubReport, renderJsonReport, renderSarifReport, renderTextReport };

/** The formats accepted by `--format`. */
export const reportFormats: readonly ReportFormat[] = ['text', 'json', 'sarif', 'junit', 'github'];

/** True when `value` names a report format. */
export function isReportFormat(value: string): value is ReportFormat {
  return (reportFormats as readonly string[]).includes(value);
}

/** Renders findings in one format. */
export function renderReport(format: ReportFormat, input: ReportInput): string {
  switch (format) {
    case 'text':
      return renderTextReport(input);
    case 'json':
      return renderJsonReport(input);
    case 'sarif':
      return renderSarifReport(input);
    case 'junit':
      return renderJunitReport(input);
    case 'github':
      return renderGithubReport(input);
  }
}
