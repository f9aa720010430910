import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../../src/cli/command.js';
import { policyEvalCommand } from '../../../src/cli/commands/policy-eval.js';
import { LlmcmError } from '../../../src/core/errors.js';
import { projectRoot } from '../../support/tools.js';
import { promoteInput, scratchDir } from './policy-fixtures.js';

async function run(values: CommandContext['values']) {
  let out = '';
  const stdout = new PassThrough();
  stdout.on('data', (chunk) => {
    out += chunk;
  });
  const context: CommandContext = {
    positionals: [],
    values: { 'no-log': true, ...values },
    stdout,
    stderr: new PassThrough(),
    stdin: new PassThrough(),
    cwd: projectRoot,
    env: { PATH: '' },
    debug: false,
    color: false,
  };
  const code = await policyEvalCommand.run(context);
  return { code, out };
}

async function failure(values: CommandContext['values']): Promise<LlmcmError> {
  try {
    await run(values);
  } catch (error) {
    if (error instanceof LlmcmError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('llmcm policy eval', () => {
  it('prints the decision of an entrypoint for an input file', async () => {
    const file = join(scratchDir(), 'input.json');
    writeFileSync(file, JSON.stringify(promoteInput('rita', ['ravi', 'carol'])));
    const { code, out } = await run({ input: file, entrypoint: 'llmcm/access/decision' });
    expect(code).toBe(0);
    const printed = JSON.parse(out) as {
      result: { allowed: boolean };
      decision_id: string;
      input_sha256: string;
    };
    expect(printed.result.allowed).toBe(true);
    expect(printed.decision_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(printed.input_sha256).toMatch(/^sha256:/);
  });

  it('evaluates any JSON, even `false`, with --no-validate', async () => {
    const file = join(scratchDir(), 'input.json');
    writeFileSync(file, 'false');
    const { out } = await run({ input: file, entrypoint: 'llmcm/access/decision', 'no-validate': true });
    const printed = JSON.parse(out) as { result: { allowed: boolean; deny: Array<{ id: string }> } };
    expect(printed.result.allowed).toBe(false);
    expect(printed.result.deny.map((d) => d.id).sort()).toEqual(['unknown-action', 'unknown-actor']);
  });

  it('a file that is not JSON names the line', async () => {
    const file = join(scratchDir(), 'input.json');
    writeFileSync(file, '{\n  "now": "2026-11-27T10:00:00Z",\n  oops\n}\n');
    const error = await failure({ input: file });
    expect(error).toMatchObject({ code: 'POLICY_INPUT_PARSE', line: 3 });
    expect(error.exitCode).toBe(2);
  });

  it('an input that does not match the schema is refused', async () => {
    const file = join(scratchDir(), 'input.json');
    writeFileSync(file, JSON.stringify({ now: '2026-11-27T10:00:00Z', action: 'merge', config: {} }));
    const error = await failure({ input: file });
    expect(error.code).toBe('POLICY_INPUT_INVALID');
    expect(error.message).toContain('/action: must be one of "change", "promote"');
    expect(error.file).toBe(file);
  });

  it('a missing entrypoint lists the ones that exist', async () => {
    const file = join(scratchDir(), 'input.json');
    writeFileSync(file, '{}');
    const error = await failure({ input: file, entrypoint: 'llmcm/nope', 'no-validate': true });
    expect(error.code).toBe('POLICY_ENTRYPOINT_MISSING');
    expect(error.hint).toContain('llmcm/access/decision');
  });
});
