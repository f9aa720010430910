import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../../src/check/run-check.js';
import { LlmcmError } from '../../../src/core/errors.js';
import { projectRoot } from '../../support/tools.js';

const scratch = mkdtempSync(join(tmpdir(), 'llmcm-bad-input-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let counter = 0;
/** A copy of the example repo with some files replaced. */
function repoWith(files: Record<string, string | null>): string {
  const dir = join(scratch, String(counter++));
  for (const part of ['llmcm.yaml', 'environments', 'schemas'])
    cpSync(join(projectRoot, part), join(dir, part), { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    if (text === null) rmSync(join(dir, path), { force: true });
    else {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
  }
  return dir;
}

async function failure(root: string, environment?: string): Promise<LlmcmError> {
  try {
    await runCheck({ root, fingerprintKey: new Uint8Array(32), ...(environment ? { environment } : {}) });
  } catch (error) {
    if (error instanceof LlmcmError) return error;
    throw error;
  }
  throw new Error('expected llmcm check to refuse the input');
}

const sops = 'sops:\n    age: []\n    lastmodified: "2026-01-01T00:00:00Z"\n    version: 3.13.3\n';

describe('bad input: a clear error with file and line, exit code 2', () => {
  it.each([
    [
      'malformed YAML',
      { 'environments/dev/flags.yaml': `streaming:\n  enabled: [true\n${sops}` },
      'YAML_SYNTAX',
      'environments/dev/flags.yaml',
    ],
    [
      'a duplicate key',
      { 'environments/dev/flags.yaml': `a:\n  enabled: true\na:\n  enabled: false\n${sops}` },
      'YAML_DUPLICATE_KEY',
      'environments/dev/flags.yaml:3:1',
    ],
    [
      'a non-string key',
      { 'environments/dev/flags.yaml': `flags:\n  200: {enabled: true}\n${sops}` },
      'YAML_NON_STRING_KEY',
      'environments/dev/flags.yaml:2:3',
    ],
    [
      'a file without sops metadata',
      { 'environments/prod/flags.yaml': 'debug:\n  enabled: false\n' },
      'SOPS_METADATA_MISSING',
      'environments/prod/flags.yaml:1:1',
    ],
    [
      'a schema that does not compile',
      {
        'schemas/flags.schema.json':
          '{\n  "$schema": "https://json-schema.org/draft/2020-12/schema",\n  "type": "object",\n  "minProperties": "two"\n}\n',
      },
      'SCHEMA_INVALID',
      'schemas/flags.schema.json:4',
    ],
    [
      'a schema with an unknown keyword',
      {
        'schemas/flags.schema.json':
          '{\n  "type": "object",\n  "additionalProperties": {\n    "typo": true\n  }\n}\n',
      },
      'SCHEMA_INVALID',
      'schemas/flags.schema.json:4',
    ],
    [
      'a schema that is not JSON',
      { 'schemas/flags.schema.json': '{\n  "type": "object",\n  oops\n}\n' },
      'SCHEMA_INVALID',
      'schemas/flags.schema.json:3',
    ],
    ['a missing project file', { 'llmcm.yaml': null }, 'PROJECT_FILE_MISSING', 'llmcm.yaml'],
  ])('%s', async (_name, files, code, where) => {
    const error = await failure(repoWith(files as Record<string, string | null>));
    expect(error.code).toBe(code);
    expect(error.exitCode).toBe(2);
    expect(error.toOneLine().startsWith(`${where}`)).toBe(true);
    expect(error.hint).toBeTruthy();
  });

  it('an unknown environment', async () => {
    const error = await failure(repoWith({}), 'qa');
    expect([error.code, error.exitCode, error.file]).toEqual(['UNKNOWN_ENVIRONMENT', 2, 'llmcm.yaml']);
    expect(error.line).toBe(10);
  });
});
