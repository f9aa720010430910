import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeContentHash } from '../../../src/stores/content-hash.js';

describe('computeContentHash', () => {
  it('is the sha256 of the canonical JSON (sorted keys, no whitespace)', () => {
    const expected = createHash('sha256').update('{"a":"1","b":"2"}').digest('hex');
    expect(computeContentHash({ b: '2', a: '1' })).toBe(expected);
  });

  it('does not lose a key named __proto__', () => {
    const withProto = JSON.parse('{"__proto__":"x","a":"1"}') as Record<string, string>;
    expect(computeContentHash(withProto)).not.toBe(computeContentHash({ a: '1' }));
  });

  it('sorts keys by code unit (integer-like keys included) and ignores insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.string()), (values) => {
        const entries = Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        const canonical = `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
        const expected = createHash('sha256').update(canonical).digest('hex');
        expect(computeContentHash(values)).toBe(expected);
        expect(computeContentHash(Object.fromEntries(entries.reverse()))).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('orders "10" before "9" (code units), unlike a JS object literal would', () => {
    const canonical = '{"10":"a","9":"b"}';
    expect(computeContentHash({ 9: 'b', 10: 'a' })).toBe(
      createHash('sha256').update(canonical).digest('hex'),
    );
  });
});
