import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { LlmcmError } from '../core/errors.js';
import { packageRoot } from '../core/package-root.js';
import { secretKeyPattern } from './redact.js';

const schemaDir = pathToFileURL(join(packageRoot(), 'schemas', '/'));

let validators: { input: ValidateFunction; data: ValidateFunction } | undefined;

/** The two policy schemas, compiled once per process (strict mode, draft 2020-12). */
function compiledValidators(): { input: ValidateFunction; data: ValidateFunction } {
  if (validators) return validators;
  // validateSchema: false skips compiling the draft 2020-12 meta-schema (~30 ms of every `check`): these
  // two schemas ship with llmcm and a unit test validates them against the meta-schema instead.
  const ajv = new Ajv2020({
    strict: true,
    strictRequired: false,
    allErrors: false,
    allowUnionTypes: true,
    validateSchema: false,
  });
  const input = JSON.parse(readFileSync(new URL('policy-input.schema.json', schemaDir), 'utf8')) as object;
  const data = JSON.parse(readFileSync(new URL('policy-data.schema.json', schemaDir), 'utf8')) as object;
  ajv.addSchema(input);
  ajv.addSchema(data);
  validators = {
    input: ajv.getSchema('https://llmcm.dev/schemas/policy-input.schema.json')!,
    data: ajv.getSchema('https://llmcm.dev/schemas/policy-data.schema.json')!,
  };
  return validators;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath || '/';
  if (error.keyword === 'additionalProperties') {
    return `${where}: unknown property '${(error.params as { additionalProperty: string }).additionalProperty}'`;
  }
  if (error.keyword === 'enum') {
    return `${where}: must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (error.keyword === 'pattern' && error.instancePath.match(/(now|at|expires|start|end)$/)) {
    return `${where}: must be an RFC 3339 UTC timestamp like 2026-11-27T09:30:00Z`;
  }
  return `${where}: ${error.message ?? 'is invalid'}`;
}

/**
 * Checks a policy input against schemas/policy-input.schema.json. A mismatch is an input error naming
 * the JSON pointer, so a policy never runs on an input it was not written for.
 */
export function validatePolicyInput(input: unknown, file?: string): void {
  const validate = compiledValidators().input;
  if (validate(input)) {
    const leak = findUnredactedSecret((input as { config: unknown }).config, '/config');
    if (leak === undefined) return;
    // Name the path only: the value is what must never be printed.
    throw new LlmcmError(`policy input holds a plain value under the secret-looking key ${leak}`, {
      code: 'POLICY_INPUT_UNREDACTED',
      kind: 'input',
      file,
      hint: 'replace secret values by a marker like {"$secret": "encrypted"} (redactConfig does this) before evaluating',
    });
  }
  const first = validate.errors?.[0];
  throw new LlmcmError(
    `policy input does not match schemas/policy-input.schema.json: ${first ? describe(first) : 'invalid'}`,
    {
      code: 'POLICY_INPUT_INVALID',
      kind: 'input',
      file,
      hint: 'see docs/policy.md ("The input") for the expected shape; `llmcm policy eval --no-validate` skips this check for debugging',
    },
  );
}

/** Checks the merged policy data; `locate` maps the failing pointer back to its file and line. */
export function validatePolicyData(
  data: unknown,
  locate: (pointer: string) => { file?: string; line?: number; column?: number },
): void {
  const validate = compiledValidators().data;
  if (validate(data)) return;
  const first = validate.errors?.[0];
  const where = first ? locate(first.instancePath) : {};
  throw new LlmcmError(
    `policy data does not match schemas/policy-data.schema.json: ${first ? describe(first) : 'invalid'}`,
    {
      code: 'POLICY_DATA_INVALID',
      kind: 'config',
      file: where.file,
      line: where.line,
      column: where.column,
      hint: 'fix the value at that line; docs/policy.md describes every data file',
    },
  );
}

/**
 * The first JSON pointer under `tree` where a secret-looking key holds a plain value instead of a
 * {"$secret": ...} marker. The policies never see values, so the input must not carry any.
 */
export function findUnredactedSecret(tree: unknown, pointer = ''): string | undefined {
  if (Array.isArray(tree)) {
    for (let i = 0; i < tree.length; i++) {
      const found = findUnredactedSecret(tree[i], `${pointer}/${i}`);
      if (found) return found;
    }
    return undefined;
  }
  if (!tree || typeof tree !== 'object') return undefined;
  for (const [key, value] of Object.entries(tree as Record<string, unknown>)) {
    const child = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (secretKeyPattern.test(key) && value !== null && typeof value !== 'object') return child;
    const found = findUnredactedSecret(value, child);
    if (found) return found;
  }
  return undefined;
}
