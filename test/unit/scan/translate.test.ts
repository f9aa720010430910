/** Unit expectations for the RE2 translator; the exhaustive comparison with Go is test/interop/scan/go-regexp.test.ts. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileGoRegex,
  findAllIndex,
  findSubmatch,
  foldOrbit,
  isCaseTarget,
  maskNonAscii,
  RegexTranslationError,
  translateGoRegex,
} from '../../../src/scan/re2/translate.js';

const all = (pattern: string, text: string): string[] =>
  findAllIndex(compileGoRegex(pattern), text).map(([s, e]) => text.slice(s, e));

describe('translateGoRegex', () => {
  it.each([
    ['mid-pattern (?i) applies to the rest of the group', 'a(?i)bc', 'aBC ABC', ['aBC']],
    ['(?i:…) is scoped', 'x(?i:ab)y', 'xABy xABY', ['xABy']],
    ['(?-i:…) turns folding off inside', '(?i)a(?-i:b)c', 'ABC AbC', ['AbC']],
    ['flags survive an alternation', '(?i)a(?-i)b|c', 'AB Ab C c', ['Ab', 'c']],
    ['(?s) lets . match newlines', '(?s)a.b', 'a\nb', ['a\nb']],
    ['. matches \\r but not \\n (Go), unlike JS', 'a.b', 'a\rb a\nb', ['a\rb']],
    ['\\s is [\\t\\n\\f\\r ] (no \\v, no NBSP)', '\\s+', 'a\v\u00a0b \t\nc', [' \t\n']],
    ['\\z is the end of text', 'x\\z', 'x\nx', ['x']],
    ['$ without (?m) is the end of text only', 'x$', 'x\nx', ['x']],
    ['(?m)^ is after \\n only (not \\r)', '(?m)^x', 'x\nx\rx', ['x', 'x']],
    ['POSIX classes', '[[:alnum:]]+', 'ab_12', ['ab', '12']],
    ['negated POSIX classes', '[[:^digit:]]+', 'ab12c', ['ab', 'c']],
    ['[^]] is "not ]"', '[^]]+', 'a]b', ['a', 'b']],
    ['[]a] starts with a literal ]', '[]a]+', 'x]a]x', [']a]']],
    ['(?P<name>…) is a capture group', '(?P<k>a+)b', 'aab', ['aab']],
    ['\\Q…\\E quotes', '\\Qa.b\\E', 'a.b axb', ['a.b']],
    ['Kelvin sign folds with k', '(?i)k', '\u212a', ['\u212a']],
    ['a { that is not a repeat is literal', 'a{,2}', 'a{,2}', ['a{,2}']],
    ['(?U) swaps greediness', '(?U)a+', 'aaa', ['a', 'a', 'a']],
    ['astral characters count as one', '^.$', '\u{1f600}', ['\u{1f600}']],
  ])('%s', (_name, pattern, text, expected) => {
    expect(all(pattern, text)).toEqual(expected);
  });

  it('counts groups like Go NumSubexp, named and unnamed', () => {
    expect(translateGoRegex('(a)(?:b)(?P<c>c)(?i:d)').groups).toBe(2);
    expect(translateGoRegex('(?P<x>a)').names[1]).toBe('x');
  });

  it('drops an empty match right after a previous match, like Go FindAll', () => {
    expect(findAllIndex(compileGoRegex('a*'), 'baaab')).toEqual([
      [0, 0],
      [1, 4],
      [5, 5],
    ]);
  });

  it('reports unmatched groups as empty strings, like Go FindStringSubmatch', () => {
    expect(findSubmatch(compileGoRegex('(a)|(b)'), 'b')).toEqual(['b', '', 'b']);
  });

  it.each([
    ['(a', 'missing closing )'],
    ['a)', 'unexpected )'],
    ['a**', 'nested repetition'],
    ['*a', 'missing argument'],
    ['(a)\\1', 'backreferences'],
    ['\\C', 'no JavaScript equivalent'],
    ['\\Z', 'invalid escape'],
    ['[z-a]', 'class range'],
    ['a{1001}', 'repeat count'],
    ['(?x)a', 'Perl syntax'],
    ['[[:nope:]]', 'class range'],
    ['\\p{Nope}', 'class range'],
  ])('rejects %s (%s) instead of silently changing its meaning', (pattern, why) => {
    expect(() => translateGoRegex(pattern)).toThrow(RegexTranslationError);
    expect(() => translateGoRegex(pattern)).toThrow(new RegExp(why.replace(/[()]/g, '\\$&')));
  });

  it('reports (does not drop) loops over a group that can match empty, where Go and JS can differ', () => {
    expect(translateGoRegex('x(|a)+y').warnings).toHaveLength(1);
    expect(translateGoRegex('(?:a*|b)+').warnings[0]).toMatch(/can match the empty string/);
    expect(translateGoRegex('(a|b)+').warnings).toEqual([]);
    expect(translateGoRegex('(ab)?c*').warnings).toEqual([]);
    expect(translateGoRegex('(a*)?').warnings).toHaveLength(1);
  });

  it('folds like Go simple folding', () => {
    expect([...foldOrbit(0x6b)].sort((a, b) => a - b)).toEqual([0x4b, 0x6b, 0x212a]);
    expect(foldOrbit(0x31)).toEqual([0x31]);
  });

  it('every case-fold partner is a CASE_TARGET (the premise of the big negated class shortcut)', () => {
    let pairs = 0;
    for (let cp = 0; cp <= 0x1ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      for (const f of foldOrbit(cp)) {
        if (f === cp) continue;
        pairs++;
        if (!isCaseTarget(f)) expect.fail(`U+${f.toString(16)} (partner of U+${cp.toString(16)})`);
      }
    }
    expect(pairs).toBeGreaterThan(2000);
  });

  it('(?i) on big negated sets matches like Go (the shortcut and the full fold walk)', () => {
    // [\S] leaves out only whitespace (no case), [^a] leaves out a letter (full fold walk).
    const cases: [string, string, boolean][] = [
      ['(?i)x[\\S]y', 'xKy', true],
      ['(?i)x[\\S]y', 'x y', false],
      ['(?i)x[^a]y', 'xAy', false],
      ['(?i)x[^a]y', 'xby', true],
      ['(?i)x[^\\s]y', 'x\u212ay', true],
      // Go folds \W, then negates, once: U+0131 is in it, 'I' is not (checked against Go 1.x).
      ['(?i)x[\\W]y', 'xIy', false],
      ['(?i)x[\\W]y', 'x\u0131y', true],
      ['(?i)x[[:^alpha:]]y', 'xIy', false],
    ];
    for (const [pattern, text, hit] of cases) expect(all(pattern, text).length > 0, pattern).toBe(hit);
  });
});

describe('Unicode classes and case folding as Go does them', () => {
  it('folds along Go simple-fold orbits, not JS case mappings', () => {
    const orbit = (cp: number) => [...foldOrbit(cp)].sort((a, b) => a - b);
    expect(orbit(0xb5)).toEqual([0xb5, 0x39c, 0x3bc]);
    expect(orbit(0x3c2)).toEqual([0x3a3, 0x3c2, 0x3c3]);
    expect(orbit(0x1c5)).toEqual([0x1c4, 0x1c5, 0x1c6]);
    expect(orbit(0xdf)).toEqual([0xdf, 0x1e9e]);
    expect(orbit(0x17f)).toEqual([0x53, 0x73, 0x17f]);
    // Dotless i and dotted I have no simple fold partner (only Turkish mappings).
    expect(orbit(0x131)).toEqual([0x131]);
    expect(orbit(0x130)).toEqual([0x130]);
    expect(orbit(0x49)).toEqual([0x49, 0x69]);
  });

  it.each([
    // Go adds the fold table to the class, then negates: (?i)\P{Lu} matches neither A nor a, nor
    // U+0345 (a partner of U+0399). Expected values as Go's regexp answers them.
    ['(?i)\\p{Lu}', 'aA1\u01c5\u0345', ['a', 'A', '\u01c5', '\u0345']],
    ['(?i)\\P{Lu}', 'aA1\u01c5\u0345', ['1']],
    ['(?i)\\p{^Ll}', 'aA1\u01c5', ['1']],
    ['(?i)\\P{^Lu}', 'aA1', ['a', 'A']],
    ['(?i)\\p{Lt}', '\u01c4\u01c5\u01c6\u01c7!', ['\u01c4', '\u01c5', '\u01c6', '\u01c7']],
    ['(?i)\\pL', 'a\u0345-', ['a', '\u0345']],
    ['(?i)\\p{Greek}', '\u00b5\u0345k\u2126', ['\u00b5', '\u0345', '\u2126']],
    ['(?i)\\p{Latin}', '\u212a\u017fK\u00b5', ['\u212a', '\u017f', 'K']],
    ['(?i)\\p{Cherokee}', '\u13a0\uab70a', ['\u13a0', '\uab70']],
    // Inside brackets: folded before the bracket is negated, and not folded again.
    ['(?i)[\\p{Lu}]', 'aA1', ['a', 'A']],
    ['(?i)[^\\p{Ll}]', 'aA1', ['1']],
    ['(?i)[\\P{Lu}]', 'aA1', ['1']],
    ['(?i)[^\\P{Lu}]', 'aA1', ['a', 'A']],
    ['(?i)[\\P{Lu}k]', 'aAkK\u212a1', ['k', 'K', '\u212a', '1']],
    ['(?i)[^\\P{Lu}k]', 'aAkK\u212a1', ['a', 'A']],
    ['(?i)[\\P{Lu}\\P{Ll}]', 'aA1', ['1']],
    ['(?i)[^\\P{Lu}\\P{Ll}]', 'aA1', ['a', 'A']],
    ['(?i)[^\\P{Lu}\\P{Ll}]+', 'xaA1', ['xaA']],
    // Flags are scoped as usual.
    ['(?i:\\p{Lu})\\p{Lu}', 'aB ab Ab', ['aB']],
    ['(?i)\\p{Lu}(?-i)\\p{Lu}', 'aB ab', ['aB']],
    // Classes without a Go fold table stay unfolded: (?i)\p{LC} does not take U+0345 (ι's partner).
    ['(?i)\\p{LC}', 'a\u0345', ['a']],
    ['(?i)\\p{ASCII}', 'k\u212a\u017f\u00e9', ['k', '\u212a', '\u017f']],
  ])('%s on %j', (pattern, text, expected) => {
    expect(all(pattern, text)).toEqual(expected);
  });

  it('keeps folded property classes compact: partners bridged through the class itself', () => {
    for (const p of ['(?i)\\p{Lu}', '(?i)\\p{Ll}', '(?i)\\P{Lu}', '(?i)[^\\p{Ll}a-z]']) {
      expect(translateGoRegex(p).source.length, p).toBeLessThan(1500);
    }
    expect(translateGoRegex('(?i)\\pL').source).toBe('[\\u{345}\\p{L}]');
    expect(translateGoRegex('(?i)\\P{Greek}').source).toBe('[^\\u{b5}\\u{345}\\p{Script=Greek}]');
    // A complemented member needs a lookahead only when the bracket is negated and has other members.
    expect(translateGoRegex('(?i)[^\\P{Ll}a]').lookaround).toBe(true);
    expect(translateGoRegex('(?i)[\\P{Ll}a]').lookaround).toBe(false);
    expect(translateGoRegex('(?i)\\P{Ll}').lookaround).toBe(false);
    expect(translateGoRegex('(?i)[\\P{Ll}a]').maskable).toBe(false);
  });

  it.each([
    ['\\p{greek}', true],
    ['\\p{Letter}', true],
    ['\\p{uppercase_letter}', true],
    ['\\p{L u}', true],
    ['\\pl', true],
    ['\\p{LC}', true],
    ['\\p{Assigned}', true],
    ['\\p{ascii}', true],
    ['\\p{any}', true],
    ['\\p{Cn}', true],
    // Since Go 1.25 names are looked up after dropping underscores: these no longer resolve in Go.
    ['\\p{Old_Italic}', false],
    ['\\p{SignWriting}', false],
    // Not Go names at all (JS knows them).
    ['\\p{Grek}', false],
    ['\\p{Script=Greek}', false],
    ['\\p{Garay}', false],
    ['\\p{L&}', false],
    ['\\p{}', false],
  ])('Unicode class name %s is valid in Go: %s', (pattern, valid) => {
    if (valid) expect(() => translateGoRegex(pattern)).not.toThrow();
    else expect(() => translateGoRegex(pattern)).toThrow(RegexTranslationError);
  });
});

describe('masked non-ASCII text (the ASCII form on masked text)', () => {
  it.each([
    ['(a|aa)+(a|aa)+b', true],
    ['\\w+\\s\\d[[:alpha:]]', true],
    ['.[^a-z]\\S\\W\\b', true],
    ['(?i)abc', true],
    ['(?m)^x$', true],
    ['é', false],
    ['(?i)k', false],
    ['(?i)[r-t]', false],
    ['\\pL', false],
    ['[^\\x7f]', false],
    ['[[:cntrl:]]', false],
    ['[\\x{80}-\\x{ff}]', false],
    ['[\\x{80}-\\x{10FFFF}]', false],
    ['[\\x{7f}-\\x{10FFFF}]', true],
  ])('%s maskable: %s', (pattern, maskable) => {
    expect(translateGoRegex(pattern).maskable).toBe(maskable);
  });

  it('masks one DEL per code point and maps offsets back when astral characters shorten the text', () => {
    expect(maskNonAscii('aéb')).toEqual({ text: 'a\x7fb', offsets: undefined });
    const m = maskNonAscii('a😀bé');
    expect(m.text).toBe('a\x7fb\x7f');
    expect(Array.from(m.offsets!)).toEqual([0, 1, 3, 4, 5]);
  });

  it('gives the unicode form’s matches for random maskable patterns (property)', () => {
    const atom = fc.constantFrom(
      'a',
      'b',
      '.',
      '\\w',
      '\\S',
      '\\s',
      '[^a]',
      '[ab]',
      '\\b',
      '(a|aa)',
      '(?:.{2})',
      '[[:^alpha:]]',
    );
    const pattern = fc
      .tuple(
        fc.constantFrom('', '(?i)', '(?s)', '^'),
        fc.array(fc.tuple(atom, fc.constantFrom('', '*', '+', '?', '{1,2}')), { minLength: 1, maxLength: 4 }),
      )
      .map(([flags, items]) => flags + items.map(([a, q]) => (a === '\\b' ? a : a + q)).join(''));
    const text = fc.string({
      unit: fc.constantFrom('a', 'b', ' ', '\n', 'é', '😀', '\u00a0', '\x7f', '_'),
      maxLength: 20,
    });
    let checked = 0;
    fc.assert(
      fc.property(pattern, text, (p, t) => {
        const re = compileGoRegex(p);
        if (!re.maskable || !re.ascii) return;
        const m = maskNonAscii(t);
        const at = (i: number) => (m.offsets ? m.offsets[i]! : i);
        const masked = findAllIndex(re.ascii, m.text).map(([s, e]) => [at(s), at(e)]);
        expect(masked).toEqual(findAllIndex(re, t));
        checked++;
      }),
      { numRuns: 400, seed: 7 },
    );
    expect(checked).toBeGreaterThan(300);
  });
});
