import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRevision, walkRevision } from '../../../src/repo/revision.js';

describe('parseRevision', () => {
  it.each([
    ['HEAD', { base: 'HEAD', steps: [] }],
    ['HEAD~1', { base: 'HEAD', steps: [{ op: '~', n: 1 }] }],
    ['HEAD~', { base: 'HEAD', steps: [{ op: '~', n: 1 }] }],
    ['main^', { base: 'main', steps: [{ op: '^', n: 1 }] }],
    [
      'origin/main~3^2',
      {
        base: 'origin/main',
        steps: [
          { op: '~', n: 3 },
          { op: '^', n: 2 },
        ],
      },
    ],
    ['v1.0^{commit}', { base: 'v1.0', steps: [] }],
    ['abc123^0', { base: 'abc123', steps: [{ op: '^', n: 0 }] }],
  ])('%s', (spec, expected) => {
    expect(parseRevision(spec)).toEqual(expected);
  });

  it.each(['~1', 'HEAD~x', 'HEAD^{tree}', 'HEAD~1foo'])('rejects %s', (spec) => {
    expect(parseRevision(spec)).toBeUndefined();
  });

  it('round-trips generated suffixes', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9/._-]{1,20}$/),
        fc.array(fc.record({ op: fc.constantFrom<'~' | '^'>('~', '^'), n: fc.nat(20) }), { maxLength: 5 }),
        (base, steps) => {
          const spec = base + steps.map((s) => `${s.op}${s.n}`).join('');
          expect(parseRevision(spec)).toEqual({ base, steps });
        },
      ),
    );
  });
});

describe('walkRevision', () => {
  // c4 is a merge of c3 (first parent) and b1; history c1 ← c2 ← c3 ← c4.
  const parents: Record<string, string[]> = { c4: ['c3', 'b1'], c3: ['c2'], c2: ['c1'], c1: [], b1: ['c1'] };
  const parentsOf = async (oid: string) => parents[oid] ?? [];

  it('follows first parents with ~ and the n-th parent with ^', async () => {
    expect(await walkRevision('c4', [{ op: '~', n: 2 }], parentsOf)).toBe('c2');
    expect(await walkRevision('c4', [{ op: '^', n: 2 }], parentsOf)).toBe('b1');
    expect(
      await walkRevision(
        'c4',
        [
          { op: '^', n: 2 },
          { op: '~', n: 1 },
        ],
        parentsOf,
      ),
    ).toBe('c1');
    expect(await walkRevision('c4', [{ op: '^', n: 0 }], parentsOf)).toBe('c4');
  });

  it('is undefined past the root or for a missing parent', async () => {
    expect(await walkRevision('c2', [{ op: '~', n: 5 }], parentsOf)).toBeUndefined();
    expect(await walkRevision('c3', [{ op: '^', n: 2 }], parentsOf)).toBeUndefined();
  });
});
