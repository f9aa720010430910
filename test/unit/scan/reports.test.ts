import { describe, expect, it } from 'vitest';
import { loadDefaultConfig } from '../../../src/scan/config/load-config.js';
import type { RawFinding } from '../../../src/scan/detect/detector.js';
import { renderCsv } from '../../../src/scan/report/render-csv.js';
import { renderJson } from '../../../src/scan/report/render-json.js';
import { renderJunit } from '../../../src/scan/report/render-junit.js';
import { renderSarif } from '../../../src/scan/report/render-sarif.js';
import { renderText } from '../../../src/scan/report/render-text.js';
import { formatFloat32, toReportFinding } from '../../../src/scan/report/report-finding.js';

const CANARY = ['canary', 'Zx9Qw7Lp3Rt5'].join('-');

const finding: RawFinding = {
  ruleId: 'generic-api-key',
  description: 'High-entropy value, "quoted" & <tagged>',
  startLine: 3,
  endLine: 3,
  startColumn: 2,
  endColumn: 40,
  line: `\npassword = "${CANARY}"`,
  match: `password = "${CANARY}"`,
  secret: CANARY,
  file: 'dir/a, b.env',
  commit: 'c0ffee',
  entropy: Math.fround(3.8936834),
  tags: ['generic', 'x'],
  author: 'A',
  email: 'a@example.test',
  date: '2024-01-01T00:00:00Z',
  message: 'msg\nline 2',
  fingerprint: 'c0ffee:dir/a, b.env:generic-api-key:3',
};

const report = [toReportFinding(finding, () => 'fp:0123456789abcdef')];

describe('reports never contain the secret', () => {
  const outputs = {
    json: renderJson(report),
    csv: renderCsv(report),
    sarif: renderSarif(report, loadDefaultConfig()),
    junit: renderJunit(report),
    text: renderText(report, { bytes: 1, files: 1, commits: 1, mode: 'dir' }, false),
  };
  for (const [name, text] of Object.entries(outputs)) {
    it(`${name}: redacted, with the keyed fingerprint`, () => {
      expect(text).not.toContain(CANARY);
      expect(text).not.toContain('Zx9Qw7Lp3Rt5');
      expect(text).toContain('fp:0123456789abcdef');
    });
  }

  it('json keeps gitleaks field names and a float32 entropy', () => {
    const parsed = JSON.parse(outputs.json) as Record<string, unknown>[];
    expect(Object.keys(parsed[0]!).slice(0, 10)).toEqual([
      'RuleID',
      'Description',
      'StartLine',
      'EndLine',
      'StartColumn',
      'EndColumn',
      'Match',
      'Secret',
      'File',
      'SymlinkFile',
    ]);
    expect(parsed[0]).toMatchObject({
      Secret: 'REDACTED',
      Match: 'password = "REDACTED"',
      Entropy: 3.8936834,
    });
    expect(outputs.json).toContain('"Entropy": 3.8936834,');
  });

  it('csv quotes fields like Go encoding/csv', () => {
    const [header, row] = outputs.csv.trimEnd().split('\n', 2);
    expect(header!.startsWith('RuleID,Commit,File,SymlinkFile,Secret,Match')).toBe(true);
    expect(row).toContain('"dir/a, b.env"');
    expect(row).toContain('"password = ""REDACTED"""');
  });

  it('sarif and junit are well-formed', () => {
    const sarif = JSON.parse(outputs.sarif) as {
      version: string;
      runs: { results: unknown[]; tool: { driver: { rules: unknown[] } } }[];
    };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.results).toHaveLength(1);
    expect(sarif.runs[0]!.tool.driver.rules.length).toBeGreaterThan(20);
    expect(outputs.junit).toContain('<testsuite failures="1"');
    expect(outputs.junit).toContain('&quot;quoted&quot; &amp; &lt;tagged&gt;');
  });

  it('formats float32 like Go', () => {
    expect(formatFloat32(Math.fround(3.8936834))).toBe('3.8936834');
    expect(formatFloat32(0)).toBe('0');
    expect(formatFloat32(Math.fround(4))).toBe('4');
  });
});
