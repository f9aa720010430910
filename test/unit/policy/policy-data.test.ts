import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LlmcmError } from '../../../src/core/errors.js';
import { parseOpaErrors } from '../../../src/policy/opa-cli.js';
import { validatePolicyData } from '../../../src/policy/policy-schemas.js';
import { listPolicySources, loadPolicyData } from '../../../src/policy/policy-sources.js';
import { projectRoot } from '../../support/tools.js';
import { scratchDir } from './policy-fixtures.js';

function project(files: Record<string, string>): string {
  const root = scratchDir('llmcm-policy-data-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function loadError(files: Record<string, string>): LlmcmError {
  const root = project(files);
  try {
    const loaded = loadPolicyData(root, listPolicySources(root).dataFiles);
    validatePolicyData(loaded.data, loaded.locate);
  } catch (error) {
    if (error instanceof LlmcmError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('policy data files', () => {
  it('the repo data loads and matches schemas/policy-data.schema.json', () => {
    const loaded = loadPolicyData(projectRoot, listPolicySources(projectRoot).dataFiles);
    expect(() => validatePolicyData(loaded.data, loaded.locate)).not.toThrow();
    expect(Object.keys(loaded.data).sort()).toEqual([
      'access',
      'change_windows',
      'environments',
      'exemptions',
      'naming',
      'rules',
    ]);
  });

  it('a YAML file that does not parse names file, line and a fix', () => {
    const error = loadError({ 'policies/data/access.yaml': 'access:\n  roles:\n    a: [1\n' });
    expect(error.code).toBe('POLICY_DATA_PARSE');
    expect(error.file).toBe('policies/data/access.yaml');
    expect(error.line).toBeGreaterThanOrEqual(3);
    expect(error.hint).toMatch(/fix the YAML/);
  });

  it('a duplicate YAML key is refused', () => {
    const error = loadError({ 'policies/data/a.yaml': 'rules: {}\nrules: {}\n' });
    expect(error).toMatchObject({ code: 'POLICY_DATA_PARSE', file: 'policies/data/a.yaml', line: 2 });
  });

  it('a JSON file that does not parse names file and line', () => {
    const error = loadError({ 'policies/data/x.json': '{\n  "rules": {},\n}\n' });
    expect(error).toMatchObject({ code: 'POLICY_DATA_PARSE', file: 'policies/data/x.json', line: 3 });
  });

  it('two files defining one top-level key conflict', () => {
    const error = loadError({
      'policies/data/a.yaml': 'rules: {}\n',
      'policies/data/b.yaml': '# b\nrules: {}\n',
    });
    expect(error).toMatchObject({ code: 'POLICY_DATA_CONFLICT', file: 'policies/data/b.yaml', line: 2 });
  });

  it('an exemption without an RFC 3339 expiry points at its line', () => {
    const error = loadError({
      'policies/data/exemptions.yaml': [
        'exemptions:',
        '  - id: EX-1',
        '    rule: param-range',
        '    environment: prod',
        '    path: /models',
        '    owner: ann',
        '    reason: a long enough reason',
        '    expires: next week',
        '',
      ].join('\n'),
    });
    expect(error).toMatchObject({
      code: 'POLICY_DATA_INVALID',
      file: 'policies/data/exemptions.yaml',
      line: 8,
    });
    expect(error.message).toContain('/exemptions/0/expires: must be an RFC 3339 UTC timestamp');
  });

  it('an exemption without an owner is refused', () => {
    const error = loadError({
      'policies/data/exemptions.yaml':
        'exemptions:\n  - {id: EX-1, rule: r, environment: prod, path: /, reason: a long enough reason, expires: "2027-01-01T00:00:00Z"}\n',
    });
    expect(error.message).toContain("must have required property 'owner'");
    expect(error.line).toBe(2);
  });
});

describe('opa error parsing', () => {
  it('reads the text form with file, line and code', () => {
    const errors = parseOpaErrors(
      'error: load error: 2 errors occurred during loading:\npolicies/rego/a.rego:3: rego_parse_error: unexpected eof token\n\tresult := {\n',
    );
    expect(errors[0]).toEqual({
      file: 'policies/rego/a.rego',
      line: 3,
      column: undefined,
      code: 'rego_parse_error',
      message: 'unexpected eof token',
    });
  });

  it('reads the JSON form', () => {
    const errors = parseOpaErrors(
      JSON.stringify({
        errors: [
          {
            message: 'x is recursive',
            code: 'rego_recursion_error',
            location: { file: 'p.rego', row: 2, col: 1 },
          },
        ],
      }),
    );
    expect(errors[0]).toMatchObject({ file: 'p.rego', line: 2, column: 1, code: 'rego_recursion_error' });
  });
});
