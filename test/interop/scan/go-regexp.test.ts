/**
 * The RE2 → JS translator against Go's own regexp package (a tiny oracle program built from
 * test/interop/scan/go-regexp-oracle with the local Go toolchain): same compile errors, same
 * FindAllStringIndex, same FindStringSubmatch.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parse as parseToml } from 'smol-toml';
import { beforeAll, expect, it } from 'vitest';
import {
  compileGoRegex,
  findAllIndex,
  findSubmatch,
  foldOrbit,
  isAsciiText,
  maskNonAscii,
  translateGoRegex,
} from '../../../src/scan/re2/translate.js';
import { askGoOracle, buildGoOracle } from '../../support/go-oracle.js';
import { describeWithTools, projectRoot } from '../../support/tools.js';
import { writeCorpus } from './corpus.js';
import { gitleaksDefaultConfigPath } from './gitleaks-module.js';

interface OracleAnswer {
  error?: string;
  matches: [number, number][];
  groups: string[] | null;
  numSub: number;
}

let oracleBin = '';

/** The Unicode data Go's regexp/syntax folds and names classes with (the oracle's -tables mode). */
interface GoTables {
  unicode: string;
  orbits: number[][];
  foldCategory: Record<string, [number, number][]>;
  foldScript: Record<string, [number, number][]>;
  categories: string[];
  scripts: string[];
  categoryAliases: Record<string, string>;
}

function askGoTables(): GoTables {
  return JSON.parse(execFileSync(oracleBin, ['-tables'], { maxBuffer: 1 << 28 }).toString()) as GoTables;
}

function askGo(requests: { pattern: string; input: string }[]): OracleAnswer[] {
  return askGoOracle<OracleAnswer>(oracleBin, requests);
}

/**
 * The compact form of the fold orbits embedded in translate.ts (GO_FOLD_EDGES): each orbit's
 * smallest member linked to each other member, as runs "start[:count|.count]+delta" in base 36
 * (':' steps by 2, '.' by 1).
 */
function encodeFoldEdges(orbits: number[][]): string {
  const edges: [number, number][] = [];
  for (const orbit of orbits) for (const cp of orbit.slice(1)) edges.push([orbit[0]!, cp - orbit[0]!]);
  edges.sort((x, y) => x[1] - y[1] || x[0] - y[0]);
  const runs: string[] = [];
  for (let i = 0; i < edges.length; ) {
    const [start, delta] = edges[i]!;
    let j = i + 1;
    let stride = 1;
    const next = edges[j];
    if (next && next[1] === delta && (next[0] - start === 1 || next[0] - start === 2)) {
      stride = next[0] - start;
      while (j < edges.length && edges[j]![1] === delta && edges[j]![0] - edges[j - 1]![0] === stride) j++;
    }
    const n = j - i;
    runs.push(
      `${start.toString(36)}${n > 1 ? (stride === 2 ? ':' : '.') + n.toString(36) : ''}+${delta.toString(36)}`,
    );
    i = j;
  }
  return runs.join(' ');
}

/** Go reports byte offsets; convert to UTF-16 offsets of the same string. */
function byteToUtf16(input: string): (b: number) => number {
  const map = new Map<number, number>();
  let b = 0;
  let u = 0;
  for (const ch of input) {
    map.set(b, u);
    b += Buffer.byteLength(ch);
    u += ch.length;
  }
  map.set(b, u);
  return (x) => map.get(x) ?? -1;
}

interface Comparison {
  pattern: string;
  input: string;
  go: OracleAnswer;
}

function jsAnswer(
  pattern: string,
  input: string,
): { error?: string; matches?: [number, number][]; groups?: string[] | null } {
  let re: ReturnType<typeof compileGoRegex>;
  try {
    re = compileGoRegex(pattern);
  } catch (error) {
    return { error: (error as Error).message };
  }
  const matches = findAllIndex(re, input);
  const groups = findSubmatch(re, input);
  // The flagless twin used on ASCII-only text must agree with the unicode form there.
  if (re.ascii && isAsciiText(input)) {
    const am = findAllIndex(re.ascii, input);
    const ag = findSubmatch(re.ascii, input);
    if (JSON.stringify(am) !== JSON.stringify(matches) || JSON.stringify(ag) !== JSON.stringify(groups)) {
      return { error: `ascii form disagrees: ${JSON.stringify(am)} vs ${JSON.stringify(matches)}` };
    }
  }
  // Maskable patterns run their twin on masked non-ASCII text: offsets must map back exactly, and
  // the groups must be the unicode groups with the same masking.
  if (re.maskable && re.ascii && !isAsciiText(input)) {
    const masked = maskNonAscii(input);
    const at = (i: number) => (masked.offsets ? masked.offsets[i]! : i);
    const mm = findAllIndex(re.ascii, masked.text).map(([s, e]) => [at(s), at(e)]);
    const mg = findSubmatch(re.ascii, masked.text);
    const expectedGroups = groups?.map((g) => maskNonAscii(g).text) ?? null;
    if (
      JSON.stringify(mm) !== JSON.stringify(matches) ||
      JSON.stringify(mg) !== JSON.stringify(expectedGroups)
    ) {
      return { error: `masked ascii form disagrees: ${JSON.stringify(mm)} vs ${JSON.stringify(matches)}` };
    }
    maskedChecks++;
  }
  return { matches, groups };
}

/** How many comparisons exercised the masked path (the property asserts it is not vacuous). */
let maskedChecks = 0;

function mismatches(items: Comparison[]): string[] {
  const bad: string[] = [];
  for (const { pattern, input, go } of items) {
    const js = jsAnswer(pattern, input);
    if (go.error || js.error) {
      if (Boolean(go.error) !== Boolean(js.error)) {
        bad.push(`${JSON.stringify(pattern)}: go ${go.error ?? 'ok'} / js ${js.error ?? 'ok'}`);
      }
      continue;
    }
    const conv = byteToUtf16(input);
    const goMatches = go.matches.map(([s, e]) => [conv(s), conv(e)]);
    if (JSON.stringify(goMatches) !== JSON.stringify(js.matches)) {
      bad.push(
        `${JSON.stringify(pattern)} on ${JSON.stringify(input.slice(0, 60))}: go ${JSON.stringify(goMatches.slice(0, 5))} js ${JSON.stringify(js.matches?.slice(0, 5))}`,
      );
    } else if (JSON.stringify(go.groups) !== JSON.stringify(js.groups)) {
      bad.push(
        `${JSON.stringify(pattern)} groups: go ${JSON.stringify(go.groups)} js ${JSON.stringify(js.groups)}`,
      );
    }
  }
  return bad;
}

/**
 * Members of case-fold orbits where Go's simple folding and JS's case mappings part ways: k K U+212A,
 * s S U+017F, µ Μ μ, Ǆ ǅ ǆ (and the other titlecase digraphs), ß ẞ, Σ ς σ, θ ϑ ϴ, ι ͅ ι, ᾀ ᾈ,
 * Cherokee (upper in Lu, lower in Ll, folding to upper), Georgian Mkhedruli/Mtavruli and
 * Asomtavruli/Nuskhuri, Cyrillic в ᲀ, İ ı (no simple fold partner), Ω/Å signs, and caseless text.
 */
const FOLD_ORBITS =
  'kK\u212a sS\u017f \u00b5\u039c\u03bc \u01c4\u01c5\u01c6 \u01f1\u01f2\u01f3 \u00df\u1e9e ' +
  '\u03a3\u03c2\u03c3 \u0398\u03b8\u03d1\u03f4 \u0345\u0399\u03b9\u1fbe \u1f80\u1f88 ' +
  '\u13a0\uab70\u13f0\u13f8 \u10d0\u1c90\u10a0\u2d00 \u0412\u0432\u1c80 \u0130\u0131iI ' +
  '\u2126\u03c9\u212b\u00e5 \u0101\u0100 aZ09_-!\u00aa\u02b0\u4e2d\u{10400}\u{10428}\u{1e900}\u{1e922}';

/** Unicode property classes under (?i): outside and inside brackets, negated both ways, mixed. */
function propertyFoldCases(): [string, string[]][] {
  const patterns = [
    '(?i)\\p{Lu}',
    '(?i)\\p{Ll}',
    '(?i)\\p{Lt}',
    '(?i)\\pL',
    '(?i)\\p{Greek}',
    '(?i)\\p{Latin}',
    '(?i)\\p{Common}',
    '(?i)\\p{Inherited}',
    '(?i)\\p{Mn}',
    '(?i)\\pM',
    '(?i)\\p{Cherokee}',
    '(?i)\\p{Georgian}',
    '(?i)\\p{Cyrillic}',
    '(?i)\\PL',
    '(?i)\\P{Lu}',
    '(?i)\\p{^Ll}',
    '(?i)\\P{^Lu}',
    '(?i)\\P{Greek}',
    '(?i)\\P{Lt}',
    '(?i)[\\p{Lu}]',
    '(?i)[^\\p{Ll}]',
    '(?i)[\\P{Lu}]',
    '(?i)[^\\P{Lu}]',
    '(?i)[\\p{^Ll}]',
    '(?i)[^\\p{^Ll}]',
    '(?i)[\\p{Lu}0-9]',
    '(?i)[^\\p{Lu}a-c]',
    '(?i)[\\P{Ll}a]',
    '(?i)[^\\P{Ll}a]',
    '(?i)[\\P{Ll}k-s]+',
    '(?i)[^\\P{Ll}k-s]+',
    '(?i)[\\p{Greek}\\p{Lt}]',
    '(?i)[^\\p{Greek}\\P{Lu}]',
    '(?i)[\\P{Lu}\\P{Ll}]',
    '(?i)[^\\P{Lu}\\P{Ll}]',
    '(?i)[\\P{Lu}\\P{Greek}\\d]',
    '(?i)[^\\P{Lu}\\P{Greek}\\d]',
    '(?i)[\\PL\\p{Lt}]',
    '(?i:\\p{Lu})\\p{Lu}',
    '\\p{Lu}(?i:\\p{Lu})',
    '(?i)\\p{Lu}(?-i)\\p{Lu}',
    '(?i)\\P{Lu}(?-i)\\P{Lu}',
    '(?i)\\p{Lu}+',
    '(?i)\\P{Lu}{2}',
    '(?i)x\\P{Ll}+y|\\p{Lt}',
    '(?i)(\\p{Lu})(\\P{Lu})',
    '(?i)\\pN',
    '(?i)\\p{Any}',
    '(?i)[\\p{Lu}\\w]',
    '(?i)[^\\p{Lu}\\W]',
    // Literals and ranges fold along the same orbits.
    '(?i)\u00b5',
    '(?i)\u03c3',
    '(?i)\u01c5',
    '(?i)\u03b8',
    '(?i)\u0131',
    '(?i)I',
    '(?i)\u00df',
    '(?i)\u1f80',
    '(?i)\u13a0',
    '(?i)\uab70',
    '(?i)\u10d0',
    '(?i)\u0432',
    '(?i)[\u03b1-\u03c9]',
    '(?i)[^\u03c3]',
    '(?i)[\u0100-\u017f]',
  ];
  return patterns.map((p) => [p, [FOLD_ORBITS, `x${FOLD_ORBITS.replace(/ /g, 'y')}y`]]);
}

/** Constructs whose meaning differs between Go and JS, each with inputs that tell them apart. */
const table: [string, string[]][] = [
  ['(?i)abc', ['ABC abc aBc', 'xAbCx']],
  ['a(?i)bc', ['aBC ABC abc', 'AbC aBc']],
  ['a(?i:b)c', ['aBc abc aBC ABc']],
  ['(?i)a(?-i:b)c', ['ABC AbC abc aBc']],
  ['(?i)a(?-i)b|c', ['Ab AB C c ab']],
  ['(?i)k', ['k K \u212a']],
  ['(?i)s', ['s S \u017f']],
  ['(?i)[a-c]+', ['ABC abc xyz']],
  ['(?i)[^a-c]+', ['ABCxyzABC']],
  ['(?i)\\w+', ['\u212a\u017f ab']],
  ['(?s).+', ['a\nb\r\nc']],
  ['.+', ['a\nb\r\nc\u2028d']],
  ['(?s:a.b)', ['a\nb a.b']],
  ['a.b', ['a\rb a\nb a\u2029b']],
  ['\\s+', ['a\t\n\v\f\r b\u00a0c\u2003d']],
  ['[\\s]+', ['\v\f x']],
  ['\\S+', ['a\vb c']],
  ['[^\\S]+', ['a\vb \t c']],
  ['\\d+', ['12 \u0661\u0662 3']],
  ['\\w+', ['héllo wörld_1']],
  ['\\bfoo\\b', ['foo föo foobar é-foo']],
  ['\\Bo', ['foo o']],
  ['[[:alnum:]]+', ['ab12_- é']],
  ['[[:alpha:][:digit:]]+', ['a1 b2']],
  ['[[:^alpha:]]+', ['ab12cd']],
  ['[[:space:]]+', ['a \v\t\nb']],
  ['[[:punct:]]+', ['a!@#b']],
  ['[[:xdigit:]]+', ['0xDEADbeefG']],
  ['[[:word:]]+', ['a_b-c']],
  ['[^]]+', ['a]b]c']],
  ['[]a]+', ['a]b']],
  ['[^]a]+', ['bcda]x']],
  ['[a-]+', ['a-b']],
  ['[-a]+', ['-ab']],
  ['[a\\-z]+', ['a-z b']],
  ['[\\[\\]]+', ['[a]']],
  ['x\\z', ['x\nx', 'yx']],
  ['x$', ['x\nx', 'x\n']],
  ['^x', ['x\nx']],
  ['(?m)^x', ['x\nx\rx']],
  ['(?m)x$', ['x\nx\rx']],
  ['\\Ax', ['xx']],
  ['(?P<name>a+)(b)', ['aab']],
  ['(?<n>a)(?:b)(c)?', ['ab abc']],
  ['(a)|(b)', ['b']],
  ['\\Qa.b*c\\E+', ['a.b*cc a.bbc']],
  ['\\Q(x)', ['(x)']],
  ['\\x41\\x{42}\\101', ['ABA']],
  ['\\pL+', ['héllo 123 世界']],
  ['\\p{Greek}+', ['abc αβγ']],
  ['\\PL+', ['abc123!']],
  ['\\p{^L}+', ['abc123!']],
  ['[\\p{Lu}\\d]+', ['ABcD12']],
  ['a{2,3}', ['aaaa a aa']],
  ['a{,3}', ['a{,3}']],
  ['a{2}?', ['aaa']],
  ['x{', ['x{']],
  ['(?U)a+', ['aaa']],
  ['(?U)a+?', ['aaa']],
  ['a*', ['baaab']],
  ['a*?', ['aa']],
  ['(a|)+b', ['aab']],
  ['\\b', ['ab cd']],
  ['', ['abc', '']],
  ['x*', ['\u{1f600}x\u{1f600}']],
  ['[\\x{1F600}-\\x{1F64F}]+', ['a\u{1f600}\u{1f64f}b']],
  ['.', ['\u{1f600}']],
  ['[^a]', ['\u{1f600}']],
  // V8 can start a lookahead-first match between the halves of a surrogate pair; Go never does.
  ['(?m)$b?[^\\x{100}-\\x{10FFFF}]?|b{1,2}', ['y_\vs\u{1f600}']],
  ['(?m)$x?', ['\u{1f600}\u{1f600}\n\u{1f600}']],
  ['(?m)(?:$|a)', ['\u{1f600}a\u{1f600}']],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} placeholder, not a template
  ['\\$\\{[a-z]+\\}', ['${abc}']],
  ['\\.', ['a.b']],
  ['a\\/b', ['a/b']],
  ['(?i)straße', ['STRASSE strasse Straße']],
  ['[\\d-z]+', ['1-z']],
  ...propertyFoldCases(),
  // Invalid in Go: must be rejected, never silently accepted.
  ['(a', ['a']],
  ['a)', ['a']],
  ['a**', ['a']],
  ['a++', ['a']],
  ['*a', ['a']],
  ['\\1', ['a']],
  ['(a)\\1', ['aa']],
  ['\\C', ['a']],
  ['\\Z', ['a']],
  ['[z-a]', ['a']],
  ['a{1001}', ['a']],
  ['(?P<n>a)(?P<n>b)', ['ab']],
  ['(?P<1n>a)', ['a']],
  ['(?x)a', ['a']],
  ['\\8', ['8']],
  ['[[:foo:]]', ['a']],
  ['\\p{Nope}', ['a']],
  ['x{2,1}', ['xx']],
  // Unicode class names as Go 1.25+ looks them up: canonical (case, '_', '-', ' ' ignored),
  // category aliases, Any/Assigned/ASCII/LC; script names with '_' no longer resolve there.
  ['\\p{greek}+', ['abc \u03b1\u03b2 \u00b5']],
  ['\\p{Letter}+', ['ab1\u00e9']],
  ['\\p{uppercase-letter}+', ['aBC']],
  ['\\pl+', ['ab1']],
  ['\\p{ASCII}+', ['ab\u00e9\u212a']],
  ['(?i)\\p{ascii}+', ['ab\u00e9\u212a\u017f']],
  ['(?i)\\P{ascii}+', ['ab\u00e9\u212a\u017f']],
  ['\\p{Assigned}+', ['ab\u0378c']],
  ['\\P{Assigned}+', ['ab\u0378c']],
  ['\\p{Cn}+', ['ab\u0378c']],
  ['(?i)\\p{LC}+', ['aB\u0345\u0399']],
  ['(?i)\\p{Cased_Letter}+', ['aB\u0345\u0399']],
  ['(?i)\\p{letter}+', ['aB\u0345\u0399']],
  ['\\p{Old_Italic}', ['a']],
  ['\\p{SignWriting}', ['a']],
  ['\\p{Grek}', ['a']],
  ['\\p{Script=Greek}', ['a']],
  ['\\p{Garay}', ['a']],
  ['\\p{L&}', ['a']],
  ['\\p{}', ['a']],
  ['\\p{^}', ['a']],
  ['[\\p{Lu}', ['a']],
];

describeWithTools(['gitleaks'], 'RE2 → JS translation matches Go regexp exactly', () => {
  beforeAll(() => {
    const src = join(dirname(fileURLToPath(import.meta.url)), 'go-regexp-oracle');
    oracleBin = buildGoOracle(src, 'scan-go-oracle', 'go-regexp-oracle');
  }, 120_000);

  it('agrees on a table of constructs that differ between the dialects (and on invalid patterns)', () => {
    const requests = table.flatMap(([pattern, inputs]) => inputs.map((input) => ({ pattern, input })));
    const go = askGo(requests);
    expect(go.filter((a) => a.error).length).toBeGreaterThan(10);
    expect(mismatches(requests.map((r, i) => ({ ...r, go: go[i]! })))).toEqual([]);
  });

  it("translates every pattern of gitleaks' default config and matches like Go on the corpus", () => {
    const path = gitleaksDefaultConfigPath();
    expect(path).toBeDefined();
    const cfg = parseToml(readFileSync(path!, 'utf8')) as {
      rules: { regex?: string; path?: string; allowlists?: { regexes?: string[]; paths?: string[] }[] }[];
      allowlist: { regexes: string[]; paths: string[] };
    };
    const patterns: string[] = [];
    for (const r of cfg.rules) {
      if (r.regex) patterns.push(r.regex);
      if (r.path) patterns.push(r.path);
      for (const a of r.allowlists ?? []) patterns.push(...(a.regexes ?? []), ...(a.paths ?? []));
    }
    patterns.push(...cfg.allowlist.regexes, ...cfg.allowlist.paths);
    expect(patterns.length).toBeGreaterThan(300);
    // Every pattern translates (an exception here would name it).
    for (const p of patterns) expect(() => compileGoRegex(p), p).not.toThrow();
    // Corpus text: the planted-secret corpus, gitleaks' own rule sources, CRLF and odd Unicode.
    const corpusDir = join(projectRoot, '.cache', 'scan-go-oracle', 'corpus');
    writeCorpus(corpusDir, 99);
    const texts: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (!e.name.endsWith('.gz') && !e.name.endsWith('.log')) texts.push(readFileSync(p, 'utf8'));
      }
    };
    walk(corpusDir);
    const rulesDir = join(dirname(dirname(path!)), 'cmd', 'generate', 'config', 'rules');
    for (const f of readdirSync(rulesDir).slice(0, 30)) texts.push(readFileSync(join(rulesDir, f), 'utf8'));
    const input = `${texts.join('\n').replace(/\n(?=[a-m])/g, '\r\n')}\n\u212a\u017f é 😀 \u2028 end`;
    const go = askGo(patterns.map((pattern) => ({ pattern, input })));
    const total = go.reduce((n, a) => n + a.matches.length, 0);
    expect(total).toBeGreaterThan(300);
    expect(mismatches(patterns.map((pattern, i) => ({ pattern, input, go: go[i]! })))).toEqual([]);
  }, 180_000);

  it("embeds Go's simple case folding orbits exactly (unicode.SimpleFold of this Go toolchain)", () => {
    const go = askGoTables();
    const goOrbit = new Map<number, number[]>();
    for (const orbit of go.orbits) for (const cp of orbit) goOrbit.set(cp, orbit);
    expect(goOrbit.size).toBeGreaterThan(2800);
    const wrong: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      const ours = [...foldOrbit(cp)].sort((a, b) => a - b);
      const theirs = goOrbit.get(cp) ?? [cp];
      if (ours.join() !== theirs.join()) wrong.push(`U+${cp.toString(16)}: go ${theirs} ours ${ours}`);
    }
    // On a mismatch (a Go release with newer Unicode data) the message carries the new table.
    expect(wrong.slice(0, 20), `regenerate GO_FOLD_EDGES:\n${encodeFoldEdges(go.orbits)}`).toEqual([]);
  });

  it("folds every Go category and script under (?i) like Go's FoldCategory/FoldScript, both signs, on every cased code point", () => {
    const go = askGoTables();
    const cased = go.orbits.flat().sort((a, b) => a - b);
    // Every code point with a fold partner, one run per block of 64 (runs keep Go's answer small).
    let input = '';
    for (let i = 0; i < cased.length; i++)
      input += String.fromCodePoint(cased[i]!) + (i % 64 === 63 ? '\n' : '');
    input += ' \u{10ffff}0_';
    // Every name Go knows (its own spellings; those it can no longer reach must be rejected), the
    // category aliases, the special names, and a non-canonical spelling.
    const aliases = Object.keys(go.categoryAliases);
    expect(aliases.length).toBeGreaterThan(30);
    const names = [
      ...go.categories,
      ...go.scripts,
      ...aliases,
      'Any',
      'ASCII',
      'Assigned',
      'Lc',
      'cased-letter',
    ];
    const requests = names.flatMap((n) =>
      [`(?i)\\p{${n}}+`, `(?i)\\P{${n}}+`, `(?i)[^\\p{${n}}\\n]+`, `(?i)[x\\P{${n}}]+`].map((pattern) => ({
        pattern,
        input,
      })),
    );
    const answers = askGo(requests);
    // Go folds exactly the names with a fold table; the others must come out unfolded.
    const folded = new Set([...Object.keys(go.foldCategory), ...Object.keys(go.foldScript)]);
    expect(folded).toEqual(new Set(['L', 'Ll', 'Lt', 'Lu', 'M', 'Mn', 'Common', 'Greek', 'Inherited']));
    const valid = answers.filter((a) => !a.error).length;
    expect(valid).toBeGreaterThan(4 * 100);
    expect(mismatches(requests.map((r, i) => ({ ...r, go: answers[i]! })))).toEqual([]);
  }, 120_000);

  it('agrees on random patterns over Unicode property classes under (?i) and case-fold orbits (property)', () => {
    const prop = fc.constantFrom(
      '\\p{Lu}',
      '\\p{Ll}',
      '\\p{Lt}',
      '\\pL',
      '\\p{Greek}',
      '\\p{Latin}',
      '\\p{Cherokee}',
      '\\PL',
      '\\P{Lu}',
      '\\p{^Ll}',
      '\\P{Greek}',
      '\\pM',
    );
    const member = fc.oneof(
      prop,
      fc.constantFrom('a-z', 'k', 's', '\\x{3c3}', '\\d', '\\W', '\\x{100}-\\x{17f}'),
    );
    const bracket = fc
      .tuple(fc.boolean(), fc.array(member, { minLength: 1, maxLength: 3 }))
      .map(([neg, items]) => `[${neg ? '^' : ''}${items.join('')}]`);
    const atom = fc.oneof(
      { weight: 3, arbitrary: prop },
      { weight: 3, arbitrary: bracket },
      {
        weight: 1,
        arbitrary: fc.constantFrom('k', 's', '\\x{b5}', '\\x{3a3}', '\\x{1c5}', '.', '(?-i:\\p{Lu})'),
      },
    );
    const piece = fc.tuple(atom, fc.constantFrom('', '', '+', '*?', '{2}')).map(([a, q]) => a + q);
    const seq = fc.array(piece, { minLength: 1, maxLength: 2 }).map((p) => p.join(''));
    const pattern = fc
      .tuple(
        fc.constantFrom('(?i)', '(?i)', '', 'a(?i)'),
        seq,
        fc.option(seq, { nil: undefined }),
        fc.boolean(),
      )
      .map(([flags, a, b, scoped]) => {
        const body = b === undefined ? a : `${a}|${b}`;
        return scoped ? `x?(?i:${body})(${a})` : `${flags}${body}`;
      });
    const orbitChars = [...FOLD_ORBITS.replace(/ /g, '')];
    const input = fc.string({ unit: fc.constantFrom(...orbitChars, ' ', 'x'), maxLength: 16 });
    const samples = fc.sample(fc.tuple(pattern, input), {
      numRuns: Number(process.env.SCAN_FOLD_FUZZ_RUNS ?? 400),
      seed: Number(process.env.SCAN_FUZZ_SEED ?? 20261127),
    });
    const requests = samples.map(([p, s]) => ({ pattern: p, input: s }));
    const go = askGo(requests);
    expect(go.filter((a) => a.error)).toEqual([]);
    expect(go.filter((a) => a.matches.some(([s, e]) => e > s)).length).toBeGreaterThan(requests.length / 4);
    expect(mismatches(requests.map((r, i) => ({ ...r, go: go[i]! })))).toEqual([]);
  });

  it('agrees on random patterns over a grammar of RE2 constructs (property)', () => {
    const atom = fc.constantFrom(
      'a',
      'b',
      'A',
      'k',
      's',
      '.',
      '\\s',
      '\\S',
      '\\w',
      '\\d',
      '\\b',
      '[ab]',
      '[^a]',
      '[[:alpha:]]',
      '[^]a]',
      '\\n',
      '\\r',
      '[\\s\\d]',
      '\\.',
      '^',
      '$',
      '\\z',
      '(?i:a)',
      '(?s:.)',
      'é',
      '\\x{212A}',
      '(|a)',
      '(?:a??)',
      '(a|)',
      '(?:b|a*)',
      '.{2}',
      '[^\\x7f]',
      '[[:cntrl:]]',
      '[\\x{80}-\\x{10FFFF}]',
      '[^\\x{100}-\\x{10FFFF}]',
    );
    const piece = fc
      .tuple(atom, fc.constantFrom('', '*', '+', '?', '{1,2}', '*?', '+?', '{2}'))
      .map(([a, q]) => (/^[\^$]|\\[bz]$/.test(a) ? a : a + q));
    const seq = fc.array(piece, { minLength: 1, maxLength: 5 }).map((p) => p.join(''));
    const pattern = fc
      .tuple(
        fc.constantFrom('', '(?i)', '(?s)', '(?m)', '(?U)'),
        seq,
        fc.option(seq, { nil: undefined }),
        fc.boolean(),
      )
      .map(([flags, a, b, group]) => {
        const body = b === undefined ? a : `${a}|${b}`;
        return group ? `${flags}x(${body})y|${body}` : `${flags}${body}`;
      });
    const input = fc.string({
      unit: fc.constantFrom(
        'a',
        'b',
        'A',
        'B',
        'k',
        'K',
        's',
        'S',
        ' ',
        '\n',
        '\r',
        '\v',
        '\t',
        '.',
        'é',
        'x',
        'y',
        '1',
        '_',
        ']',
        '\u212a',
        '\u017f',
        '\x7f',
        '😀',
        'ü',
      ),
      maxLength: 24,
    });
    const samples = fc.sample(fc.tuple(pattern, input), {
      numRuns: Number(process.env.SCAN_FUZZ_RUNS ?? 600),
      seed: Number(process.env.SCAN_FUZZ_SEED ?? 20261127),
    });
    const requests = samples.map(([p, s]) => ({ pattern: p, input: s }));
    const go = askGo(requests);
    // Patterns the translator warns about are reported to the user; all others must agree exactly.
    const warned = new Set(
      requests.filter((r) => {
        try {
          return translateGoRegex(r.pattern).warnings.length > 0;
        } catch {
          return false;
        }
      }),
    );
    expect(warned.size).toBeGreaterThan(10);
    const checked = requests
      .map((r, i) => ({ ...r, go: go[i]! }))
      .filter((_, i) => !warned.has(requests[i]!));
    const maskedBefore = maskedChecks;
    expect(mismatches(checked)).toEqual([]);
    expect(maskedChecks - maskedBefore).toBeGreaterThan(50);
  });
});
