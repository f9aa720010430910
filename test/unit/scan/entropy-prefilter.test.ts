import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shannonEntropy } from '../../../src/scan/detect/entropy.js';
import { KeywordPrefilter } from '../../../src/scan/detect/keyword-prefilter.js';

describe('shannonEntropy (gitleaks detect/utils.go)', () => {
  it('is 0 for empty and single-symbol strings', () => {
    expect(shannonEntropy('')).toBe(0);
    expect(shannonEntropy('aaaa')).toBe(0);
  });
  it('is log2(n) for n distinct ASCII symbols', () => {
    expect(shannonEntropy('abcd')).toBeCloseTo(2, 12);
    expect(shannonEntropy('0123456789abcdef')).toBeCloseTo(4, 12);
  });
  it('divides by the UTF-8 byte length, not the character count (gitleaks quirk)', () => {
    // 'é' is 2 bytes: counts {é:1, a:1}, length 3 → -(1/3·log2(1/3))·2
    const expected = -2 * (1 / 3) * Math.log2(1 / 3);
    expect(shannonEntropy('éa')).toBeCloseTo(expected, 12);
    expect(shannonEntropy('éa')).not.toBeCloseTo(1, 3);
  });
});

describe('KeywordPrefilter (Aho-Corasick)', () => {
  it('finds overlapping and nested keywords in one pass', () => {
    const p = new KeywordPrefilter(['he', 'she', 'his', 'hers', 'sk-', 'x']);
    expect([...p.findKeywords('ushers sk-1')].sort()).toEqual(['he', 'hers', 'she', 'sk-']);
  });
  it('agrees with a naive substring search (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'é', '-'), minLength: 1, maxLength: 4 }),
          {
            maxLength: 8,
          },
        ),
        fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'é', '-', 'x'), maxLength: 60 }),
        (keywords, text) => {
          const found = new KeywordPrefilter(keywords).findKeywords(text);
          const naive = new Set(keywords.filter((k) => text.includes(k)));
          expect([...found].sort()).toEqual([...naive].sort());
        },
      ),
      { numRuns: 300 },
    );
  });
});
