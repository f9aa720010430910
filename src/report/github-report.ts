import type { ReportInput } from './types.js';

// Workflow command escaping, as @actions/core does it: data escapes %, CR, LF; properties also : and ,.
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** GitHub Actions workflow annotations (`::error file=…,line=…::message`), one per finding. */
export function renderGithubReport(input: ReportInput): string {
  const lines = input.findings.map((f) => {
    const command = f.severity === 'error' ? 'error' : f.severity === 'warning' ? 'warning' : 'notice';
    const props: string[] = [];
    if (f.file) props.push(`file=${escapeProperty(f.file)}`);
    if (f.file && f.line !== undefined) props.push(`line=${f.line}`);
    if (f.file && f.line !== undefined && f.column !== undefined) props.push(`col=${f.column}`);
    props.push(`title=${escapeProperty(f.ruleId)}`);
    const message = f.hint ? `${f.message}\nhint: ${f.hint}` : f.message;
    return `::${command} ${props.join(',')}::${escapeData(message)}`;
  });
  return lines.length ? `${lines.join('\n')}\n` : '';
}
