import { describe, expect, it } from 'vitest';
import { LlmcmError } from '../../../src/core/errors.js';
import { ExitCode } from '../../../src/core/exit-codes.js';

describe('LlmcmError', () => {
  it.each([
    ['usage', ExitCode.usage],
    ['input', ExitCode.usage],
    ['config', ExitCode.usage],
    ['decrypt', ExitCode.decrypt],
    ['store', ExitCode.store],
    ['internal', ExitCode.internal],
  ] as const)('maps kind %s to exit code %i', (kind, code) => {
    expect(new LlmcmError('x', { code: 'X', kind }).exitCode).toBe(code);
  });

  it('renders file:line:column in its one-line form', () => {
    const error = new LlmcmError('duplicate key', {
      code: 'DUP',
      kind: 'input',
      file: 'a.yaml',
      line: 3,
      column: 5,
    });
    expect(error.toOneLine()).toBe('a.yaml:3:5: duplicate key');
  });
});
