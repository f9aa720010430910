/** The small JavaScript inflater agrees with native zlib on every kind of deflate stream, or declines. */
import { constants, deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inflateKnownSize, inflatePrefix } from '../../../src/scan/sources/inflate.js';

const strategies = [
  constants.Z_DEFAULT_STRATEGY,
  constants.Z_FILTERED,
  constants.Z_HUFFMAN_ONLY,
  constants.Z_RLE,
  constants.Z_FIXED,
];

describe('inflateKnownSize', () => {
  it('matches native zlib for stored, fixed and dynamic blocks (property)', () => {
    // Text-like and random bytes, every level (0 = stored blocks) and strategy.
    const data = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }),
      fc
        .array(fc.constantFrom('tree ', 'parent ', '100644 conf.yaml\0', 'x', '\n', 'abcabcabc'), {
          maxLength: 300,
        })
        .map((parts) => new Uint8Array(Buffer.from(parts.join('')))),
    );
    fc.assert(
      fc.property(
        data,
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom(...strategies),
        (bytes, level, strategy) => {
          const z = deflateSync(bytes, { level, strategy });
          // Inside a larger buffer, as pack entries are.
          const pack = Buffer.concat([Buffer.from([1, 2, 3]), z, Buffer.from([9, 9])]);
          const out = inflateKnownSize(pack, 3, 3 + z.length, bytes.length);
          expect(out).toBeDefined();
          expect(Buffer.compare(out!, inflateSync(z))).toBe(0);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('declines (never guesses) on a wrong size, truncated input, garbage or a preset dictionary', () => {
    const text = Buffer.from('model: gpt\n'.repeat(20));
    const z = deflateSync(text);
    expect(inflateKnownSize(z, 0, z.length, text.length + 1)).toBeUndefined();
    expect(inflateKnownSize(z, 0, z.length, text.length - 1)).toBeUndefined();
    expect(inflateKnownSize(z, 0, z.length - 8, text.length)).toBeUndefined();
    const damaged = Buffer.from(z);
    damaged[damaged.length - 1]! ^= 1; // Adler-32 trailer
    expect(inflateKnownSize(damaged, 0, damaged.length, text.length)).toBeUndefined();
    expect(inflateKnownSize(Buffer.from([0x78, 0x9c, 0xff, 0xff, 0xff]), 0, 5, 10)).toBeUndefined();
    const dict = deflateSync(text, { dictionary: Buffer.from('model') });
    expect(inflateKnownSize(dict, 0, dict.length, text.length)).toBeUndefined();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 200 }), fc.nat(500), (junk, size) => {
        const out = inflateKnownSize(junk, 0, junk.length, size);
        // Whatever it returns must be what zlib returns (when zlib accepts the bytes at all).
        if (out !== undefined) expect(Buffer.compare(out, inflateSync(junk).subarray(0, size))).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('inflatePrefix returns exactly the first bytes, wherever the cut falls (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 2000 }),
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom(...strategies),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (bytes, level, strategy, at) => {
          const z = deflateSync(bytes, { level, strategy });
          const want = Math.max(1, Math.floor(at * bytes.length));
          const out = inflatePrefix(z, 0, z.length, want);
          expect(out).toBeDefined();
          expect(Buffer.compare(out!, Buffer.from(bytes.subarray(0, want)))).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
    const z = deflateSync(Buffer.from('short'));
    expect(inflatePrefix(z, 0, z.length, 6)).toBeUndefined();
  });
});
