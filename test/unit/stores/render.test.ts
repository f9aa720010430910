import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseNestedJson,
  renderDotEnv,
  renderNestedJson,
  toEnvName,
} from '../../../src/stores/file/render.js';

describe('file store rendering', () => {
  it.each([
    ['providers.openai.api_key', 'PROVIDERS_OPENAI_API_KEY'],
    ['llm.max-tokens', 'LLM_MAX_TOKENS'],
    ['3d.model', '_3D_MODEL'],
    ['a..b', 'A_B'],
  ])('names %s as %s in .env', (key, name) => {
    expect(toEnvName(key)).toBe(name);
  });

  it('round-trips any flat map of dotted keys through nested JSON', () => {
    const segment = fc.string({ minLength: 1, maxLength: 6 }).filter((s) => !s.includes('.'));
    const key = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.'));
    fc.assert(
      fc.property(fc.dictionary(key, fc.string({ maxLength: 20 }), { maxKeys: 15 }), (raw) => {
        // Drop keys that are parents of other keys: they have no nested form (and are refused).
        const values: Record<string, string> = {};
        const keys = Object.keys(raw);
        for (const k of keys) if (!keys.some((o) => o.startsWith(`${k}.`))) values[k] = raw[k] as string;
        expect(parseNestedJson('t', renderNestedJson('t', values), 'config.json')).toEqual(values);
      }),
      { numRuns: 200 },
    );
  });

  it('never lets a __proto__ segment reach an object prototype', () => {
    const text = renderNestedJson('t', { '__proto__.polluted': 'yes' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(parseNestedJson('t', text, 'config.json')).toEqual({ '__proto__.polluted': 'yes' });
  });

  it('escapes quotes, backslashes and newlines in .env values', () => {
    expect(renderDotEnv('t', { k: 'a"b\\c\nd' })).toBe('K="a\\"b\\\\c\\nd"\n');
    expect(renderDotEnv('t', {})).toBe('');
  });
});
