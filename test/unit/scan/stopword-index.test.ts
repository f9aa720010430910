import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StopwordIndex } from '../../../src/scan/detect/stopword-index.js';

// A small alphabet so that stopwords and texts overlap often (both answers occur).
const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '_', 'é'), maxLength: 6 });

describe('StopwordIndex', () => {
  it('answers exactly like one substring search per stopword', () => {
    fc.assert(
      fc.property(
        fc.array(word, { maxLength: 60 }),
        fc.string({ unit: fc.constantFrom('a', 'b', 'c', '_', 'é', 'x'), maxLength: 40 }),
        (stopwords, text) => {
          expect(new StopwordIndex(stopwords).containsAny(text)).toBe(
            stopwords.some((w) => text.includes(w)),
          );
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('finds a stopword at the very start, the very end, and one shorter than the index key', () => {
    const index = new StopwordIndex(['example', 'xy', 'changeme']);
    expect(index.containsAny('examplekey123')).toBe(true);
    expect(index.containsAny('abc_changeme')).toBe(true);
    expect(index.containsAny('0xy0')).toBe(true);
    expect(index.containsAny('exampl_changem_x_y')).toBe(false);
    expect(new StopwordIndex(['']).containsAny('anything')).toBe(true);
  });
});
