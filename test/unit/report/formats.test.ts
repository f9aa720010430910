import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../../src/check/run-check.js';
import type { Finding } from '../../../src/core/findings.js';
import { type ReportPass, renderReport } from '../../../src/report/index.js';
import { projectRoot } from '../../support/tools.js';

// The SARIF 2.1.0 schema as published (schemastore copy, shipped in @microsoft/jest-sarif 1.0.0-beta.0,
// MIT) — see test/fixtures/check/README.md. It is draft-04; its only draft-04 construct is the
// top-level `id`, so it is read as draft-07 with `$id`.
const sarifSchema = JSON.parse(
  readFileSync(join(projectRoot, 'test/fixtures/check/sarif-schema-2.1.0.json'), 'utf8'),
);
sarifSchema.$id = sarifSchema.id;
delete sarifSchema.id;
sarifSchema.$schema = 'http://json-schema.org/draft-07/schema#';
const Ajv = ((AjvModule as unknown as { default?: unknown }).default ??
  AjvModule) as typeof AjvModule.default;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (a: unknown) => void;
const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
addFormats(ajv);
const validateSarif = ajv.compile(sarifSchema);

const planted = await runCheck({
  root: join(projectRoot, 'test/fixtures/check/planted'),
  fingerprintKey: new Uint8Array(32),
});
const input = {
  title: 'llmcm check',
  findings: planted.findings,
  checkedFiles: planted.files,
  toolVersion: '0.1.0',
};

// Policy passes as `llmcm check` hands them over: one per rule, file and environment.
const passes: ReportPass[] = [
  { stage: 'policy', ruleId: 'no-debug-flags', file: 'environments/_base/flags.yaml', environment: 'dev' },
  {
    stage: 'policy',
    ruleId: 'no-debug-flags',
    file: 'environments/_base/flags.yaml',
    environment: 'staging',
  },
  { stage: 'policy', ruleId: 'budget-set', file: 'environments/prod/models.yaml', environment: 'prod' },
];
const policyDeny: Finding = {
  stage: 'policy',
  ruleId: 'budget-set',
  severity: 'error',
  message: 'no budget for gpt-4o',
  file: 'environments/dev/models.yaml',
  path: '/gpt-4o',
  properties: { env: 'dev' },
};
const withPasses = { ...input, findings: [...input.findings, policyDeny], passes };

describe('SARIF 2.1.0', () => {
  const log = JSON.parse(renderReport('sarif', input));

  it('validates against the SARIF 2.1.0 JSON schema', () => {
    const valid = validateSarif(log);
    expect(validateSarif.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('a log with passes validates too: kind "pass", level "none", the rule in the driver', () => {
    const withPassLog = JSON.parse(renderReport('sarif', withPasses));
    const valid = validateSarif(withPassLog);
    expect(validateSarif.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    const run = withPassLog.runs[0];
    const passResults = run.results.filter((r: { kind?: string }) => r.kind === 'pass');
    // One result per (rule, file): the two environments of the base file are merged.
    expect(passResults).toHaveLength(2);
    const debug = passResults.find((r: { ruleId: string }) => r.ruleId === 'no-debug-flags');
    expect(debug.level).toBe('none');
    expect(debug.properties.environments).toEqual(['dev', 'staging']);
    expect(debug.locations[0].physicalLocation.artifactLocation.uri).toBe('environments/_base/flags.yaml');
    expect(run.tool.driver.rules[debug.ruleIndex].id).toBe('no-debug-flags');
    // A rule that both denied and passed has one driver rule, shared by its failing and passing results.
    const budget = run.results.filter((r: { ruleId: string }) => r.ruleId === 'budget-set');
    expect(budget.map((r: { kind?: string }) => r.kind ?? 'fail').sort()).toEqual(['fail', 'pass']);
    expect(new Set(budget.map((r: { ruleIndex: number }) => r.ruleIndex)).size).toBe(1);
    expect(run.tool.driver.rules.filter((r: { id: string }) => r.id === 'budget-set')).toHaveLength(1);
    const broken = structuredClone(withPassLog);
    broken.runs[0].results.find((r: { kind?: string }) => r.kind === 'pass').kind = 'passed';
    expect(validateSarif(broken)).toBe(false);
  });

  it('the validator rejects a broken log (the check can fail)', () => {
    const broken = structuredClone(log);
    broken.runs[0].results[0].level = 'fatal';
    expect(validateSarif(broken)).toBe(false);
  });

  it('carries rule ids, levels and exact regions relative to the repo root', () => {
    const result = log.runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'schema/maximum');
    expect(result.level).toBe('error');
    expect(result.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'environments/prod/models.yaml', uriBaseId: '%SRCROOT%' },
      region: { startLine: 3, startColumn: 18 },
    });
    expect(log.runs[0].tool.driver.rules[result.ruleIndex].id).toBe('schema/maximum');
    const note = log.runs[0].results.find(
      (r: { ruleId: string }) => r.ruleId === 'schema/not-checked-encrypted',
    );
    expect(note.level).toBe('note');
  });
});

describe('other formats', () => {
  const tricky: Finding = {
    stage: 'semantic',
    ruleId: 'semantic/x',
    severity: 'error',
    message: 'a <b> & "c", 100%\nnext',
    file: 'env/a,b:c.yaml',
    line: 2,
    column: 3,
    hint: 'do it',
  };

  it('github: annotations with workflow-command escaping', () => {
    const out = renderReport('github', {
      title: 't',
      findings: [tricky, { ...tricky, severity: 'warning' }, { ...tricky, severity: 'info' }],
    });
    expect(out.split('\n')[0]).toBe(
      '::error file=env/a%2Cb%3Ac.yaml,line=2,col=3,title=semantic/x::a <b> & "c", 100%25%0Anext%0Ahint: do it',
    );
    expect(out).toContain('::warning ');
    expect(out).toContain('::notice ');
  });

  it('junit: a failure per error, a passing case per clean file, XML escaped', () => {
    const out = renderReport('junit', {
      title: 'llmcm check',
      findings: [tricky],
      checkedFiles: ['env/a,b:c.yaml', 'clean.yaml'],
    });
    expect(out).toContain('<testsuites name="llmcm check" tests="2" failures="1" errors="0">');
    expect(out).toContain('message="a &lt;b&gt; &amp; &quot;c&quot;, 100%\nnext"');
    expect(out).toContain('<testsuite name="clean.yaml" tests="1" failures="0"');
    expect(out).not.toMatch(/<b>/);
  });

  it('junit: warnings fail only with --fail-on-warn', () => {
    const warning = { ...tricky, severity: 'warning' as const };
    expect(renderReport('junit', { title: 't', findings: [warning] })).toContain('failures="0"');
    expect(renderReport('junit', { title: 't', findings: [warning], failOnWarn: true })).toContain(
      'failures="1"',
    );
  });

  it('text: grouped by file, colors only when asked', () => {
    const plain = renderReport('text', input);
    expect(plain).not.toContain('\x1b[');
    expect(plain).toMatch(/environments\/prod\/models\.yaml\n {2}3:18 +error/);
    expect(plain).toContain('✖ llmcm check: 11 errors, 0 warnings, 2 notes in 8 files');
    expect(renderReport('text', { ...input, color: true })).toContain('\x1b[31m');
  });

  it('json: summary, findings and extra data', () => {
    const out = JSON.parse(renderReport('json', { ...input, data: { decrypted: false } }));
    expect(out.summary).toEqual({ errors: 11, warnings: 0, notes: 2, files: 8 });
    expect(out.decrypted).toBe(false);
    expect(out.findings[0]).toHaveProperty('ruleId');
  });
});

describe('passes', () => {
  it('json: a passes array beside the findings, the rest unchanged', () => {
    const out = JSON.parse(renderReport('json', withPasses));
    expect(out.passes).toEqual(passes);
    expect(out.findings).toHaveLength(withPasses.findings.length);
    expect(out.summary).toEqual({ errors: 12, warnings: 0, notes: 2, files: 8 });
    expect(JSON.parse(renderReport('json', input))).not.toHaveProperty('passes');
  });

  it('json: only the known pass fields are copied (nothing else a caller attached)', () => {
    const leaky = { ...passes[0]!, value: 'CANARY-secret-value' } as ReportPass;
    expect(renderReport('json', { title: 't', findings: [], passes: [leaky] })).not.toContain('CANARY');
  });

  it('junit: a passing case per (rule, file) next to the failing ones', () => {
    const out = renderReport('junit', withPasses);
    expect(out).toContain(
      '<testcase classname="environments/_base/flags.yaml" name="no-debug-flags passes [dev, staging]"/>',
    );
    expect(out.match(/name="no-debug-flags passes/g)).toHaveLength(1);
    expect(out).toContain(
      '<testcase classname="environments/prod/models.yaml" name="budget-set passes [prod]"/>',
    );
    // prod/models.yaml also has a schema failure: the pass sits in the same suite, counted in tests.
    const suite = out.match(
      /<testsuite name="environments\/prod\/models\.yaml"[^>]*>[\s\S]*?<\/testsuite>/,
    )![0];
    expect(suite).toContain('<failure ');
    expect(suite).toContain('budget-set passes [prod]');
    const declared = Number(suite.match(/tests="(\d+)"/)![1]);
    expect(suite.match(/<testcase /g)).toHaveLength(declared);
    const total = (s: string) => Number(s.match(/<testsuites [^>]*tests="(\d+)"/)![1]);
    expect(total(out)).toBe((out.match(/<testcase /g) ?? []).length);
  });

  it('text: one summary line per environment, passes not listed', () => {
    const out = renderReport('text', withPasses);
    expect(out).toContain('policy (dev): 1 rule passed, 0 warned, 1 denied');
    expect(out).toContain('policy (prod): 1 rule passed, 0 warned, 0 denied');
    expect(out).toContain('policy (staging): 1 rule passed, 0 warned, 0 denied');
    expect(out).not.toContain('no-debug-flags');
    // A rule that passed in one file but denied in another counts as denied, once.
    const mixed = [...passes, { ...passes[2]!, environment: 'dev' }];
    expect(renderReport('text', { ...withPasses, passes: mixed })).toContain(
      'policy (dev): 1 rule passed, 0 warned, 1 denied',
    );
    expect(renderReport('text', input)).not.toMatch(/^policy/m);
  });

  it('github: annotations are for problems only, passes add none', () => {
    expect(renderReport('github', withPasses)).toBe(renderReport('github', { ...withPasses, passes: [] }));
  });
});

describe('text: concise notes', () => {
  it('lists the first notes of a rule per file and counts the rest', () => {
    const note = (line: number): Finding => ({
      stage: 'schema',
      ruleId: 'schema/not-checked-encrypted',
      severity: 'info',
      message: `/x/${line}: not checked: encrypted (minLength)`,
      file: 'a.yaml',
      line,
      column: 1,
    });
    const out = renderReport('text', { title: 't', findings: [1, 2, 3, 4, 5].map(note) });
    expect(out.match(/not checked: encrypted/g)).toHaveLength(3);
    expect(out).toContain('… and 2 more  schema/not-checked-encrypted');
    expect(out).toContain('0 errors, 0 warnings, 5 notes');
  });
});
