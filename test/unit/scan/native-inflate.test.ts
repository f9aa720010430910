/** The shared-handle inflater agrees with zlib.inflateSync on every kind of deflate stream, and fails loudly on damage. */
import { constants, deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocObjectBuffer, inflateExact, inflateHead } from '../../../src/scan/sources/native-inflate.js';

const strategies = [
  constants.Z_DEFAULT_STRATEGY,
  constants.Z_FILTERED,
  constants.Z_HUFFMAN_ONLY,
  constants.Z_RLE,
  constants.Z_FIXED,
];

const data = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }),
  fc
    .array(fc.constantFrom('tree ', 'parent ', '100644 conf.yaml\0', 'x', '\n', 'abcabcabc'), {
      maxLength: 300,
    })
    .map((parts) => new Uint8Array(Buffer.from(parts.join('')))),
);

describe('inflateExact', () => {
  it('matches inflateSync for stored, fixed and dynamic blocks, inside a larger buffer (property)', () => {
    fc.assert(
      fc.property(
        data,
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom(...strategies),
        (bytes, level, strategy) => {
          const z = deflateSync(bytes, { level, strategy });
          // Followed by more data, as a pack entry is followed by the next one: zlib stops at the end.
          const pack = Buffer.concat([
            Buffer.from([1, 2, 3]),
            z,
            deflateSync('next entry'),
            Buffer.from([9]),
          ]);
          const out = inflateExact(pack, 3, pack.length, bytes.length);
          expect(Buffer.compare(out, inflateSync(z))).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('throws on a wrong size, truncated input, a damaged checksum or garbage, and keeps working after', () => {
    const text = Buffer.from('model: gpt\n'.repeat(20));
    const z = deflateSync(text);
    expect(() => inflateExact(z, 0, z.length, text.length + 1)).toThrow();
    expect(() => inflateExact(z, 0, z.length, text.length - 1)).toThrow();
    expect(() => inflateExact(z, 0, z.length - 8, text.length)).toThrow();
    const damaged = Buffer.from(z);
    damaged[damaged.length - 1]! ^= 1; // Adler-32 trailer
    expect(() => inflateExact(damaged, 0, damaged.length, text.length)).toThrow();
    expect(() => inflateExact(Buffer.from([0x78, 0x9c, 0xff, 0xff, 0xff]), 0, 5, 10)).toThrow();
    const dict = deflateSync(text, { dictionary: Buffer.from('model') });
    expect(() => inflateExact(dict, 0, dict.length, text.length)).toThrow();
    // The shared handle was reset after each failure.
    expect(inflateExact(z, 0, z.length, text.length).toString()).toBe(text.toString());
  });

  it('inflateHead returns exactly the first bytes wherever the cut falls, undefined past the end (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 2000 }),
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom(...strategies),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (bytes, level, strategy, at) => {
          const z = deflateSync(bytes, { level, strategy });
          const want = Math.max(1, Math.floor(at * bytes.length));
          const into = Buffer.alloc(want, 0xaa);
          const out = inflateHead(z, 0, z.length, into);
          expect(out).toBe(into);
          expect(Buffer.compare(into, Buffer.from(bytes.subarray(0, want)))).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
    const z = deflateSync(Buffer.from('short'));
    expect(inflateHead(z, 0, z.length, Buffer.alloc(6))).toBeUndefined();
  });

  it('hands out independent slab buffers', () => {
    const a = allocObjectBuffer(10).fill(1);
    const b = allocObjectBuffer(100_000).fill(2);
    const c = allocObjectBuffer(3).fill(3);
    expect([a.length, b.length, c.length]).toEqual([10, 100_000, 3]);
    expect(a.every((x) => x === 1)).toBe(true);
    expect(c.every((x) => x === 3)).toBe(true);
  });
});
