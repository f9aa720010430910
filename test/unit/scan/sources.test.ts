import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHUNK_BYTES,
  chunkContent,
  isBinaryContent,
  MAX_PEEK_BYTES,
} from '../../../src/scan/sources/chunk.js';
import {
  addedLineNumbers,
  addedLinesOfBytes,
  addedLinesOfTexts,
  splitLines,
} from '../../../src/scan/sources/line-diff.js';
import { addVarintGroup } from '../../../src/scan/sources/object-store.js';

describe('chunkContent (gitleaks dir-mode chunks)', () => {
  it('keeps a small file in one fragment starting at line 1', () => {
    const frags = chunkContent(Buffer.from('a\nb\n'), 'x.txt');
    expect(frags).toEqual([{ raw: 'a\nb\n', filePath: 'x.txt', commit: '', startLine: 1 }]);
  });

  it('cuts large files near 100 kB, extends to a blank line, and numbers lines across chunks', () => {
    const lines = Array.from({ length: 6000 }, (_, i) => (i % 50 === 0 ? '' : `line ${i} ${'x'.repeat(40)}`));
    const text = `${lines.join('\n')}\n`;
    const frags = chunkContent(Buffer.from(text), 'big.txt');
    expect(frags.length).toBeGreaterThan(2);
    expect(frags.map((f) => f.raw).join('')).toBe(text);
    for (const f of frags) expect(Buffer.byteLength(f.raw)).toBeLessThanOrEqual(CHUNK_BYTES + MAX_PEEK_BYTES);
    // Each fragment's first line number matches its position in the file.
    let line = 1;
    for (const f of frags) {
      expect(f.startLine).toBe(line);
      line += f.raw.split('\n').length - 1;
    }
    expect(frags[0]!.raw.endsWith('\n\n')).toBe(true);
  });

  it('skips binary content (NUL bytes or archive magic)', () => {
    expect(chunkContent(Buffer.from([0x41, 0, 0x42]), 'x')).toEqual([]);
    expect(isBinaryContent(Buffer.from([0x1f, 0x8b, 8]))).toBe(true);
    expect(isBinaryContent(Buffer.from('plain text'))).toBe(false);
  });
});

describe('addedLineNumbers (Myers)', () => {
  it('finds inserted and changed lines', () => {
    expect(addedLineNumbers(splitLines('a\nb\nc\n'), splitLines('a\nx\nb\nc\ny\n'))).toEqual([2, 5]);
    expect(addedLineNumbers(splitLines('a\nb\n'), splitLines('a\nB\n'))).toEqual([2]);
    expect(addedLineNumbers([], splitLines('a\nb'))).toEqual([1, 2]);
  });

  it('the unchanged lines of the new text are a subsequence of the old one, and the script is minimal-ish (property)', () => {
    const line = fc.constantFrom('a\n', 'b\n', 'c\n', 'secret\n', '\n');
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 30 }),
        fc.array(line, { maxLength: 30 }),
        (oldLines, newLines) => {
          const added = new Set(addedLineNumbers(oldLines, newLines));
          const kept = newLines.filter((_, i) => !added.has(i + 1));
          let j = 0;
          for (const l of oldLines) if (j < kept.length && kept[j] === l) j++;
          expect(j).toBe(kept.length);
          // Never more additions than lines that do not occur in the old text at all, plus the size difference.
          expect(added.size).toBeLessThanOrEqual(newLines.length);
          if (oldLines.join('') === newLines.join('')) expect(added.size).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the text-level diff (character prefix/suffix) equals the line-level one (property)', () => {
    // Short lines over a tiny alphabet, with and without a final newline, so prefixes and suffixes
    // end mid-line, at line starts and at the text edges.
    const line = fc.constantFrom('a\n', 'b\n', 'ab\n', 'ba\n', '\n', 'a', 'b', 'x\r\n');
    const text = fc.array(line, { maxLength: 12 }).map((ls) => ls.join(''));
    fc.assert(
      fc.property(fc.option(text, { nil: undefined }), text, (oldText, newText) => {
        const expected = addedLineNumbers(
          oldText === undefined ? [] : splitLines(oldText),
          splitLines(newText),
        );
        expect(addedLinesOfTexts(oldText, newText)).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
    // Long texts sharing most lines, so the block comparison (128 characters) is exercised.
    const long = fc.constantFrom(
      'a\n',
      `${'x'.repeat(60)}\n`,
      `${'y'.repeat(130)}\n`,
      'z',
      '\n',
      `${'x'.repeat(61)}`,
    );
    const edits = fc.array(fc.tuple(fc.nat(), fc.constantFrom('insert', 'replace', 'delete'), long), {
      maxLength: 4,
    });
    const apply = (base: string[], es: [number, string, string][]): string => {
      const out = [...base];
      for (const [at, kind, line] of es) {
        const i = out.length === 0 ? 0 : at % out.length;
        if (kind === 'insert') out.splice(i, 0, line);
        else if (kind === 'replace') out[i] = line;
        else out.splice(i, 1);
      }
      return out.join('');
    };
    fc.assert(
      fc.property(fc.array(long, { maxLength: 60 }), edits, edits, (base, oldEdits, newEdits) => {
        const oldText = apply(base, oldEdits);
        const newText = apply(base, newEdits);
        expect(addedLinesOfTexts(oldText, newText)).toEqual(
          addedLineNumbers(splitLines(oldText), splitLines(newText)),
        );
      }),
      { numRuns: 1500 },
    );
    expect(addedLinesOfTexts('p\nx', 'p\ny\nx')).toEqual([2]);
    expect(addedLinesOfTexts('a\nb', 'a\nb\n')).toEqual([2]);
    expect(addedLinesOfTexts('a\nb\n', '')).toEqual([]);
  });

  it('the byte-level diff equals the text-level one on UTF-8 text, multi-byte characters included (property)', () => {
    // Characters that share UTF-8 lead or trail bytes (é C3 A9, ã C3 A3, ѩ D1 A9, 😀 F0 9F 98 80),
    // so byte prefixes and suffixes stop in the middle of a character.
    const line = fc.constantFrom(
      'a\n',
      'é\n',
      'ã\n',
      'ѩ\n',
      'aé\n',
      'ãa\n',
      '😀\n',
      '\n',
      'é',
      'x\r\n',
      'ab',
    );
    const text = fc.array(line, { maxLength: 14 }).map((ls) => ls.join(''));
    const bytes = (t: string | undefined) => (t === undefined ? undefined : Buffer.from(t, 'utf8'));
    fc.assert(
      fc.property(fc.option(text, { nil: undefined }), text, (oldText, newText) => {
        const start = { line: 0, offset: -1 };
        const added = addedLinesOfBytes(bytes(oldText), bytes(newText)!, start);
        expect(added).toEqual(addedLinesOfTexts(oldText, newText));
        // The start hint names a real line start of the new blob, at or before the first added line.
        const newBytes = bytes(newText)!;
        let lineStart = 0;
        for (let line = 1; line < start.line; line++) lineStart = newBytes.indexOf(10, lineStart) + 1;
        expect(start.offset).toBe(lineStart);
        if (added.length > 0) expect(start.line).toBeLessThanOrEqual(added[0]!);
      }),
      { numRuns: 3000 },
    );
    expect(addedLinesOfBytes(Buffer.from('p\nx'), Buffer.from('p\ny\nx'))).toEqual([2]);
    expect(addedLinesOfBytes(Buffer.from('a\nb'), Buffer.from('a\nb\n'))).toEqual([2]);
    expect(addedLinesOfBytes(Buffer.from('a\nb\n'), Buffer.alloc(0))).toEqual([]);
    expect(addedLinesOfBytes(new Uint8Array([0x61, 0x0a]), new Uint8Array([0x62, 0x0a]))).toEqual([1]);
  });
});

describe('addVarintGroup (pack entry and delta sizes)', () => {
  it('adds a base-128 group exactly, in integers where they fit and in doubles past 2^31', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 2 ** 40 }),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom(0, 4, 7, 11, 14, 18, 21, 24, 25, 28, 32, 35, 39),
        (size, byte, shift) => {
          expect(addVarintGroup(size, byte, shift)).toBe(size + (byte & 0x7f) * 2 ** shift);
        },
      ),
      { numRuns: 2000 },
    );
    // The integer path's edge: the largest sum it takes is 2^31 - 1.
    expect(addVarintGroup(0xffffff, 0x7f, 24)).toBe(2 ** 31 - 1);
    expect(addVarintGroup(0x1000000, 0x7f, 24)).toBe(2 ** 31);
  });
});
