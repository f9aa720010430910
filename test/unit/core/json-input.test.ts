import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LlmcmError } from '../../../src/core/errors.js';
import { parseJsonInput, scrubJsonSnippets } from '../../../src/core/json-input.js';

function errorOf(text: string): LlmcmError {
  try {
    parseJsonInput(text, { file: 'in.json', code: 'BAD_JSON' });
  } catch (error) {
    return error as LlmcmError;
  }
  throw new Error('expected a parse error');
}

describe('parseJsonInput', () => {
  it('parses valid JSON', () => {
    expect(parseJsonInput('{"a":[1,true,null]}', { code: 'X' })).toEqual({ a: [1, true, null] });
  });

  it('never quotes the input, and says where the error is', () => {
    const error = errorOf('{"a": 1,\n "api_key": CANARYSECRET5}');
    expect(error.message).not.toContain('CANARY');
    expect(error.toOneLine()).toBe('in.json:2:13: not valid JSON (line 2, column 13)');
    expect(error.code).toBe('BAD_JSON');
  });

  it('locates position-style and end-of-input errors', () => {
    expect(errorOf('{"a": 1,\n "b": 2,}').line).toBe(2);
    expect(errorOf('{"a": "unterminated').message).toMatch(/^not valid JSON/);
  });

  it('no secret-like input ever reaches the message (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9]{6,20}$/),
        fc.constantFrom('{"k": X}', '["X"', '{"X" 1}', 'X'),
        (secret, shape) => {
          const text = shape.replace('X', `CANARY${secret}`);
          let message = '';
          try {
            parseJsonInput(text, { code: 'X' });
          } catch (error) {
            message = (error as Error).message;
          }
          expect(message).not.toContain('CANARY');
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('scrubJsonSnippets', () => {
  it('removes the snippets V8 puts into JSON syntax errors', () => {
    let raw = '';
    try {
      JSON.parse('{"a":1,"api_key": CANARYJSON5}');
    } catch (error) {
      raw = (error as Error).message;
    }
    expect(raw).toContain('CANARY'); // what V8 does, and why this exists
    expect(scrubJsonSnippets(`cannot read x.json: ${raw}`)).toBe('cannot read x.json: not valid JSON');
  });
});
